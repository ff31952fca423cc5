// The vault's history: one JSON line per run, integrity check and restore drill, appended to
// status/history/<yyyy-mm>.jsonl (UTC month of its end; domain/layout.ts STATUS_HISTORY). Each
// line is the document the engine wrote to the matching status/ blob at that moment, plus its
// kind. This module picks the months of a period, parses them, and merges them with the status/
// documents (which may hold a result the history lacks: a line that could not be appended).
import type { DrillResult, IntegrityResult, RunSummary } from "../domain/runSummary";
import { STATUS_HISTORY } from "../domain/layout";
import type { HistoryRecord, Period, RunRecord, StatusDocuments } from "./types";

/** The UTC month ("2026-11") of a history blob's name, or undefined for any other blob. */
function historyMonth(name: string): string | undefined {
  const { folder, extension } = STATUS_HISTORY;
  if (!name.startsWith(folder) || !name.endsWith(extension)) return undefined;
  const month = name.slice(folder.length, -extension.length);
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(month) ? month : undefined;
}

/** True when the blob is a month's history that overlaps the period. */
export function historyBlobInPeriod(name: string, period: Period): boolean {
  const month = historyMonth(name);
  if (month === undefined) return false;
  const [y, m] = month.split("-").map(Number);
  const start = Date.UTC(y, m - 1, 1);
  const end = Date.UTC(y, m, 1);
  return start <= period.to.getTime() && end > period.from.getTime();
}

/** The record's identity: a run id or a check id, with its kind. */
export function recordKey(r: HistoryRecord): string {
  return r.kind === "run" ? `run:${r.runId}` : `${r.kind}:${r.checkId}`;
}

/** When the record's run or check ended (its start if it never recorded an end). */
export function recordTime(r: HistoryRecord): number {
  return Date.parse(r.finished ?? r.started);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A parsed line as a record, or why it is not one. Only the fields the report cannot do
 * without are checked; the documents' full shape is the engine's contract (domain/runSummary.ts).
 */
export function asRecord(v: unknown): HistoryRecord | string {
  if (!isObject(v)) return "not a JSON object";
  const time = v.finished ?? v.started;
  if (typeof time !== "string" || Number.isNaN(Date.parse(time)))
    return "no finished or started time";
  if (v.kind === "run") {
    if (typeof v.runId !== "string") return "a run without runId";
    if (typeof v.outcome !== "string") return "a run without outcome";
    return v as unknown as RunRecord;
  }
  if (v.kind === "integrity" || v.kind === "drill") {
    if (typeof v.checkId !== "string") return `an ${v.kind} result without checkId`;
    if (typeof v.outcome !== "string") return `an ${v.kind} result without outcome`;
    return v as unknown as IntegrityResult | DrillResult;
  }
  return `unknown kind ${JSON.stringify(v.kind)}`;
}

/** The records of one history blob, and a problem for each line that is not one. */
export function parseHistory(
  name: string,
  text: string,
): { records: HistoryRecord[]; problems: string[] } {
  const records: HistoryRecord[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`${name} line ${i + 1}: not JSON`);
      return;
    }
    const r = asRecord(parsed);
    if (typeof r === "string") problems.push(`${name} line ${i + 1}: ${r}`);
    else records.push(r);
  });
  return { records, problems };
}

/** The status/ documents as records (a run summary carries no kind of its own). */
export function statusRecords(status: StatusDocuments): HistoryRecord[] {
  const runs = [status.lastRun, status.lastSuccess]
    .filter((r): r is RunSummary => r !== undefined)
    .map((r): RunRecord => ({ ...r, kind: "run" }));
  return [...runs, status.lastIntegrity, status.lastDrill].filter(
    (r): r is HistoryRecord => r !== undefined,
  );
}

/** History and status records, each run or check once, oldest first. */
export function mergeRecords(...lists: HistoryRecord[][]): HistoryRecord[] {
  const byKey = new Map<string, HistoryRecord>();
  for (const r of lists.flat()) if (!byKey.has(recordKey(r))) byKey.set(recordKey(r), r);
  return [...byKey.values()].sort(
    (a, b) => recordTime(a) - recordTime(b) || recordKey(a).localeCompare(recordKey(b)),
  );
}

export function runsOf(records: HistoryRecord[]): RunRecord[] {
  return records.filter((r): r is RunRecord => r.kind === "run");
}
export function integrityChecksOf(records: HistoryRecord[]): IntegrityResult[] {
  return records.filter((r): r is IntegrityResult => r.kind === "integrity");
}
export function drillsOf(records: HistoryRecord[]): DrillResult[] {
  return records.filter((r): r is DrillResult => r.kind === "drill");
}

export function inPeriod<T extends HistoryRecord>(records: T[], period: Period): T[] {
  const from = period.from.getTime();
  const to = period.to.getTime();
  return records.filter((r) => recordTime(r) >= from && recordTime(r) <= to);
}

/**
 * A `--since` value as the period's start: a duration back from `now` ("90d", "36h") or an ISO
 * time. Undefined when it is neither.
 */
export function periodStart(since: string, now: Date): Date | undefined {
  const m = /^([1-9]\d*)([dh])$/.exec(since);
  if (m) return new Date(now.getTime() - Number(m[1]) * (m[2] === "d" ? 86_400_000 : 3_600_000));
  if (!/^\d{4}-\d{2}-\d{2}/.test(since)) return undefined;
  const t = Date.parse(since);
  return Number.isNaN(t) ? undefined : new Date(t);
}
