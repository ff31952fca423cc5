// npm run demo: the whole backup on this machine, no cloud account. Starts an S3 emulator and
// Azurite on 127.0.0.1, seeds a sample bucket, renders the dev stack's real artifacts (rclone
// config, sync script) and runs the sync script twice with the real rclone, then verifies every
// object in the vault byte for byte, runs the host's own integrity check, a restore rehearsal (a
// simulated loss in the source, restored into a new bucket with npm run restore and compared) and
// the host's restore drill, and ends by writing the evidence report (npm run report) for its run
// to .tmp/demo/report.html. Exits non-zero on any difference.
//
//   npm run demo                  # the demo, keyless (federated) as the stacks deploy it
//   npm run demo -- --sas         # the same with credentialMode "sas" (a SAS handed to the host)
//   npm run demo -- --tamper      # also corrupt one blob before verifying: verification must fail
//
// Federated (the default): the host's engine signs in through local stand-ins for AWS STS
// (GetWebIdentityToken) and Entra ID, gets a user delegation key from Azurite in OAuth mode
// (HTTPS) and mints its own user-delegation SAS; nothing is handed to it.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { startBackup, verifyVault, type Backup, type SyncRun } from "../harness/datapath";
import { stopAll } from "../harness/emulators";
import { restoreRehearsal } from "../harness/rehearsal";
import { runProgram } from "../harness/program";
import { ROOT } from "../harness/stack";
import { main as writeReport } from "../cli/report";
import { policyReport } from "./policy-report";

const MiB = 1024 * 1024;
const tamper = process.argv.includes("--tamper");
const federated = !process.argv.includes("--sas");

const tty = process.stdout.isTTY === true;
/** A progress line that rewrites itself on a terminal (and stays quiet in logs). */
function progress(text: string): void {
  if (tty) process.stdout.write(`\r${text}   `);
}
function clearProgress(): void {
  if (tty) process.stdout.write("\r\x1b[K");
}

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}
function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function requireTools(): void {
  for (const [tool, args] of [
    ["rclone", ["version"]],
    ["jq", ["--version"]],
    ["flock", ["--version"]],
  ] as const) {
    try {
      execFileSync(tool, [...args], { stdio: "ignore" });
    } catch {
      throw new Error(`${tool} is not installed: run "bash scripts/setup.sh" first`);
    }
  }
}

/** Runs the sync script, printing progress (objects and bytes written to Azure) every second. */
async function runWithProgress(b: Backup, label: string): Promise<SyncRun> {
  const run = b.start();
  const started = Date.now();
  const timer = setInterval(() => {
    const puts = b.azureProxy.counts.PUT;
    progress(
      `  ${label}: ${((Date.now() - started) / 1000).toFixed(0)} s, ${puts} blob write requests so far`,
    );
  }, 1000);
  try {
    return await run.done;
  } finally {
    clearInterval(timer);
    clearProgress();
  }
}

