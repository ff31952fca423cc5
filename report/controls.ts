// The report's controls: each a verdict with its evidence, judged from what the backup recorded.
// This file holds the controls that rest on the runs and checks (how current the backup is, the
// integrity check, the restore drill); settingsControls.ts those that rest on the stack's
// outputs and the policy pack. The thresholds are the alarms' own (domain/telemetry.ts), so the
// report fails exactly where the alarms would fire.
import type { DrillResult, IntegrityResult } from "../domain/runSummary";
import type { CheckSchedule } from "../domain/modes";
import { checkOverdueSeconds, freshnessAlarm } from "../domain/telemetry";
import { drillsOf, inPeriod, integrityChecksOf, recordTime, runsOf } from "./history";
import { ageAt, breaches } from "./freshness";
import { bytes, count, duration, percent, utc } from "./format";
import { settingsControls } from "./settingsControls";
import type { HistoryRecord, ReportInput, ReportOutputs, RunRecord } from "./types";
import type { Control } from "./verdicts";

/** The RPO: the missed-backup alarm's threshold, in seconds (undefined: interval unknown). */
export function rpoSeconds(outputs: ReportOutputs): number | undefined {
  const h = outputs.syncIntervalHours;
  return typeof h === "number" ? freshnessAlarm(h).thresholdSeconds : undefined;
}

/** Records that had happened by `now` (a report judged in the past ignores later ones). */
export function recordsUntil(records: HistoryRecord[], now: Date): HistoryRecord[] {
  return records.filter((r) => recordTime(r) <= now.getTime());
}

const RUNS = "run summaries (status/last-run.json, history)";

function backupAge(runs: RunRecord[], input: ReportInput): Control {
  const base = { id: "backupAge", title: "Backup age within the RPO", claim: "current" as const };
  const last = runs.at(-1);
  const rpo = rpoSeconds(input.outputs);
  if (last === undefined)
    return { ...base, verdict: "no evidence", evidence: "no run recorded", source: RUNS };
  const age = ageAt(runs, input.now.getTime())!;
  const asOf = last.freshAsOf
    ? `every change listed at ${utc(last.freshAsOf)} is stored`
    : "no run has stored every change of its listing yet";
  const lastRun = `last run ${last.runId} ${last.outcome}, ended ${utc(recordTime(last))}`;
  const facts = `backup age ${duration(age)} at ${utc(input.now.getTime())}: ${asOf} (${lastRun})`;
  if (rpo === undefined)
    return {
      ...base,
      verdict: "no evidence",
      evidence: `${facts}; the RPO is unknown: the stack exports no syncIntervalHours`,
      source: RUNS,
    };
  const rule = `RPO ${duration(rpo)}, the missed-backup alarm's threshold (syncIntervalHours ${input.outputs.syncIntervalHours} + 1 h)`;
  return {
    ...base,
    verdict: age <= rpo ? "pass" : "fail",
    evidence: `${facts}; ${rule}`,
    source: `${RUNS}; stack output syncIntervalHours`,
  };
}

function rpoHeld(runs: RunRecord[], input: ReportInput): Control {
  const base = {
    id: "rpoHeld",
    title: "RPO held throughout the period",
    claim: "current" as const,
    source: `history (status/history/); stack output syncIntervalHours`,
  };
  const rpo = rpoSeconds(input.outputs);
  const { from, to } = input.period;
  if (rpo === undefined)
    return { ...base, verdict: "no evidence", evidence: "the stack exports no syncIntervalHours" };
  if (runs.length === 0)
    return { ...base, verdict: "no evidence", evidence: "no run recorded in or before the period" };
  const b = breaches(runs, rpo, from.getTime(), to.getTime());
  const longest = Math.max(0, ...b.episodes.map((e) => (e.to - e.from) / 1000));
  const inside = inPeriod(runs, input.period).length;
  const over =
    b.episodes.length === 0
      ? `the backup age never exceeded ${duration(rpo)}`
      : `the backup age exceeded ${duration(rpo)} for ${duration(b.seconds)} in ${b.episodes.length} episode(s), the longest ${duration(longest)} from ${utc(b.episodes.reduce((a, e) => (e.to - e.from > a.to - a.from ? e : a)).from)}`;
  const uncovered =
    b.uncoveredSeconds > 0
      ? `; the first run on record ended ${utc(recordTime(runs[0]))}, so the first ${duration(b.uncoveredSeconds)} of the period have no evidence`
      : "";
  const evidence = `${count(inside)} runs from ${utc(from.getTime())} to ${utc(to.getTime())}: ${over}${uncovered}`;
  if (b.seconds > 0) return { ...base, verdict: "fail", evidence };
  // Time before the first record proves nothing: beyond one RPO of it, the period is not shown.
  return { ...base, verdict: b.uncoveredSeconds > rpo ? "no evidence" : "pass", evidence };
}

