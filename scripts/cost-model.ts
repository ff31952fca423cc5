// Monthly cost model for keeping an existing S3 bucket backed up in Azure Blob Storage, comparing
// this project's host (one listing per side, copy only the difference), a naive `rclone sync`, and
// AWS DataSync in Enhanced and Basic mode. Dependency-free and pure; docs/cost.md embeds its output.
//   npx tsx scripts/cost-model.ts           print the cost table (markdown)
//   npx tsx scripts/cost-model.ts --write   rewrite the generated blocks in docs/cost.md
//   npx tsx scripts/cost-model.ts --check   exit 1 when a generated block in docs/cost.md is stale
// Every price lives in PRICES, with where it was checked and whether a current source confirmed it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** One list price (USD, us-east-1 / East US, pay-as-you-go). */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  /** Where the price is published (or, when unconfirmed, where to check it). */
  readonly source: string;
  readonly checked: "2026-11-25" | "2026-12-03";
  /** True when a published source read on `checked` states this value. */
  readonly confirmed: boolean;
  readonly note: string;
}

const AWS_EC2_PRICING = "https://aws.amazon.com/ec2/pricing/on-demand/";
const AZURE_BLOB_PRICING = "https://azure.microsoft.com/en-us/pricing/details/storage/blobs/";
const AWS_DATASYNC_PRICING = "https://aws.amazon.com/datasync/pricing/";
const DATASYNC_PRICE_LIST_NOTE =
  "AWS Price List rows (EffectiveDate 2025-04-01) as mirrored in " +
  "huggingface.co/datasets/labofsahil/aws-pricing-dataset (AWSDataSync.csv); the same price " +
  "appears for every region listed.";
const AZURE_RETAIL_NOTE =
  "Azure Retail Prices API, eastus, General Block Blob v2 / Hot LRS, as quoted in public notes " +
  "(one dated 2026-08-10); the official page renders prices client-side.";

