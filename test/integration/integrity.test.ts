// The integrity check (ccb/integrity.py, --verify, through the host's loader) with real rclone, s3rver
// and Azurite: it passes on an exact copy, and finds a tampered, a missing and a truncated blob by
// reading blobs back against their content records; it publishes its result to the metrics, the
// log group and the vault's status/.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startBackup, why, type Backup } from "../../harness/datapath";
import { stopAll } from "../../harness/emulators";
import { EXIT_CODES } from "../../domain/runSummary";
import { METRICS } from "../../domain/telemetry";

describe("integrity check: the vault against the source (real rclone, emulators)", function () {
  this.timeout(240_000);
  let b: Backup;
  const big = randomBytes(6 * 1024 * 1024 + 123);

  before(async () => {
    b = await startBackup({ azuriteInMemory: true });
    for (let i = 0; i < 5; i++) await b.put(`docs/file-${i}.txt`, `content ${i}\n`.repeat(50 + i));
    await b.put("empty.txt", "");
    await b.putMultipart("big/multipart.bin", big);
    // S3 times have whole seconds: an object changed in the second the backup started counts as
    // pending (it may have missed the listing), so let that second pass.
    await new Promise((r) => setTimeout(r, 1100));
    const run = await b.run();
    expect(run.code, why(run)).to.equal(0);
  });
  after(async () => {
    await b.stop();
    await stopAll();
  });

  const lastMetrics = () => b.telemetry!.metrics().at(-1)!;

  it("passes on an exact copy: every object present with its recorded ETag, every blob read back against its record", async () => {
    b.telemetry!.reset();
    const v = await b.verify();
    expect(v.code, why(v)).to.equal(EXIT_CODES.success);
    const r = v.result!;
    expect(r).to.include({
      outcome: "match",
      sourceObjects: 7,
      present: 7,
      missing: 0,
      sizeMismatch: 0,
      etagMismatch: 0,
      unrecorded: 0,
      sampleMismatch: 0,
      sampleUnverified: 0,
      mismatchCount: 0,
      pending: 0,
      coverageDays: 365,
    });
    // integritySampleObjects (20) covers all seven blobs on top of the rotation's share
    expect(r.sampled).to.equal(7);
    expect(r.coveredFraction).to.be.closeTo(7 / 365, 0.001);
    expect(r.sampledBytes).to.equal(
      big.length + [0, 1, 2, 3, 4].reduce((n, i) => n + `content ${i}\n`.length * (50 + i), 0),
    );
    expect(lastMetrics()).to.deep.equal({
      [METRICS.integrityMismatches]: 0,
      [METRICS.integrityCheckFailed]: 0,
      [METRICS.integrityObjectsChecked]: 7,
      [METRICS.integritySampledBytes]: r.sampledBytes,
      [METRICS.integrityCoveredPercent]: Math.round(r.coveredFraction * 100_000) / 1000,
    });
    const logged = b.telemetry!.calls().find((c) => c.action === "PutLogEvents")!;
    expect(logged.body.logStreamName).to.equal(r.checkId);
    const status = await b.container.getBlobClient("status/last-integrity.json").downloadToBuffer();
    expect(JSON.parse(status.toString("utf8"))).to.deep.equal(r);
  });

  it("finds a tampered, a missing and a truncated blob, naming each, and exits 4", async () => {
    const blob = (k: string) => b.container.getBlockBlobClient(`data/${k}`);
    // tampered: same size, same modification time metadata, other bytes
    const props = await blob("docs/file-1.txt").getProperties();
    const original = await blob("docs/file-1.txt").downloadToBuffer();
    const tampered = Buffer.from(original);
    tampered[3] ^= 0xff;
    await blob("docs/file-1.txt").upload(tampered, tampered.length, { metadata: props.metadata });
    await blob("docs/file-2.txt").delete();
    const big = await blob("big/multipart.bin").getProperties();
    const head = await blob("big/multipart.bin").downloadToBuffer(0, 1024 * 1024);
    await blob("big/multipart.bin").upload(head, head.length, { metadata: big.metadata });
    b.telemetry!.reset();
    const v = await b.verify();
    expect(v.code, why(v)).to.equal(EXIT_CODES.mismatch);
    const r = v.result!;
    expect(r.outcome).to.equal("mismatch");
    const byKey = Object.fromEntries(r.mismatches.map((m) => [m.key, m.reason]));
    expect(Object.keys(byKey).sort()).to.deep.equal([
      "big/multipart.bin",
      "docs/file-1.txt",
      "docs/file-2.txt",
    ]);
    expect(byKey["docs/file-2.txt"]).to.equal("missing from the vault");
    expect(byKey["big/multipart.bin"]).to.equal(
      `the blob has ${head.length} bytes, the source object ${big.contentLength}`,
    );
    // Azurite gives the rewritten blob the Content-MD5 of its new bytes, which contradicts the
    // record: the listing already shows it, with no read.
    expect(byKey["docs/file-1.txt"]).to.match(/^the blob has no content record consistent with/);
    expect(r).to.include({ missing: 1, sizeMismatch: 1, mismatchCount: 3 });
    expect(lastMetrics()[METRICS.integrityMismatches]).to.equal(3);
    expect(v.stderr).to.include('MISMATCH "docs/file-2.txt": missing from the vault');
  });

  it("finds tampered bytes by reading the sample when the blob's MD5 was kept", async () => {
    const blob = b.container.getBlockBlobClient("data/docs/file-3.txt");
    const props = await blob.getProperties();
    const body = await blob.downloadToBuffer();
    body[0] ^= 0x20;
    // the attacker keeps size, metadata and the stored Content-MD5 property
    await blob.upload(body, body.length, { metadata: props.metadata });
    await blob.setHTTPHeaders({
      blobContentMD5: props.contentMD5,
      blobContentType: props.contentType,
    });
    const v = await b.verify();
    const m = v.result!.mismatches.find((x) => x.key === "docs/file-3.txt");
    expect(m?.reason).to.match(
      /^read back from the vault: the MD5 of its bytes [0-9a-f]{32} differs from the recorded/,
    );
    expect(v.result!.sampleMismatch).to.be.at.least(1);
  });

  it("counts objects changed since the last backup as pending, not as mismatches", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    await b.put("docs/file-4.txt", "changed after the backup\n");
    await b.put("new-after-backup.txt", "new\n");
    const v = await b.verify();
    expect(v.result!.pending).to.equal(2);
    expect(v.result!.mismatches.map((m) => m.key)).not.to.include.members([
      "docs/file-4.txt",
      "new-after-backup.txt",
    ]);
  });

  it("a backup run repairs the vault, and the next check passes again", async () => {
    const run = await b.run();
    expect(run.code, why(run)).to.equal(0);
    const v = await b.verify();
    // Missing, truncated and re-hashed blobs are copied again. A blob tampered with its size,
    // metadata and stored MD5 kept looks unchanged to a backup run; only reading it back finds it.
    expect(v.result!.mismatches.map((m) => m.key)).to.deep.equal(["docs/file-3.txt"]);
    expect(v.result!.pending).to.equal(0);
  });

  it("npm run status reads the vault's status/ and marks what needs attention (exit 1); bad flags exit 2", async () => {
    // Asynchronous: the vault is reached through the counting proxy in this process.
    const status = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ["--import", "tsx", "cli/status.ts", ...args],
          {
            cwd: path.join(__dirname, "..", ".."),
            encoding: "utf8",
            // CloudWatch Logs is the stand-in the runs published to; obviously fake keys
            env: {
              ...process.env,
              ...b.telemetry!.env,
              AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
              AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
              AWS_CONFIG_FILE: "/dev/null",
              AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            },
          },
          (err, stdout, stderr) =>
            resolve({ status: err ? (err.code as number) : 0, stdout, stderr }),
        );
      });
    const r = await status("--from", b.sasUrl({ permissions: "rl" }));
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/^ {2}last run +\S+ success \(copied \d+ objects/m);
    expect(r.stdout).to.match(/^ {2}backup age .*is stored \(schedule: every 4 h/m);
    expect(r.stdout).to.match(
      /^! last integrity check +\S+ mismatch: .*"docs\/file-3\.txt": read back from the vault/m,
    );
    expect(r.stdout).not.to.include("sig=");
    const json = await status("--from", b.sasUrl({ permissions: "rl" }), "--json");
    expect(JSON.parse(json.stdout).verdict).to.equal("attention");
    const bad = await status("--from", b.sasUrl(), "--bogus");
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/Unknown option '--bogus'/);
    expect(bad.stderr).to.include("usage:");
    expect((await status()).status).to.equal(2);
    // The same state from CloudWatch Logs, where each run and check sent its result
    const logs = await status("--log-group", "/cross-cloud-backup/dev", "--region", "eu-west-1");
    expect(logs.status, logs.stderr).to.equal(1);
    expect(logs.stdout).to.match(/^from CloudWatch Logs \/cross-cloud-backup\/dev \(eu-west-1\)\n/);
    const lines = (out: string) => out.split("\n").slice(1);
    expect(lines(logs.stdout)).to.deep.equal(lines(r.stdout));
    expect((await status("--log-group", "/cross-cloud-backup/dev")).status).to.equal(2);
  });

  it("reports a check that cannot list the vault as failed (exit 1, IntegrityCheckFailed 1)", async () => {
    b.telemetry!.reset();
    b.azurite.kill(); // the last test: the in-memory vault is not needed again
    const v = await b.verify();
    expect(v.code).to.equal(EXIT_CODES.failure);
    expect(v.result!.outcome).to.equal("failure");
    expect(v.result!.error).to.match(/vault/);
    expect(lastMetrics()[METRICS.integrityCheckFailed]).to.equal(1);
  });
});

