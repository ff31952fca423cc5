// Histories for the report's tests, in the shapes the engine writes (domain/runSummary.ts): a
// run every 4 hours for 91 days, a weekly integrity check and a monthly drill, then one thing
// wrong per scenario. writeStatusDir lays them out as the vault's status/ holds them: the four
// status documents and one JSON line per result in status/history/<yyyy-mm>.jsonl.
import { mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import * as path from "node:path";
import {
  RUN_SUMMARY_KEYS,
  type DrillResult,
  type IntegrityResult,
  type RunSummary,
} from "../../domain/runSummary";
import { policies } from "../../policy/policies";
import { statusHistoryOf } from "../../domain/layout";
import { joinAlarmNames } from "../../domain/outputs";
import type {
  HistoryRecord,
  PolicyResults,
  ReportInput,
  ReportOutputs,
  RunRecord,
} from "../../report/types";

export const NOW = new Date("2026-11-30T12:30:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The first run: a day before the 90-day period, so the period starts with a known age. */
const FIRST_RUN = Date.parse("2026-08-31T00:00:00Z");

export interface Scenario {
  name: string;
  now: Date;
  records: HistoryRecord[];
  outputs: ReportOutputs;
  policy: PolicyResults;
}

const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
/** The engine's ids: UTC start with nanoseconds. */
const id = (t: number) => iso(t).replace(/[-:]/g, "").replace("Z", ".000000000Z");

export function run(started: number, over: Partial<RunSummary> = {}): RunRecord {
  const duration = 120;
  const n = Math.round((started - FIRST_RUN) / (4 * HOUR));
  const sourceObjects = 10_000 + 3 * n;
  const summary: RunSummary = {
    runId: id(started),
    started: iso(started),
    finished: iso(started + duration * 1000),
    durationSeconds: duration,
    outcome: "success",
    exitCode: 0,
    ending: "finished",
    fresh: true,
    freshAsOf: iso(started),
    backupAgeSeconds: duration,
    mode: "copy",
    source: "s3://example-app-data-prod/",
    destination: "backup/data/",
    sourceObjects,
    sourceBytes: sourceObjects * 4096,
    sourceDropPercent: 0,
    vaultObjects: sourceObjects - 3,
    vaultOnly: 0,
    unchanged: sourceObjects - 3,
    new: 3,
    changed: 0,
    copied: 3,
    bytesCopied: 3 * 4096,
    bytesChanged: 3 * 4096,
    sealed: 3,
    adopted: 0,
    adoptedByRead: 0,
    hashedBytes: 3 * 4096,
    refreshed: 0,
    adoptDeferred: 0,
    archived: 0,
    deleted: 0,
    vanished: 0,
    retried: 0,
    copyDeferred: 0,
    acceptedSkips: 1,
    skippedCount: 0,
    skipped: [],
    errorCount: 0,
    errors: [],
    pendingSecurityUpdates: 0,
    pendingSecurityPackages: [],
    ...over,
  };
  return { ...summary, kind: "run" };
}

export function integrity(started: number, over: Partial<IntegrityResult> = {}): IntegrityResult {
  const checks = Math.floor((started - FIRST_RUN) / (7 * DAY)) + 1;
  return {
    checkId: id(started),
    kind: "integrity",
    started: iso(started),
    finished: iso(started + 300_000),
    durationSeconds: 300,
    outcome: "match",
    source: "s3://example-app-data-prod/",
    destination: "backup/data/",
    backupSince: iso(started - 3.5 * HOUR),
    sourceObjects: 10_500,
    sourceBytes: 10_500 * 4096,
    vaultObjects: 10_500,
    present: 10_499,
    pending: 1,
    unstorable: 0,
    missing: 0,
    unreadable: 0,
    sizeMismatch: 0,
    etagMismatch: 0,
    unrecorded: 0,
    unrecordedVaultOnly: 0,
    sampled: 221,
    sampledBytes: 221 * 4096,
    sampleMismatch: 0,
    sampleUnverified: 0,
    coverageDays: 365,
    readFrom: iso(started - 7 * DAY),
    readUpTo: iso(started),
    coveredFraction: Math.min(1, (checks * 7) / 365),
    coveredSince: iso(FIRST_RUN + 3.5 * HOUR),
    mismatchCount: 0,
    mismatches: [],
    error: null,
    ...over,
  };
}

export function drill(started: number, over: Partial<DrillResult> = {}): DrillResult {
  return {
    checkId: id(started),
    kind: "drill",
    started: iso(started),
    finished: iso(started + 90_000),
    durationSeconds: 90,
    outcome: "match",
    source: "s3://example-app-data-prod/",
    destination: "backup/data/",
    vaultObjects: 10_400,
    restored: 20,
    restoredBytes: 20 * 4096,
    sourceCompared: 19,
    sourceGone: 1,
    sourceChanged: 0,
    tooLarge: 0,
    mismatchCount: 0,
    mismatches: [],
    error: null,
    ...over,
  };
}

/** Run starts every 4 hours from the first run up to `until`. */
export function runStarts(until: number): number[] {
  const out: number[] = [];
  for (let t = FIRST_RUN; t <= until; t += 4 * HOUR) out.push(t);
  return out;
}

/** Weekly checks (03:30) and monthly drills (the 1st, 04:30) up to `until`. */
function checks(until: number): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  for (let t = FIRST_RUN + 3.5 * HOUR; t <= until; t += 7 * DAY) out.push(integrity(t));
  for (const month of ["2026-09-01", "2026-10-01", "2026-11-01"])
    out.push(drill(Date.parse(`${month}T04:30:00Z`)));
  return out;
}

/** Alarm names as Pulumi makes them (the resource name and a random suffix). */
export const ALARMS = ["missed-backup-5c1e2f3", "failed-run-9a8b7c6", "integrity-0d4e5f6"];

/** The outputs of a prod-like stack, as `pulumi stack output --json` prints them. */
export function outputs(over: Partial<ReportOutputs> = {}): ReportOutputs {
  return {
    sourceBucket: "example-app-data-prod",
    syncRegion: "eu-west-1",
    syncEgressIp: "203.0.113.10",
    syncIntervalHours: 4,
    syncMode: "copy",
    integrityCheck: "weekly",
    restoreDrill: "monthly",
    credentialMode: "federated",
    vaultIdentityClientId: "[secret]",
    vaultResourceGroup: "vault-rg",
    vaultAccountName: "vaultabc123def4",
    vaultContainerName: "backup",
    vaultBlobEndpoint: "https://vaultabc123def4.blob.core.windows.net/",
    vaultImmutabilityState: "Locked",
    vaultSasExpiry: "",
    vaultSasParameter: "",
    vaultSasUrl: "[secret]",
    alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:backup-alarms-topic",
    alarmNames: joinAlarmNames(ALARMS),
    runLogGroup: "/cross-cloud-backup/prod",
    vaultAuditWorkspaceId:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/vault-rg/providers/Microsoft.OperationalInsights/workspaces/vault-audit",
    rcloneConfig: "[secret]",
    ...over,
  };
}

/** Every policy of the real pack, passing (as `npm run policy -- --json` prints them). */
export function passingPolicies(): PolicyResults {
  return {
    stack: "prod",
    outcomes: policies.map((p) => ({ policy: p.name, level: "mandatory", violations: [] })),
  };
}

const byTime = (records: HistoryRecord[]) =>
  records.sort((a, b) => Date.parse(a.finished) - Date.parse(b.finished));

export function healthy(): Scenario {
  const runs = runStarts(NOW.getTime() - 30 * 60_000).map((t) => run(t));
  return {
    name: "healthy",
    now: NOW,
    records: byTime([...runs, ...checks(NOW.getTime())]),
    outputs: outputs(),
    policy: passingPolicies(),
  };
}

/** The host stopped two days ago: no run since, checks still current. */
export function stale(): Scenario {
  const runs = runStarts(NOW.getTime() - 50 * HOUR).map((t) => run(t));
  return { ...healthy(), name: "stale", records: byTime([...runs, ...checks(NOW.getTime())]) };
}

export const TAMPERED_KEY = "reports/2026/11/monthly.csv";

/** The last integrity check read a blob back whose bytes differ from its content record. */
export function tampered(): Scenario {
  const s = healthy();
  const last = s.records.filter((r) => r.kind === "integrity").at(-1) as IntegrityResult;
  Object.assign(last, {
    outcome: "mismatch",
    sampleMismatch: 1,
    mismatchCount: 1,
    mismatches: [
      {
        key: TAMPERED_KEY,
        reason:
          "read back from the vault: the MD5 of its bytes 5d41402abc4b2a76b9719d911017c592 differs from the recorded 7d793037a0760186574b0282f2f435e7",
      },
    ],
  });
  return { ...s, name: "tampered" };
}

/** Keys a partial run cannot store; one is hostile HTML, which the report must escape. */
export const SKIPPED = [
  {
    key: "archive/2019/q1.tar",
    reason:
      "storage class GLACIER: objects in archive storage classes are not copied (a restored copy keeps its class)",
  },
  {
    key: "uploads/<script>alert(1)</script>.txt",
    reason: "AccessDenied: Access Denied (last tried 2026-11-30T08:00:00Z)",
  },
];

/**
 * Every run partial: each copies what it can and succeeds in its own terms (exit 3, no error),
 * but two objects are never stored, so no listing is ever complete and the age only grows.
 */
export function partialForever(): Scenario {
  const runs = runStarts(NOW.getTime() - 30 * 60_000).map((t) => {
    const r = run(t);
    return {
      ...r,
      outcome: "partial" as const,
      exitCode: 3,
      fresh: false,
      freshAsOf: null,
      backupAgeSeconds: Math.round((Date.parse(r.finished) - FIRST_RUN) / 1000),
      skippedCount: SKIPPED.length,
      skipped: SKIPPED,
    };
  });
  return {
    ...healthy(),
    name: "partial-forever",
    records: byTime([...runs, ...checks(NOW.getTime())]),
  };
}

export const SCENARIOS = [healthy, stale, tampered, partialForever];

/** The vault's status/ for a scenario, as the engine lays it out, under `dir`. */
export function writeStatusDir(dir: string, s: Scenario): void {
  const status = path.join(dir, "status");
  mkdirSync(path.join(status, "history"), { recursive: true });
  const write = (name: string, doc: object | undefined) => {
    if (doc) writeFileSync(path.join(status, name), JSON.stringify(doc));
  };
  const runs = s.records.filter((r): r is RunRecord => r.kind === "run");
  // The status document is the summary alone, keys in the engine's order (results.py to_dict).
  const plain = (r: RunRecord | undefined) =>
    r && Object.fromEntries(RUN_SUMMARY_KEYS.map((k) => [k, r[k]]));
  write("last-run.json", plain(runs.at(-1)));
  write("last-success.json", plain(runs.filter((r) => r.outcome !== "failure").at(-1)));
  write("last-integrity.json", s.records.filter((r) => r.kind === "integrity").at(-1));
  write("last-drill.json", s.records.filter((r) => r.kind === "drill").at(-1));
  for (const r of s.records)
    appendFileSync(
      path.join(dir, ...statusHistoryOf(r.finished).split("/")),
      JSON.stringify(r) + "\n",
    );
}

/** The renderer's input for a scenario: its records, outputs and policy, over 90 days. */
export function inputOf(s: Scenario, over: Partial<ReportInput> = {}): ReportInput {
  return {
    stack: "prod",
    now: s.now,
    period: { from: new Date(s.now.getTime() - 90 * DAY), to: s.now },
    records: s.records,
    outputs: s.outputs,
    policy: s.policy,
    manifest: [],
    inputProblems: [],
    command: "npm run report -- --stack prod",
    ...over,
  };
}
