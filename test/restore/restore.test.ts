// The restore command end to end: a real backup (rendered engine + rclone 1.60.1 into Azurite),
// then `npm run restore` (cli/restore.ts in a child process) into s3rver buckets and local
// directories, with requests counted by the harness's proxies.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { startBackup, why, type Backup } from "../../harness/datapath";
import { AZURITE_ACCOUNT, AZURITE_KEY, S3RVER_CREDENTIALS } from "../../harness/emulators";
import { blobName } from "../../domain/blobNames";
import { CONTENT_RECORD } from "../../domain/contentRecord";
import { restore, RESTORE_EXIT } from "../../restore/restore";
import { readOnlyVaultUrl, restoreEnv, spawnRestore, type CliRun } from "../../harness/rehearsal";
import { S3Target, s3Client } from "../../restore/target";
import { openVault, vaultSourceFrom } from "../../restore/vault";

const MiB = 1024 * 1024;

const KEYS: Record<string, string | Buffer> = {
  "top.txt": "top level\n",
  "a/b/c/deep.txt": "three levels down\n",
  "zürich/über-ü.txt": "unicode\n",
  "emoji-😀.txt": "astral plane\n",
  "plus+sign.txt": "plus\n",
  "100%.txt": "percent\n",
  "space name/file with spaces.txt": "spaces\n",
  "trailing-dot.": "a trailing dot\n",
  "seg./inner.txt": "a segment with a trailing dot\n",
  "back\\slash": "a backslash\n",
  "tab\tkey": "a control character\n",
  "nest/inner.txt": "inside the folder of the same name\n",
  ["k".repeat(1000)]: "a 1,000-byte key\n",
  "empty.bin": Buffer.alloc(0),
  "logs/empty-too": Buffer.alloc(0),
  "logs/2026/app.log": "log line\n",
  "binary.bin": randomBytes(300 * 1024),
};
const MULTIPART_KEY = "large/multipart.bin";
const TYPED_KEY = "typed.data";

function expectNoSecret(r: CliRun): void {
  expect(r.stdout + r.stderr, "restore output").not.to.match(/sig=(?!REDACTED)/);
  expect(r.stdout + r.stderr, "restore output").not.to.include(AZURITE_KEY);
}

/** PUT requests (objects and parts) the S3 proxy saw, by key. */
function putKeys(b: Backup, bucket: string): string[] {
  return b.s3Proxy.log
    .filter((l) => l.kind === "PUT")
    .map((l) => decodeURIComponent(new URL(l.url, "http://x").pathname.slice(bucket.length + 2)))
    .sort();
}

