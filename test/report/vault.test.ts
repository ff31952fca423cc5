// The report on what the engine itself wrote: the rendered engine, real rclone, s3rver and
// Azurite; two runs, an integrity check and a drill leave their status documents and their
// history lines in the vault, and `npm run report --from <container URL with a read SAS>` reads
// them through the container API, one point per record, each blob's digest in the manifest.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { startBackup, type Backup } from "../../harness/datapath";
import { stopAll } from "../../harness/emulators";
import { STATUS_BLOBS, STATUS_HISTORY } from "../../domain/layout";
import { main } from "../../cli/report";
import { outputs } from "./fixtures";

describe("npm run report on the engine's own status/ and history", function () {
  this.timeout(300_000);
  let b: Backup;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ccb-report-vault-"));
    b = await startBackup({ azuriteInMemory: true });
    for (let i = 0; i < 3; i++) await b.put(`reports/r${i}.csv`, `report ${i}\n`.repeat(i + 1));
  });
  after(async () => {
    await b?.stop();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("charts every run, check and drill the engine recorded, and digests the blobs it read", async () => {
    for (const step of [() => b.run(), () => b.run(), () => b.verify(), () => b.drill()]) {
      const r = await step();
      expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    }
    const historyBlobs: string[] = [];
    for await (const item of b.container.listBlobsFlat({ prefix: STATUS_HISTORY.folder }))
      historyBlobs.push(item.name);
    expect(historyBlobs).to.have.length.greaterThan(0);

    const outputsFile = path.join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(outputs({ syncRegion: "eu-west-1" })));
    const sas = b.sasUrl({ permissions: "rl" });
    const html = path.join(dir, "report.html");
    let printed = "";
    const code = await main(
      ["--stack", "dev", "--from", sas, "--outputs", outputsFile, "--since", "1d", "--out", html],
      { out: (s) => void (printed += s) },
    );
    expect(code).to.equal(0);
    const page = readFileSync(html, "utf8");

    expect(page).to.include('data-series="backupAge" data-points="2"');
    expect(page).to.include('data-series="copied" data-points="2"');
    expect(page).to.include('data-series="integrityCoverage" data-points="1"');
    expect(page).to.include('data-series="drillRestored" data-points="1"');
    for (const id of ["backupAge", "lastRun", "integrity", "drill"])
      expect(page, id).to.include(`data-control="${id}" data-verdict="pass"`);

    const digest = async (name: string) =>
      createHash("sha256")
        .update(await b.container.getBlobClient(name).downloadToBuffer())
        .digest("hex");
    for (const name of [...Object.values(STATUS_BLOBS), ...historyBlobs])
      expect(page, name).to.match(new RegExp(`data-input="${name}"[^]*?${await digest(name)}`));
    // The manifest names the container, never the SAS the report read it with.
    const sig = new URL(sas).searchParams.get("sig")!;
    expect(page + printed).to.not.include(sig);
    expect(page).to.not.include("sig=");
    expect(page).to.not.include("no history under");
  });
});