/** All prices the model uses. Change a price here and regenerate docs/cost.md (`--write`). */
export const PRICES = {
  s3ListPer1000: {
    usd: 0.005,
    unit: "per 1,000 LIST requests (PUT, COPY, POST, LIST tier), S3 Standard",
    source: "https://aws.amazon.com/s3/pricing/",
    checked: "2026-11-25",
    confirmed: true,
    note: "Secondary confirmation (c3x.dev 'S3 request fees explained'); the official page renders prices client-side.",
  },
  s3GetHeadPer1000: {
    usd: 0.0004,
    unit: "per 1,000 GET/HEAD requests (GET, SELECT and all other), S3 Standard",
    source: "https://aws.amazon.com/s3/pricing/",
    checked: "2026-11-25",
    confirmed: true,
    note: "Secondary confirmation, as for LIST.",
  },
  egressPerGb: {
    usd: 0.09,
    unit: "per GB data transfer out to the internet, first 10 TB/month",
    source: AWS_EC2_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note:
      "Tier table in 2026 guides (wring.co, CloudPriceBook 2026-06); aggregation across services per " +
      "the AWS Global Network FAQ. The first 100 GB/month per account are free; the model ignores that.",
  },
  azureEgressPerGb: {
    usd: 0.087,
    unit: "per GB data transfer out of Azure to the internet (Microsoft global network routing), 100 GB-10 TB/month, Zone 1",
    source: "https://azure.microsoft.com/en-us/pricing/details/bandwidth/",
    checked: "2026-12-03",
    confirmed: false,
    note:
      "The integrity check reads the vault back once per integrityCoverageDays: this prices those reads. Secondary " +
      "confirmation only (a 2026 guide quotes about GBP 0.070/GB for UK South from the Azure Retail Prices API); the " +
      "first 100 GB/month are free and the model ignores that.",
  },
  ec2T4gMicroPerHour: {
    usd: 0.0084,
    unit: "per hour, t4g.micro on-demand Linux",
    source: AWS_EC2_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: "Secondary confirmation: public us-east-1 price tables dated 2026-01.",
  },
  ec2M5_2xlargePerHour: {
    usd: 0.384,
    unit: "per hour, m5.2xlarge on-demand Linux (DataSync agent, up to ~20M objects)",
    source: AWS_EC2_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: "Secondary confirmation: public us-east-1 price tables dated 2026-01.",
  },
  ec2M5_4xlargePerHour: {
    usd: 0.768,
    unit: "per hour, m5.4xlarge on-demand Linux (DataSync agent, more than ~20M objects)",
    source: AWS_EC2_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: "Secondary confirmation: public us-east-1 price tables dated 2026-01.",
  },
  gp3PerGbMonth: {
    usd: 0.08,
    unit: "per GB-month, EBS gp3 (3,000 IOPS and 125 MB/s included)",
    source: "https://aws.amazon.com/ebs/pricing/",
    checked: "2026-11-25",
    confirmed: false,
    note: "Best-known list price; no dated source read.",
  },
  publicIpv4PerHour: {
    usd: 0.005,
    unit: "per hour, public IPv4 address (in use or idle; the host's Elastic IP)",
    source:
      "https://aws.amazon.com/blogs/networking-and-content-delivery/identify-and-optimize-public-ipv4-address-usage-on-aws/",
    checked: "2026-11-25",
    confirmed: true,
    note: "Charged since 2024-02-01; also on https://aws.amazon.com/vpc/pricing/.",
  },
  azureHotLrsWritePer10k: {
    usd: 0.05,
    unit: "per 10,000 write operations (PutBlob, PutBlock, PutBlockList), Hot LRS",
    source: AZURE_BLOB_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: AZURE_RETAIL_NOTE,
  },
  azureHotLrsListPer10k: {
    usd: 0.05,
    unit: "per 10,000 list and create container operations (List Blobs), Hot LRS",
    source: AZURE_BLOB_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: AZURE_RETAIL_NOTE,
  },
  azureHotLrsReadPer10k: {
    usd: 0.004,
    unit: "per 10,000 read operations, Hot LRS",
    source: AZURE_BLOB_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: AZURE_RETAIL_NOTE,
  },
  azureHotGzrsWritePer10k: {
    usd: 0.1,
    unit: "per 10,000 write operations, Hot GZRS",
    source: AZURE_BLOB_PRICING,
    checked: "2026-11-25",
    confirmed: false,
    note: "Best-known: about 2x LRS (the Hot GRS write meter is $0.10); check the 'Hot GZRS Write Operations' meter.",
  },
  azureHotGzrsListPer10k: {
    usd: 0.1,
    unit: "per 10,000 list and create container operations, Hot GZRS",
    source: AZURE_BLOB_PRICING,
    checked: "2026-11-25",
    confirmed: false,
    note: "Best-known, assumed equal to the GZRS write price (conservative).",
  },
  azureHotGzrsReadPer10k: {
    usd: 0.004,
    unit: "per 10,000 read operations, Hot GZRS",
    source: AZURE_BLOB_PRICING,
    checked: "2026-11-25",
    confirmed: false,
    note: "Best-known: the Hot read meter is not redundancy-specific.",
  },
  datasyncEnhancedPerExecution: {
    usd: 0.55,
    unit: "per task execution, DataSync Enhanced mode",
    source: AWS_DATASYNC_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: DATASYNC_PRICE_LIST_NOTE,
  },
  datasyncEnhancedPerGb: {
    usd: 0.015,
    unit: "per GB copied, DataSync Enhanced mode",
    source: AWS_DATASYNC_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: DATASYNC_PRICE_LIST_NOTE,
  },
  datasyncBasicPerGb: {
    usd: 0.0125,
    unit: "per GB copied, DataSync Basic mode",
    source: AWS_DATASYNC_PRICING,
    checked: "2026-11-25",
    confirmed: true,
    note: DATASYNC_PRICE_LIST_NOTE,
  },
} as const satisfies Record<string, Price>;

export type PriceBook = { readonly [K in keyof typeof PRICES]: Price };

/**
 * Azure write operations per changed object. rclone 1.60.1 uploads a block blob with PutBlock and
 * commits it with PutBlockList (two billed writes) even for small objects; a single PutBlob would be 1.
 */
