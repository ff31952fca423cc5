// npm run bench: what a sync run costs, in requests, seconds and memory, against the listing
// floor and against the naive `rclone sync <s3> <azure>` of the original design. For each bucket
// size N (default 1,000 and 10,000: Azurite's insert rate falls to about 9 blobs a second past
// 60,000 blobs, so an initial copy of 100,000 takes it hours) it measures, on s3rver and Azurite
// behind counting proxies:
//   ours:  the initial run, a run with no change, and a run after 1% of the objects changed;
//   naive: the same no-change and 1% runs on the same vault (and the initial copy for N <= 10,000,
//          into a second container).
// Then the engine's own listing diff at 100,000 and 1,000,000 objects on synthetic listings, where
// its memory would grow if anything in it grew with the bucket. Then what sealing costs (the
// content record and the MD5 of the bytes, ccb/seal.py): the previous release's engine
// (test/fixtures/previous-engine) and this one copy the same objects into fresh vaults, and this
// one then adopts the previous engine's vault (the upgrade), each --seal-repeat times.
// Prints a Markdown table (the README quotes it) and writes the numbers as JSON.
//
// With --synthetic <sizes> it runs only the engine's listing and planning (Backup.list_and_plan)
// against the synthetic S3 + Azure listing server (harness/syntheticListing.ts), a run with no
// change and one with 1% changed per size, and extrapolates a no-change run to 100M objects
// (harness/scaleModel.ts); the --model-* options set the model's assumptions.
//
//   npm run bench                                   # N = 1,000 / 10,000; diff at 100,000 / 1,000,000
//   npm run bench -- --objects 1000,10000 --json .tmp/bench.json
//   npm run bench -- --synthetic 1000000,10000000   # JSON: .tmp/bench-synthetic.json
//   npm run bench -- --synthetic-from .tmp/bench-synthetic.json  # its tables and model again
import { spawn, spawnSync } from "node:child_process";
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RequestCounts } from "../harness/countingProxy";
import { startBackup, type Backup, type SyncRun } from "../harness/datapath";
import { AzuriteEmulator, stopAll } from "../harness/emulators";
import { sampleGroupRss, type RssPeak } from "../harness/rss";
import { unpackEngine } from "../harness/engine";
import { previousEngineCommand } from "../harness/previousEngine";
import { SCHEMA } from "../config/schema";
import {
  listingWorkDir,
  runListing,
  startSyntheticListing,
  type ListingRun,
  type SyntheticCounts,
} from "../harness/syntheticListing";
import { estimate, INSTANCE_SPECS, type Assumptions, type Estimate } from "../harness/scaleModel";

