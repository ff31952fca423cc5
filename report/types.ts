// What the evidence report is built from. Every input is something the backup itself recorded:
// the vault's status/ documents and history, the stack's outputs and, optionally, the policy
// pack's results. The renderer is a pure function of these (plus the time it is told is now), so
// the same inputs always give the same page.
import type { DrillResult, HistoryRecord, IntegrityResult, RunSummary } from "../domain/runSummary";
import type { StackOutputs } from "../domain/outputs";

/** One line of status/history/<yyyy-mm>.jsonl: a run, an integrity check or a restore drill. */
export type { HistoryRecord };

/** A run summary as a history line holds it: the status document plus its kind. */
export type RunRecord = Extract<HistoryRecord, { kind: "run" }>;

/** The newest documents under status/ (any may be absent). */
export interface StatusDocuments {
  lastRun?: RunSummary;
  lastSuccess?: RunSummary;
  lastIntegrity?: IntegrityResult;
  lastDrill?: DrillResult;
}

/** The stack's outputs as `pulumi stack output --json` prints them; a stack may lack some. */
export type ReportOutputs = Partial<StackOutputs>;

/** One policy's result, as scripts/policy-report.ts --json prints it. */
export interface PolicyResult {
  policy: string;
  level: string;
  violations: { message: string; urn?: string }[];
}

export interface PolicyResults {
  /** The stack whose program and policy config the pack was run over. */
  stack?: string;
  outcomes: PolicyResult[];
}

/** One input the report was built from, with the digest of the exact bytes read. */
export interface ManifestEntry {
  /** What it is, e.g. "status/history/2026-11.jsonl" or "stack outputs". */
  name: string;
  /** Where it came from (a folder, the vault's URL without credentials, a file). */
  from: string;
  bytes: number;
  sha256: string;
}

export interface Period {
  from: Date;
  to: Date;
}

export interface ReportInput {
  stack: string;
  /** The time the report is judged at (the period's end); given, so a report can be rebuilt. */
  now: Date;
  period: Period;
  /** History records and the status/ documents, merged (the renderer picks the period). */
  records: HistoryRecord[];
  outputs: ReportOutputs;
  policy?: PolicyResults;
  manifest: ManifestEntry[];
  /** Problems met reading the inputs (a line that is not JSON, say): shown, never hidden. */
  inputProblems: string[];
  /** The command line that rebuilds this report from the same inputs. */
  command: string;
}
