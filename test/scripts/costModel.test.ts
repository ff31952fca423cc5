// The cost model (scripts/cost-model.ts) uses the request counts the bench measures, and the
// tables in README.md and docs/cost.md are its current output.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { costTable, DEFAULT_PARAMS, PRICES } from "../../scripts/cost-model";

describe("cost model", () => {
  const rows = costTable();
  const runsPerMonth = (24 / DEFAULT_PARAMS.intervalHours) * DEFAULT_PARAMS.daysPerMonth;

  it("bills our engine the measured listing floor: one LIST per 1,000 keys and per 5,000 blobs a run", () => {
    for (const n of DEFAULT_PARAMS.objectCounts) {
      const ours = rows.find((r) => r.objects === n && r.option === "ours")!;
      expect(ours.requests.s3List).to.equal(runsPerMonth * Math.ceil(n / 1000));
      expect(ours.requests.azureList).to.equal(runsPerMonth * Math.ceil(n / 5000));
      // per changed object: S3 HEAD + GET; Azure Put Block + Put Block List + HEAD
      expect(ours.requests.s3GetHead).to.equal(2 * ours.changedObjectsPerMonth);
      expect(ours.requests.azureRead).to.equal(ours.changedObjectsPerMonth);
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
      expect(p.checked, name).to.equal("2026-11-25");
      expect(p.source, name).to.match(/^https:\/\//);
    }
  });

  it("README.md and docs/cost.md show the model's current output", () => {
    const r = spawnSync("npx", ["tsx", "scripts/cost-model.ts", "--check"], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
  });
});
