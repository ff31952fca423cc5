// The evidence report: one self-contained HTML page (inline CSS and SVG, no script, nothing to
// fetch) from the report's inputs. Pure: the same inputs and `now` give the same page, so a
// report can be rebuilt from its manifest and compared byte for byte.
import { SECRET_OUTPUTS, type StackOutputName } from "../domain/outputs";
import { chartSvg, legendHtml } from "./charts";
import { chartSpecs } from "./chartSpecs";
import { evaluateControls, recordsUntil } from "./controls";
import { collectExceptions, type Exceptions } from "./exceptions";
import { bytes, count, utc } from "./format";
import { escapeHtml, link, text } from "./html";
import { STYLE } from "./style";
import type { ReportInput } from "./types";
import { CLAIMS, NOT_EXPORTED, type Claim, type Control, type Verdict } from "./verdicts";

/** The outputs the report reads; those a stack lacks are listed in the manifest. */
export const REPORT_OUTPUTS = [
  "sourceBucket",
  "syncRegion",
  "syncIntervalHours",
  "integrityCheck",
  "restoreDrill",
  "credentialMode",
  "vaultSasExpiry",
  "vaultAccountName",
  "vaultContainerName",
  "vaultImmutabilityState",
  "syncEgressIp",
  "alarmTopicArn",
  "alarmNames",
  "runLogGroup",
  "vaultAuditWorkspaceId",
] as const satisfies readonly StackOutputName[];

const VERDICT_CLASS: Record<Verdict, string> = {
  pass: "pass",
  fail: "fail",
  "no evidence": "none",
};

function badge(v: Verdict): string {
  return `<span class="badge ${VERDICT_CLASS[v]}">${v.toUpperCase()}</span>`;
}

/** A claim holds when all its controls pass; any failure fails it; otherwise it lacks evidence. */
function claimVerdict(controls: Control[]): Verdict {
  if (controls.some((c) => c.verdict === "fail")) return "fail";
  if (controls.every((c) => c.verdict === "pass")) return "pass";
  return "no evidence";
}

function summary(controls: Control[]): string {
  const n = (v: Verdict) => controls.filter((c) => c.verdict === v).length;
  const claims = (Object.keys(CLAIMS) as Claim[]).map((claim) => {
    const mine = controls.filter((c) => c.claim === claim);
    const v = claimVerdict(mine);
    return `<div class="claim ${VERDICT_CLASS[v]}" data-claim="${claim}" data-verdict="${v}"><strong>${escapeHtml(CLAIMS[claim])}</strong>${badge(v)}<div class="meta small">${mine.map((c) => escapeHtml(c.title)).join("; ")}</div></div>`;
  });
  const rows = controls.map(
    (c) =>
      `<tr data-control="${c.id}" data-verdict="${c.verdict}"><td>${badge(c.verdict)}</td><td><strong>${escapeHtml(c.title)}</strong><br><span class="meta">${escapeHtml(CLAIMS[c.claim])}</span></td><td>${text(c.evidence)}</td><td class="meta">${text(c.source)}</td></tr>`,
  );
  return `<section id="summary"><h2>Summary</h2>
<p class="overall"><strong>${controls.length} controls: ${n("pass")} pass, ${n("fail")} fail, ${n("no evidence")} without evidence.</strong> A control whose inputs are missing is shown as NO EVIDENCE, never as passing.</p>
<div class="claims">${claims.join("")}</div>
<table class="controls"><thead><tr><th>Verdict</th><th>Control</th><th>Evidence</th><th>Source</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`;
}

function charts(input: ReportInput): string {
  const figures = chartSpecs(
    recordsUntil(input.records, input.now),
    input.period,
    input.outputs,
  ).map(
    (spec) =>
      `<figure class="chart" id="chart-${spec.id}"><h3>${escapeHtml(spec.title)}</h3><p>${escapeHtml(spec.caption)}</p>${legendHtml(spec)}${chartSvg(spec)}</figure>`,
  );
  return `<section id="charts"><h2>Over the period</h2><div class="charts">${figures.join("")}</div></section>`;
}