function report(label: string, r: SyncRun, published?: Record<string, number>): void {
  const s = r.summary;
  say(
    `${label}: exit ${r.code}, ${s?.outcome ?? "no summary"} in ${(r.durationMs / 1000).toFixed(1)} s`,
  );
  say(
    `  listed ${s?.sourceObjects ?? 0} source objects and ${s?.vaultObjects ?? 0} blobs; ${s?.unchanged ?? 0} unchanged`,
  );
  say(
    `  copied ${s?.copied ?? 0} objects, ${mib(s?.bytesCopied ?? 0)}; skipped ${s?.skippedCount ?? 0}, accepted skips ${s?.acceptedSkips ?? 0} (acceptedSkips); moved to archive ${(s?.archived ?? 0) + (s?.deleted ?? 0)}`,
  );
  say(
    `  fresh: ${s?.fresh ? "yes, every change of its listing is stored" : "no"}; BackupAgeSeconds ${s?.backupAgeSeconds ?? "?"} (newest fresh listing: ${s?.freshAsOf ?? "none"})`,
  );
  say(
    `  S3 requests:    LIST ${r.s3.LIST}, HEAD ${r.s3.HEAD}, GET ${r.s3.GET}, PUT ${r.s3.PUT}, DELETE ${r.s3.DELETE}`,
  );
  say(
    `  Azure requests: LIST ${r.azure.LIST}, HEAD ${r.azure.HEAD}, GET ${r.azure.GET}, PUT ${r.azure.PUT}, DELETE ${r.azure.DELETE}`,
  );
  if (published)
    say(
      `  published to CloudWatch (stand-in): ${Object.entries(published)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  if (r.code !== 0) say(r.stderr);
}

async function main(): Promise<number> {
  requireTools();
  say(
    `cross-cloud-backup demo: dev stack artifacts, real rclone, S3 emulator + Azurite on 127.0.0.1 (${federated ? "keyless: federated identity" : "SAS mode"})`,
  );
  // The acknowledged skip list: the folder markers the S3 console's "Create folder" makes cannot
  // be stored as blobs; accepted, they are counted apart and the backup stays fresh.
  const overrides = { acceptedSkips: ["*/"] };
  const b = await startBackup({ stack: "dev", federated, overrides });
  try {
    say(
      `S3 emulator  ${b.s3.endpoint} (pid ${b.s3.pid}); Azurite ${b.azurite.blobEndpoint} (pid ${b.azurite.pid})`,
    );
    if (b.federation)
      say(
        `STS stand-in ${b.federation.sts.endpoint} (pid ${b.federation.sts.pid}); Entra stand-in ${b.federation.entra.authority} (pid ${b.federation.entra.pid}); Azurite in OAuth mode over HTTPS`,
      );
    say(
      `mode: ${b.settings.syncMode}, credential: ${b.settings.credential}, source ${b.settings.sourceBucket}, vault container ${b.settings.containerName}`,
    );
    say();

    say("Seeding the sample bucket...");
    const small: Record<string, string | Buffer> = {
      "index.html": "<h1>hello</h1>\n",
      "assets/css/site.css": "body { margin: 0 }\n",
      "assets/img/logo.bin": randomBytes(256 * 1024),
      "reports/2026/11/daily report.csv": "day,orders\n2026-11-24,42\n",
      "reports/2026/11/weekly.csv": "week,orders\n47,301\n",
      "users/zoë/profile.json": '{"name":"Zoë"}\n',
      "users/日本/データ.txt": "unicode key\n",
      "logs/app/2026/11/24/app.log": "line 1\nline 2\n",
      "empty-marker": Buffer.alloc(0),
      // What the S3 console's "Create folder" makes: skipped, and on the acknowledged list.
      "reports/2026/12/": Buffer.alloc(0),
    };
    for (const [k, v] of Object.entries(small)) await b.put(k, v);
    const big = randomBytes(105 * MiB);
    const partSize = 16 * MiB;
    const parts = Math.ceil(big.length / partSize);
    process.stdout.write(
      `  multipart object backups/db-dump.bin (${mib(big.length)}, ${parts} parts)...`,
    );
    await b.putMultipart("backups/db-dump.bin", big, partSize);
    say(" done");
    const seeded = Object.keys(small).length + 1;
    say(
      `  ${seeded} objects, ${mib(big.length + Object.values(small).reduce((n, v) => n + v.length, 0))}`,
    );
    say();

    const first = await runWithProgress(b, "run 1 (initial)");
    report("Run 1 (initial copy)", first, b.telemetry?.metrics().at(-1));
    if (first.code !== 0) return 1;
    say();

    say(
      "Changing the bucket: same-size edit of weekly.csv, new logo, new object, deleting index.html",
    );
    await b.put("reports/2026/11/weekly.csv", "week,orders\n47,302\n");
    await b.put("assets/img/logo.bin", randomBytes(300 * 1024));
    await b.put("reports/2026/11/monthly.csv", "month,orders\n11,1204\n");
    await b.remove("index.html");
    say();

    const second = await runWithProgress(b, "run 2 (incremental)");
    report("Run 2 (incremental)", second, b.telemetry?.metrics().at(-1));
    if (second.code !== 0) return 1;
    const copied = b.objectGetKeys();
    say(`  copied on run 2: ${copied.join(", ") || "(nothing)"}`);
    const vaultNames = await b.blobNames("data/");
    say(
      `  deleted index.html: ${vaultNames.includes("data/index.html") ? "still in the vault (copy mode never deletes; the vault keeps versions and soft-deleted blobs)" : "GONE from the vault"}`,
    );
    say();

    if (tamper) {
      say("--tamper: overwriting the vault's copy of reports/2026/11/monthly.csv");
      await b.container
        .getBlockBlobClient("data/reports/2026/11/monthly.csv")
        .upload("tampered", 8);
    }
    say("Verifying every source object against the vault, byte for byte...");
    const v = await verifyVault(b, (done, total) => progress(`  ${done}/${total} objects checked`));
    clearProgress();
    for (const m of v.mismatches) say(`  MISMATCH ${m}`);
    if (v.mismatches.length > 0 || v.checked === 0) {
      say(`VERIFICATION FAILED: ${v.mismatches.length} of ${v.checked} objects differ`);
      return 1;
    }
    say(`VERIFIED: all ${v.checked} source objects (${mib(v.bytes)}) are identical in the vault`);
    if (v.accepted.length)
      say(
        `  not stored, on the acknowledged skip list (acceptedSkips): ${v.accepted.map((k) => JSON.stringify(k)).join(", ")}`,
      );
    say();

    // The host's own check (weekly by default; on demand: systemctl start cross-cloud-backup-verify)
    say("Integrity check, as the host runs it (cross-cloud-backup-sync --verify)...");
    const check = await b.verify();
    const r = check.result;
    if (!r) {
      say(`INTEGRITY CHECK FAILED to run: exit ${check.code}\n${check.stderr.slice(-2000)}`);
      return 1;
    }
    say(
      `  ${r.outcome}: ${r.present} objects present with their size, ${r.pending} pending, ${r.sampled} read back from the vault and verified against their content record (${mib(r.sampledBytes)}), ${Math.floor(r.coveredFraction * 1000) / 10}% of the vault read within ${r.coverageDays} days`,
    );
    for (const m of r.mismatches) say(`  MISMATCH ${m.key}: ${m.reason}`);
    const published = b.telemetry?.metrics().at(-1);
    if (published)
      say(
        `  published to CloudWatch (stand-in): ${Object.entries(published)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")}; result in the vault at status/last-integrity.json`,
      );
    if (check.code !== 0 || r.outcome !== "match") {
      say(`INTEGRITY CHECK FAILED: ${r.outcome} (exit ${check.code})`);
      return 1;
    }
    say(`INTEGRITY CHECK PASSED: the vault matches the source`);
    say();

    // A loss, and the way back: objects deleted and overwritten in the source, brought back from
    // the vault into a new bucket by the restore command (npm run restore), then compared.
    say("Restore rehearsal: simulating a loss in the source, restoring into a new bucket...");
    await restoreRehearsal(b, (line) => say(`  ${line}`));
    say();
    return await evidence(b, overrides);
  } finally {
    await b.stop();
    await stopAll();
  }
}

