// A small model of a no-change run at a size we cannot measure (100M objects): the engine's CPU
// per object, fitted on two measured sizes, against the time the listings take when each page
// costs a fixed latency. Used by npm run bench -- --synthetic; pure, so it is unit-tested.
//
// The run lists both sides while it parses, sorts and plans, so its time is at least the larger
// of the CPU-bound time (CPU seconds spread over the instance's vCPUs) and the listing-bound time
// (pages in flight one after another per worker); if nothing overlapped it would be their sum.

export interface MeasuredPoint {
  objects: number;
  /** CPU seconds of the engine's whole process tree (user + system). */
  cpuSeconds: number;
  wallSeconds: number;
  peakRssMiB: number;
  peakScratchBytes: number;
}

export interface InstanceSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** Sustained share of each vCPU without burst credits (T instances), percent. */
  baselinePercent?: number;
}

/** The instance types the model knows (the stack's default first); others are passed in. */
export const INSTANCE_SPECS: Record<string, InstanceSpec> = {
  "t4g.micro": { name: "t4g.micro", vcpus: 2, memoryMiB: 1024, baselinePercent: 10 },
  "t4g.small": { name: "t4g.small", vcpus: 2, memoryMiB: 2048, baselinePercent: 20 },
  "t4g.medium": { name: "t4g.medium", vcpus: 2, memoryMiB: 4096, baselinePercent: 20 },
};

export interface Assumptions {
  targetObjects: number;
  /** Seconds for one ListObjectsV2 page of `s3KeysPerPage` keys, from the host. */
  s3PageSeconds: number;
  s3KeysPerPage: number;
  /** Source listing requests in flight at once. */
  s3Concurrency: number;
  /** Seconds for one List Blobs page of `azureBlobsPerPage` blobs with metadata. */
  azurePageSeconds: number;
  azureBlobsPerPage: number;
  azureConcurrency: number;
  instance: InstanceSpec;
  /** The target's CPU seconds per CPU second measured here (1: cores alike). */
  cpuSpeedRatio: number;
  goalSeconds: number;
  rootVolumeGiB: number;
}

export interface Fit {
  perObject: number;
  fixed: number;
}

/** The line through the two largest points (one point: through the origin). */
export function fitLine(points: { x: number; y: number }[]): Fit {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  if (sorted.length === 0) throw new Error("fitLine: no points");
  const hi = sorted[sorted.length - 1];
  if (sorted.length === 1 || sorted[sorted.length - 2].x === hi.x)
    return { perObject: hi.y / hi.x, fixed: 0 };
  const lo = sorted[sorted.length - 2];
  const perObject = (hi.y - lo.y) / (hi.x - lo.x);
  return { perObject, fixed: lo.y - perObject * lo.x };
}

export interface Estimate {
  /** The sizes the fits went through. */
  fittedOn: number[];
  cpu: Fit;
  wall: Fit;
  cpuSeconds: number;
  cpuBoundSeconds: number;
  s3Pages: number;
  azurePages: number;
  s3ListSeconds: number;
  azureListSeconds: number;
  listingBoundSeconds: number;
  bound: "CPU" | "listing latency";
  /** Overlapping CPU and listing (the prediction) and with no overlap at all. */
  predictedSeconds: number;
  noOverlapSeconds: number;
  meetsGoal: boolean;
  /**
   * The pessimistic reading: CPU per object (cpu / N) rising by as much per tenfold as it rose
   * between the fitted sizes, as when sort(1) needs one more merge pass over its compressed runs
   * for every tenfold more rows (it merges 16 runs at a time). The line above spreads the rise
   * measured from 1M to 10M over every object, so it under-counts the pass 100M adds.
   */
  perObjectGrowthPerDecade: number;
  cpuSecondsIfPerObjectGrows: number;
  predictedSecondsIfPerObjectGrows: number;
  meetsGoalIfPerObjectGrows: boolean;
  /** Without burst credits a T instance sustains only its baseline share of each vCPU. */
  baselineCpuBoundSeconds?: number;
  /** The largest peak measured, its growth per million objects between the fitted sizes, and
   * the line through them at the target (an upper bound when the growth is buffers filling up). */
  measuredPeakRssMiB: number;
  rssMiBPerMillion: number;
  peakRssMiB: number;
  fitsMemory: boolean;
  scratchGiB: number;
  fitsDisk: boolean;
}

