// The real data path: the sync script, rclone config and flags rendered for the dev stack, run
// by the real rclone against s3rver and Azurite on 127.0.0.1 (see harness/datapath.ts).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { startBackup, why, type Backup, type SyncRun } from "../../harness/datapath";
import { AzuriteEmulator } from "../../harness/emulators";

const MiB = 1024 * 1024;

/** No SAS signature anywhere a run leaves text: its output, its summary, the state folder. */
function expectNoSecrets(b: Backup, r: SyncRun): void {
  const leak = /sig=(?!REDACTED)/;
  expect(r.stdout + r.stderr, "run output").not.to.match(leak);
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : [p];
    });
  for (const file of walk(b.stateDir)) {
    const raw = fs.readFileSync(file);
    const text = file.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
    expect(text, file).not.to.match(leak);
  }
}

async function expectParity(b: Backup): Promise<void> {
  const [src, dst] = await Promise.all([b.sourceObjects(), b.vaultObjects()]);
  expect(src.size).to.be.greaterThan(0);
  for (const [key, o] of src) {
    expect(dst.get(key), `vault copy of ${key}`).to.deep.equal(o);
  }
}

const SAMPLE: Record<string, string | Buffer> = {
  "top.txt": "top level\n",
  "a/b/c/deep.txt": "three levels down\n",
  "a/b/only-deeper/x.json": '{"x":1}\n',
  "reports/2026/11/summary.csv": "id,value\n1,2\n",
  "space name/file with spaces.txt": "spaces\n",
  "zürich/über-ü.txt": "unicode\n",
  "plus+sign.txt": "plus\n",
  "100%.txt": "percent\n",
  "empty.bin": Buffer.alloc(0),
  "binary.bin": randomBytes(300 * 1024),
};

