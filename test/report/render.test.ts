// The rendered page: every chart's series has one point per record of the period (counted from
// the fixtures), the verdicts on the page are the controls', the exceptions list every failed or
// partial run, mismatch and skipped key with its log stream, and the page stands alone (no
// script, nothing fetched), escapes what it prints and never shows a credential.
import { expect } from "chai";
import { evaluateControls } from "../../report/controls";
import { logStreamUrl } from "../../report/exceptions";
import { renderReport } from "../../report/render";
import type { DrillResult, IntegrityResult } from "../../domain/runSummary";
import type { HistoryRecord, RunRecord } from "../../report/types";
import {
  healthy,
  inputOf,
  partialForever,
  SCENARIOS,
  SKIPPED,
  stale,
  TAMPERED_KEY,
  tampered,
  type Scenario,
} from "./fixtures";

const DAY = 86_400_000;

/** data-series → { points, max, last } as drawn on the page. */
function seriesOf(html: string): Record<string, { points: number; max: number; last: number }> {
  const out: Record<string, { points: number; max: number; last: number }> = {};
  for (const m of html.matchAll(
    /data-series="([^"]+)" data-points="(\d+)" data-max="([^"]+)" data-last="([^"]+)"/g,
  ))
    out[m[1]] = { points: Number(m[2]), max: Number(m[3]), last: Number(m[4]) };
  return out;
}

function inPeriod<T extends HistoryRecord>(s: Scenario, kind: T["kind"]): T[] {
  const from = s.now.getTime() - 90 * DAY;
  return s.records.filter(
    (r): r is T =>
      r.kind === kind &&
      Date.parse(r.finished) >= from &&
      Date.parse(r.finished) <= s.now.getTime(),
  );
}

