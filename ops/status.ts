// What `npm run status` reports: the backup's state as the vault's status/ documents show it
// (written by the host after every run and every integrity check), judged against the schedule.
// Pure: reading the documents is the caller's job (cli/status.ts), so tests build any state.
import type { DrillResult, IntegrityResult, RunSummary } from "../domain/runSummary";
import { staleAfterDays } from "../domain/modes";

export interface StatusInput {
  lastRun?: RunSummary;
  lastSuccess?: RunSummary;
  lastIntegrity?: IntegrityResult;
  lastDrill?: DrillResult;
  /** Hours between scheduled runs. */
  intervalHours: number;
  /** SAS mode: when the host's SAS expires (ISO); undefined in federated mode. */
  sasExpiry?: string;
  /** Days before expiry that count as "expiring" (the SAS rotation window). */
  sasWarningDays?: number;
  /** Days after which an integrity result is stale (the check's schedule, plus a day). */
  integrityMaxAgeDays?: number;
  /** Days after which a restore drill is stale (its schedule, plus a day). */
  drillMaxAgeDays?: number;
  now: Date;
}

export type Verdict = "ok" | "attention";

export interface StatusLine {
  label: string;
  value: string;
  verdict: Verdict;
}

export interface StatusReport {
  lines: StatusLine[];
  /** "attention" when any line needs it (the command then exits 1). */
  verdict: Verdict;
}

const HOUR = 3600_000;

function age(from: string, now: Date): number {
  return (now.getTime() - Date.parse(from)) / HOUR;
}