describe("restore command: a real backup, restored exactly", function () {
  this.timeout(300_000);
  let b: Backup;
  let env: NodeJS.ProcessEnv;
  let vault: string;
  let source: Map<string, string>;
  const multipart = randomBytes(11 * MiB);
  const cli = (args: string[]) => spawnRestore(args, env);
  /** An S3 restore with --from names the source bucket (the vault's status/ is not trusted to). */
  let src: string[];
  const newBucket = async (name: string) => {
    await b.s3.client().send(new CreateBucketCommand({ Bucket: name }));
    b.s3Proxy.reset();
    return name;
  };

  before(async () => {
    b = await startBackup({ azuriteInMemory: true });
    for (const [k, v] of Object.entries(KEYS)) await b.put(k, v);
    await b.putMultipart(MULTIPART_KEY, multipart);
    await b.source.send(
      new PutObjectCommand({
        Bucket: b.settings.sourceBucket,
        Key: TYPED_KEY,
        Body: "typed",
        ContentType: "application/x-ccb-test",
        // names Azure's metadata cannot hold as they are ("-"), and several of them
        Metadata: { owner: "team-a", "cost-centre": "4711", "x-trace": "a=b&c" },
      }),
    );
    const r = await b.run();
    expect(r.code, why(r)).to.equal(0);
    expect(r.summary?.copied, why(r)).to.equal(Object.keys(KEYS).length + 2);
    // A file named like a folder ("nest" next to "nest/inner.txt"), in a later run too.
    await b.put("nest", "a file named like a folder\n");
    const r2 = await b.run();
    expect(r2.summary?.copied, why(r2)).to.equal(1);
    env = restoreEnv(b);
    vault = readOnlyVaultUrl(b);
    src = ["--source-bucket", b.settings.sourceBucket];
    source = await b.bucketObjects(b.settings.sourceBucket);
  });
  after(async () => b?.stop());

  it("restores every key (unicode, + and %, spaces, trailing dots, backslashes, 1,000 bytes, empty, multipart) byte for byte into a new bucket", async () => {
    const bucket = await newBucket("restored");
    const r = await cli([
      "--from",
      vault,
      "--container",
      "backup",
      "--to",
      `s3://${bucket}/`,
      ...src,
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expectNoSecret(r);
    expect(await b.bucketObjects(bucket)).to.deep.equal(source);
    expect(r.stdout).to.match(
      new RegExp(`restored ${source.size} objects .* 0 mismatches; 0 failed`),
    );
    // What the blob keeps comes back: rclone 1.60.1 stores Content-Type; the engine keeps the
    // x-amz-meta-* (rclone's azureblob backend cannot) next to rclone's mtime.
    const typed = await b.container.getBlobClient(TYPED_KEY.replace(/^/, "data/")).getProperties();
    expect(Object.keys(typed.metadata ?? {}).sort()).to.deep.equal(
      [CONTENT_RECORD, "mtime", "s3metadata"].sort(),
    );
    // The engine wrote a content record on every blob: every object comes back verified.
    expect(r.stdout).to.match(new RegExp(`\\(${source.size} verified, 0 unverified\\)`));
    const head = await b.s3
      .client()
      .send(new HeadObjectCommand({ Bucket: bucket, Key: TYPED_KEY }));
    expect(head.ContentType).to.equal("application/x-ccb-test");
    expect(head.Metadata).to.deep.equal({
      owner: "team-a",
      "cost-centre": "4711",
      "x-trace": "a=b&c",
    });
  });

  it("reads the vault through a connection string too, and --prefix restores only that prefix", async () => {
    const bucket = await newBucket("only-logs");
    const conn = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${b.azurite.port}/${AZURITE_ACCOUNT};`;
    const r = await cli([
      "--from",
      conn,
      "--container",
      "backup",
      "--to",
      `s3://${bucket}/copy/`,
      "--prefix",
      "logs/",
      ...src,
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expectNoSecret(r);
    const got = await b.bucketObjects(bucket);
    expect([...got.keys()].sort()).to.deep.equal(["copy/logs/2026/app.log", "copy/logs/empty-too"]);
    expect(got.get("copy/logs/2026/app.log")).to.equal(source.get("logs/2026/app.log"));
  });

  it("--dry-run lists counts and bytes and writes nothing", async () => {
    const bucket = await newBucket("dry");
    const r = await cli([
      "--from",
      vault,
      "--to",
      `s3://${bucket}/`,
      "--dry-run",
      "--json",
      ...src,
    ]);
    expect(r.code, r.stderr).to.equal(RESTORE_EXIT.ok);
    const report = JSON.parse(r.stdout);
    expect(report.toCopy).to.equal(source.size);
    const sizes = [...(await b.sourceObjects()).values()].map((o) => o.size);
    expect(report.toCopyBytes).to.equal(sizes.reduce((s, n) => s + n, 0));
    expect(report.restored).to.equal(0);
    expect(b.s3Proxy.counts.PUT + b.s3Proxy.counts.POST).to.equal(0);
    expect(await b.sourceKeys(bucket)).to.deep.equal([]);
  });

  it("refuses to write into the source bucket without --in-place; --in-place shows a dry run and writes only when confirmed", async () => {
    b.s3Proxy.reset();
    const refused = await cli([
      "--from",
      vault,
      "--to",
      `s3://${b.settings.sourceBucket}/`,
      ...src,
    ]);
    expect(refused.code).to.equal(RESTORE_EXIT.failure);
    expect(refused.stderr).to.match(/refused: .*source bucket.*--in-place/);
    // a mistyped --source-bucket does not switch off the refusal for the bucket the vault names
    const typo = await cli([
      "--from",
      vault,
      "--source-bucket",
      "not-the-source",
      "--to",
      `s3://${b.settings.sourceBucket}/`,
    ]);
    expect(typo.code).to.equal(RESTORE_EXIT.failure);
    expect(typo.stderr).to.match(/refused: .*source bucket.*--in-place/);
    expect(b.s3Proxy.counts.PUT + b.s3Proxy.counts.POST + b.s3Proxy.counts.DELETE).to.equal(0);
    // The loss: one object deleted, one overwritten in the source.
    await b.remove("top.txt");
    await b.put("100%.txt", "encrypted!");
    b.s3Proxy.reset();
    const dry = await cli(["--from", vault, "--in-place", ...src]);
    expect(dry.code).to.equal(RESTORE_EXIT.usage);
    expect(dry.stdout).to.match(/^dry run: would restore 2 objects/);
    expect(dry.stdout).to.match(
      /would replace \(different in the target\) \(1\):\n {2}"100%\.txt"/,
    );
    expect(dry.stderr).to.match(/--in-place --yes-overwrite-source/);
    expect(b.s3Proxy.counts.PUT + b.s3Proxy.counts.POST + b.s3Proxy.counts.DELETE).to.equal(0);
    const confirmed = await cli(["--from", vault, "--in-place", "--yes-overwrite-source", ...src]);
    expect(confirmed.code, confirmed.stdout + confirmed.stderr).to.equal(RESTORE_EXIT.ok);
    expect(putKeys(b, b.settings.sourceBucket)).to.deep.equal(["100%.txt", "top.txt"]);
    expect(await b.bucketObjects(b.settings.sourceBucket)).to.deep.equal(source);
  });

  it("a directory target writes content, and reports the keys a directory cannot hold", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-restore-dir-"));
    try {
      const r = await cli(["--from", vault, "--to", dir, "--json"]);
      expect(r.code, r.stderr).to.equal(RESTORE_EXIT.partial);
      const report = JSON.parse(r.stdout);
      const unwritable = Object.fromEntries(
        report.unwritable.map((u: { key: string; reason: string }) => [u.key, u.reason]),
      );
      expect(Object.keys(unwritable).sort()).to.deep.equal(["k".repeat(1000), "nest"].sort());
      expect(unwritable.nest).to.match(/cannot hold a file and a folder/);
      expect(unwritable["k".repeat(1000)]).to.match(/1000 bytes/);
      expect(report.restored).to.equal(source.size - 2);
      for (const [k, md5] of source) {
        if (k in unwritable) continue;
        const file = path.join(dir, ...k.split("/"));
        expect(createHash("md5").update(fs.readFileSync(file)).digest("hex"), k).to.equal(md5);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never replaces a different object in the target unless --overwrite", async () => {
    const bucket = await newBucket("occupied");
    await b.s3
      .client()
      .send(new PutObjectCommand({ Bucket: bucket, Key: "top.txt", Body: "other" }));
    b.s3Proxy.reset();
    const refused = await cli(["--from", vault, "--to", `s3://${bucket}/`, ...src]);
    expect(refused.code).to.equal(RESTORE_EXIT.failure);
    expect(refused.stdout).to.match(/"top.txt": the target holds 5 bytes, the vault 10/);
    expect(refused.stdout).to.match(/refused: .*nothing was written.*--overwrite/);
    expect(b.s3Proxy.counts.PUT + b.s3Proxy.counts.POST).to.equal(0);
    const ok = await cli(["--from", vault, "--to", `s3://${bucket}/`, "--overwrite", ...src]);
    expect(ok.code, ok.stdout).to.equal(RESTORE_EXIT.ok);
    expect(await b.bucketObjects(bucket)).to.deep.equal(source);
  });

  it("an interrupted restore resumes: the rerun copies only what is missing", async () => {
    const bucket = await newBucket("resumed");
    const container = await openVault(vaultSourceFrom(vault, undefined, "backup"));
    const client = s3Client({
      region: "us-east-1",
      endpoint: b.s3Proxy.endpoint,
      credentials: { ...S3RVER_CREDENTIALS },
    });
    // The library's hook stops after 5 objects, as an interruption would.
    const first = await restore({
      container,
      target: new S3Target(client, bucket, ""),
      sourceBucket: b.settings.sourceBucket,
      concurrency: 1,
      stopAfter: 5,
    });
    expect(first.interrupted).to.equal(true);
    expect(first.restored).to.equal(5);
    expect(first.exitCode).to.equal(RESTORE_EXIT.failure);
    const done = await b.sourceKeys(bucket);
    expect(done).to.have.length(5);
    b.s3Proxy.reset();
    const rerun = await cli(["--from", vault, "--to", `s3://${bucket}/`, "--json", ...src]);
    expect(rerun.code, rerun.stderr).to.equal(RESTORE_EXIT.ok);
    const report = JSON.parse(rerun.stdout);
    expect(report.alreadyPresent).to.equal(5);
    expect(report.restored).to.equal(source.size - 5);
    // No object restored by the first pass was written again.
    const written = new Set(putKeys(b, bucket));
    for (const k of done) expect(written.has(k), k).to.equal(false);
    expect(written.size).to.equal(source.size - 5);
    expect(await b.bucketObjects(bucket)).to.deep.equal(source);
  });

  describe("what a restore verifies (domain/verdict.ts), on blobs planted in the vault", () => {
    // Blobs written as the engine writes them (a content record and Content-MD5 from the bytes
    // it hashed) or as an older engine did (Content-MD5 from the source ETag, no record), then
    // altered. Each test restores one prefix, so the backup's own objects are not involved.
    const A = randomBytes(64 * 1024);
    const B = randomBytes(64 * 1024);
    const SAME = randomBytes(4096);
    const LARGE = randomBytes(17 * MiB); // over one part: the target upload is multipart
    const FALSE_MD5 = "3858f62230ac3c915f300c664312c63f"; // an SSE-KMS ETag, say: not the MD5
    const KEYS = {
      tampered: "verdicts/a-tampered.bin",
      older: "verdicts/b-older-engine.bin",
      consistent: "verdicts/c-consistent.bin",
      contradicting: "verdicts/d-record-size-differs.bin",
      large: "verdicts-large/tampered.bin",
    };
    const md5hex = (data: Buffer) => createHash("md5").update(data).digest("hex");
    /** A content record as the engine encodes it: compact JSON, sorted keys, URL-encoded. */
    const record = (data: Buffer, size = data.length) =>
      encodeURIComponent(
        JSON.stringify({
          engine: "0123456789abcdef",
          etag: `${md5hex(data)}-2`,
          format: 1,
          md5: md5hex(data),
          meta: 0,
          mtime: 1764547200,
          size,
          sse: "aws:kms",
        }),
      );
    /**
     * Writes data/<key> with the given Content-MD5 (hex) and content record. The Content-MD5 is
     * set after the upload: Azurite checks one sent with the bytes.
     */
    const plant = async (key: string, data: Buffer, contentMD5?: string, raw?: string) => {
      const blob = b.container.getBlockBlobClient(`data/${blobName(key)}`);
      await blob.upload(data, data.length, {
        metadata: raw === undefined ? undefined : { [CONTENT_RECORD]: raw },
      });
      await blob.setHTTPHeaders({
        blobContentType: "application/octet-stream",
        blobContentMD5: contentMD5 === undefined ? undefined : Buffer.from(contentMD5, "hex"),
      });
    };
    /** Rewrites a blob's bytes, keeping its metadata and Content-MD5: tampering, or bit rot. */
    const tamper = async (key: string, data: Buffer) => {
      const blob = b.container.getBlockBlobClient(`data/${blobName(key)}`);
      const old = await blob.getProperties();
      await blob.upload(data, data.length, { metadata: old.metadata });
      await blob.setHTTPHeaders({
        blobContentType: old.contentType,
        blobContentMD5: old.contentMD5,
      });
    };
    const restoreInto = async (bucket: string, prefix: string, ...flags: string[]) => {
      await newBucket(bucket);
      return cli([
        "--from",
        vault,
        "--to",
        `s3://${bucket}/`,
        "--prefix",
        prefix,
        ...src,
        ...flags,
      ]);
    };

    before(async () => {
      await plant(KEYS.tampered, A, md5hex(A), record(A));
      await tamper(KEYS.tampered, B);
      await plant(KEYS.older, SAME, FALSE_MD5);
      await plant(KEYS.consistent, A, md5hex(A), record(A));
      await plant(KEYS.contradicting, SAME, md5hex(SAME), record(SAME, SAME.length + 1));
      await plant(KEYS.large, LARGE, md5hex(LARGE), record(LARGE));
      await tamper(
        KEYS.large,
        Buffer.concat([LARGE.subarray(0, -1), Buffer.from([~LARGE.at(-1)! & 0xff])]),
      );
      // What the vault now says about each blob: the tampered ones keep their record and MD5.
      for (const key of [KEYS.tampered, KEYS.large]) {
        const p = await b.container.getBlobClient(`data/${blobName(key)}`).getProperties();
        expect(p.metadata?.[CONTENT_RECORD], key).to.be.a("string");
        expect(Buffer.from(p.contentMD5!).toString("hex"), key).to.equal(
          md5hex(key === KEYS.large ? LARGE : A),
        );
      }
      const older = await b.container.getBlobClient(`data/${blobName(KEYS.older)}`).getProperties();
      expect(Buffer.from(older.contentMD5!).toString("hex")).to.equal(FALSE_MD5);
    });

    it("verified, unverified (named, restored byte for byte) and mismatch (named, refused: exit 4), in one run", async () => {
      const r = await restoreInto("verdicts-default", "verdicts/", "--json");
      expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.mismatch);
      const report = JSON.parse(r.stdout);
      expect(report.mismatches).to.have.length(1);
      expect(report.mismatches[0]).to.include({ key: KEYS.tampered, restored: false });
      expect(report.mismatches[0].reason).to.equal(
        `the MD5 of its bytes ${md5hex(B)} differs from the recorded ${md5hex(A)}`,
      );
      expect(report.unverified).to.deep.equal([
        {
          key: KEYS.older,
          reason: `no content record, and its Content-MD5 ${FALSE_MD5} is not the MD5 of its bytes ${md5hex(SAME)} (an older engine stored a source ETag)`,
          restored: true,
        },
        {
          key: KEYS.contradicting,
          reason: `its content record says ${SAME.length + 1} bytes but the blob has ${SAME.length}`,
          restored: true,
        },
      ]);
      expect(report.verified).to.equal(1);
      expect(report.restored).to.equal(3);
      expect(report.failed).to.deep.equal([]);
      expect(report).not.to.have.property("sizeOnly");
      // Committed byte for byte; the refused one is not in the target at all.
      expect(await b.bucketObjects("verdicts-default")).to.deep.equal(
        new Map([
          [KEYS.older, md5hex(SAME)],
          [KEYS.consistent, md5hex(A)],
          [KEYS.contradicting, md5hex(SAME)],
        ]),
      );
      expect(putKeys(b, "verdicts-default")).not.to.include(KEYS.tampered);
    });

    it("a consistent record restores as verified (exit 0)", async () => {
      const r = await restoreInto("verdicts-consistent", "verdicts/c-");
      expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
      expect(r.stdout).to.match(
        /^restored 1 objects .*\(1 verified, 0 unverified\); .* 0 mismatches; 0 failed$/m,
      );
      expect(r.stdout).not.to.match(/unverified, restored|MISMATCH|UNVERIFIED/);
      expect(await b.bucketObjects("verdicts-consistent")).to.deep.equal(
        new Map([[KEYS.consistent, md5hex(A)]]),
      );
    });

    it("a tampered blob: refused and named (exit 4); restored and named with --accept-mismatch (exit 0)", async () => {
      const refused = await restoreInto("verdicts-refused", "verdicts/a-");
      expect(refused.code, refused.stdout + refused.stderr).to.equal(RESTORE_EXIT.mismatch);
      expect(refused.stdout).to.include(
        `MISMATCH (not restored) (1):\n  "${KEYS.tampered}": the MD5 of its bytes ${md5hex(B)} differs from the recorded ${md5hex(A)}`,
      );
      expect(refused.stdout).to.match(/^note: .* give --accept-mismatch to restore them/m);
      expect(await b.sourceKeys("verdicts-refused")).to.deep.equal([]);
      const accepted = await restoreInto("verdicts-accepted", "verdicts/a-", "--accept-mismatch");
      expect(accepted.code, accepted.stdout + accepted.stderr).to.equal(RESTORE_EXIT.ok);
      expect(accepted.stdout).to.match(
        /^restored 1 objects .*\(0 verified, 0 unverified, 1 despite a mismatch\); .* 1 mismatches; 0 failed$/m,
      );
      expect(accepted.stdout).to.include(
        `MISMATCH, restored anyway (--accept-mismatch) (1):\n  "${KEYS.tampered}": the MD5 of its bytes ${md5hex(B)} differs from the recorded ${md5hex(A)}`,
      );
      // What the vault holds now, byte for byte.
      expect(await b.bucketObjects("verdicts-accepted")).to.deep.equal(
        new Map([[KEYS.tampered, md5hex(B)]]),
      );
    });

    it("an older engine's false Content-MD5 (no record): restored byte for byte and named unverified; refused and named with --strict (exit 4)", async () => {
      const r = await restoreInto("verdicts-older", "verdicts/b-");
      expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
      expect(r.stdout).to.include(
        `unverified, restored (nothing trustworthy to check their bytes against) (1):\n  "${KEYS.older}": no content record, and its Content-MD5 ${FALSE_MD5} is not the MD5 of its bytes ${md5hex(SAME)}`,
      );
      expect(await b.bucketObjects("verdicts-older")).to.deep.equal(
        new Map([[KEYS.older, md5hex(SAME)]]),
      );
      const strict = await restoreInto("verdicts-strict", "verdicts/b-", "--strict");
      expect(strict.code, strict.stdout + strict.stderr).to.equal(RESTORE_EXIT.mismatch);
      expect(strict.stdout).to.include(
        `UNVERIFIED, not restored (--strict) (1):\n  "${KEYS.older}": no content record, and its Content-MD5 ${FALSE_MD5} is not the MD5 of its bytes`,
      );
      expect(await b.sourceKeys("verdicts-strict")).to.deep.equal([]);
    });

    it("a record that contradicts its blob (its size): restored and named unverified", async () => {
      const r = await restoreInto("verdicts-contradicting", "verdicts/d-", "--json");
      expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
      const report = JSON.parse(r.stdout);
      expect(report.unverified).to.deep.equal([
        {
          key: KEYS.contradicting,
          reason: `its content record says ${SAME.length + 1} bytes but the blob has ${SAME.length}`,
          restored: true,
        },
      ]);
      expect(report.verified).to.equal(0);
      expect(await b.bucketObjects("verdicts-contradicting")).to.deep.equal(
        new Map([[KEYS.contradicting, md5hex(SAME)]]),
      );
    });

    it("a rerun trusts only a consistent record's MD5: the others are read again to compare", async () => {
      const bucket = "verdicts-default"; // holds the older, consistent and contradicting blobs
      b.s3Proxy.reset();
      b.azureProxy.reset();
      const r = await cli([
        "--from",
        vault,
        "--to",
        `s3://${bucket}/`,
        "--prefix",
        "verdicts/",
        "--json",
        ...src,
      ]);
      const report = JSON.parse(r.stdout);
      expect(report.alreadyPresent, r.stderr).to.equal(3);
      expect(report.different).to.deep.equal([]);
      expect(putKeys(b, bucket)).to.deep.equal([]);
      // The vault's bytes read (GET of a blob under data/): never the one with a consistent
      // record, always those whose Content-MD5 is not trusted; the tampered one is read to be
      // copied, and refused again.
      const read = b.azureProxy.log
        .filter((l) => l.kind === "GET")
        .map((l) => decodeURIComponent(new URL(l.url, "http://x").pathname).split("/data/")[1])
        .filter((n): n is string => n !== undefined)
        .sort();
      expect(read).to.deep.equal([KEYS.tampered, KEYS.older, KEYS.contradicting].sort());
      expect(r.code).to.equal(RESTORE_EXIT.mismatch);
    });

    it("a refused multipart upload to the target is aborted: nothing committed (exit 4)", async () => {
      const r = await restoreInto("verdicts-large", "verdicts-large/");
      expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.mismatch);
      expect(r.stdout).to.include(
        `MISMATCH (not restored) (1):\n  "${KEYS.large}": the MD5 of its bytes`,
      );
      expect(await b.sourceKeys("verdicts-large")).to.deep.equal([]);
      const requests = b.s3Proxy.log.map((l) => `${l.method} ${new URL(l.url, "http://x").search}`);
      expect(requests.filter((q) => /^PUT .*partNumber=/.test(q))).to.have.length(2);
      expect(requests.filter((q) => /^DELETE .*uploadId=/.test(q))).to.have.length(1);
      expect(requests.filter((q) => /^POST .*uploadId=/.test(q))).to.deep.equal([]);
    });
  });

  describe("a directory target writes only inside its root, whatever names the vault holds", () => {
    // Names anyone able to write the container could plant (a compromised host, a leaked SAS):
    // one that decodes to "../.." and one with raw backslashes, neither of which the engine
    // writes; and the engine's own name for a key with backslashes, which is a file name here.
    const DOTS = "data/.\uff0e/.\uff0e/escaped.txt";
    const RAW_BACKSLASH = "data/..\\..\\raw-escaped.txt";
    // Azurite stores a backslash in a blob name as "/": that blob has literal ".." segments.
    const RAW_STORED = "data/../../raw-escaped.txt";
    // Every planted key starts with "..", and no key of the backup does: --prefix .. restores
    // only the planted blobs (a prefix filters decoded keys, not blob names).
    const WIN_KEY = "..\\..\\win-escaped.txt";
    let base: string;
    let target: string;
    let outside: string;
    /** Every file and link under `dir`, relative to `base`, without following links. */
    const tree = (dir = base, rel = ""): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const r = rel ? `${rel}/${e.name}` : e.name;
        return e.isDirectory() ? tree(path.join(dir, e.name), r) : [r];
      });

    before(async () => {
      for (const name of [DOTS, RAW_BACKSLASH, `data/${blobName(WIN_KEY)}`]) {
        const body = `planted as ${name}\n`;
        await b.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
      }
      // Azurite keeps the names as they were written.
      const names = await b.blobNames("data/");
      for (const n of [DOTS, RAW_STORED]) expect(names, n).to.include(n);
    });
    beforeEach(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-restore-escape-"));
      target = path.join(base, "a", "b", "target");
      outside = path.join(base, "outside");
      fs.mkdirSync(target, { recursive: true });
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, "precious.txt"), "precious");
    });
    afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

    it("names the engine never writes (a '..' segment, raw backslashes) are refused and named (exit 3); a backslash key stays one file name; nothing is written outside the target", async () => {
      const r = await cli(["--from", vault, "--to", target, "--prefix", "..", "--json"]);
      expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.partial);
      const report = JSON.parse(r.stdout);
      const refused = Object.fromEntries(
        report.refusedNames.map((x: { blob: string; reason: string }) => [x.blob, x.reason]),
      );
      expect(Object.keys(refused).sort()).to.deep.equal([DOTS, RAW_STORED].sort());
      expect(refused[DOTS]).to.match(
        /decodes to the key "\.\.\/\.\.\/escaped\.txt" \(the key has a '\.' or '\.\.' path segment\)/,
      );
      expect(refused[RAW_STORED]).to.match(/not a name the backup engine writes/);
      // The engine's name for a key with backslashes came back inside the target, as one file.
      expect(report.unwritable).to.deep.equal([]);
      expect(report.restored).to.equal(1);
      expect(fs.readFileSync(path.join(target, WIN_KEY), "utf8")).to.match(/^planted as /);
      expect(tree().filter((f) => !f.startsWith("a/b/target/"))).to.deep.equal([
        "outside/precious.txt",
      ]);
      expect(fs.readFileSync(path.join(outside, "precious.txt"), "utf8")).to.equal("precious");
      // For people: the blob is named in the report.
      const text = await cli(["--from", vault, "--to", target, "--prefix", "..", "--dry-run"]);
      expect(text.code, text.stderr).to.equal(RESTORE_EXIT.partial);
      expect(text.stdout).to.include(
        `REFUSED: blob names the backup engine never writes (someone else put them in the vault; not restored) (2):`,
      );
      expect(text.stdout).to.include(
        `  ${JSON.stringify(DOTS)}: not a name the backup engine writes`,
      );
    });

    it("never writes through a symbolic link in the target, not even with --overwrite: the keys are named (exit 3)", async () => {
      fs.symlinkSync(outside, path.join(target, "a"));
      fs.symlinkSync(path.join(outside, "precious.txt"), path.join(target, "top.txt"));
      // A folder that is a link (a/b/c/deep.txt), and the file itself (top.txt).
      for (const [prefix, key, link] of [
        ["a/", "a/b/c/deep.txt", "a"],
        ["top", "top.txt", "top.txt"],
      ]) {
        const r = await cli(["--from", vault, "--to", target, "--prefix", prefix, "--overwrite"]);
        expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.partial);
        expect(r.stdout).to.include(
          `not restored: the target cannot hold these keys (1):\n  "${key}": "${link}" in the target is a symbolic link; a restore never writes through one`,
        );
        expect(r.stdout).to.match(/restored 0 objects .* 0 failed/);
      }
      expect(fs.readdirSync(outside)).to.deep.equal(["precious.txt"]);
      expect(fs.readFileSync(path.join(outside, "precious.txt"), "utf8")).to.equal("precious");
      expect(tree().sort()).to.deep.equal(
        ["a/b/target/a", "a/b/target/top.txt", "outside/precious.txt"].sort(),
      );
    });
  });
});