/**
 * The end: the host's restore drill, then the evidence report an auditor reads (npm run report),
 * built from what this run left in the vault's status/ (and its history, where the engine keeps
 * one), the dev program's exports under the harness's mocks (there is no deployed stack) and the
 * policy pack over that program. Prints the report's path.
 */
async function evidence(b: Backup, overrides: Record<string, unknown>): Promise<number> {
  say("Restore drill, as the host runs it (cross-cloud-backup-sync --drill)...");
  const drill = await b.drill();
  const d = drill.result;
  if (!d || drill.code !== 0) {
    say(`RESTORE DRILL FAILED: ${d?.outcome ?? "no result"} (exit ${drill.code})`);
    return 1;
  }
  say(
    `  ${d.outcome}: ${d.restored} objects restored and verified (${mib(d.restoredBytes)}), ${d.sourceCompared} identical to their source; result in the vault at status/last-drill.json`,
  );
  say();
  say(
    "Evidence report (npm run report), from the vault's status/ and the dev program's outputs...",
  );
  const dir = path.join(ROOT, ".tmp", "demo");
  mkdirSync(dir, { recursive: true });
  const stackOverrides = { ...overrides, credentialMode: federated ? "federated" : "sas" };
  const program = runProgram("dev", stackOverrides);
  if (program.error !== undefined) throw new Error(`the dev program failed: ${program.error}`);
  const printed = Object.fromEntries(
    Object.entries(program.outputs).map(([k, o]) => [k, o.secret ? "[secret]" : o.value]),
  );
  const outputsFile = path.join(dir, "outputs.json");
  writeFileSync(outputsFile, JSON.stringify(printed, null, 2));
  const policyFile = path.join(dir, "policy.json");
  const outcomes = await policyReport("dev", stackOverrides);
  writeFileSync(policyFile, JSON.stringify({ stack: "dev", outcomes }, null, 2));
  const html = path.join(dir, "report.html");
  // The vault read as an operator would, with a read-only SAS (never printed: see the manifest).
  const code = await writeReport(
    [
      ...["--stack", "dev", "--from", b.sasUrl({ permissions: "rl" })],
      ...["--outputs", outputsFile, "--policy", policyFile, "--since", "1d", "--out", html],
    ],
    { out: (line) => say(`  ${line.trimEnd()}`) },
  );
  say(`EVIDENCE REPORT: ${path.relative(process.cwd(), html) || html}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
