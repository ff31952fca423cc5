// The emulator harness itself: fault tests rely on kill + restart keeping port and data, and on
// stop()/stopAll() leaving no process and no temp dir behind.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  AZURITE_PERSIST_INTERVAL_MS,
  startAzurite,
  startS3,
  stopAll,
} from "../../harness/emulators";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

describe("emulator harness", function () {
  this.timeout(120_000);
  after(stopAll);

  it("s3rver: SIGKILL then restart() serves the same data on the same port; stop() cleans up", async () => {
    const s3 = await startS3();
    const client = await s3.createBucket("harness");
    await client.send(new PutObjectCommand({ Bucket: "harness", Key: "k.txt", Body: "kept" }));
    const { port, dataDir } = s3;
    const firstPid = s3.pid;

    s3.kill();
    await s3.exited();
    expect(s3.running).to.equal(false);
    expect(await refused(`${s3.endpoint}/`), "nothing listens after the kill").to.equal(true);

    await s3.restart();
    expect(s3.port).to.equal(port);
    expect(s3.dataDir).to.equal(dataDir);
    expect(s3.pid).to.not.equal(firstPid);
    const get = await client.send(new GetObjectCommand({ Bucket: "harness", Key: "k.txt" }));
    expect(await get.Body!.transformToString()).to.equal("kept");

    const lastPid = s3.pid;
    client.destroy();
    await s3.stop();
    expect(alive(lastPid)).to.equal(false);
    expect(fs.existsSync(dataDir), "the harness-made data dir is removed").to.equal(false);
  });

  it("s3rver: startS3({ port, dataDir }) resumes a caller-owned dir, which stop() keeps", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-harness-own-"));
    try {
      const first = await startS3({ dataDir });
      const client = await first.createBucket("owned");
      await client.send(new PutObjectCommand({ Bucket: "owned", Key: "a.txt", Body: "A" }));
      await first.stop();
      expect(fs.existsSync(dataDir)).to.equal(true);

      const second = await startS3({ port: first.port, dataDir });
      const get = await client.send(new GetObjectCommand({ Bucket: "owned", Key: "a.txt" }));
      expect(await get.Body!.transformToString()).to.equal("A");
      client.destroy();
      await second.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("Azurite with a location dir: SIGKILL then restart() keeps blobs older than its save interval", async () => {
    const azurite = await startAzurite();
    const container = await azurite.createContainer("harness");
    await container.getBlockBlobClient("b.txt").upload("blob", 4);
    const firstPid = azurite.pid;
    // Azurite saves its metadata every 5 s: a SIGKILL sooner would lose the blob (see harness)
    await new Promise((resolve) => setTimeout(resolve, AZURITE_PERSIST_INTERVAL_MS + 1_000));

    azurite.kill();
    await azurite.exited();
    expect(await refused(`${azurite.blobEndpoint}?comp=list`)).to.equal(true);

    await azurite.restart();
    expect(azurite.pid).to.not.equal(firstPid);
    const body = await container.getBlockBlobClient("b.txt").downloadToBuffer();
    expect(body.toString()).to.equal("blob");

    const { dataDir, pid } = azurite;
    await azurite.stop();
    expect(alive(pid)).to.equal(false);
    expect(fs.existsSync(dataDir)).to.equal(false);
  });

  it("stopAll() ends every emulator still running", async () => {
    const s3 = await startS3();
    const azurite = await startAzurite({ inMemory: true });
    const pids = [s3.pid, azurite.pid];
    expect(pids.map(alive)).to.deep.equal([true, true]);
    await stopAll();
    expect(pids.map(alive)).to.deep.equal([false, false]);
    expect([s3.dataDir, azurite.dataDir].map((d) => fs.existsSync(d))).to.deep.equal([
      false,
      false,
    ]);
  });
});
