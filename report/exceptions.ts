// Everything in the period that did not go as it should: failed and partial runs, integrity
// checks and drills that did not match, and every skipped key, each with a link to its run's
// log stream in CloudWatch (the engine sends each result to the run log group, one stream per
// run or check id).
import { drillsOf, inPeriod, integrityChecksOf, recordTime, runsOf } from "./history";
import type { HistoryRecord, Period, ReportOutputs } from "./types";

/** The CloudWatch console's page for one log stream. */
export function logStreamUrl(region: string, group: string, stream: string): string | undefined {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) return undefined;
  // The console's fragment escapes its path segments twice, with "$" standing for "%".
  const enc = (s: string) => encodeURIComponent(s).replace(/%/g, "$25");
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${enc(group)}/log-events/${enc(stream)}`;
}

export interface RunException {
  time: number;
  runId: string;
  outcome: string;
  ending: string;
  skippedCount: number;
  copyDeferred: number;
  errors: string[];
  link?: string;
}

export interface CheckException {
  time: number;
  kind: "integrity" | "drill";
  checkId: string;
  outcome: string;
  error: string | null;
  mismatchCount: number;
  mismatches: { key: string; reason: string }[];
  link?: string;
}

/** A key skipped by one or more runs of the period (the runs' summaries name up to 100 each). */
export interface SkippedKey {
  key: string;
  reason: string;
  runs: number;
  firstSeen: number;
  lastSeen: number;
  lastRunId: string;
  link?: string;
}

export interface Exceptions {
  runs: RunException[];
  checks: CheckException[];
  skipped: SkippedKey[];
  /** Skips on the acknowledged list, summed over the period's runs (counted, never named). */
  acceptedSkips: number;
}

export function collectExceptions(
  records: HistoryRecord[],
  period: Period,
  outputs: ReportOutputs,
): Exceptions {
  const link = (id: string) =>
    outputs.syncRegion && outputs.runLogGroup
      ? logStreamUrl(outputs.syncRegion, outputs.runLogGroup, id)
      : undefined;
  const runs = inPeriod(runsOf(records), period);
  const skipped = new Map<string, SkippedKey>();
  for (const r of runs)
    for (const s of r.skipped ?? []) {
      const seen = skipped.get(s.key);
      const t = recordTime(r);
      if (seen) {
        seen.runs++;
        seen.lastSeen = t;
        seen.reason = s.reason;
        seen.lastRunId = r.runId;
        seen.link = link(r.runId);
      } else
        skipped.set(s.key, {
          key: s.key,
          reason: s.reason,
          runs: 1,
          firstSeen: t,
          lastSeen: t,
          lastRunId: r.runId,
          link: link(r.runId),
        });
    }
  const checks = [
    ...inPeriod(integrityChecksOf(records), period),
    ...inPeriod(drillsOf(records), period),
  ]
    .filter((c) => c.outcome !== "match")
    .sort((a, b) => recordTime(a) - recordTime(b));
  return {
    runs: runs
      .filter((r) => r.outcome !== "success")
      .map((r) => ({
        time: recordTime(r),
        runId: r.runId,
        outcome: r.outcome,
        ending: r.ending,
        skippedCount: r.skippedCount,
        copyDeferred: r.copyDeferred,
        errors: r.errors ?? [],
        link: link(r.runId),
      })),
    checks: checks.map((c) => ({
      time: recordTime(c),
      kind: c.kind,
      checkId: c.checkId,
      outcome: c.outcome,
      error: c.error,
      mismatchCount: c.mismatchCount,
      mismatches: c.mismatches ?? [],
      link: link(c.checkId),
    })),
    skipped: [...skipped.values()].sort((a, b) => a.key.localeCompare(b.key)),
    acceptedSkips: runs.reduce((n, r) => n + (r.acceptedSkips ?? 0), 0),
  };
}