export const AZ_WRITES_PER_OBJECT = 2;

/** Inputs of the model. Change them here or pass your own to costTable(). */
export interface ModelParams {
  readonly objectCounts: readonly number[];
  readonly meanObjectBytes: number;
  /** Fraction of the objects that are new or modified per day. */
  readonly dailyChangeFraction: number;
  readonly intervalHours: number;
  readonly daysPerMonth: number;
  /** D, the number of "directories" (distinct key prefixes), as a fraction of the objects. */
  readonly directoriesPerObject: number;
  /** Seconds per S3 LIST page (1,000 keys). */
  readonly listSecondsPerRequest: number;
  /** Ours: S3 pages in flight (the engine's key ranges, ccb/s3pages.py LIST_WORKERS). */
  readonly listConcurrency: number;
  /**
   * Ours: CPU seconds per listed object of a no-change run (the engine's whole process tree),
   * measured by `npm run bench -- --synthetic 1000000,10000000` at 10M, spread over the host's
   * vCPUs; the run takes the longer of its listing latency and its CPU.
   */
  readonly cpuSecondsPerObject: number;
  readonly hostVcpus: number;
  /** Copy throughput one host is assumed to sustain, in MB/s (10^6 bytes). */
  readonly maxCopyMBps: number;
  /** Our run's fixed requests (two status Put Blobs and the history's Append Block), priced as Azure writes. */
  readonly constantRequestsPerRun: number;
  /** Integrity checks (weekly by default) and restore drills (monthly) per month, and their sample. */
  readonly integrityChecksPerMonth: number;
  readonly restoreDrillsPerMonth: number;
  readonly checkSampleObjects: number;
  /** The integrity check reads every blob back within this many days (integrityCoverageDays). */
  readonly integrityCoverageDays: number;
  /** DataSync HEADs per source object per execution (preparing phase). */
  readonly datasyncHeadsPerObjectPerRun: number;
  readonly hostVolumeGb: number;
  readonly agentVolumeGb: number;
  /** Above this many objects the DataSync agent moves from m5.2xlarge to m5.4xlarge. */
  readonly agentLargeAboveObjects: number;
}

export const DEFAULT_PARAMS: ModelParams = {
  objectCounts: [1_000_000, 10_000_000, 100_000_000],
  meanObjectBytes: 256 * 1024,
  dailyChangeFraction: 0.01,
  intervalHours: 4,
  daysPerMonth: 30,
  directoriesPerObject: 1 / 100,
  listSecondsPerRequest: 0.1,
  listConcurrency: 8,
  cpuSecondsPerObject: 77.7e-6,
  hostVcpus: 2,
  maxCopyMBps: 50,
  constantRequestsPerRun: 3,
  integrityChecksPerMonth: 30 / 7,
  restoreDrillsPerMonth: 1,
  checkSampleObjects: 20,
  integrityCoverageDays: 365,
  datasyncHeadsPerObjectPerRun: 1,
  hostVolumeGb: 16,
  agentVolumeGb: 80,
  agentLargeAboveObjects: 20_000_000,
};

export type OptionId = "ours" | "naive" | "datasync-enhanced" | "datasync-basic";

export const OPTION_LABELS: Record<OptionId, string> = {
  ours: "ours (diff on disk)",
  naive: "naive rclone sync",
  "datasync-enhanced": "DataSync Enhanced",
  "datasync-basic": "DataSync Basic + agent",
};

/** Billed requests in a month. */
export interface MonthlyRequests {
  readonly s3List: number;
  /** GET and HEAD share a price tier. */
  readonly s3GetHead: number;
  readonly azureList: number;
  readonly azureWrite: number;
  readonly azureRead: number;
}

export interface MonthlyUsd {
  readonly s3Requests: number;
  readonly azureOpsLrs: number;
  readonly azureOpsGzrs: number;
  readonly egress: number;
  /** DataSync's own charges (per execution and per GB). */
  readonly transferService: number;
  /** Sync host or DataSync agent: instance, root volume, public IPv4. */
  readonly host: number;
  readonly totalLrs: number;
  readonly totalGzrs: number;
}

