// The host's restore drill (ccb/drill.py, --drill, through the loader) with real rclone, s3rver and
// Azurite: a random sample of the vault's blobs is restored to disk by the keys their names decode
// to (trailing dots, backslashes, unicode, multipart, empty objects) and compared with the source
// byte for byte; a tampered blob fails the drill; it never writes to S3.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { startBackup, why, type Backup } from "../../harness/datapath";
import { stopAll } from "../../harness/emulators";
import { EXIT_CODES } from "../../domain/runSummary";
import { METRICS } from "../../domain/telemetry";
import { STATUS_BLOBS } from "../../domain/layout";

const KEYS: Record<string, Buffer> = {
  "plain.txt": Buffer.from("plain\n"),
  "trailing-dot.": Buffer.from("a key ending in a dot\n"),
  "back\\slash.txt": Buffer.from("a backslash in the key\n"),
  "ünïcödé/日本語 file.txt": Buffer.from("unicode\n"),
  "spaces and +plus.txt": Buffer.from("plus\n"),
  "empty.bin": Buffer.alloc(0),
  "gone-later.txt": Buffer.from("deleted from the source after the backup\n"),
};

describe("restore drill: a sample restored from the vault and compared with the source", function () {
  this.timeout(240_000);
  let b: Backup;
  const big = randomBytes(5 * 1024 * 1024 + 77);

  before(async () => {
    b = await startBackup({ azuriteInMemory: true, overrides: { restoreDrillObjects: 50 } });
    for (const [k, v] of Object.entries(KEYS)) await b.put(k, v);
    await b.putMultipart("big/multipart.bin", big);
    const run = await b.run();
    expect(run.code, why(run)).to.equal(0);
    expect(run.summary!.copied).to.equal(8);
  });
  after(async () => {
    await b.stop();
    await stopAll();
  });

  it("restores every sampled blob under its exact key and finds it identical to the source, writing nothing to S3", async () => {
    b.telemetry!.reset();
    const d = await b.drill();
    expect(d.code, why(d)).to.equal(EXIT_CODES.success);
    expect(d.result).to.include({
      kind: "drill",
      outcome: "match",
      vaultObjects: 8,
      restored: 8,
      restoredBytes: big.length + Object.values(KEYS).reduce((n, v) => n + v.length, 0),
      sourceCompared: 8,
      sourceGone: 0,
      mismatchCount: 0,
    });
    // the drill needs no write access to the source: only reads reached S3
    expect(new Set(b.s3Proxy.log.map((l) => l.method))).to.deep.equal(new Set(["GET", "HEAD"]));
    expect(b.telemetry!.metrics().at(-1)).to.deep.equal({
      [METRICS.restoreDrillFailed]: 0,
      [METRICS.restoreDrillObjects]: 8,
      [METRICS.restoreDrillBytes]: d.result!.restoredBytes,
    });
    const status = await b.container.getBlobClient(STATUS_BLOBS.lastDrill).downloadToBuffer();
    expect(JSON.parse(status.toString("utf8"))).to.deep.equal(d.result);
  });

  it("counts a blob whose source object is gone (copy mode keeps it) without failing", async () => {
    await b.source.send(
      new DeleteObjectCommand({ Bucket: b.settings.sourceBucket, Key: "gone-later.txt" }),
    );
    const d = await b.drill();
    expect(d.code, why(d)).to.equal(0);
    // restored and verified against its record all the same: the backup is what the drill proves
    expect(d.result).to.include({
      outcome: "match",
      restored: 8,
      sourceCompared: 7,
      sourceGone: 1,
    });
  });

  it("fails on a blob altered in the vault with its size, metadata and MD5 kept, naming its key (exit 4)", async () => {
    const blob = b.container.getBlockBlobClient("data/back＼slash.txt");
    const props = await blob.getProperties();
    const body = await blob.downloadToBuffer();
    body[0] ^= 0x01;
    await blob.upload(body, body.length, { metadata: props.metadata });
    await blob.setHTTPHeaders({
      blobContentMD5: props.contentMD5,
      blobContentType: props.contentType,
    });
    b.telemetry!.reset();
    const d = await b.drill();
    expect(d.code, why(d)).to.equal(EXIT_CODES.mismatch);
    expect(d.result!.outcome).to.equal("mismatch");
    // found as the restore finds it: the bytes against the blob's content record
    expect(d.result!.mismatches.map((m) => m.key)).to.deep.equal(["back\\slash.txt"]);
    expect(d.result!.mismatches[0].reason).to.match(
      /^a restore would find it mismatch: the MD5 of its bytes [0-9a-f]{32} differs from the recorded [0-9a-f]{32}$/,
    );
    expect(b.telemetry!.metrics().at(-1)![METRICS.restoreDrillFailed]).to.equal(1);
  });

  it("verifies every blob from the vault alone once the whole source is gone", async () => {
    for (const k of await b.sourceKeys()) await b.remove(k);
    const d = await b.drill();
    expect(d.result).to.include({
      restored: 7,
      sourceCompared: 0,
      sourceGone: 7,
      mismatchCount: 1,
    });
  });

  it("fails when nothing could be restored (a drill that proves nothing is no pass)", async () => {
    for (const name of await b.blobNames("data/")) await b.container.getBlobClient(name).delete();
    const d = await b.drill();
    expect(d.code, why(d)).to.equal(EXIT_CODES.failure);
    expect(d.result!.error).to.equal("the vault holds no blob under data/ to restore");
  });
});
