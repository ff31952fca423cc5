// Every ending of a run is recorded (design decision 13), on the real data path: a run stopped by
// SIGTERM (what systemd sends on a stop, on TimeoutStartSec and at shutdown) leaves a failed
// summary and RunFailed, stops rclone with it and removes its scratch; listings and plans left by
// a run killed outright are removed by the next run.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startBackup, why, type Backup } from "../../harness/datapath";
import { METRICS } from "../../domain/telemetry";

function rcloneProcesses(b: Backup): string[] {
  let out = "";
  try {
    out = execFileSync("pgrep", ["-af", "rclone"], { encoding: "utf8" });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return out.split("\n").filter((l) => l.includes(b.credentialsDir) || l.includes(b.stateDir));
}

describe("survival: every ending of a run is recorded", function () {
  this.timeout(240_000);
  let b: Backup;
  before(async () => {
    b = await startBackup({ azuriteInMemory: true });
    b.s3.seedOnDisk(
      b.settings.sourceBucket,
      Array.from({ length: 1500 }, (_, i) => ({ key: `bulk/${i}.txt`, body: `object ${i}\n` })),
    );
  });
  after(async () => b?.stop());

  it("a run stopped by SIGTERM mid-copy leaves a failed summary and RunFailed, and stops rclone with it", async () => {
    b.telemetry!.reset();
    const { pid, done } = b.start();
    const runs = path.join(b.stateDir, "runs");
    // Wait until rclone is copying a batch.
    for (let i = 0; i < 600; i++) {
      if (b.scratch().some((f) => f.endsWith("batch.lst"))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      b.scratch().some((f) => f.endsWith("batch.lst")),
      "the run never started copying",
    ).to.equal(true);
    process.kill(pid, "SIGTERM");
    const r = await done;
    expect(r.code, why(r)).to.equal(1);
    expect(r.summary?.outcome).to.equal("failure");
    expect(r.summary?.errors.join("\n")).to.match(/^stopped by SIGTERM/m);
    expect(fs.readdirSync(runs)).to.have.length(1);
    expect(b.scratch(), "listings, plans and rclone's files removed").to.deep.equal([]);
    expect(rcloneProcesses(b), "rclone stopped with the run").to.deep.equal([]);
    expect(b.telemetry!.metrics().at(-1)).to.include({
      [METRICS.runFailed]: 1,
      [METRICS.heartbeat]: 0,
    });
    const status = await b.container.getBlobClient("status/last-run.json").downloadToBuffer();
    expect(JSON.parse(status.toString("utf8")).outcome).to.equal("failure");
  });

  it("the next run removes what a run killed outright left, and finishes the copy", async () => {
    const killed = path.join(b.stateDir, "runs", "20260101T000000.000000000Z");
    fs.mkdirSync(killed, { recursive: true });
    for (const f of ["source.tsv", "vault.tsv", "copy.lst", "adopt.lst", "batch.json"])
      fs.writeFileSync(path.join(killed, f), "left by a run killed for memory\n");
    fs.writeFileSync(path.join(killed, "summary.json"), "{}");
    const r = await b.run();
    expect(r.code, why(r)).to.equal(0);
    expect(r.summary?.sourceObjects).to.equal(1500);
    expect(b.scratch()).to.deep.equal([]);
    // what the run itself leaves is kept (its summary, its ledgers)
    expect(fs.readdirSync(killed)).to.deep.equal(["summary.json"]);
  });
});