export interface CostRow {
  readonly objects: number;
  readonly option: OptionId;
  readonly requests: MonthlyRequests;
  readonly changedObjectsPerMonth: number;
  readonly changedGbPerMonth: number;
  readonly usd: MonthlyUsd;
  /** Sequential listing time per run (ours and naive); undefined where DataSync lists. */
  readonly listSecondsPerRun: number | undefined;
  /** Copy throughput needed to move one run's changes within one interval, MB/s. */
  readonly copyMBpsNeeded: number;
  /** Listing takes more than half the schedule interval. */
  readonly listTooSlow: boolean;
  /** The copy needs more than maxCopyMBps. */
  readonly copyTooSlow: boolean;
  /** What runs the transfer (instance type, or "managed"). */
  readonly runner: string;
}

/** Billing GB (AWS and Azure bill data per 2^30 bytes). */
const GB = 2 ** 30;
const HOURS_PER_DAY = 24;

/** The cost rows for every object count and option, in that order. Pure. */
export function costTable(
  params: ModelParams = DEFAULT_PARAMS,
  prices: PriceBook = PRICES,
): CostRow[] {
  const options: OptionId[] = ["ours", "naive", "datasync-enhanced", "datasync-basic"];
  return params.objectCounts.flatMap((n) => options.map((o) => costRow(n, o, params, prices)));
}