function table(head: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p class="meta">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function exceptions(ex: Exceptions): string {
  const runs = ex.runs.map(
    (r) =>
      `<tr data-exception="run" data-id="${text(r.runId)}"><td class="when">${utc(r.time)}</td><td class="mono">${link(r.link, r.runId)}</td><td>${text(r.outcome)}${r.ending !== "finished" ? ` (${text(r.ending)})` : ""}</td><td class="num">${count(r.skippedCount)}</td><td class="num">${count(r.copyDeferred)}</td><td>${r.errors.map(text).join("<br>")}</td></tr>`,
  );
  const checks = ex.checks.map(
    (c) =>
      `<tr data-exception="${c.kind}" data-id="${text(c.checkId)}"><td class="when">${utc(c.time)}</td><td>${c.kind === "drill" ? "restore drill" : "integrity check"}</td><td class="mono">${link(c.link, c.checkId)}</td><td>${text(c.outcome)}</td><td>${count(c.mismatchCount)}${c.mismatches.length ? `<ul class="plain">${c.mismatches.map((m) => `<li><code>${text(JSON.stringify(m.key))}</code>: ${text(m.reason)}</li>`).join("")}</ul>` : ""}${c.mismatchCount > c.mismatches.length ? `<span class="meta">the result names the first ${c.mismatches.length}; all are in runs/${text(c.checkId)}/mismatches.jsonl.gz on the host</span>` : ""}</td><td>${text(c.error ?? "")}</td></tr>`,
  );
  const skipped = ex.skipped.map(
    (s) =>
      `<tr data-exception="skipped"><td><code>${text(JSON.stringify(s.key))}</code></td><td>${text(s.reason)}</td><td class="num">${count(s.runs)}</td><td class="when">${utc(s.firstSeen)}</td><td class="when">${utc(s.lastSeen)}</td><td class="mono">${link(s.link, s.lastRunId)}</td></tr>`,
  );
  return `<section id="exceptions"><h2>Exceptions</h2>
<h3>Runs that did not succeed (${ex.runs.length})</h3>
${table(["Ended", "Run (log stream)", "Outcome", "Skipped", "Deferred", "Errors"], runs, "Every run in the period succeeded.")}
<h3>Integrity checks and drills that did not match (${ex.checks.length})</h3>
${table(["Ended", "Check", "Id (log stream)", "Outcome", "Mismatches", "Error"], checks, "Every integrity check and drill in the period matched.")}
<h3>Skipped keys (${ex.skipped.length})</h3>
<p class="meta">Keys the runs of the period could not store and that are not on the acknowledged list, each once, with the last run that skipped it (each run summary names its first 100; all are in runs/&lt;runId&gt;/skipped.jsonl.gz on the host). Skips on the acknowledged list (acceptedSkips): ${count(ex.acceptedSkips)} over the period, counted and not named.</p>
${table(["Key", "Reason (last run)", "Runs", "First", "Last", "Last run (log stream)"], skipped, "No run in the period skipped a key.")}
</section>`;
}

function manifest(input: ReportInput): string {
  const rows = input.manifest.map(
    (m) =>
      `<tr data-input="${text(m.name)}"><td class="mono">${text(m.name)}</td><td class="mono">${text(m.from)}</td><td class="num">${bytes(m.bytes)}</td><td class="mono">${m.sha256}</td></tr>`,
  );
  const secret = new Set<string>(SECRET_OUTPUTS);
  const used = REPORT_OUTPUTS.filter((k) => !secret.has(k));
  const missing = used.filter((k) => input.outputs[k] === undefined || input.outputs[k] === null);
  const values = used
    .filter((k) => !missing.includes(k))
    .map(
      (k) =>
        `<tr><td class="mono key">${k}</td><td class="mono">${text(String(input.outputs[k]))}</td></tr>`,
    );
  const problems = input.inputProblems.map((p) => `<li>${text(p)}</li>`);
  return `<section id="manifest"><h2>Manifest</h2>
<p>The report was built from these inputs; the SHA-256 of each is of the exact bytes read. With the same inputs, <code>${text(input.command)}</code> builds the same page.</p>
${table(["Input", "From", "Size", "SHA-256"], rows, "No input was read.")}
<h3>Stack outputs used</h3>
${table(["Output", "Value"], values, "No stack output was given.")}
${missing.length ? `<p>Outputs the report reads that the stack does not have (their controls show NO EVIDENCE): ${missing.map((k) => `<code>${k}</code>`).join(", ")}.</p>` : ""}
<p>Not among any stack's outputs, so no control here can show them: ${NOT_EXPORTED.map(escapeHtml).join("; ")}.</p>
${problems.length ? `<h3>Problems reading the inputs (${problems.length})</h3><ul class="plain">${problems.join("")}</ul>` : ""}
</section>`;
}

export function renderReport(input: ReportInput): string {
  const controls = evaluateControls(input);
  const ex = collectExceptions(recordsUntil(input.records, input.now), input.period, input.outputs);
  const title = `Backup evidence: stack ${input.stack}`;
  const where = [
    input.outputs.sourceBucket ? `source s3://${input.outputs.sourceBucket}` : undefined,
    input.outputs.vaultAccountName
      ? `vault ${input.outputs.vaultAccountName}/${input.outputs.vaultContainerName ?? ""}`
      : undefined,
  ].filter((s): s is string => s !== undefined);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>${text(title)}</h1>
<p class="meta">Period ${utc(input.period.from.getTime())} to ${utc(input.period.to.getTime())}; judged at ${utc(input.now.getTime())}${where.length ? `; ${text(where.join(", "))}` : ""}.</p>
<p class="meta">Built only from what the backup records: the vault's status/ documents and history, the stack's outputs and the policy pack's results (see the Manifest).</p></header>
${summary(controls)}
${charts(input)}
${exceptions(ex)}
${manifest(input)}
</body></html>
`;
}