describe("restore command: point in time from mirror mode's archive/", function () {
  this.timeout(300_000);
  let b: Backup;
  let atT0: Map<string, string>;
  let t0: string;
  const src = () => ["--source-bucket", b.settings.sourceBucket];

  before(async () => {
    b = await startBackup({ azuriteInMemory: true, overrides: { syncMode: "mirror" } });
    for (const k of ["keep.txt", "gone.txt", "changed.txt", "other.txt"])
      await b.put(k, `first ${k}\n`);
    b.backdate(["keep.txt", "gone.txt", "changed.txt", "other.txt"]);
    const r1 = await b.run();
    expect(r1.code, why(r1)).to.equal(0);
    atT0 = await b.bucketObjects(b.settings.sourceBucket);
    await new Promise((res) => setTimeout(res, 1500));
    t0 = new Date().toISOString();
    await new Promise((res) => setTimeout(res, 1500));
    await b.remove("gone.txt");
    await b.put("changed.txt", "second version, longer\n");
    const r2 = await b.run();
    expect(r2.code, why(r2)).to.equal(0);
    expect(r2.summary?.deleted).to.equal(1);
    expect(r2.summary?.archived).to.equal(1);
  });
  after(async () => b?.stop());

  it("--at a time before the deletion brings back the deleted object and the old content", async () => {
    await b.s3.client().send(new CreateBucketCommand({ Bucket: "at-t0" }));
    const r = await spawnRestore(
      ["--from", readOnlyVaultUrl(b), "--to", "s3://at-t0/", "--at", t0, "--json", ...src()],
      restoreEnv(b),
    );
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expect(await b.bucketObjects("at-t0")).to.deep.equal(atT0);
    // The archive/ copies keep their blob's content record: verified like current blobs.
    const report = JSON.parse(r.stdout);
    expect(report.unverified).to.deep.equal([]);
    expect(report.verified).to.equal(atT0.size);
  });

  it("without --at: the current state (the deleted object stays deleted)", async () => {
    await b.s3.client().send(new CreateBucketCommand({ Bucket: "now" }));
    const r = await spawnRestore(
      ["--from", readOnlyVaultUrl(b), "--to", "s3://now/", ...src()],
      restoreEnv(b),
    );
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expect(await b.bucketObjects("now")).to.deep.equal(
      await b.bucketObjects(b.settings.sourceBucket),
    );
  });

  it("--at before the first backup restores nothing and says why; --list-points shows the run and archive/", async () => {
    await b.s3.client().send(new CreateBucketCommand({ Bucket: "too-early" }));
    const early = await spawnRestore(
      [
        "--from",
        readOnlyVaultUrl(b),
        "--to",
        "s3://too-early/",
        "--at",
        "2001-01-01T00:00:00Z",
        ...src(),
      ],
      restoreEnv(b),
    );
    expect(early.code, early.stderr).to.equal(RESTORE_EXIT.ok);
    expect(early.stdout).to.match(/restored 0 objects/);
    expect(early.stdout).to.match(/4 objects did not exist at that time/);
    const points = await spawnRestore(
      ["--from", readOnlyVaultUrl(b), "--list-points"],
      restoreEnv(b),
    );
    expect(points.code, points.stderr).to.equal(0);
    const summary = JSON.parse(
      (await b.container.getBlobClient("status/last-run.json").downloadToBuffer()).toString(),
    );
    expect(points.stdout).to.include(`run ${summary.runId}`);
    expect(points.stdout).to.include(
      `archive/ holds copies replaced or deleted by runs: ${summary.runId}`,
    );
  });
});