function costRow(n: number, option: OptionId, p: ModelParams, prices: PriceBook): CostRow {
  const runsPerMonth = (HOURS_PER_DAY / p.intervalHours) * p.daysPerMonth;
  const intervalSeconds = p.intervalHours * 3600;
  const changed = n * p.dailyChangeFraction * p.daysPerMonth;
  const changedGb = (changed * p.meanObjectBytes) / GB;
  const dirs = Math.ceil(n * p.directoriesPerObject);
  const s3Pages = Math.ceil(n / 1000);
  const azurePages = Math.ceil(n / 5000);
  const writes = changed * AZ_WRITES_PER_OBJECT;

  let requests: MonthlyRequests;
  let transferService = 0;
  let host = 0;
  let listPages: number | undefined;
  // Bytes read back from the vault (ours: the integrity check's rotation), paid as Azure egress.
  let vaultReadGb = 0;
  let runner: string;
  switch (option) {
    case "ours":
      // One listing per side, the diff on disk, then per changed object (measured by npm run
      // bench): rclone's S3 HEAD + GET and the seal's second GET (the MD5 of the bytes), Azure Put
      // Block + Put Block List + HEAD (rclone 1.60.1) and the seal's Get Blob Properties, Set Blob
      // Properties and Set Blob Metadata (on a general-purpose v2 account those three, and
      // rclone's HEAD, are "Other" operations, priced like reads: Microsoft's "Map each REST
      // operation to a price"). The host's own checks (measured too): an integrity
      // check lists both sides, reads back the blobs its rotation reaches (every blob once per
      // integrityCoverageDays: vault egress, below) plus its sample, and writes its status; a
      // restore drill lists the vault and reads its sample (blob GET, S3 HEAD + GET) and writes
      // its status.
      requests = {
        s3List: runsPerMonth * s3Pages + p.integrityChecksPerMonth * s3Pages,
        s3GetHead: 3 * changed + 2 * p.checkSampleObjects * p.restoreDrillsPerMonth,
        azureList:
          (runsPerMonth + p.integrityChecksPerMonth + p.restoreDrillsPerMonth) * azurePages,
        azureWrite:
          writes +
          runsPerMonth * p.constantRequestsPerRun +
          p.integrityChecksPerMonth +
          p.restoreDrillsPerMonth,
        azureRead:
          4 * changed +
          (n * p.daysPerMonth) / p.integrityCoverageDays +
          p.checkSampleObjects * (p.integrityChecksPerMonth + p.restoreDrillsPerMonth),
      };
      vaultReadGb = (n * p.meanObjectBytes * p.daysPerMonth) / p.integrityCoverageDays / GB;
      host = hostMonthly(prices.ec2T4gMicroPerHour.usd, p.hostVolumeGb, p, prices);
      listPages = s3Pages;
      runner = "t4g.micro";
      break;
    case "naive":
      // Directory-by-directory listing on both sides, and a HEAD per object for its modtime.
      requests = {
        s3List: runsPerMonth * (s3Pages + dirs),
        s3GetHead: runsPerMonth * n + 2 * changed,
        azureList: runsPerMonth * (azurePages + dirs),
        azureWrite: writes,
        azureRead: changed,
      };
      host = hostMonthly(prices.ec2T4gMicroPerHour.usd, p.hostVolumeGb, p, prices);
      listPages = s3Pages + dirs;
      runner = "t4g.micro";
      break;
    case "datasync-enhanced":
      // Flat parallel ListObjectsV2 (assumed), a HEAD per object while preparing (documented),
      // a GET and a verifying HEAD per transferred object; the destination is listed and each
      // transferred blob read back once to verify (assumed).
      requests = {
        s3List: runsPerMonth * s3Pages,
        s3GetHead: runsPerMonth * n * p.datasyncHeadsPerObjectPerRun + 2 * changed,
        azureList: runsPerMonth * azurePages,
        azureWrite: writes,
        azureRead: changed,
      };
      transferService =
        runsPerMonth * prices.datasyncEnhancedPerExecution.usd +
        changedGb * prices.datasyncEnhancedPerGb.usd;
      runner = "managed (agentless)";
      break;
    case "datasync-basic": {
      // Basic mode walks prefixes like a file system: a LIST per prefix on both sides (assumed).
      requests = {
        s3List: runsPerMonth * (s3Pages + dirs),
        s3GetHead: runsPerMonth * n * p.datasyncHeadsPerObjectPerRun + 2 * changed,
        azureList: runsPerMonth * (azurePages + dirs),
        azureWrite: writes,
        azureRead: changed,
      };
      transferService = changedGb * prices.datasyncBasicPerGb.usd;
      const large = n > p.agentLargeAboveObjects;
      const agent = large ? prices.ec2M5_4xlargePerHour : prices.ec2M5_2xlargePerHour;
      host = hostMonthly(agent.usd, p.agentVolumeGb, p, prices);
      runner = large ? "agent m5.4xlarge" : "agent m5.2xlarge";
      break;
    }
  }

  const s3Requests =
    (requests.s3List / 1000) * prices.s3ListPer1000.usd +
    (requests.s3GetHead / 1000) * prices.s3GetHeadPer1000.usd;
  const azureOps = (list: Price, write: Price, read: Price): number =>
    (requests.azureList / 10_000) * list.usd +
    (requests.azureWrite / 10_000) * write.usd +
    (requests.azureRead / 10_000) * read.usd;
  const azureOpsLrs = azureOps(
    prices.azureHotLrsListPer10k,
    prices.azureHotLrsWritePer10k,
    prices.azureHotLrsReadPer10k,
  );
  const azureOpsGzrs = azureOps(
    prices.azureHotGzrsListPer10k,
    prices.azureHotGzrsWritePer10k,
    prices.azureHotGzrsReadPer10k,
  );
  const egress = changedGb * prices.egressPerGb.usd + vaultReadGb * prices.azureEgressPerGb.usd;
  const common = s3Requests + egress + transferService + host;

  const listSecondsPerRun =
    listPages === undefined
      ? undefined
      : option === "ours"
        ? Math.max(
            (listPages * p.listSecondsPerRequest) / p.listConcurrency,
            (n * p.cpuSecondsPerObject) / p.hostVcpus,
          )
        : listPages * p.listSecondsPerRequest;
  const copyMBpsNeeded = ((changed / runsPerMonth) * p.meanObjectBytes) / intervalSeconds / 1e6;
  return {
    objects: n,
    option,
    requests,
    changedObjectsPerMonth: changed,
    changedGbPerMonth: changedGb,
    usd: {
      s3Requests,
      azureOpsLrs,
      azureOpsGzrs,
      egress,
      transferService,
      host,
      totalLrs: common + azureOpsLrs,
      totalGzrs: common + azureOpsGzrs,
    },
    listSecondsPerRun,
    copyMBpsNeeded,
    listTooSlow: listSecondsPerRun !== undefined && listSecondsPerRun > intervalSeconds / 2,
    copyTooSlow: listPages !== undefined && copyMBpsNeeded > p.maxCopyMBps,
    runner,
  };
}