function hours(h: number): string {
  return h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`;
}

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/**
 * A copy larger than one run's copy time (a first copy of millions of objects) goes on over
 * several runs, each starting where the last stopped: how far it is, from the last run's
 * summary, and how many runs are left at that run's rate.
 */
export function copyProgress(run: RunSummary): string {
  const held = run.unchanged + run.copied;
  const pct = run.sourceObjects > 0 ? (100 * held) / run.sourceObjects : 0;
  const pace =
    run.copied > 0
      ? `; the last run copied ${run.copied.toLocaleString("en-US")} in ${hours(run.durationSeconds / 3600)}: about ${Math.ceil(run.copyDeferred / run.copied)} more run(s) at that rate`
      : "; the last run copied none of them";
  return (
    `${held.toLocaleString("en-US")} of ${run.sourceObjects.toLocaleString("en-US")} source objects are in the vault ` +
    `(${pct.toFixed(1)}%), ${run.copyDeferred.toLocaleString("en-US")} left for the next runs, which start where this one stopped${pace}`
  );
}

export function statusReport(input: StatusInput): StatusReport {
  const lines: StatusLine[] = [];
  const add = (label: string, value: string, verdict: Verdict = "ok") =>
    lines.push({ label, value, verdict });
  const { lastRun, lastSuccess, lastIntegrity, now } = input;

  if (!lastRun) add("last run", "none recorded in the vault's status/", "attention");
  else
    add(
      "last run",
      `${lastRun.finished} ${lastRun.outcome} (copied ${lastRun.copied} objects, ${bytes(lastRun.bytesCopied)}, in ${Math.round(lastRun.durationSeconds)} s)`,
      lastRun.outcome === "failure" ? "attention" : "ok",
    );
  if (lastRun && lastRun.errorCount > 0)
    add("errors", lastRun.errors.slice(0, 3).join("; "), "attention");
  if (lastRun && lastRun.copyDeferred > 0)
    add("copy in progress", copyProgress(lastRun), lastRun.copied > 0 ? "ok" : "attention");

  // Freshness, as the missed-backup alarm watches it (BackupAgeSeconds): the age of the newest
  // listing whose every change is stored. Summaries from before freshness was recorded have no
  // freshAsOf; then the last success's start stands in for it.
  const limit = input.intervalHours + 1;
  const freshAsOf =
    lastRun && "freshAsOf" in lastRun ? lastRun.freshAsOf : (lastSuccess?.started ?? null);
  if (!freshAsOf)
    add("backup age", "no run has stored every change of its listing yet", "attention");
  else {
    const h = age(freshAsOf, now);
    add(
      "backup age",
      `${hours(h)}: every change listed at ${freshAsOf} is stored (schedule: every ${input.intervalHours} h; late after ${limit} h)${h > limit ? " LATE" : ""}`,
      h > limit ? "attention" : "ok",
    );
  }
  if (!lastSuccess) add("last success", "none recorded", "attention");
  else add("last success", lastSuccess.finished);
  if (lastRun) {
    const shown = lastRun.skipped
      .slice(0, 3)
      .map((s) => `${JSON.stringify(s.key)}: ${s.reason}`)
      .join("; ");
    const accepted = lastRun.acceptedSkips
      ? ` (and ${lastRun.acceptedSkips} on the acknowledged list, acceptedSkips)`
      : "";
    add(
      "skipped objects",
      (lastRun.skippedCount === 0
        ? "0"
        : `${lastRun.skippedCount}${shown ? ` (${shown}${lastRun.skippedCount > 3 ? "; ..." : ""})` : ""}`) +
        accepted,
      lastRun.skippedCount === 0 ? "ok" : "attention",
    );
  }

  // The host's own patch level, as the last run saw it (summaries from older engines lack it).
  // Informational while unattended-upgrades catches up (it runs daily); apt failing to tell is
  // worth a look.
  if (lastRun && "pendingSecurityUpdates" in lastRun) {
    const n = lastRun.pendingSecurityUpdates;
    const names = lastRun.pendingSecurityPackages ?? [];
    add(
      "security updates",
      n === null
        ? "unknown: apt-get -s upgrade failed on the host (check apt and unattended-upgrades)"
        : n === 0
          ? "none pending"
          : `${n} pending (${names.join(", ")}${n > names.length ? ", ..." : ""}); unattended-upgrades installs them daily`,
      n === null ? "attention" : "ok",
    );
  }

  if (input.sasExpiry === undefined) add("credential", "federated: no stored credential");
  else {
    const left = -age(input.sasExpiry, now) / 24;
    const warn = input.sasWarningDays ?? 7;
    add(
      "credential",
      `SAS expires ${input.sasExpiry} (in ${left.toFixed(1)} days${left < warn ? "; run pulumi up to renew it" : ""})`,
      left < warn ? "attention" : "ok",
    );
  }

  // The host's two checks: one line each, with what they found and whether it is current.
  const check = (
    label: string,
    r: IntegrityResult | DrillResult | undefined,
    none: string,
    summary: (r: IntegrityResult | DrillResult) => string,
    differ: string,
    maxAgeDays: number,
    what: string,
  ) => {
    if (!r) {
      add(label, none, "attention");
      return;
    }
    const shown = r.mismatches
      .slice(0, 3)
      .map((m) => `${JSON.stringify(m.key)}: ${m.reason}`)
      .join("; ");
    const detail =
      r.outcome === "failure"
        ? `could not finish: ${r.error}`
        : summary(r) + (r.mismatchCount ? `; ${r.mismatchCount} ${differ} (${shown})` : "");
    const stale = age(r.finished, now) / 24 > maxAgeDays;
    add(
      label,
      `${r.finished} ${r.outcome}: ${detail}${stale ? ` (STALE: older than the ${what}'s schedule)` : ""}`,
      r.outcome === "match" && !stale ? "ok" : "attention",
    );
  };
  check(
    "last integrity check",
    lastIntegrity,
    "none recorded",
    (r) => {
      const c = r as IntegrityResult;
      return `${c.present} present, ${c.pending} pending, ${c.sampled} read back and checked against their content record, ${Math.floor((c.coveredFraction ?? 0) * 1000) / 10}% of the vault read within ${c.coverageDays ?? "?"} days`;
    },
    "mismatches",
    input.integrityMaxAgeDays ?? staleAfterDays("weekly")!,
    "check",
  );
  check(
    "last restore drill",
    input.lastDrill,
    "none recorded (on the host: sudo systemctl start cross-cloud-backup-drill)",
    (r) => {
      const d = r as DrillResult;
      const other = d.sourceGone + d.sourceChanged;
      return (
        `${d.restored} objects (${bytes(d.restoredBytes)}) restored and verified as a restore verifies, ${d.sourceCompared ?? 0} also identical to the source` +
        (other ? `, ${other} no longer in the source as backed up` : "")
      );
    },
    "differ",
    input.drillMaxAgeDays ?? staleAfterDays("monthly")!,
    "drill",
  );
  return { lines, verdict: lines.some((l) => l.verdict === "attention") ? "attention" : "ok" };
}

/** The report as people read it: one line per item, "!" marking what needs attention. */
export function formatStatus(report: StatusReport): string {
  const width = Math.max(...report.lines.map((l) => l.label.length));
  return (
    report.lines
      .map((l) => `${l.verdict === "attention" ? "!" : " "} ${l.label.padEnd(width)}  ${l.value}`)
      .join("\n") +
    `\n\n${report.verdict === "ok" ? "OK: the backup is current and verified." : "ATTENTION: see the lines marked '!' (README, Alarms, has a runbook for each)."}\n`
  );
}