function lastRun(runs: RunRecord[]): Control {
  const base = { id: "lastRun", title: "Last run stored every object", claim: "exists" as const };
  const last = runs.at(-1);
  if (last === undefined)
    return { ...base, verdict: "no evidence", evidence: "no run recorded", source: RUNS };
  const listed = `listed ${count(last.sourceObjects)} source objects (${bytes(last.sourceBytes)}) and ${count(last.vaultObjects)} blobs; copied ${count(last.copied)}`;
  const accepted = last.acceptedSkips ? `; ${count(last.acceptedSkips)} on acceptedSkips` : "";
  const head = `run ${last.runId} (${utc(recordTime(last))}) ${last.outcome}: ${listed}${accepted}`;
  if (last.outcome === "success") return { ...base, verdict: "pass", evidence: head, source: RUNS };
  const why =
    last.outcome === "partial"
      ? `${count(last.skippedCount)} object(s) skipped, not on acceptedSkips${last.skipped[0] ? ` (first: ${JSON.stringify(last.skipped[0].key)}: ${last.skipped[0].reason})` : ""}`
      : `errors: ${last.errors.slice(0, 2).join("; ") || "none recorded"}`;
  return { ...base, verdict: "fail", evidence: `${head}; ${why}`, source: RUNS };
}

type Check = IntegrityResult | DrillResult;

/** A scheduled check's verdict: its outcome, then whether it is current for its schedule. */
function checkVerdict(
  latest: Check,
  schedule: CheckSchedule | undefined,
  scheduleOutput: string,
  now: Date,
): { verdict: Control["verdict"]; note: string } {
  const age = (now.getTime() - recordTime(latest)) / 1000;
  const when = `${utc(recordTime(latest))}, ${duration(age)} before the report`;
  if (latest.outcome !== "match")
    return { verdict: "fail", note: `${latest.outcome} (${latest.checkId}, ${when})` };
  if (schedule === undefined)
    return {
      verdict: "no evidence",
      note: `match (${latest.checkId}, ${when}); whether that is current is unknown: the stack exports no ${scheduleOutput}`,
    };
  const overdue = checkOverdueSeconds(schedule);
  if (overdue !== undefined && age > overdue)
    return {
      verdict: "fail",
      note: `match, but overdue (${latest.checkId}, ${when}; ${scheduleOutput} ${schedule}: overdue after ${duration(overdue)})`,
    };
  const rule =
    overdue === undefined
      ? `${scheduleOutput} off: on demand only`
      : `${scheduleOutput} ${schedule}: overdue after ${duration(overdue)}`;
  return { verdict: "pass", note: `match (${latest.checkId}, ${when}; ${rule})` };
}

function periodCount(checks: Check[], input: ReportInput): string {
  const inside = inPeriod(checks, input.period);
  const bad = inside.filter((c) => c.outcome !== "match").length;
  return `${inside.length} in the period${bad ? `, ${bad} not matching (see Exceptions)` : ""}`;
}

function integrity(checks: IntegrityResult[], input: ReportInput): Control {
  const base = {
    id: "integrity",
    title: "Integrity check: the vault matches the source, read back",
    claim: "exists" as const,
    source: "integrity results (status/last-integrity.json, history); stack output integrityCheck",
  };
  const latest = checks.at(-1);
  if (latest === undefined)
    return { ...base, verdict: "no evidence", evidence: "no integrity check recorded" };
  const { verdict, note } = checkVerdict(
    latest,
    input.outputs.integrityCheck,
    "integrityCheck",
    input.now,
  );
  const found = `${count(latest.present)} of ${count(latest.sourceObjects)} source objects present with their ETag and size; missing ${latest.missing}, size ${latest.sizeMismatch}, ETag ${latest.etagMismatch}, read back and differing ${latest.sampleMismatch}, unverified ${latest.sampleUnverified}${latest.error ? `; error: ${latest.error}` : ""}`;
  const coverage = `coverage: ${percent(latest.coveredFraction)} of the vault read back within ${latest.coverageDays} days${latest.coveredSince ? ` (rotation unbroken since ${utc(latest.coveredSince)})` : ""}; this check read ${count(latest.sampled)} blobs (${bytes(latest.sampledBytes)})`;
  return {
    ...base,
    verdict,
    evidence: `${note}; ${found}; ${coverage}; ${periodCount(checks, input)}`,
  };
}

function drill(drills: DrillResult[], input: ReportInput): Control {
  const base = {
    id: "drill",
    title: "Restore drill: a sample restored and verified",
    claim: "restorable" as const,
    source: "drill results (status/last-drill.json, history); stack output restoreDrill",
  };
  const latest = drills.at(-1);
  if (latest === undefined)
    return { ...base, verdict: "no evidence", evidence: "no restore drill recorded" };
  const judged = checkVerdict(latest, input.outputs.restoreDrill, "restoreDrill", input.now);
  const found = `restored and verified ${count(latest.restored)} objects (${bytes(latest.restoredBytes)}), ${count(latest.sourceCompared)} also identical to their source; source gone ${latest.sourceGone}, changed ${latest.sourceChanged}, too large ${latest.tooLarge}; mismatches ${latest.mismatchCount}${latest.error ? `; error: ${latest.error}` : ""}`;
  // A drill that restored nothing proves nothing.
  const verdict = judged.verdict === "pass" && latest.restored === 0 ? "fail" : judged.verdict;
  return {
    ...base,
    verdict,
    evidence: `${judged.note}; ${found}; ${periodCount(drills, input)}`,
  };
}

/** Every control, in the order the report shows them. */
export function evaluateControls(input: ReportInput): Control[] {
  const records = recordsUntil(input.records, input.now);
  const runs = runsOf(records);
  return [
    backupAge(runs, input),
    rpoHeld(runs, input),
    lastRun(runs),
    integrity(integrityChecksOf(records), input),
    drill(drillsOf(records), input),
    ...settingsControls(input),
  ];
}
