// The vault knows what it holds (design decision 12), on the real data path: rclone 1.60.1,
// s3rver taught S3's ETags (an SSE-KMS ETag is not the MD5; a multipart ETag is <hex>-<parts>),
// Azurite, the engine, and the real restore command. Each case here passed the backup, the check
// and the drill on the previous engine while the restore refused or missed the object.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { startBackup, why, type Backup, type SyncRun } from "../../harness/datapath";
import { runPreviousEngine } from "../../harness/previousEngine";
import { restoreToNewBucket } from "../../harness/rehearsal";
import { CONTENT_RECORD, S3_METADATA } from "../../domain/contentRecord";
import { parseRecord } from "../../domain/verdict";

const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");
const hex = (u8?: Uint8Array) => (u8 ? Buffer.from(u8).toString("hex") : undefined);

async function blob(b: Backup, key: string) {
  const p = await b.container.getBlobClient(`data/${key}`).getProperties();
  const raw = p.metadata?.[CONTENT_RECORD];
  const parsed = raw === undefined ? undefined : parseRecord(raw);
  return {
    contentMD5: hex(p.contentMD5),
    metadata: p.metadata ?? {},
    record: parsed && "record" in parsed ? parsed.record : undefined,
    size: p.contentLength,
  };
}

async function sourceEtag(b: Backup, key: string): Promise<string> {
  const h = await b.source.send(
    new HeadObjectCommand({ Bucket: b.settings.sourceBucket, Key: key }),
  );
  return h.ETag!.replace(/"/g, "");
}

/** Rewrites a blob's bytes (same size) keeping its metadata and Content-MD5: what a writer with
 * the container's write permission, or silent corruption, would leave. */
async function tamper(b: Backup, key: string, bytes: Buffer): Promise<void> {
  const c = b.container.getBlockBlobClient(`data/${key}`);
  const p = await c.getProperties();
  // Azurite checks a Content-MD5 sent with the bytes: put it back afterwards, as an attacker can.
  await c.upload(bytes, bytes.length, { metadata: p.metadata });
  await c.setHTTPHeaders({ blobContentMD5: p.contentMD5, blobContentType: p.contentType });
}

async function restoreInto(b: Backup, extra: string[] = []) {
  const bucket = `restored-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return { ...(await restoreToNewBucket(b, bucket, extra)), bucket };
}

/** Blob uploads the run made (Put Blob, Put Block, Put Block List), as opposed to property and
 * metadata writes. */
function uploads(b: Backup): string[] {
  return b.azureProxy.log
    .filter((l) => l.method === "PUT")
    .map((l) => new URL(l.url, "http://x"))
    .filter((u) => u.pathname.includes("/data/"))
    .filter((u) => !["properties", "metadata"].includes(u.searchParams.get("comp") ?? ""))
    .map((u) => decodeURIComponent(u.pathname));
}

const denyComp = (comp: string) => (method: string, url: string) =>
  method === "PUT" && new URL(url, "http://x").searchParams.get("comp") === comp
    ? {
        status: 403,
        headers: { "x-ms-error-code": "AuthorizationPermissionMismatch" },
        body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>denied by the test</Message></Error>',
      }
    : undefined;

describe("content identity: the vault knows what it holds", function () {
  this.timeout(300_000);

  describe("an SSE-KMS object (its ETag is not its MD5)", () => {
    let b: Backup;
    const body = Buffer.from("quarterly figures, encrypted with a KMS key\n".repeat(40));
    before(async () => {
      b = await startBackup({ azuriteInMemory: true, overrides: { integritySampleObjects: 50 } });
      await b.putKms("kms/report.bin", body);
      await b.put("plain.txt", "plain\n");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ copied: 2, sealed: 2, hashedBytes: body.length + 6 });
    });
    after(async () => b?.stop());

    it("gets the MD5 of its bytes as Content-MD5 and a content record naming its ETag and encryption", async () => {
      const etag = await sourceEtag(b, "kms/report.bin");
      expect(
        etag,
        "the emulator must give SSE-KMS objects an ETag that is not the MD5",
      ).to.not.equal(md5(body));
      const got = await blob(b, "kms/report.bin");
      expect(got.contentMD5).to.equal(md5(body));
      expect(got.record).to.deep.include({
        etag,
        size: body.length,
        md5: md5(body),
        sse: "aws:kms",
        meta: 0,
        format: 1,
      });
      expect(got.record!.engine).to.match(/^[0-9a-f]{16}$/);
    });

    it("restores byte for byte, verified against that record", async () => {
      const r = await restoreInto(b);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect((await b.sourceBody("kms/report.bin", r.bucket)).equals(body)).to.equal(true);
    });

    it("a no-change run makes no GET at all", async () => {
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ copied: 0, sealed: 0, adopted: 0, unchanged: 2 });
      expect(r.s3.GET + r.s3.HEAD).to.equal(0);
      expect(r.azure.GET + r.azure.HEAD).to.equal(0);
    });

    it("once its bytes are tampered, the check, the drill and the restore all refuse it", async () => {
      const ok = await b.verify();
      expect(ok.result?.outcome, why(ok)).to.equal("match");
      expect(ok.result?.sampled).to.equal(2);
      const forged = Buffer.from(body);
      forged[0] ^= 0xff;
      await tamper(b, "kms/report.bin", forged);

      const v = await b.verify();
      expect(v.result?.outcome, why(v)).to.equal("mismatch");
      expect(v.result?.sampleMismatch).to.equal(1);
      expect(v.result?.mismatches.map((m) => m.key)).to.deep.equal(["kms/report.bin"]);

      const d = await b.drill();
      expect(d.result?.outcome, why(d)).to.equal("mismatch");
      expect(d.result?.mismatches[0]).to.deep.include({ key: "kms/report.bin" });
      expect(d.result?.mismatches[0].reason).to.match(/mismatch/);

      const r = await restoreInto(b);
      expect(r.code, r.stdout + r.stderr).to.equal(4);
      expect(r.stdout + r.stderr).to.include("kms/report.bin");
    });
  });

  describe("change detection by ETag", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
    });
    after(async () => b?.stop());

    it("copies a same-size multipart overwrite with the same LastModified", async () => {
      const part = 5 * 1024 * 1024;
      const first = Buffer.alloc(part + 1024, 1);
      const second = Buffer.alloc(part + 1024, 2);
      const when = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
      await b.putMultipart("mp/large.bin", first, part);
      b.backdate(["mp/large.bin"], when);
      const r1 = await b.run();
      expect(r1.code, why(r1)).to.equal(0);
      const etag1 = await sourceEtag(b, "mp/large.bin");
      expect(etag1).to.match(/^[0-9a-f]{32}-2$/);
      expect((await blob(b, "mp/large.bin")).contentMD5).to.equal(md5(first));

      await b.putMultipart("mp/large.bin", second, part);
      b.backdate(["mp/large.bin"], when);
      const r2 = await b.run();
      expect(r2.code, why(r2)).to.equal(0);
      expect(r2.summary).to.include({ copied: 1, changed: 1, sealed: 1 });
      const got = await blob(b, "mp/large.bin");
      expect(got.contentMD5).to.equal(md5(second));
      expect(got.record?.etag).to.equal(await sourceEtag(b, "mp/large.bin"));
    });

    it("records metadata replaced in place (same ETag, new LastModified) without copying, however large", async () => {
      const Bucket = b.settings.sourceBucket;
      await b.source.send(
        new PutObjectCommand({
          Bucket,
          Key: "meta/replaced.txt",
          Body: "same bytes\n",
          Metadata: { v: "1" },
        }),
      );
      const first = await b.run();
      expect(first.code, why(first)).to.equal(0);
      const etag = await sourceEtag(b, "meta/replaced.txt");
      await new Promise((r) => setTimeout(r, 1100)); // S3 times have whole seconds
      // 1,900 quotes: URL-encoded JSON would be 11 KB, over Azure's 8 KiB of metadata
      const big = '"'.repeat(1900);
      await b.source.send(
        new CopyObjectCommand({
          Bucket,
          Key: "meta/replaced.txt",
          CopySource: `${Bucket}/meta/replaced.txt`,
          MetadataDirective: "REPLACE",
          Metadata: { v: "2", big },
          ContentType: "application/json",
        }),
      );
      expect(await sourceEtag(b, "meta/replaced.txt")).to.equal(etag);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ copied: 0, refreshed: 1 });
      expect(uploads(b)).to.deep.equal([]);
      expect(b.objectGetKeys()).to.deep.equal([]);
      const p = await b.container.getBlobClient("data/meta/replaced.txt").getProperties();
      expect(p.contentType).to.equal("application/json");
      const restored = await restoreInto(b, ["--strict", "--prefix", "meta/replaced.txt"]);
      expect(restored.code, restored.stdout + restored.stderr).to.equal(0);
      const head = await b.source.send(
        new HeadObjectCommand({ Bucket: restored.bucket, Key: "meta/replaced.txt" }),
      );
      expect(head.Metadata).to.deep.equal({ v: "2", big });
      const again = await b.run();
      expect(again.summary).to.include({ refreshed: 0, copied: 0 });
    });

    it("a failed seal (metadata step) is retried by the next run and completes, without copying again", async () => {
      await b.source.send(
        new PutObjectCommand({
          Bucket: b.settings.sourceBucket,
          Key: "meta/owned.txt",
          Body: "owned by team a\n",
          Metadata: { owner: "team-a", "cost-centre": "42" },
        }),
      );
      b.azureProxy.intercept = denyComp("properties");
      let r: SyncRun;
      try {
        r = await b.run();
      } finally {
        b.azureProxy.intercept = undefined;
      }
      expect(r.code, why(r)).to.equal(1);
      expect(r.summary?.errors.join("\n")).to.include(
        "meta/owned.txt: copied, but cannot record its content",
      );
      expect((await blob(b, "meta/owned.txt")).record).to.equal(undefined);

      const again = await b.run();
      expect(again.code, why(again)).to.equal(0);
      expect(again.summary).to.include({ copied: 0, adopted: 1, adoptedByRead: 1 });
      expect(uploads(b), "no byte uploaded again").to.deep.equal([]);
      const got = await blob(b, "meta/owned.txt");
      expect(got.contentMD5).to.equal(md5("owned by team a\n"));
      expect(got.record).to.include({ meta: 2 });
      expect(JSON.parse(decodeURIComponent(got.metadata[S3_METADATA]))).to.deep.equal({
        "cost-centre": "42",
        owner: "team-a",
      });
    });
  });

  describe("a vault the previous engine wrote", () => {
    let b: Backup;
    const kms = Buffer.from("kms bytes\n".repeat(100));
    const multipart = Buffer.alloc(5 * 1024 * 1024 + 10, 7);
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      await b.put("plain.txt", "plain bytes\n");
      await b.putKms("kms.bin", kms);
      await b.putMultipart("multipart.bin", multipart);
      const old = await runPreviousEngine(b);
      expect(old.code, old.stderr).to.equal(0);
    });
    after(async () => b?.stop());

    it("held a source ETag dressed as an MD5 (the defect this release repairs)", async () => {
      const got = await blob(b, "kms.bin");
      expect(got.record).to.equal(undefined);
      expect(got.contentMD5).to.equal(await sourceEtag(b, "kms.bin"));
      expect(got.contentMD5).to.not.equal(md5(kms));
      const r = await restoreInto(b, ["--strict"]);
      expect(r.code, r.stdout + r.stderr).to.equal(4);
    });

    it("is adopted on the first run: false MD5s repaired, records written, nothing uploaded again", async () => {
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ copied: 0, adopted: 3, unchanged: 3 });
      // plain.txt's old Content-MD5 was its real MD5: only the other two were read back.
      expect(r.summary?.adoptedByRead).to.equal(2);
      expect(uploads(b)).to.deep.equal([]);
      for (const [key, bytes] of [
        ["plain.txt", Buffer.from("plain bytes\n")],
        ["kms.bin", kms],
        ["multipart.bin", multipart],
      ] as const) {
        const got = await blob(b, key);
        expect(got.contentMD5, key).to.equal(md5(bytes));
        expect(got.record?.etag, key).to.equal(await sourceEtag(b, key));
      }
      const again = await b.run();
      expect(again.summary).to.include({ adopted: 0, unchanged: 3 });
      const restored = await restoreInto(b, ["--strict"]);
      expect(restored.code, restored.stdout + restored.stderr).to.equal(0);
    });
  });
});
