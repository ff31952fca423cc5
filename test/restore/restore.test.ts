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
    source = await b.bucketObjects(b.settings.sourceBucket);
  });
  after(async () => b?.stop());

  it("restores every key (unicode, + and %, spaces, trailing dots, backslashes, 1,000 bytes, empty, multipart) byte for byte into a new bucket", async () => {
    const bucket = await newBucket("restored");
    const r = await cli(["--from", vault, "--container", "backup", "--to", `s3://${bucket}/`]);
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expectNoSecret(r);
    expect(await b.bucketObjects(bucket)).to.deep.equal(source);
    expect(r.stdout).to.match(
      new RegExp(`restored ${source.size} objects .* 0 mismatches; 0 failed`),
    );
    // What the blob keeps comes back: rclone 1.60.1 stores Content-Type; the engine keeps the
    // x-amz-meta-* (rclone's azureblob backend cannot) next to rclone's mtime.
    const typed = await b.container.getBlobClient(TYPED_KEY.replace(/^/, "data/")).getProperties();
    expect(Object.keys(typed.metadata ?? {}).sort()).to.deep.equal(["mtime", "s3metadata"]);
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
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expectNoSecret(r);
    const got = await b.bucketObjects(bucket);
    expect([...got.keys()].sort()).to.deep.equal(["copy/logs/2026/app.log", "copy/logs/empty-too"]);
    expect(got.get("copy/logs/2026/app.log")).to.equal(source.get("logs/2026/app.log"));
  });

  it("--dry-run lists counts and bytes and writes nothing", async () => {
    const bucket = await newBucket("dry");
    const r = await cli(["--from", vault, "--to", `s3://${bucket}/`, "--dry-run", "--json"]);
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
    const refused = await cli(["--from", vault, "--to", `s3://${b.settings.sourceBucket}/`]);
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
    const dry = await cli(["--from", vault, "--in-place"]);
    expect(dry.code).to.equal(RESTORE_EXIT.usage);
    expect(dry.stdout).to.match(/^dry run: would restore 2 objects/);
    expect(dry.stdout).to.match(
      /would replace \(different in the target\) \(1\):\n {2}"100%\.txt"/,
    );
    expect(dry.stderr).to.match(/--in-place --yes-overwrite-source/);
    expect(b.s3Proxy.counts.PUT + b.s3Proxy.counts.POST + b.s3Proxy.counts.DELETE).to.equal(0);
    const confirmed = await cli(["--from", vault, "--in-place", "--yes-overwrite-source"]);
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
    const refused = await cli(["--from", vault, "--to", `s3://${bucket}/`]);
    expect(refused.code).to.equal(RESTORE_EXIT.failure);
    expect(refused.stdout).to.match(/"top.txt": the target holds 5 bytes, the vault 10/);
    expect(refused.stdout).to.match(/refused: .*nothing was written.*--overwrite/);
    expect(b.s3Proxy.counts.PUT + b.s3Proxy.counts.POST).to.equal(0);
    const ok = await cli(["--from", vault, "--to", `s3://${bucket}/`, "--overwrite"]);
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
    const rerun = await cli(["--from", vault, "--to", `s3://${bucket}/`, "--json"]);
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

  it("a tampered blob is a mismatch: reported, not committed, exit 4", async () => {
    // Same size, other bytes, the original MD5 record kept: bit rot or tampering.
    const blob = b.container.getBlockBlobClient("data/binary.bin");
    const props = await blob.getProperties();
    const bad = Buffer.from(randomBytes(300 * 1024));
    await blob.upload(bad, bad.length);
    await blob.setHTTPHeaders({
      blobContentMD5: props.contentMD5,
      blobContentType: props.contentType,
    });
    const bucket = await newBucket("tampered");
    const r = await cli(["--from", vault, "--to", `s3://${bucket}/`]);
    expect(r.code).to.equal(RESTORE_EXIT.mismatch);
    expect(r.stdout).to.match(
      /MISMATCH \(not committed\) \(1\):\n {2}"binary\.bin": content MD5 \w+ differs from the vault's record/,
    );
    expect(await b.sourceKeys(bucket)).not.to.include("binary.bin");
    expect((await b.sourceKeys(bucket)).length).to.equal(source.size - 1);
  });
});

describe("restore command: point in time from mirror mode's archive/", function () {
  this.timeout(300_000);
  let b: Backup;
  let atT0: Map<string, string>;
  let t0: string;

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
      ["--from", readOnlyVaultUrl(b), "--to", "s3://at-t0/", "--at", t0],
      restoreEnv(b),
    );
    expect(r.code, r.stdout + r.stderr).to.equal(RESTORE_EXIT.ok);
    expect(await b.bucketObjects("at-t0")).to.deep.equal(atT0);
  });

  it("without --at: the current state (the deleted object stays deleted)", async () => {
    await b.s3.client().send(new CreateBucketCommand({ Bucket: "now" }));
    const r = await spawnRestore(
      ["--from", readOnlyVaultUrl(b), "--to", "s3://now/"],
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
      ["--from", readOnlyVaultUrl(b), "--to", "s3://too-early/", "--at", "2001-01-01T00:00:00Z"],
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
