// The 100M-object model printed by npm run bench -- --synthetic (harness/scaleModel.ts), on
// inputs whose answers are easy to work out by hand.
import { expect } from "chai";
import {
  estimate,
  fitLine,
  INSTANCE_SPECS,
  type Assumptions,
  type MeasuredPoint,
} from "../../harness/scaleModel";

const ASSUME: Assumptions = {
  targetObjects: 100_000_000,
  s3PageSeconds: 0.2,
  s3KeysPerPage: 1000,
  s3Concurrency: 8,
  azurePageSeconds: 1,
  azureBlobsPerPage: 5000,
  azureConcurrency: 1,
  instance: INSTANCE_SPECS["t4g.micro"],
  cpuSpeedRatio: 1,
  goalSeconds: 3600,
  rootVolumeGiB: 16,
};

/** CPU = 2 s + 10 µs per object, wall half of it; flat memory; 500 bytes of scratch per object. */
function point(objects: number): MeasuredPoint {
  const cpuSeconds = 2 + objects * 1e-5;
  return {
    objects,
    cpuSeconds,
    wallSeconds: cpuSeconds / 2,
    peakRssMiB: 150,
    peakScratchBytes: 500 * objects,
  };
}

describe("scale model", () => {
  it("fits a line through the two largest points, or through the origin with one", () => {
    expect(
      fitLine([
        { x: 10, y: 999 },
        { x: 100, y: 30 },
        { x: 1000, y: 210 },
      ]),
    ).to.deep.equal({ perObject: 0.2, fixed: 10 });
    expect(fitLine([{ x: 4, y: 2 }])).to.deep.equal({ perObject: 0.5, fixed: 0 });
  });

  it("also reads CPU per object as rising by its measured rise per tenfold (sort's extra merge pass)", () => {
    // 80 µs per object at 1M, 100 µs at 10M: 20 µs more per tenfold, so 120 µs at 100M
    const at = (objects: number, perObject: number): MeasuredPoint => ({
      ...point(objects),
      cpuSeconds: objects * perObject,
    });
    const eight = { ...ASSUME, azureConcurrency: 8 }; // listing 0.7 h: CPU decides
    const e = estimate([at(1_000_000, 80e-6), at(10_000_000, 100e-6)], eight);
    expect(e.perObjectGrowthPerDecade).to.be.closeTo(20e-6, 1e-12);
    expect(e.cpuSecondsIfPerObjectGrows).to.be.closeTo(12_000, 1e-6);
    expect(e.predictedSecondsIfPerObjectGrows).to.be.closeTo(6_000, 1e-6);
    expect(e.meetsGoalIfPerObjectGrows).to.equal(false);
    // the line through the two points (102.2 µs per object, -22.2 s): less than the pessimistic reading
    expect(e.cpuSeconds).to.be.closeTo(10_200, 1e-6);
    expect(e.cpuSeconds).to.be.lessThan(e.cpuSecondsIfPerObjectGrows);
    // a falling cost per object is not extrapolated down: never below the line
    const falling = estimate([at(1_000_000, 100e-6), at(10_000_000, 90e-6)], eight);
    expect(falling.cpuSecondsIfPerObjectGrows).to.be.closeTo(9_000, 1e-6);
    expect(falling.predictedSecondsIfPerObjectGrows).to.be.at.least(falling.predictedSeconds);
  });

  it("recovers the per-object CPU and extrapolates it, spread over the vCPUs", () => {
    const e = estimate([point(100_000), point(1_000_000), point(10_000_000)], ASSUME);
    expect(e.fittedOn).to.deep.equal([1_000_000, 10_000_000]);
    expect(e.cpu.perObject).to.be.closeTo(1e-5, 1e-12);
    expect(e.cpu.fixed).to.be.closeTo(2, 1e-6);
    expect(e.cpuSeconds).to.be.closeTo(1002, 1e-6);
    expect(e.cpuBoundSeconds).to.be.closeTo(501, 1e-6);
    // without burst credits: 2 vCPUs at 10% each
    expect(e.baselineCpuBoundSeconds).to.be.closeTo(5010, 1e-6);
  });

  it("counts pages and divides their latency by the workers in flight", () => {
    const e = estimate([point(1_000_000), point(10_000_000)], ASSUME);
    expect([e.s3Pages, e.azurePages]).to.deep.equal([100_000, 20_000]);
    expect(e.s3ListSeconds).to.be.closeTo(2500, 1e-6);
    expect(e.azureListSeconds).to.equal(20_000);
    expect(e.listingBoundSeconds).to.equal(20_000);
    expect(e.bound).to.equal("listing latency");
    expect(e.predictedSeconds).to.equal(20_000);
    expect(e.noOverlapSeconds).to.be.closeTo(20_501, 1e-6);
    expect(e.meetsGoal).to.equal(false);
  });

  it("is CPU-bound, and meets the goal, when the pages are fast and the CPU is not", () => {
    const fast = { ...ASSUME, azurePageSeconds: 0.05, s3PageSeconds: 0.05 };
    const e = estimate([point(1_000_000), point(10_000_000)], { ...fast, cpuSpeedRatio: 3 });
    expect(e.listingBoundSeconds).to.equal(1000);
    expect(e.cpuBoundSeconds).to.be.closeTo(1503, 1e-6);
    expect(e.bound).to.equal("CPU");
    expect(e.predictedSeconds).to.be.closeTo(1503, 1e-6);
    expect(e.meetsGoal).to.equal(true);
    const slow = estimate([point(1_000_000), point(10_000_000)], { ...fast, cpuSpeedRatio: 8 });
    expect(slow.meetsGoal).to.equal(false);
  });

  it("checks the memory and the scratch disk at the target size", () => {
    const e = estimate([point(1_000_000), point(10_000_000)], ASSUME);
    expect(e.peakRssMiB).to.equal(150);
    expect(e.fitsMemory).to.equal(true);
    expect(e.scratchGiB).to.be.closeTo((500 * 1e8) / 2 ** 30, 1e-9);
    expect(e.fitsDisk).to.equal(false);
    const one = estimate([point(1_000_000)], ASSUME);
    expect(one.cpu.perObject, "one size: CPU through the origin").to.be.closeTo(1.2e-5, 1e-12);
    expect(one.peakRssMiB, "one size: memory not extrapolated").to.equal(150);
    const growing = [1_000_000, 10_000_000].map((n) => ({ ...point(n), peakRssMiB: n / 10_000 }));
    const g = estimate(growing, ASSUME);
    expect(g.peakRssMiB).to.be.closeTo(10_000, 1e-6);
    expect(g.measuredPeakRssMiB).to.equal(1000);
    expect(g.rssMiBPerMillion).to.be.closeTo(100, 1e-9);
    expect(g.fitsMemory).to.equal(false);
  });
});