/** One always-on instance with its root volume and public IPv4 address, for a month. */
function hostMonthly(
  instancePerHour: number,
  volumeGb: number,
  p: ModelParams,
  prices: PriceBook,
): number {
  const hours = HOURS_PER_DAY * p.daysPerMonth;
  return (
    (instancePerHour + prices.publicIpv4PerHour.usd) * hours + volumeGb * prices.gp3PerGbMonth.usd
  );
}

// ---- rendering ------------------------------------------------------------------------------

/** Escape a value for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/**
 * A markdown table padded the way prettier prints it (columns as wide as their widest cell,
 * right-aligned columns padded on the left), so `prettier --write` leaves it unchanged.
 * Cells must be ASCII so that string length equals display width.
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: readonly boolean[] = [],
): string {
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (rightAligned[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(all[0]), rule, ...all.slice(1).map(line)].join("\n") + "\n";
}

function withCommas(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "$0.90", "$9.90", "$72", "$1,101": cents below $10, whole dollars from there. */
export function formatUsd(usd: number): string {
  if (usd < 10) return `$${usd.toFixed(2)}`;
  return `$${withCommas(Math.round(usd).toString())}`;
}

/** 1M, 10M, 100M, 2.5M, 750k, 18.1B. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${Number((n / 1e9).toFixed(1))}B`;
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(1))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(n);
}

function formatDuration(seconds: number): string {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function oneHostVerdict(row: CostRow): string {
  if (row.listSecondsPerRun === undefined) return "n/a";
  const reasons = [row.listTooSlow ? "listing" : "", row.copyTooSlow ? "copy" : ""].filter(
    (r) => r !== "",
  );
  return reasons.length === 0 ? "yes" : `**no** (${reasons.join(", ")})`;
}

/** The cost table (monthly USD per object count and option) as markdown. */
export function renderCostMarkdown(rows: readonly CostRow[] = costTable()): string {
  const header = [
    "Objects",
    "Option",
    "S3 requests",
    "Azure ops (LRS)",
    "Egress",
    "DataSync fees",
    "Host / agent",
    "Total (LRS)",
    "Total (GZRS)",
    "Runs on",
    "List time / run",
    "Copy needed",
    "One host enough",
  ];
  const body = rows.map((r) => [
    formatCount(r.objects),
    OPTION_LABELS[r.option],
    formatUsd(r.usd.s3Requests),
    formatUsd(r.usd.azureOpsLrs),
    formatUsd(r.usd.egress),
    r.usd.transferService === 0 ? "-" : formatUsd(r.usd.transferService),
    r.usd.host === 0 ? "-" : formatUsd(r.usd.host),
    `**${formatUsd(r.usd.totalLrs)}**`,
    formatUsd(r.usd.totalGzrs),
    r.runner,
    r.listSecondsPerRun === undefined ? "-" : formatDuration(r.listSecondsPerRun),
    `${r.copyMBpsNeeded.toFixed(2)} MB/s`,
    oneHostVerdict(r),
  ]);
  const right = [true, false, true, true, true, true, true, true, true, false, true, true, false];
  return markdownTable(header, body, right);
}