interface Measured {
  n: number;
  engine: "ours" | "naive";
  run: "initial" | "no change" | "1% changed" | "integrity check" | "restore drill";
  exitCode: number | null;
  seconds: number;
  s3: RequestCounts;
  azure: RequestCounts;
  rss: RssPeak;
  bytesCopied: number;
  bytesChanged: number;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const SIZES = (argValue("--objects") ?? "1000,10000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const JSON_OUT = argValue("--json") ?? path.join(".tmp", "bench.json");
const NAIVE_INITIAL_MAX = 10_000;
/** No-change runs are repeated (ours and naive, interleaved) and their median time reported. */
const REPEAT = Number(argValue("--repeat") ?? "5");
/** The engine's listing diff alone, on synthetic listings (no emulator can hold this many). */
const DIFF_SIZES = (argValue("--diff-objects") ?? "100000,1000000").split(",").map(Number);

/** Objects (plain, plus a tenth as many SSE-KMS) for the sealing cost, and its repeats. */
const SEAL_OBJECTS = Number(argValue("--seal-objects") ?? "1000");
const SEAL_REPEAT = Number(argValue("--seal-repeat") ?? "3");

interface SealMeasured {
  scenario: string;
  objects: number;
  copied: number;
  seconds: number;
  cpuSeconds: number;
  s3: RequestCounts;
  azure: RequestCounts;
}

interface DiffMeasured {
  n: number;
  listingBytes: number;
  sortDiffSeconds: number;
  engineMaxRssMiB: number;
  sortMaxRssMiB: number;
}

function diffBench(n: number): DiffMeasured {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-diff-"));
  try {
    const engine = unpackEngine(path.join(dir, "engine"));
    const r = spawnSync(
      "/usr/bin/python3",
      ["-I", path.join(__dirname, "..", "harness", "diff-bench.py"), engine, String(n)],
      { encoding: "utf8", env: { ...process.env, TMPDIR: dir } },
    );
    if (r.status !== 0) throw new Error(`diff bench failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as DiffMeasured;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 140 directories, 1 KiB objects: a bucket shaped like application exports. */
function keyOf(i: number): string {
  return `exports/d${i % 20}/part${i % 7}/object-${i}.json`;
}
function bodyOf(i: number, tag = ""): string {
  return `${tag}${JSON.stringify({ id: i })}`.padEnd(1024, " ");
}

/** The naive command: rclone sync with default flags (per-directory listing, a HEAD per object). */
async function naive(
  b: Backup,
  container: string,
): Promise<Omit<Measured, "n" | "engine" | "run" | "bytesChanged">> {
  b.s3Proxy.reset();
  b.azureProxy.reset();
  // The naive baseline gets a plain SAS: the bench runs the SAS mode (plain Azurite).
  if (!(b.azurite instanceof AzuriteEmulator)) throw new Error("bench: needs plain Azurite");
  const sas = b.azurite
    .containerSasUrl(container, {
      permissions: "racwdl",
      expiresOn: new Date(Date.now() + 6 * 3600_000),
    })
    .replace(`127.0.0.1:${b.azurite.port}`, `127.0.0.1:${b.azureProxy.port}`);
  const env = b.processEnv({
    RCLONE_CONFIG_VAULT_SAS_URL: sas,
    RCLONE_CONFIG: path.join(b.credentialsDir, "rclone.conf"),
  });
  const started = Date.now();
  const child = spawn(
    "rclone",
    [
      "sync",
      `source:${b.settings.sourceBucket}`,
      `vault:${container}/data`,
      "--use-json-log",
      "--log-level",
      "NOTICE",
      "--stats",
      "1h",
      "--stats-log-level",
      "NOTICE",
    ],
    { env, detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  const sampler = sampleGroupRss(child.pid!);
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const rss = sampler.stop();
  let bytes = 0;
  for (const line of stderr.split("\n")) {
    try {
      const rec = JSON.parse(line) as { stats?: { bytes?: number } };
      if (rec.stats?.bytes !== undefined) bytes = rec.stats.bytes;
    } catch {
      // not a JSON log line
    }
  }
  return {
    exitCode: code,
    seconds: (Date.now() - started) / 1000,
    s3: { ...b.s3Proxy.counts },
    azure: { ...b.azureProxy.counts },
    rss,
    bytesCopied: bytes,
  };
}

function ours(r: SyncRun): Omit<Measured, "n" | "engine" | "run" | "bytesChanged"> {
  if (r.code !== 0) throw new Error(`sync run failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  return {
    exitCode: r.code,
    seconds: r.durationMs / 1000,
    s3: r.s3,
    azure: r.azure,
    rss: r.rss,
    bytesCopied: r.summary?.bytesCopied ?? 0,
  };
}

async function changeOnePercent(
  b: Backup,
  n: number,
  offset: number,
  tag: string,
): Promise<number> {
  let bytes = 0;
  const count = Math.max(1, Math.floor(n / 100));
  for (let j = 0; j < count; j++) {
    const i = (offset + j * 97) % n;
    const body = bodyOf(i, tag);
    await b.put(keyOf(i), body);
    bytes += Buffer.byteLength(body);
  }
  return bytes;
}

async function benchOne(n: number, out: Measured[]): Promise<void> {
  const b = await startBackup({ azuriteInMemory: true });
  try {
    b.s3.seedOnDisk(
      b.settings.sourceBucket,
      Array.from({ length: n }, (_, i) => ({ key: keyOf(i), body: bodyOf(i) })),
    );
    const total = n * 1024;
    console.error(`bench: N=${n}: initial run`);
    out.push({
      n,
      engine: "ours",
      run: "initial",
      bytesChanged: total,
      ...ours(await b.start(3 * 3600_000).done),
    });
    // No change, ours and naive interleaved REPEAT times: the table shows the median time (the
    // request counts are the same every time), and the ratio is measured in one run.
    const oursRuns: ReturnType<typeof ours>[] = [];
    const naiveRuns: Awaited<ReturnType<typeof naive>>[] = [];
    for (let i = 0; i < REPEAT; i++) {
      console.error(`bench: N=${n}: no-change runs (${i + 1}/${REPEAT})`);
      oursRuns.push(ours(await b.start(3600_000).done));
      naiveRuns.push(await naive(b, b.settings.containerName));
    }
    const median = <T extends { seconds: number }>(xs: T[]): T =>
      [...xs].sort((x, y) => x.seconds - y.seconds)[Math.floor(xs.length / 2)];
    out.push({ n, engine: "ours", run: "no change", bytesChanged: 0, ...median(oursRuns) });
    out.push({ n, engine: "naive", run: "no change", bytesChanged: 0, ...median(naiveRuns) });
    let changed = await changeOnePercent(b, n, 0, "v2");
    console.error(`bench: N=${n}: 1% changed run`);
    out.push({
      n,
      engine: "ours",
      run: "1% changed",
      bytesChanged: changed,
      ...ours(await b.start(3600_000).done),
    });

    // The host's own checks on the same vault: listings plus their sample (20 objects each).
    for (const [run, check] of [
      ["integrity check", () => b.verify()],
      ["restore drill", () => b.drill()],
    ] as const) {
      console.error(`bench: N=${n}: ${run}`);
      out.push({ n, engine: "ours", run, bytesChanged: 0, ...ours(await check()), bytesCopied: 0 });
    }

    changed = await changeOnePercent(b, n, 1, "v3");
    console.error(`bench: N=${n}: naive 1% changed`);
    out.push({
      n,
      engine: "naive",
      run: "1% changed",
      bytesChanged: changed,
      ...(await naive(b, b.settings.containerName)),
    });
    if (n <= NAIVE_INITIAL_MAX) {
      await b.azurite.createContainer("naive");
      console.error(`bench: N=${n}: naive initial`);
      out.push({
        n,
        engine: "naive",
        run: "initial",
        bytesChanged: total,
        ...(await naive(b, "naive")),
      });
    }
  } finally {
    await b.stop();
  }
}

/** Runs a command under /usr/bin/time (CPU of the whole tree: the engine, rclone, sort). */
async function timedRun(
  b: Backup,
  scenario: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<SealMeasured> {
  b.s3Proxy.reset();
  b.azureProxy.reset();
  const started = Date.now();
  const child = spawn("/usr/bin/time", ["-f", "CCB-CPU %U %S", ...argv], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const err: Buffer[] = [];
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const stderr = Buffer.concat(err).toString("utf8");
  if (code !== 0) throw new Error(`${scenario}: exit ${code}\n${stderr.slice(-3000)}`);
  const cpu = /CCB-CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  const summary = JSON.parse(fs.readFileSync(path.join(b.stateDir, "last-run.json"), "utf8")) as {
    copied: number;
    sourceObjects: number;
  };
  return {
    scenario,
    objects: summary.sourceObjects,
    copied: summary.copied,
    seconds: (Date.now() - started) / 1000,
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN,
    s3: { ...b.s3Proxy.counts },
    azure: { ...b.azureProxy.counts },
  };
}

async function sealedSource(n: number): Promise<Backup> {
  const b = await startBackup({ azuriteInMemory: true });
  b.s3.seedOnDisk(
    b.settings.sourceBucket,
    Array.from({ length: n }, (_, i) => ({ key: keyOf(i), body: bodyOf(i) })),
  );
  for (let i = 0; i < Math.max(1, Math.floor(n / 10)); i++)
    await b.putKms(`kms/${keyOf(i)}`, bodyOf(i, "kms"));
  return b;
}

function ourCommand(b: Backup): { argv: string[]; env: NodeJS.ProcessEnv } {
  b.telemetry!.setSsmParameters(b.engineParameters);
  return { argv: [b.scriptPath], env: b.processEnv() };
}

/** What sealing adds per copied object, and what the upgrade (adoption) costs. */
async function benchSeal(n: number): Promise<SealMeasured[]> {
  const runs: SealMeasured[] = [];
  for (let i = 0; i < SEAL_REPEAT; i++) {
    console.error(`bench: sealing, N=${n}: repeat ${i + 1}/${SEAL_REPEAT}`);
    const a = await sealedSource(n);
    try {
      const prev = previousEngineCommand(a);
      runs.push(await timedRun(a, "previous engine: initial copy", prev.argv, prev.env));
      const ours = ourCommand(a);
      runs.push(
        await timedRun(a, "this engine: first run on that vault (adoption)", ours.argv, ours.env),
      );
      runs.push(await timedRun(a, "this engine: no change", ours.argv, ours.env));
    } finally {
      await a.stop();
    }
    const c = await sealedSource(n);
    try {
      const ours = ourCommand(c);
      runs.push(await timedRun(c, "this engine: initial copy (sealed)", ours.argv, ours.env));
    } finally {
      await c.stop();
    }
  }
  const medians: SealMeasured[] = [];
  for (const scenario of [...new Set(runs.map((r) => r.scenario))]) {
    const xs = runs.filter((r) => r.scenario === scenario).sort((x, y) => x.seconds - y.seconds);
    const m = xs[Math.floor(xs.length / 2)];
    const cpu = xs.map((x) => x.cpuSeconds).sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    medians.push({ ...m, cpuSeconds: cpu });
  }
  return medians;
}

function sealTable(rows: SealMeasured[]): string {
  const lines = [
    "| run | objects | copied | S3 GET | S3 HEAD | Azure GET | Azure HEAD | Azure PUT | wall s | CPU s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows)
    lines.push(
      `| ${r.scenario} | ${r.objects} | ${r.copied} | ${r.s3.GET} | ${r.s3.HEAD} | ${r.azure.GET} | ${r.azure.HEAD} | ${r.azure.PUT} | ${r.seconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} |`,
    );
  const prev = rows.find((r) => r.scenario.startsWith("previous engine"));
  const ours = rows.find((r) => r.scenario.startsWith("this engine: initial"));
  if (prev && ours && ours.copied > 0) {
    const per = (x: number) => (x / ours.copied).toFixed(2);
    lines.push(
      "",
      `sealing adds per copied object: ${per(ours.s3.GET - prev.s3.GET)} S3 GET, ${per(ours.s3.HEAD - prev.s3.HEAD)} S3 HEAD, ${per(ours.azure.HEAD + ours.azure.PUT + ours.azure.GET - prev.azure.HEAD - prev.azure.PUT - prev.azure.GET)} Azure requests, ${((1000 * (ours.cpuSeconds - prev.cpuSeconds)) / ours.copied).toFixed(2)} ms CPU; wall ${(ours.seconds / prev.seconds).toFixed(2)}x, CPU ${(ours.cpuSeconds / prev.cpuSeconds).toFixed(2)}x the previous engine's (medians of ${SEAL_REPEAT})`,
    );
  }
  return lines.join("\n");
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}

function table(rows: Measured[]): string {
  const lines = [
    "| N | engine | run | S3 LIST (floor) | S3 HEAD | S3 GET | Azure LIST (floor) | Azure HEAD | Azure PUT | Azure other | wall s | peak RSS MiB, tree / largest | bytes copied / changed |",
    "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const s3Floor = Math.ceil(r.n / 1000);
    const azFloor = Math.ceil(r.n / 5000);
    const other = r.azure.GET + r.azure.POST + r.azure.DELETE + r.azure.OTHER;
    lines.push(
      `| ${r.n.toLocaleString("en-US")} | ${r.engine} | ${r.run} | ${r.s3.LIST} (${s3Floor}) | ${r.s3.HEAD} | ${r.s3.GET} | ${r.azure.LIST} (${azFloor}) | ${r.azure.HEAD} | ${r.azure.PUT} | ${other} | ${r.seconds.toFixed(1)} | ${mib(r.rss.totalKiB)} / ${mib(r.rss.singleKiB)} | ${r.bytesCopied.toLocaleString("en-US")} / ${r.bytesChanged.toLocaleString("en-US")} |`,
    );
  }
  return lines.join("\n");
}

// ---- The synthetic section (--synthetic): listing and planning at sizes no emulator holds ----

const SYNTHETIC_SIZES = (argValue("--synthetic") ?? "")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);

interface SyntheticMeasured {
  n: number;
  run: "no change" | "1% changed";
  /** Backup.list_and_plan() alone, and the driver process from start to exit. */
  wallSeconds: number;
  processSeconds: number;
  cpuSeconds: number;
  rss: RssPeak;
  peakScratchBytes: number;
  requests: SyntheticCounts;
  floor: { s3List: number; azureList: number };
  counts: ListingRun["counts"];
  engine: ListingRun["engine"];
}

async function syntheticRun(
  n: number,
  run: SyntheticMeasured["run"],
  engineDir: string,
  workDir: string,
): Promise<SyntheticMeasured> {
  const server = await startSyntheticListing({
    objects: n,
    changedPercent: run === "1% changed" ? 1 : 0,
  });
  try {
    console.error(`bench: synthetic N=${n}: ${run}`);
    const r = await runListing(server, engineDir, workDir, {
      timeoutMs: 6 * 3600_000,
      lastListing: n,
    });
    const requests = await server.counts();
    const expected = run === "no change" ? 0 : (await server.changes()).changed;
    if (r.counts.unchanged !== n - expected || r.counts.changed !== expected)
      throw new Error(`synthetic N=${n} ${run}: the plan is wrong: ${JSON.stringify(r.counts)}`);
    return {
      n,
      run,
      wallSeconds: r.wallSeconds,
      processSeconds: r.processSeconds,
      cpuSeconds: r.cpuSeconds,
      rss: r.rss,
      peakScratchBytes: r.peakScratchBytes,
      requests,
      floor: { s3List: Math.ceil(n / 1000), azureList: Math.ceil(n / 5000) },
      counts: r.counts,
      engine: r.engine,
    };
  } finally {
    await server.stop();
    for (const d of fs.readdirSync(workDir))
      if (d.startsWith("state-"))
        fs.rmSync(path.join(workDir, d), { recursive: true, force: true });
  }
}

function syntheticTable(rows: SyntheticMeasured[]): string {
  const lines = [
    "| N | run | plan wall s | process s | CPU s | peak RSS MiB, tree / largest | peak scratch MiB | S3 LIST (floor, +over) | Azure LIST (floor, +over) | entries listed / N, S3 / Azure | Azure PUT | other | server CPU s | unchanged / changed |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const q = r.requests;
    const other =
      q.s3.HEAD +
      q.s3.GET +
      q.s3.PUT +
      q.s3.POST +
      q.s3.DELETE +
      q.s3.OTHER +
      q.azure.HEAD +
      q.azure.GET +
      q.azure.POST +
      q.azure.DELETE +
      q.azure.OTHER;
    lines.push(
      `| ${r.n.toLocaleString("en-US")} | ${r.run} | ${r.wallSeconds.toFixed(1)} | ${r.processSeconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} | ${mib(r.rss.totalKiB)} / ${mib(r.rss.singleKiB)} | ${(r.peakScratchBytes / 2 ** 20).toFixed(1)} | ${q.s3.LIST} (${r.floor.s3List}, +${q.s3.LIST - r.floor.s3List}) | ${q.azure.LIST} (${r.floor.azureList}, +${q.azure.LIST - r.floor.azureList}) | ${(q.returned.s3 / r.n).toFixed(2)} / ${(q.returned.azure / r.n).toFixed(2)} | ${q.azure.PUT} | ${other} | ${q.cpuSeconds.toFixed(1)} | ${r.counts.unchanged.toLocaleString("en-US")} / ${r.counts.changed.toLocaleString("en-US")} |`,
    );
  }
  return lines.join("\n");
}

/** The model's assumptions: options, the engine's own constants, the stack's defaults. */
function modelAssumptions(engine: ListingRun["engine"]): Assumptions {
  const num = (name: string, def: number) => Number(argValue(name) ?? def);
  const type = argValue("--model-instance") ?? SCHEMA.instanceType.default;
  const instance = INSTANCE_SPECS[type];
  if (!instance) throw new Error(`bench: the model knows no instance type ${type}`);
  return {
    targetObjects: num("--model-objects", 100_000_000),
    s3PageSeconds: num("--model-s3-page-seconds", 0.2),
    s3KeysPerPage: 1000,
    s3Concurrency: num("--model-concurrency", engine.s3ListWorkers ?? 8),
    azurePageSeconds: num("--model-azure-page-seconds", 1.0),
    azureBlobsPerPage: 5000,
    azureConcurrency: num("--model-azure-concurrency", engine.vaultListWorkers ?? 1),
    instance,
    cpuSpeedRatio: num("--model-cpu-ratio", 1),
    goalSeconds: 3600,
    rootVolumeGiB: SCHEMA.rootVolumeGb.default,
  };
}

const hours = (s: number) => `${(s / 3600).toFixed(2)} h`;
const signed = (x: number) => `${x < 0 ? "-" : "+"} ${Math.abs(x).toFixed(1)}`;

function modelReport(rows: SyntheticMeasured[], a: Assumptions, e: Estimate): string {
  const points = rows.filter((r) => r.run === "no change" && e.fittedOn.includes(r.n));
  return [
    `Model of a no-change run at ${a.targetObjects.toLocaleString("en-US")} objects (harness/scaleModel.ts):`,
    `  fitted on the no-change runs at ${points.map((p) => `N=${p.n.toLocaleString("en-US")} (${p.cpuSeconds.toFixed(1)} CPU s, ${p.wallSeconds.toFixed(1)} s wall)`).join(" and ")}:`,
    ...(points.length < 2
      ? ["  (one size only: CPU, wall and scratch taken as proportional to N, memory as flat)"]
      : []),
    `  CPU ${(e.cpu.perObject * 1e6).toFixed(2)} µs per object ${signed(e.cpu.fixed)} s; wall here ${(e.wall.perObject * 1e6).toFixed(2)} µs per object ${signed(e.wall.fixed)} s`,
    `  assumptions: S3 ListObjectsV2 page of ${a.s3KeysPerPage} keys ${a.s3PageSeconds} s, ${a.s3Concurrency} in flight (the engine's s3pages.LIST_WORKERS or --model-concurrency);`,
    `    Azure List Blobs page of ${a.azureBlobsPerPage} blobs with metadata ${a.azurePageSeconds} s, ${a.azureConcurrency} in flight (the engine lists a large vault by folder, vaultlist.FANOUT_WORKERS at a time; a flat vault is one marker chain);`,
    `    both per-page latencies are assumptions, not measurements: the engine's own note (s3pages.py) puts a 1,000-key S3 page at 0.1-0.3 s;`,
    `    a 5,000-blob List Blobs page "usually takes less than a second" (https://vunvulearadu.blogspot.com/2015/09/listblobssegmented-perfect-to-iterate.html, without metadata);`,
    `    ${a.instance.name} (config/schema.ts default): ${a.instance.vcpus} vCPU, ${a.instance.memoryMiB} MiB; its cores ${a.cpuSpeedRatio}x this machine's CPU time per object (--model-cpu-ratio); burst credits unlimited (T4g's default)`,
    `  CPU: ${hours(e.cpuSeconds)} of CPU, ${hours(e.cpuBoundSeconds)} on ${a.instance.vcpus} vCPUs${e.baselineCpuBoundSeconds !== undefined ? ` (${hours(e.baselineCpuBoundSeconds)} at the ${a.instance.baselinePercent}% baseline without credits)` : ""}`,
    `  listing: S3 ${e.s3Pages.toLocaleString("en-US")} pages = ${hours(e.s3ListSeconds)}; Azure ${e.azurePages.toLocaleString("en-US")} pages = ${hours(e.azureListSeconds)}`,
    `  predicted no-change run: ${hours(e.predictedSeconds)} (${e.bound}-bound; ${hours(e.noOverlapSeconds)} if nothing overlapped): ${e.meetsGoal ? "meets" : "does NOT meet"} the 1-hour goal`,
    `  if CPU per object keeps rising as between the fitted sizes (${signed(e.perObjectGrowthPerDecade * 1e6)} µs per tenfold: sort merges its runs once more for every tenfold): ${hours(e.cpuSecondsIfPerObjectGrows)} of CPU, a ${hours(e.predictedSecondsIfPerObjectGrows)} run: ${e.meetsGoalIfPerObjectGrows ? "meets" : "does NOT meet"} the 1-hour goal`,
    `  memory: peak RSS (the engine's whole process tree) ${e.measuredPeakRssMiB.toFixed(0)} MiB measured, growing ${e.rssMiBPerMillion.toFixed(1)} MiB per million objects between the fitted sizes;`,
    `    along that line ${e.peakRssMiB.toFixed(0)} MiB at the target, of ${a.instance.memoryMiB} MiB (${e.fitsMemory ? "fits" : "does NOT fit"}; an upper bound if the growth is sort's fixed buffers filling up)`,
    `  scratch disk: ${e.scratchGiB.toFixed(1)} GiB at the target, of the ${a.rootVolumeGiB} GiB root volume (${e.fitsDisk ? "fits" : "does NOT fit"})`,
  ].join("\n");
}

async function syntheticBench(): Promise<void> {
  const out = argValue("--json") ?? path.join(".tmp", "bench-synthetic.json");
  const workDir = listingWorkDir();
  const rows: SyntheticMeasured[] = [];
  try {
    const engineDir = unpackEngine(path.join(workDir, "engine"));
    for (const n of SYNTHETIC_SIZES) {
      for (const run of ["no change", "1% changed"] as const) {
        rows.push(await syntheticRun(n, run, engineDir, workDir));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(
          out,
          JSON.stringify({ date: new Date().toISOString(), synthetic: rows }, null, 2),
        );
      }
    }
  } finally {
    await stopAll();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  reportSynthetic(rows, out);
}

/** The table and the model of measured synthetic runs (written to `out` as JSON when given). */
function reportSynthetic(rows: SyntheticMeasured[], out?: string): void {
  console.log(syntheticTable(rows));
  console.log(`(sort's temporary runs compressed with ${rows[0].engine.sortCompressor ?? "gzip"})`);
  console.log();
  const noChange = rows.filter((r) => r.run === "no change");
  const assumptions = modelAssumptions(noChange[0].engine);
  const e = estimate(
    noChange.map((r) => ({
      objects: r.n,
      cpuSeconds: r.cpuSeconds,
      wallSeconds: r.wallSeconds,
      peakRssMiB: r.rss.totalKiB / 1024,
      peakScratchBytes: r.peakScratchBytes,
    })),
    assumptions,
  );
  console.log(modelReport(rows, assumptions, e));
  if (out === undefined) return;
  fs.writeFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), synthetic: rows, model: { assumptions, estimate: e } },
      null,
      2,
    ),
  );
  console.log(`(JSON: ${out})`);
}

async function main(): Promise<void> {
  if (SYNTHETIC_SIZES.length > 0) return syntheticBench();
  const from = argValue("--synthetic-from");
  if (from !== undefined) {
    const saved = JSON.parse(fs.readFileSync(from, "utf8")) as { synthetic?: SyntheticMeasured[] };
    if (!saved.synthetic?.length) throw new Error(`bench: ${from} holds no synthetic runs`);
    return reportSynthetic(saved.synthetic);
  }
  const rows: Measured[] = [];
  let seal: SealMeasured[] = [];
  try {
    for (const n of SIZES) await benchOne(n, rows);
    if (SEAL_OBJECTS > 0) seal = await benchSeal(SEAL_OBJECTS);
  } finally {
    await stopAll();
  }
  // Each stage's numbers are on disk before the next starts (a long bench is not lost to a late failure).
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(
    JSON_OUT,
    JSON.stringify({ date: new Date().toISOString(), rows, seal }, null, 2),
  );
  const diffs = DIFF_SIZES.filter((n) => n > 0).map(diffBench);
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(
    JSON_OUT,
    JSON.stringify({ date: new Date().toISOString(), rows, diffs, seal }, null, 2),
  );
  console.log(table(rows));
  console.log();
  console.log(
    "| N (synthetic listings) | listing files | sort + diff | engine peak RSS | sort peak RSS |",
  );
  console.log("|---:|---:|---:|---:|---:|");
  for (const d of diffs)
    console.log(
      `| ${d.n.toLocaleString("en-US")} | ${(d.listingBytes / 2 ** 20).toFixed(0)} MiB | ${d.sortDiffSeconds.toFixed(1)} s | ${d.engineMaxRssMiB.toFixed(0)} MiB | ${d.sortMaxRssMiB.toFixed(0)} MiB |`,
    );
  console.log();
  const noChange = rows.filter((r) => r.engine === "ours" && r.run === "no change");
  for (const r of noChange) {
    const extra = r.s3.LIST - Math.ceil(r.n / 1000) + r.azure.LIST - Math.ceil(r.n / 5000);
    const others =
      r.s3.HEAD + r.s3.GET + r.s3.PUT + r.azure.HEAD + r.azure.GET + r.azure.PUT + r.azure.DELETE;
    const naiveRow = rows.find((x) => x.n === r.n && x.engine === "naive" && x.run === "no change");
    console.log(
      `no-change run, N=${r.n}: ${extra} LIST above the floor, ${others} other requests; peak RSS ${mib(r.rss.totalKiB)} MiB; median ${r.seconds.toFixed(2)} s vs naive ${naiveRow?.seconds.toFixed(2)} s (${((naiveRow?.seconds ?? 0) / r.seconds).toFixed(1)}x) over ${REPEAT} runs each`,
    );
  }
  if (seal.length) {
    console.log();
    console.log(sealTable(seal));
  }
  console.log(`(JSON: ${JSON_OUT})`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