describe("report page", () => {
  for (const make of SCENARIOS) {
    const s = make();
    it(`${s.name}: each chart's series has one point per record of the period`, () => {
      const html = renderReport(inputOf(s));
      const runs = inPeriod<RunRecord>(s, "run");
      const checks = inPeriod<IntegrityResult>(s, "integrity");
      const drills = inPeriod<DrillResult>(s, "drill");
      expect(runs.length).to.be.greaterThan(500);
      const series = seriesOf(html);
      expect(Object.keys(series).sort()).to.deep.equal(
        [
          "backupAge",
          "sourceObjects",
          "vaultObjects",
          "sourceBytes",
          "copied",
          "bytesCopied",
          "skippedNew",
          "skippedAccepted",
          "integrityCoverage",
          "drillRestored",
        ].sort(),
      );
      const last = runs.at(-1)!;
      const expectSeries = (id: string, points: number, lastValue: number) =>
        expect(series[id], id).to.include({ points, last: lastValue });
      expectSeries("backupAge", runs.length, last.backupAgeSeconds / 3600);
      expect(series.backupAge.max).to.equal(
        Math.max(...runs.map((r) => r.backupAgeSeconds)) / 3600,
      );
      expectSeries("sourceObjects", runs.length, last.sourceObjects);
      expectSeries("vaultObjects", runs.length, last.vaultObjects);
      expectSeries("sourceBytes", runs.length, last.sourceBytes);
      expectSeries("copied", runs.length, last.copied);
      expectSeries("bytesCopied", runs.length, last.bytesCopied);
      expectSeries("skippedNew", runs.length, last.skippedCount);
      expectSeries("skippedAccepted", runs.length, last.acceptedSkips);
      expectSeries("integrityCoverage", checks.length, checks.at(-1)!.coveredFraction * 100);
      expectSeries("drillRestored", drills.length, drills.at(-1)!.restored);
    });

    it(`${s.name}: the page shows each control's verdict`, () => {
      const input = inputOf(s);
      const html = renderReport(input);
      for (const c of evaluateControls(input))
        expect(html, c.id).to.include(`data-control="${c.id}" data-verdict="${c.verdict}"`);
    });
  }

  it("draws the schedule and the missed-backup alarm's threshold on the age chart", () => {
    const s = healthy();
    const html = renderReport(inputOf(s));
    const hours = s.outputs.syncIntervalHours!;
    expect(html).to.include(`data-ref="interval" data-value="${hours}"`);
    expect(html).to.include(`data-ref="alarmThreshold" data-value="${hours + 1}"`);
  });

  it("a failed listing's counts are left out of the size charts, never drawn as an empty source", () => {
    const s = healthy();
    const runs = s.records.filter((r): r is RunRecord => r.kind === "run");
    Object.assign(runs.at(-1)!, {
      outcome: "failure",
      sourceObjects: 0,
      sourceBytes: 0,
      sourceDropPercent: null,
      errors: ["cannot list the source bucket"],
    });
    const series = seriesOf(renderReport(inputOf(s)));
    const inside = inPeriod<RunRecord>(s, "run");
    expect(series.sourceObjects.points).to.equal(inside.length - 1);
    expect(series.sourceObjects.last).to.equal(inside.at(-2)!.sourceObjects);
    expect(series.copied.points).to.equal(inside.length);
  });

  it("partial for ever: lists every partial run with its log stream, and each skipped key once, escaped", () => {
    const s = partialForever();
    const html = renderReport(inputOf(s));
    const runs = inPeriod<RunRecord>(s, "run");
    expect(html.match(/data-exception="run"/g)).to.have.length(runs.length);
    for (const r of [runs[0], runs.at(-1)!])
      expect(html).to.include(
        `href="${logStreamUrl("eu-west-1", "/cross-cloud-backup/prod", r.runId)!.replace(/&/g, "&amp;")}"`,
      );
    expect(html.match(/data-exception="skipped"/g)).to.have.length(SKIPPED.length);
    expect(html).to.include("uploads/&lt;script&gt;alert(1)&lt;/script&gt;.txt");
    expect(html).to.not.match(/<script/i);
    // Each key with the number of runs that skipped it.
    expect(html).to.match(
      new RegExp(
        `archive/2019/q1\\.tar[^]*?<td class="num">${runs.length.toLocaleString("en-US")}</td>`,
      ),
    );
  });

  it("tampered: the mismatching check is listed with the key and the reason", () => {
    const html = renderReport(inputOf(tampered()));
    const rows = html.match(/<tr data-exception="integrity"[^]*?<\/tr>/g) ?? [];
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include(TAMPERED_KEY).and.include("differs from the recorded");
    expect(html).to.not.include('data-exception="run"');
  });

  it("the log stream link is the CloudWatch console's, with the group and stream escaped twice", () => {
    expect(
      logStreamUrl("eu-west-1", "/cross-cloud-backup/prod", "20261130T120000.000000000Z"),
    ).to.equal(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fcross-cloud-backup$252Fprod/log-events/20261130T120000.000000000Z",
    );
    expect(logStreamUrl("evil.example.com/x", "/g", "s")).to.equal(undefined);
  });

  it("stands alone: no script, no external resource, a policy that forbids fetching", () => {
    const html = renderReport(inputOf(stale()));
    expect(html).to.not.match(/<script|<iframe|<link|<img|@import|url\((?!#)/i);
    expect(html).to.include(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // The only absolute URLs: the SVG namespace and links to the run's log streams.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
    expect(
      urls.filter(
        (u) =>
          !u.startsWith("http://www.w3.org/2000/svg") &&
          !u.startsWith("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?"),
      ),
    ).to.deep.equal([]);
  });

  it("is the same page for the same inputs", () => {
    expect(renderReport(inputOf(tampered()))).to.equal(renderReport(inputOf(tampered())));
  });

  it("redacts a credential a recorded error quotes, and prints no secret output", () => {
    const s = healthy();
    const runs = s.records.filter((r): r is RunRecord => r.kind === "run");
    Object.assign(runs.at(-1)!, {
      outcome: "failure",
      errors: [
        "cannot write status/last-run.json: https://vault.blob.core.windows.net/backup/status/last-run.json?sv=2024-08-04&se=2026-12-01&sp=racwl&sig=FAKEsignatureFAKEsignature%3D 403",
      ],
    });
    const html = renderReport(inputOf(s));
    expect(html).to.include("sig=REDACTED");
    expect(html).to.not.include("FAKEsignature");
    expect(html).to.not.include("[secret]");
  });

  it("an empty period says so on every chart", () => {
    const html = renderReport(inputOf({ ...healthy(), records: [] }));
    expect(html.match(/no records in the period/g)).to.have.length(8);
    expect(Object.values(seriesOf(html)).every((s) => s.points === 0)).to.equal(true);
  });
});
