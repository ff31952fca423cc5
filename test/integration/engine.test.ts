// Sync engine v2 on the real data path (rendered engine, rclone 1.60.1, s3rver, Azurite): every
// change is found whatever its LastModified, no object can stall the backup, every key is either
// restorable exactly or named, and the mirror guard cannot be fooled by a replacement bucket.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { DeleteBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Error } from "../../harness/countingProxy";
import { startBackup, why, type Backup, type SyncRun } from "../../harness/datapath";
import { EXIT_CODES } from "../../domain/runSummary";

async function vaultBody(b: Backup, key: string): Promise<string> {
  return (await b.container.getBlobClient(`data/${key}`).downloadToBuffer()).toString("utf8");
}

describe("sync engine v2 on the data path", function () {
  this.timeout(240_000);

  describe("every change is found", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      await b.put("report.csv", "version-A\n");
      await b.put("other.txt", "unchanged\n");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
    });
    after(async () => b?.stop());

    it("backs up a same-size overwrite whose LastModified is older than the last run", async () => {
      await b.put("report.csv", "version-B\n");
      // As S3 Replication or a multipart upload started before the last run would leave it.
      b.backdate(["report.csv"], new Date(Date.now() - 2 * 86_400_000));
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.deep.include({ copied: 1, changed: 1, new: 0, unchanged: 1 });
      // the host's pending security updates, from its apt-get (the harness's stand-in lists one)
      expect(r.summary).to.deep.include({
        pendingSecurityUpdates: 1,
        pendingSecurityPackages: ["libssl3"],
      });
      expect(b.objectGetKeys()).to.deep.equal(["report.csv"]);
      expect(await vaultBody(b, "report.csv")).to.equal("version-B\n");
    });

    it("backs up a same-size overwrite with an identical LastModified, by the MD5 both listings carry", async () => {
      const was = fs.statSync(b.objectFile("report.csv")).mtime;
      await b.put("report.csv", "version-C\n");
      b.backdate(["report.csv"], was);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.deep.include({ copied: 1, changed: 1 });
      expect(await vaultBody(b, "report.csv")).to.equal("version-C\n");
      // and still no per-object request on a run with nothing to do
      const again = await b.run();
      expect(again.summary).to.deep.include({ copied: 0, unchanged: 2 });
      expect(again.s3.HEAD + again.s3.GET + again.azure.HEAD + again.azure.GET).to.equal(0);
    });
  });

  describe("no object can stall the backup", () => {
    let b: Backup;
    let first: SyncRun;
    const denied = Array.from({ length: 20 }, (_, i) => `private/denied-${i}.txt`);
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      for (let i = 0; i < 5; i++) await b.put(`data/ok-${i}.txt`, `ok ${i}\n`);
      await b.put("kms/other-key.bin", "encrypted with a key the host may not use\n");
      for (const k of denied) await b.put(k, "denied\n");
      await b.source.send(
        new PutObjectCommand({
          Bucket: b.settings.sourceBucket,
          Key: "cold/glacier.bin",
          Body: "archived\n",
          StorageClass: "GLACIER",
        }),
      );
      // KMS denies the GET; a bucket policy denies HEAD and GET under private/ (more denials
      // than rclone has checkers, which used to hang rclone 1.60.1 for ever).
      b.s3Proxy.intercept = (method, url) => {
        if (url.includes("/kms/") && method === "GET")
          return s3Error(
            method,
            403,
            "AccessDenied",
            "User is not authorized to perform: kms:Decrypt",
          );
        if (url.includes("/private/") && (method === "GET" || method === "HEAD"))
          return s3Error(method, 403, "AccessDenied", "Access Denied");
        return undefined;
      };
      first = await b.start(120_000).done;
    });
    after(async () => b?.stop());

    it("a Glacier-class object and unreadable objects give a partial run that backs up everything else and names them", async () => {
      expect(first.code, why(first)).to.equal(EXIT_CODES.partial);
      expect(first.summary?.outcome).to.equal("partial");
      expect(first.summary?.errorCount).to.equal(0);
      expect(first.summary?.copied).to.equal(5);
      const skipped = new Map(first.summary!.skipped.map((s) => [s.key, s.reason]));
      expect([...skipped.keys()].sort()).to.deep.equal(
        ["cold/glacier.bin", "kms/other-key.bin", ...denied].sort(),
      );
      expect(skipped.get("cold/glacier.bin")).to.match(/storage class GLACIER/);
      expect(skipped.get("kms/other-key.bin")).to.match(/AccessDenied/);
      expect(skipped.get(denied[0])).to.match(/unreadable in S3: .*(403|Forbidden)/);
      expect(first.summary?.skippedCount).to.equal(22);
      // The archive class is recognised from the listing: not one request for that object.
      expect(b.s3Proxy.log.filter((l) => l.url.includes("glacier"))).to.deep.equal([]);
      const vault = await b.vaultObjects();
      expect([...vault.keys()].sort()).to.deep.equal(
        [0, 1, 2, 3, 4].map((i) => `data/ok-${i}.txt`),
      );
      expect(first.stderr).to.include('skipped "cold/glacier.bin"');
    });

    it("the next run does not re-copy what was copied nor re-read what could not be read", async () => {
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial);
      expect(r.summary).to.deep.include({ copied: 0, unchanged: 5, skippedCount: 22 });
      expect(r.s3).to.deep.include({ LIST: 1, HEAD: 0, GET: 0 });
      expect(r.summary!.skipped.find((s) => s.key === "kms/other-key.bin")?.reason).to.match(
        /last tried/,
      );
    });

    it("the integrity check counts what the backup named (unreadable, archive class) apart, never as missing", async () => {
      const v = await b.verify();
      expect(v.code, why(v)).to.equal(0);
      expect(v.result).to.include({
        outcome: "match",
        present: 5,
        missing: 0,
        unreadable: 21,
        unstorable: 1,
      });
    });

    it("an unreadable object that changes is tried again at once, and backed up when readable", async () => {
      b.s3Proxy.intercept = undefined;
      await b.put("kms/other-key.bin", "re-encrypted with the bucket key\n");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial); // private/ and Glacier still skipped
      expect(r.summary?.copied).to.equal(1);
      expect(await vaultBody(b, "kms/other-key.bin")).to.equal(
        "re-encrypted with the bucket key\n",
      );
    });
  });

  describe("S3 refusing lookups or everything", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
    });
    after(async () => b?.stop());

    it("objects whose HEAD is refused (SSE-C, a policy deny) are named in one run, and every readable object in their batch is copied", async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `mixed/${String(i).padStart(3, "0")}.bin`);
      for (const k of keys) await b.put(k, `body ${k}\n`);
      const refused = new Set(keys.filter((_, i) => i % 5 === 0)); // 20 of 100
      b.s3Proxy.intercept = (method, url) => {
        const key = decodeURIComponent(new URL(url, "http://x").pathname).replace(/^\/[^/]+\//, "");
        return refused.has(key) && (method === "HEAD" || method === "GET")
          ? s3Error(method, 400, "BadRequest", "Bad Request")
          : undefined;
      };
      const r = await b.run();
      b.s3Proxy.intercept = undefined;
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial);
      expect(r.summary).to.deep.include({ copied: 80, skippedCount: 20, errorCount: 0 });
      expect(r.summary!.skipped.map((x) => x.key).sort()).to.deep.equal([...refused].sort());
      expect(r.summary!.skipped[0].reason).to.match(/HTTP 400 on HEAD/);
      expect((await b.vaultObjects()).size).to.equal(80);
    });

    it("a run in which S3 refuses every object fails (a role or key problem) and retries them next run", async () => {
      for (let i = 0; i < 25; i++) await b.put(`locked/${i}.txt`, `locked ${i}\n`);
      b.s3Proxy.intercept = (method, url) =>
        url.includes("/locked/") && method === "GET"
          ? s3Error(method, 403, "AccessDenied", "Access Denied")
          : undefined;
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.failure);
      expect(r.summary?.errors.join("\n")).to.match(
        /S3 refused every object this run tried to read \(25\)/,
      );
      const again = await b.run();
      b.s3Proxy.intercept = undefined;
      expect(again.s3.GET, "tried again at once, not a day later").to.equal(25);
    });
  });

  describe("mirror mode never takes a live object out of data/", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({
        azuriteInMemory: true,
        overrides: { syncMode: "mirror", maxDeletes: 1000 },
      });
      for (let i = 0; i < 10; i++) await b.put(`k${i}.txt`, `k${i}\n`);
      await b.put("line", "a key that prefixes a foreign blob name\n");
      await b.put("doc.txt", "version 1\n");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
    });
    after(async () => b?.stop());

    it("leaves a vault blob whose name this engine does not write (a line break) where it is, and never touches the key it resembles", async () => {
      // e.g. written by another tool; decoded naively it names the live object "line"
      await b.container.getBlockBlobClient("data/line\u240abreak").upload("foreign", 7);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.deep.include({ deleted: 0, archived: 0, vaultOnly: 1 });
      expect(r.stderr).to.match(/leaving vault blob data\/"line\\u240abreak" in place/);
      const names = await b.blobNames("data/");
      expect(names).to.include.members(["data/line", "data/line\u240abreak"]);
    });

    it("keeps the current blob of an overwritten object when the new version cannot be read", async () => {
      await b.put("doc.txt", "version 2\n");
      b.s3Proxy.intercept = (method, url) =>
        url.includes("doc.txt") && method === "GET"
          ? s3Error(method, 403, "AccessDenied", "User is not authorized to perform: kms:Decrypt")
          : undefined;
      const r = await b.run();
      b.s3Proxy.intercept = undefined;
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial);
      expect(r.summary).to.deep.include({ archived: 1, copied: 0 });
      expect(await vaultBody(b, "doc.txt")).to.equal("version 1\n");
      expect(await b.blobNames(`archive/${r.summary!.runId}/`)).to.deep.equal([
        `archive/${r.summary!.runId}/doc.txt`,
      ]);
    });

    it("never deletes a blob whose archive name Azure cannot hold: it stays in data/ and is named", async () => {
      // 994 characters: data/ holds it (999), archive/<runId>/ would not (1,029).
      const long = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(198)).join("/");
      await b.put(long, "a long key\n");
      const first = await b.run();
      expect(first.summary!.copied, why(first)).to.equal(1);
      await b.remove(long);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial);
      expect(r.summary).to.deep.include({ deleted: 0, errorCount: 0 });
      // (doc.txt is still the object S3 refused in the test before)
      expect(r.summary!.skipped.filter((x) => x.key !== "doc.txt")).to.deep.equal([
        {
          key: long,
          reason: `deleted from the source, but kept in data/: its archive name (archive/${r.summary!.runId}/...) would be 1029 characters; Azure allows 1024`,
        },
      ]);
      expect(await vaultBody(b, long)).to.equal("a long key\n");
    });

    it("counts a deletion only when the blob is gone: a refused DELETE fails the run", async () => {
      await b.remove("k9.txt");
      b.azureProxy.intercept = (method) =>
        method === "DELETE"
          ? { status: 403, headers: { "x-ms-error-code": "AuthorizationPermissionMismatch" } }
          : undefined;
      const r = await b.run();
      b.azureProxy.intercept = undefined;
      expect(r.code, why(r)).to.equal(EXIT_CODES.failure);
      expect(r.summary?.deleted).to.equal(0);
      expect(r.summary?.errors.join("\n")).to.match(/archive k9\.txt/);
      expect(await b.blobNames("data/")).to.include("data/k9.txt");
    });
  });

  describe("every key is accounted for", () => {
    let b: Backup;
    let r: SyncRun;
    const restorable = [
      "trailing-dot.",
      "seg./inner.txt",
      "back\\slash",
      "ctl\u0001char",
      "tab\tkey",
      "caf\u00e9",
      "cafe\u0301",
      "plus+sign 100%.txt",
      "k".repeat(1000),
      "empty-object",
    ];
    const named = ["dir-marker/", "dir-with-content/", "dot/./seg", "k".repeat(1024)];
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      for (const k of [...restorable, ...named]) {
        await b.put(k, k === "empty-object" || k === "dir-marker/" ? "" : `body of ${k.length}`);
      }
      r = await b.run();
    });
    after(async () => b?.stop());

    it("names every key it cannot store exactly, with its reason, and never drops one silently", () => {
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial);
      const skipped = new Map(r.summary!.skipped.map((s) => [s.key, s.reason]));
      expect([...skipped.keys()].sort()).to.deep.equal([...named].sort());
      expect(skipped.get("dir-marker/")).to.match(/folder marker/);
      expect(skipped.get("dot/./seg")).to.match(/'\.' or '\.\.'/);
      expect(skipped.get("k".repeat(1024))).to.match(/1029 characters; Azure allows 1024/);
      expect(r.summary?.copied).to.equal(restorable.length);
      expect(r.summary!.copied + r.summary!.skippedCount).to.equal(r.summary?.sourceObjects);
    });

    it("restores every other key exactly, byte for byte, through rclone", async () => {
      const restore = await b.rcloneRestore("restored");
      expect(restore.code, restore.stderr).to.equal(0);
      const [src, back] = await Promise.all([
        b.bucketObjects(b.settings.sourceBucket),
        b.bucketObjects("restored"),
      ]);
      const expected = new Map([...src].filter(([k]) => restorable.includes(k)));
      expect(expected.size).to.equal(restorable.length);
      expect(back).to.deep.equal(expected);
    });
  });

  describe("keys with an empty path segment ('//')", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
    });
    after(async () => b?.stop());

    it("are named as skipped with the reason; their neighbours without '//' are copied and restore exactly", async () => {
      // rclone 1.60.1 cannot address "a//b": it lists the key but copies nothing for it (exit 0).
      // The neighbours are the names the keys would collapse to: neither may be overwritten.
      const slashed = ["double//slash.txt", "a//b"];
      const plain = ["double/slash.txt", "a/b"];
      for (const k of [...slashed, ...plain]) await b.put(k, `body of ${k}`);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.partial);
      expect(r.summary).to.deep.include({ outcome: "partial", errorCount: 0, copied: 2 });
      const skipped = new Map(r.summary!.skipped.map((s) => [s.key, s.reason]));
      expect([...skipped.keys()].sort()).to.deep.equal([...slashed].sort());
      for (const k of slashed) expect(skipped.get(k), k).to.match(/empty path segment \('\/\/'/);
      expect(r.summary!.copied + r.summary!.skippedCount).to.equal(r.summary?.sourceObjects);
      expect(r.stderr).to.include('skipped "double//slash.txt"');
      expect(await b.blobNames("data/")).to.deep.equal(["data/a/b", "data/double/slash.txt"]);
      for (const k of plain) expect(await vaultBody(b, k)).to.equal(`body of ${k}`);

      const restore = await b.rcloneRestore("restored");
      expect(restore.code, restore.stderr).to.equal(0);
      const src = await b.bucketObjects(b.settings.sourceBucket);
      expect(await b.bucketObjects("restored")).to.deep.equal(
        new Map(plain.map((k) => [k, src.get(k)])),
      );
    });
  });

  describe("robust edges", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({
        azuriteInMemory: true,
        overrides: { syncMode: "mirror", maxDeletes: 1000 },
      });
      for (let i = 0; i < 10; i++) await b.put(`orders/${i}.json`, `{"order":${i}}\n`);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
    });
    after(async () => b?.stop());

    it("copies a key and keys under it as a folder in the same run (rclone drops one of a and a/b in one batch)", async () => {
      const keys = ["nest", "nest/inner.txt", "deep/a", "deep/a/b", "deep/a/b/c.txt"];
      for (const k of keys) await b.put(k, `body of ${k}\n`);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ copied: keys.length, vanished: 0, outcome: "success" });
      for (const k of keys) {
        const blob = await b.container.getBlobClient(`data/${k}`).downloadToBuffer();
        expect(blob.toString(), k).to.equal(`body of ${k}\n`);
      }
      // and the same pairs in mirror mode's archive moves: deleting them archives all five
      for (const k of keys) await b.remove(k);
      const gone = await b.run();
      expect(gone.code, why(gone)).to.equal(0);
      expect(gone.summary?.deleted).to.equal(keys.length);
      expect((await b.blobNames("data/")).filter((n) => /data\/(nest|deep)/.test(n))).to.deep.equal(
        [],
      );
    });

    it("two runs keep separate logs and summaries", async () => {
      const a = await b.run();
      const c = await b.run();
      expect(a.summary?.runId).to.not.equal(c.summary?.runId);
      for (const id of [a.summary!.runId, c.summary!.runId]) {
        const summary = path.join(b.stateDir, "runs", id, "summary.json");
        expect(JSON.parse(fs.readFileSync(summary, "utf8"))).to.have.property("runId", id);
      }
    });

    it("counts mirror moves once: an overwrite is archived and copied, a deletion archived", async () => {
      await b.put("orders/0.json", '{"order":"zero"}\n');
      await b.remove("orders/9.json");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.deep.include({ copied: 1, archived: 1, deleted: 1, vaultOnly: 1 });
      expect(await b.blobNames(`archive/${r.summary!.runId}/`)).to.deep.equal([
        `archive/${r.summary!.runId}/orders/0.json`,
        `archive/${r.summary!.runId}/orders/9.json`,
      ]);
    });

    it("the mirror guard refuses a near-empty replacement bucket, within maxDeletes", async () => {
      for (const k of await b.sourceKeys()) await b.remove(k);
      await b.put("unrelated.txt", "a different application's bucket\n");
      const before = await b.vaultObjects();
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.failure);
      expect(r.summary?.errors.join("\n")).to.match(
        // (with the deletion an earlier test of this block made, within the guard's window)
        /deletion guard: \d+ deletions( \(\d+ of them by runs of the last 24 hours\))? exceed maxDeletePercent \(50% of \d+ objects\); nothing deleted/,
      );
      expect(r.azure.DELETE).to.equal(0);
      const after = await b.vaultObjects();
      for (const [k, v] of before) expect(after.get(k), k).to.deep.equal(v);
      expect(after.has("unrelated.txt")).to.equal(true);
    });

    it("a missing container fails the run naming it, before any S3 read", async () => {
      await b.container.delete();
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.failure);
      expect(r.summary?.errors).to.deep.equal([
        "vault container backup does not exist (ContainerNotFound)",
      ]);
      expect(r.s3.GET + r.s3.HEAD).to.equal(0);
      await b.container.create();
    });

    it("a missing bucket fails the run naming it", async () => {
      for (const k of await b.sourceKeys()) await b.remove(k);
      await b.source.send(new DeleteBucketCommand({ Bucket: b.settings.sourceBucket }));
      const r = await b.run();
      expect(r.code, why(r)).to.equal(EXIT_CODES.failure);
      expect(r.summary?.errors).to.deep.equal([
        `source bucket ${b.settings.sourceBucket} does not exist (NoSuchBucket)`,
      ]);
      // Nothing in data/ touched; the vault's status says the run failed (no stale success).
      expect(r.azure.DELETE).to.equal(0);
      const puts = b.azureProxy.log.filter(
        (l) => l.kind === "PUT" && !l.url.includes("/status/history/"),
      );
      expect(puts.length, "only status/last-run.json, besides the run's history line").to.equal(1);
      const status = await b.container.getBlobClient("status/last-run.json").downloadToBuffer();
      expect(JSON.parse(status.toString("utf8"))).to.include({
        runId: r.summary!.runId,
        outcome: "failure",
      });
    });
  });

  describe("a prefix whose name is also an object's key", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true, overrides: { sourcePrefix: "p/" } });
    });
    after(async () => b?.stop());

    it("backs up the objects under p/ and never the object p beside it", async () => {
      await b.put("p", "the object named like the prefix\n");
      await b.put("p/a.txt", "a\n");
      await b.put("p/b/c.txt", "c\n");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ sourceObjects: 2, copied: 2, errorCount: 0 });
      expect(await vaultBody(b, "a.txt")).to.equal("a\n");
      expect(await vaultBody(b, "b/c.txt")).to.equal("c\n");
      expect((await b.blobNames("data/")).sort()).to.deep.equal(["data/a.txt", "data/b/c.txt"]);
    });
  });

  describe("the deletion guard counts a window, not one run", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({
        azuriteInMemory: true,
        overrides: { syncMode: "mirror", maxDeletes: 3, maxDeletePercent: 50 },
      });
      for (let i = 0; i < 10; i++) await b.put(`w/${i}.txt`, `w${i}\n`);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
    });
    after(async () => b?.stop());

    it("stops a mass deletion made a few objects per run, within deletionWindowHours", async () => {
      await b.remove("w/0.txt");
      await b.remove("w/1.txt");
      const first = await b.run();
      expect(first.code, why(first)).to.equal(0);
      expect(first.summary!.deleted).to.equal(2);
      await b.remove("w/2.txt");
      await b.remove("w/3.txt");
      const second = await b.run();
      expect(second.code, why(second)).to.equal(EXIT_CODES.failure);
      expect(second.summary!.deleted).to.equal(0);
      expect(second.summary!.errors).to.deep.equal([
        "deletion guard: 4 deletions (2 of them by runs of the last 24 hours) exceed maxDeletes (3); nothing deleted",
      ]);
      expect(await b.blobNames("data/w/")).to.include.members(["data/w/2.txt", "data/w/3.txt"]);
    });
  });
});