describe("integrity check: sample size, the last success, modification times", function () {
  this.timeout(240_000);
  let b: Backup;

  before(async () => {
    b = await startBackup({ azuriteInMemory: true, overrides: { integritySampleObjects: 4 } });
    for (let i = 0; i < 10; i++) await b.put(`one-part/${i}.txt`, `object ${i}\n`);
  });
  after(async () => {
    await b.stop();
    await stopAll();
  });

  it("fails, rather than passes, before any successful backup is recorded", async () => {
    const v = await b.verify();
    expect(v.code).to.equal(EXIT_CODES.failure);
    expect(v.result!.error).to.match(/^no successful backup recorded/);
    expect(v.result!.present).to.equal(0);
  });

  it("reads the rotation's share plus integritySampleObjects at random", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const run = await b.run();
    expect(run.code, why(run)).to.equal(0);
    const v = await b.verify();
    expect(v.code, why(v)).to.equal(0);
    expect(v.result).to.include({ present: 10, sampleMismatch: 0, sampleUnverified: 0 });
    expect(v.result!.sampled).to.be.within(4, 10);
  });

  it("takes the last success from the vault when the host has none (a replaced host)", async () => {
    fs.rmSync(path.join(b.stateDir, "last-success.json"));
    const v = await b.verify();
    expect(v.code, why(v)).to.equal(0);
    expect(v.result!.backupSince).to.match(/^\d{4}-\d\d-\d\dT/);
  });

  it("reports a blob whose record holds another ETag than its unchanged source object (not pending)", async () => {
    const blob = b.container.getBlockBlobClient("data/one-part/3.txt");
    const meta = (await blob.getProperties()).metadata!;
    const record = JSON.parse(decodeURIComponent(meta.ccbsource)) as { etag: string };
    const stale = { ...record, etag: "0123456789abcdef0123456789abcdef" };
    await blob.setMetadata({ ...meta, ccbsource: encodeURIComponent(JSON.stringify(stale)) });
    const v = await b.verify();
    expect(v.code, why(v)).to.equal(EXIT_CODES.mismatch);
    expect(v.result!.mismatches.map((m) => m.key)).to.deep.equal(["one-part/3.txt"]);
    expect(v.result!.mismatches[0].reason).to.equal(
      `the blob holds the object with ETag 0123456789abcdef0123456789abcdef, the source has ETag ${record.etag}`,
    );
    expect(v.result!.etagMismatch).to.equal(1);
    expect(v.result!.pending).to.equal(0);
  });
});