/** Monthly billed requests per object count and option, as markdown. */
export function renderRequestsMarkdown(rows: readonly CostRow[] = costTable()): string {
  const header = [
    "Objects",
    "Option",
    "S3 LIST",
    "S3 GET + HEAD",
    "Azure list",
    "Azure write",
    "Azure read",
    "Changed GB",
  ];
  const body = rows.map((r) => [
    formatCount(r.objects),
    OPTION_LABELS[r.option],
    formatCount(r.requests.s3List),
    formatCount(r.requests.s3GetHead),
    formatCount(r.requests.azureList),
    formatCount(r.requests.azureWrite),
    formatCount(r.requests.azureRead),
    withCommas(Math.round(r.changedGbPerMonth).toString()),
  ]);
  const right = [true, false, true, true, true, true, true, true];
  return markdownTable(header, body, right);
}

/** Every price with its unit, source, check date and confirmation, as markdown. */
export function renderPricesMarkdown(prices: PriceBook = PRICES): string {
  const header = ["Key", "USD", "Unit", "Confirmed", "Checked", "Source", "Note"];
  const body = (Object.keys(prices) as (keyof PriceBook)[]).map((k) => {
    const p = prices[k];
    return [
      `\`${k}\``,
      String(p.usd),
      p.unit,
      p.confirmed ? "yes" : "**no**",
      p.checked,
      `<${p.source}>`,
      p.note,
    ];
  });
  return markdownTable(header, body, [false, true]);
}

// ---- docs/cost.md blocks --------------------------------------------------------------------

interface Block {
  readonly name: string;
  readonly render: () => string;
}

const BLOCKS: readonly Block[] = [
  { name: "cost-table", render: () => renderCostMarkdown() },
  { name: "cost-requests", render: () => renderRequestsMarkdown() },
  { name: "cost-prices", render: () => renderPricesMarkdown() },
];

const startMarker = (name: string) => `<!-- ${name}:start -->`;
const endMarker = (name: string) => `<!-- ${name}:end -->`;

/** The text between a block's markers (exclusive, normalised), or undefined without markers. */
export function extractBlock(doc: string, name: string): string | undefined {
  const start = doc.indexOf(startMarker(name));
  const end = doc.indexOf(endMarker(name));
  if (start < 0 || end < start) return undefined;
  return doc
    .slice(start + startMarker(name).length, end)
    .replace(/^\n+/, "")
    .replace(/\n*$/, "\n");
}

/** `doc` with the text between a block's markers replaced by `content`. */
export function replaceBlock(doc: string, name: string, content: string): string {
  const start = doc.indexOf(startMarker(name));
  const end = doc.indexOf(endMarker(name));
  if (start < 0 || end < start) throw new Error(`no "${startMarker(name)}" ... block`);
  return `${doc.slice(0, start + startMarker(name).length)}\n\n${content}\n${doc.slice(end)}`;
}

/** The generated blocks each document holds (README.md carries the headline table). */
const DOCUMENTS: readonly { file: string; blocks: readonly Block[] }[] = [
  { file: path.join("docs", "cost.md"), blocks: BLOCKS },
  { file: "README.md", blocks: BLOCKS.filter((b) => b.name === "cost-table") },
];

function main(argv: readonly string[]): number {
  const mode = argv.find((a) => a === "--write" || a === "--check");
  if (mode === undefined) {
    process.stdout.write(renderCostMarkdown());
    return 0;
  }
  let anyStale = false;
  for (const { file, blocks } of DOCUMENTS) {
    const docPath = path.join(path.resolve(__dirname, ".."), file);
    if (!existsSync(docPath)) {
      console.error(`${docPath} does not exist`);
      return 1;
    }
    let doc = readFileSync(docPath, "utf8");
    let stale = false;
    for (const block of blocks) {
      const current = extractBlock(doc, block.name);
      if (current === undefined) {
        console.error(`${file} needs a "${startMarker(block.name)}" ... block`);
        return 1;
      }
      const wanted = block.render();
      if (current === wanted) continue;
      stale = true;
      if (mode === "--write") doc = replaceBlock(doc, block.name, wanted);
      else console.error(`${file} block "${block.name}" is stale`);
    }
    if (mode === "--write" && stale) writeFileSync(docPath, doc);
    anyStale ||= stale;
  }
  if (mode === "--check" && anyStale) {
    console.error("run: npx tsx scripts/cost-model.ts --write");
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