const at = (f: Fit, x: number) => f.fixed + f.perObject * x;

export function estimate(points: MeasuredPoint[], a: Assumptions): Estimate {
  const used = [...points].sort((p, q) => p.objects - q.objects).slice(-2);
  const fit = (y: (p: MeasuredPoint) => number) =>
    fitLine(used.map((p) => ({ x: p.objects, y: y(p) })));
  const cpu = fit((p) => p.cpuSeconds);
  const wall = fit((p) => p.wallSeconds);
  const n = a.targetObjects;
  const cpuSeconds = Math.max(0, at(cpu, n)) * a.cpuSpeedRatio;
  const cpuBoundSeconds = cpuSeconds / a.instance.vcpus;
  const s3Pages = Math.ceil(n / a.s3KeysPerPage);
  const azurePages = Math.ceil(n / a.azureBlobsPerPage);
  const s3ListSeconds = (s3Pages * a.s3PageSeconds) / a.s3Concurrency;
  const azureListSeconds = (azurePages * a.azurePageSeconds) / a.azureConcurrency;
  const listingBoundSeconds = Math.max(s3ListSeconds, azureListSeconds);
  const predictedSeconds = Math.max(cpuBoundSeconds, listingBoundSeconds);
  // Memory is mostly fixed: one size says nothing about its growth, so it is extrapolated only
  // along the line through two (and never below what was measured).
  const rss = used.length > 1 ? fit((p) => p.peakRssMiB) : undefined;
  const rssGrowth = rss ? at(rss, n) : 0;
  const measuredPeakRssMiB = Math.max(...used.map((p) => p.peakRssMiB));
  const peakRssMiB = Math.max(measuredPeakRssMiB, rssGrowth);
  const scratchGiB =
    Math.max(
      0,
      at(
        fit((p) => p.peakScratchBytes),
        n,
      ),
    ) /
    2 ** 30;
  const baseline = a.instance.baselinePercent;
  const [lo, hi] = used.length > 1 ? used : [used[0], used[0]];
  const perObjectAt = (p: MeasuredPoint) => p.cpuSeconds / p.objects;
  const decades = Math.log10(hi.objects / lo.objects);
  const perObjectGrowthPerDecade = decades > 0 ? (perObjectAt(hi) - perObjectAt(lo)) / decades : 0;
  const cpuSecondsIfPerObjectGrows =
    (perObjectAt(hi) + Math.max(0, perObjectGrowthPerDecade) * Math.log10(n / hi.objects)) *
    n *
    a.cpuSpeedRatio;
  const predictedSecondsIfPerObjectGrows = Math.max(
    Math.max(cpuSeconds, cpuSecondsIfPerObjectGrows) / a.instance.vcpus,
    listingBoundSeconds,
  );
  return {
    fittedOn: used.map((p) => p.objects),
    cpu,
    wall,
    cpuSeconds,
    cpuBoundSeconds,
    s3Pages,
    azurePages,
    s3ListSeconds,
    azureListSeconds,
    listingBoundSeconds,
    bound: cpuBoundSeconds >= listingBoundSeconds ? "CPU" : "listing latency",
    predictedSeconds,
    noOverlapSeconds: cpuBoundSeconds + listingBoundSeconds,
    meetsGoal: predictedSeconds <= a.goalSeconds,
    perObjectGrowthPerDecade,
    cpuSecondsIfPerObjectGrows,
    predictedSecondsIfPerObjectGrows,
    meetsGoalIfPerObjectGrows: predictedSecondsIfPerObjectGrows <= a.goalSeconds,
    baselineCpuBoundSeconds:
      baseline === undefined ? undefined : cpuSeconds / (a.instance.vcpus * (baseline / 100)),
    measuredPeakRssMiB,
    rssMiBPerMillion: rss ? rss.perObject * 1e6 : 0,
    peakRssMiB,
    fitsMemory: peakRssMiB < a.instance.memoryMiB,
    scratchGiB,
    fitsDisk: scratchGiB < a.rootVolumeGiB,
  };
}