describe("data path: rendered sync script + rclone + emulators", function () {
  this.timeout(240_000);

  describe("copy mode (the default)", () => {
    let b: Backup;
    const multipart = randomBytes(11 * MiB);
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      for (const [k, v] of Object.entries(SAMPLE)) await b.put(k, v);
      await b.putMultipart("large/multipart.bin", multipart);
    });
    after(async () => b?.stop());

    it("first run copies every object with identical content and MD5", async () => {
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      // The SAS came from the SSM parameter, read once at the start of the run.
      expect(b.awsCliCalls()).to.deep.equal([
        `ssm get-parameter --region eu-west-1 --name ${b.settings.ssmParameterName} --with-decryption --query Parameter.[Type,Value] --output text`,
      ]);
      expect(r.summary?.outcome).to.equal("success");
      expect(r.summary?.copied).to.equal(Object.keys(SAMPLE).length + 1);
      await expectParity(b);
    });

    it("a second run with no changes makes one listing of each side, its two status writes and its history line", async () => {
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary?.copied).to.equal(0);
      expect(r.summary?.unchanged).to.equal(Object.keys(SAMPLE).length + 1);
      const zero = { LIST: 0, HEAD: 0, GET: 0, PUT: 0, POST: 0, DELETE: 0, OTHER: 0 };
      expect(r.s3).to.deep.equal({ ...zero, LIST: 1 });
      expect(r.azure).to.deep.equal({ ...zero, LIST: 1, PUT: 3 });
      const puts = b.azureProxy.log.filter((l) => l.kind === "PUT").map((l) => l.url);
      expect(puts[0]).to.match(/\/backup\/status\/last-run\.json\?/);
      expect(puts[1]).to.match(/\/backup\/status\/last-success\.json\?/);
      // One Append Block: the month's history blob exists since the first run.
      expect(puts[2]).to.match(/\/backup\/status\/history\/\d{4}-\d{2}\.jsonl\?comp=appendblock&/);
    });

    it("re-copies modified objects (same size, multipart) and new ones, and nothing else", async () => {
      const sameSize = "top level\n".replace("top", "TOP");
      await b.put("top.txt", sameSize);
      const changed = Buffer.from(multipart);
      changed.write("modified!", 7 * MiB);
      await b.putMultipart("large/multipart.bin", changed);
      await b.put("reports/2026/11/new.csv", "new\n");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(b.objectGetKeys()).to.deep.equal([
        "large/multipart.bin",
        "reports/2026/11/new.csv",
        "top.txt",
      ]);
      expect(r.summary?.copied).to.equal(3);
      await expectParity(b);
    });

    it("never deletes: an object deleted in the source stays in the vault", async () => {
      await b.remove("binary.bin");
      const before = await b.vaultObjects();
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary?.deleted).to.equal(0);
      expect(r.azure.DELETE).to.equal(0);
      expect((await b.vaultObjects()).get("binary.bin")).to.deep.equal(before.get("binary.bin"));
    });

    it("an empty source deletes nothing", async () => {
      for (const k of await b.sourceKeys()) await b.remove(k);
      const before = await b.vaultObjects();
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.azure.DELETE).to.equal(0);
      expect(await b.vaultObjects()).to.deep.equal(before);
    });
  });

  describe("userData credential delivery", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({
        azuriteInMemory: true,
        overrides: { credentialDelivery: "userData" },
      });
      for (const [k, v] of Object.entries(SAMPLE)) await b.put(k, v);
    });
    after(async () => b?.stop());

    it("runs from the rendered config with the SAS in it, without calling the AWS CLI", async () => {
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(b.awsCliCalls()).to.deep.equal([]);
      await expectParity(b);
      // The expiry alarm's input: how long the SAS has left (the harness's SAS: one hour).
      expect(b.telemetry!.metrics().at(-1)!.CredentialSecondsLeft).to.be.within(3000, 3700);
    });
  });

  describe("mirror mode", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({
        azuriteInMemory: true,
        overrides: { syncMode: "mirror", maxDeletes: 2 },
      });
      for (const [k, v] of Object.entries(SAMPLE)) await b.put(k, v);
      const first = await b.run();
      expect(first.code, why(first)).to.equal(0);
    });
    after(async () => b?.stop());

    it("removes a deleted object from the live view but keeps it recoverable in archive/", async () => {
      await b.remove("binary.bin");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.deep.include({ deleted: 1, archived: 0, copied: 0 });
      expect((await b.vaultObjects()).has("binary.bin")).to.equal(false);
      const archived = await b.blobNames(`archive/${r.summary!.runId}/`);
      expect(archived).to.deep.equal([`archive/${r.summary!.runId}/binary.bin`]);
      const body = await b.container.getBlobClient(archived[0]).downloadToBuffer();
      expect(body.equals(SAMPLE["binary.bin"] as Buffer)).to.equal(true);
      await expectParity(b);
    });

    it("the max-deletions guard stops a mass delete: nothing deleted, new objects still copied, run fails", async () => {
      for (const k of ["top.txt", "plus+sign.txt", "100%.txt"]) await b.remove(k);
      await b.put("fresh.txt", "fresh\n");
      const before = await b.vaultObjects();
      const r = await b.run();
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.summary?.outcome).to.equal("failure");
      expect(r.summary?.errors.join("\n")).to.match(
        // (counting a deletion an earlier test made, within the guard's window)
        /deletion guard: \d deletions( \(1 of them by runs of the last 24 hours\))? exceed maxDeletes \(2\); nothing deleted/,
      );
      expect(r.azure.DELETE).to.equal(0);
      const after = await b.vaultObjects();
      for (const k of ["top.txt", "plus+sign.txt", "100%.txt"])
        expect(after.get(k)).to.deep.equal(before.get(k));
      expect(after.has("fresh.txt")).to.equal(true);
    });

    it("an empty source listing deletes nothing even within the limit", async () => {
      for (const k of await b.sourceKeys()) await b.remove(k);
      const before = await b.vaultObjects();
      const r = await b.run();
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.summary?.errors.join("\n")).to.match(/source listing is empty/);
      expect(r.azure.DELETE).to.equal(0);
      expect(await b.vaultObjects()).to.deep.equal(before);
    });

    it("a failing source listing deletes nothing", async () => {
      await b.put("one.txt", "one\n");
      const before = await b.vaultObjects();
      b.s3.kill();
      await b.s3.exited();
      const r = await b.run();
      await b.s3.restart();
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.summary?.outcome).to.equal("failure");
      expect(r.azure.DELETE).to.equal(0);
      expect(await b.vaultObjects()).to.deep.equal(before);
    });
  });

  describe("faults", () => {
    let b: Backup;
    const large = randomBytes(48 * MiB);
    before(async () => {
      b = await startBackup();
      await b.put("small.txt", "small\n");
      await b.put("large.bin", large);
    });
    after(async () => b?.stop());

    it("S3 killed mid-transfer: the run fails and says so; the next run converges to an exact copy", async () => {
      let killed = false;
      b.s3Proxy.onGetBytes = (url, bytes) => {
        if (!killed && url.includes("large.bin") && bytes > 8 * MiB) {
          killed = true;
          b.s3.kill();
        }
      };
      const r = await b.run();
      b.s3Proxy.onGetBytes = undefined;
      expect(killed, "the S3 emulator was killed during the large GET").to.equal(true);
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.summary?.outcome).to.equal("failure");
      expect(r.summary?.errorCount).to.be.greaterThan(0);

      await b.s3.restart();
      const again = await b.run();
      expect(again.code, why(again)).to.equal(0);
      const vault = await b.vaultObjects();
      expect(vault.get("large.bin")?.size).to.equal(large.length);
      await expectParity(b);
    });

    it("Azurite down: the run fails, nothing in the vault is lost, and a rerun succeeds", async () => {
      const before = await b.vaultObjects();
      await b.put("while-down.txt", "written while Azure was down\n");
      // SIGTERM: Azurite only persists its metadata on a timer or a clean stop (toolchain).
      b.azurite.kill("SIGTERM");
      await b.azurite.exited();
      const r = await b.run();
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.summary?.outcome).to.equal("failure");
      expectNoSecrets(b, r);
      await b.azurite.restart();
      const after = await b.vaultObjects();
      for (const [k, v] of before) expect(after.get(k), k).to.deep.equal(v);
      const again = await b.run();
      expect(again.code, why(again)).to.equal(0);
      await expectParity(b);
    });

    it("Azurite dying mid-copy fails the run without the SAS reaching any log, and a rerun converges", async () => {
      for (let i = 0; i < 30; i++) await b.put(`burst/${i}.txt`, `burst ${i}\n`);
      let killed = false;
      b.azureProxy.intercept = (method) => {
        if (!killed && method === "PUT") {
          killed = true;
          b.azurite.kill("SIGTERM");
        }
        return undefined;
      };
      const r = await b.run();
      b.azureProxy.intercept = undefined;
      expect(killed).to.equal(true);
      expect(r.code, why(r)).to.equal(1);
      expect(r.summary?.errorCount).to.be.greaterThan(0);
      expect(r.summary?.errors.join("\n")).to.match(/copy stopped: cannot reach the vault/);
      expectNoSecrets(b, r);
      await b.azurite.exited();
      await b.azurite.restart();
      const again = await b.run();
      expect(again.code, why(again)).to.equal(0);
      expectNoSecrets(b, again);
      await expectParity(b);
    });

    it("an expired SAS fails the run with an authentication error", async () => {
      await b.put("needs-upload.txt", "x\n");
      b.setSas(b.sasUrl({ expiresOn: new Date(Date.now() - 60_000) }));
      const r = await b.run();
      b.setSas(b.sasUrl());
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.summary?.errors.join("\n")).to.match(/cannot list the vault .*AuthorizationFailure/);
      expect(r.summary?.outcome).to.equal("failure");
    });

    it("a SAS without write permission fails the run clearly", async () => {
      b.setSas(b.sasUrl({ permissions: "rl" }));
      const r = await b.run();
      b.setSas(b.sasUrl());
      expect(r.code, why(r)).to.not.equal(0);
      expect(r.stderr).to.match(/AuthorizationPermissionMismatch/);
    });

    it("a missing SSM parameter fails the run before any transfer, naming the parameter", async () => {
      b.setSas("");
      const r = await b.run();
      b.setSas(b.sasUrl());
      expect(r.code).to.equal(1);
      expect(r.summary?.errors.join("\n")).to.include(
        `could not read the SAS from SSM parameter ${b.settings.ssmParameterName}`,
      );
      expect(r.s3.LIST + r.s3.GET).to.equal(0);
    });

    it("a SAS in the SSM parameter for any container but the vault is refused before any transfer, and nothing reaches it", async () => {
      // Whoever may write the parameter swaps in a SAS for a container of their own.
      await b.put("needs-upload-elsewhere.txt", "x\n");
      const azurite = b.azurite as AzuriteEmulator;
      const elsewhere = await azurite.createContainer("elsewhere");
      const foreign = azurite
        .containerSasUrl("elsewhere", {
          permissions: "racwl",
          expiresOn: new Date(Date.now() + 3600_000),
        })
        .replace(`127.0.0.1:${azurite.port}`, `127.0.0.1:${b.azureProxy.port}`);
      b.setSas(foreign);
      const r = await b.run();
      b.setSas(b.sasUrl());
      expect(r.code, why(r)).to.equal(1);
      const errors = r.summary?.errors.join("\n") ?? "";
      expect(errors).to.include(
        `SSM parameter ${b.settings.ssmParameterName}: it points to http://127.0.0.1:${b.azureProxy.port}/devstoreaccount1/elsewhere, not to this stack's vault container ${b.settings.vaultContainerUrl}`,
      );
      expect(errors + r.stderr).to.not.match(/sig=/);
      expect(r.s3.LIST + r.s3.GET).to.equal(0);
      const landed: string[] = [];
      for await (const blob of elsewhere.listBlobsFlat()) landed.push(blob.name);
      expect(landed).to.deep.equal([]);
      const again = await b.run();
      expect(again.code, why(again)).to.equal(0);
    });

    it("a second run started while one is running does not run concurrently", async () => {
      await b.put("large.bin", randomBytes(48 * MiB));
      const first = b.start();
      // Wait until the first run is transferring, then start a second one.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !b.s3Proxy.log.some((l) => l.kind === "GET")) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const second = await b.run();
      const firstRun = await first.done;
      expect(second.code).to.equal(75);
      expect(second.stderr).to.include("another run is in progress");
      expect(firstRun.code, why(firstRun)).to.equal(0);
      await expectParity(b);
    });
  });
});
