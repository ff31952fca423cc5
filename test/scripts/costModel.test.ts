// The cost model (scripts/cost-model.ts) uses the request counts the bench measures, and the
// tables in README.md and docs/cost.md are its current output.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { costTable, DEFAULT_PARAMS, PRICES } from "../../scripts/cost-model";

describe("cost model", () => {
  const rows = costTable();
  const runsPerMonth = (24 / DEFAULT_PARAMS.intervalHours) * DEFAULT_PARAMS.daysPerMonth;

  it("bills our engine the measured listing floor: one LIST per 1,000 keys and per 5,000 blobs a run, and the host's checks", () => {
    const p = DEFAULT_PARAMS;
    expect(p.integrityChecksPerMonth).to.equal(30 / 7); // weekly
    expect(p.restoreDrillsPerMonth).to.equal(1); // monthly
    for (const n of p.objectCounts) {
      const ours = rows.find((r) => r.objects === n && r.option === "ours")!;
      const checks = p.integrityChecksPerMonth;
      const drills = p.restoreDrillsPerMonth;
      expect(ours.requests.s3List).to.be.closeTo(
        (runsPerMonth + checks) * Math.ceil(n / 1000),
        1e-6,
      );
      expect(ours.requests.azureList).to.be.closeTo(
        (runsPerMonth + checks + drills) * Math.ceil(n / 5000),
        1e-6,
      );
      // per changed object: rclone's S3 HEAD + GET and the seal's GET; Azure Put Block + Put
      // Block List + HEAD and the seal's HEAD, Set Blob Properties and Set Blob Metadata ("Other"
      // operations, priced like reads); each check reads back its rotation's
      // share of the vault (all of it per integrityCoverageDays) plus its sample; each drill
      // its sample (bench: 20 S3 HEAD + GET, 20 blob GET)
      expect(ours.requests.s3GetHead).to.be.closeTo(
        3 * ours.changedObjectsPerMonth + 20 * 2 * drills,
        1e-6,
      );
      expect(ours.requests.azureRead).to.be.closeTo(
        4 * ours.changedObjectsPerMonth +
          (n * p.daysPerMonth) / p.integrityCoverageDays +
          20 * (checks + drills),
        1e-6,
      );
    }
  });

  it("finds ours cheaper than the naive command and DataSync at every size", () => {
    for (const n of DEFAULT_PARAMS.objectCounts) {
      const at = rows.filter((r) => r.objects === n);
      const ours = at.find((r) => r.option === "ours")!;
      for (const other of at.filter((r) => r.option !== "ours"))
        expect(ours.usd.totalLrs, `${n} vs ${other.option}`).to.be.below(other.usd.totalLrs);
    }
  });

  it("dates every price and names its source", () => {
    for (const [name, p] of Object.entries(PRICES)) {
      expect(p.checked, name).to.match(/^2026-1[12]-\d\d$/);
      expect(p.source, name).to.match(/^https:\/\//);
    }
  });

  it("README.md and docs/cost.md show the model's current output", () => {
    const r = spawnSync("npx", ["tsx", "scripts/cost-model.ts", "--check"], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
  });
});
