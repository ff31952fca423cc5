// What each chart shows, from the records of the period: the backup's age against the schedule
// and the alarm, the source and vault sizes, what each run copied and skipped, the integrity
// check's coverage and the drills. One point per record; charts.ts draws them.
import { drillsOf, inPeriod, integrityChecksOf, recordTime, runsOf } from "./history";
import { ageCurve } from "./freshness";
import { rpoSeconds } from "./controls";
import type { ChartSpec, ReferenceLine, SeriesPoint } from "./charts";
import type { HistoryRecord, Period, ReportOutputs, RunRecord } from "./types";

const BLUE = "#1565c0";
const TEAL = "#00897b";
const GREY = "#757575";
const RED = "#c62828";
const AMBER = "#ef8f00";

function points<T extends HistoryRecord>(
  records: T[],
  value: (r: T) => number,
  outcome = false,
): SeriesPoint[] {
  return records.map((r) => ({
    t: recordTime(r),
    v: value(r),
    ...(outcome ? { outcome: r.outcome } : {}),
  }));
}

/** A run that finished listing the source (a failed listing's counts are not the source's). */
function listed(r: RunRecord): boolean {
  return r.sourceDropPercent !== null;
}

function ageChart(
  all: RunRecord[],
  runs: RunRecord[],
  period: Period,
  outputs: ReportOutputs,
): ChartSpec {
  const hours = (s: number) => s / 3600;
  // The sawtooth starts at the last run before the period, so the period's start is drawn too.
  const before = all.filter((r) => recordTime(r) < period.from.getTime()).at(-1);
  const drawn = ageCurve(before ? [before, ...runs] : runs, period.to.getTime()).map((p) => ({
    t: p.t,
    v: hours(p.ageSeconds),
  }));
  const refs: ReferenceLine[] = [];
  const rpo = rpoSeconds(outputs);
  if (typeof outputs.syncIntervalHours === "number")
    refs.push({
      id: "interval",
      label: `schedule: every ${outputs.syncIntervalHours} h`,
      value: outputs.syncIntervalHours,
      color: GREY,
    });
  if (rpo !== undefined)
    refs.push({
      id: "alarmThreshold",
      label: `missed-backup alarm: over ${hours(rpo)} h`,
      value: hours(rpo),
      color: RED,
    });
  return {
    id: "backupAge",
    title: "Backup age",
    caption:
      "Hours since the newest listing whose every change is stored (BackupAgeSeconds), as each run reported it and growing until the next report. Above the red line the missed-backup alarm fires.",
    unit: "hours",
    period,
    series: [
      {
        id: "backupAge",
        label: "backup age at each run",
        color: BLUE,
        kind: "line",
        points: points(runs, (r) => hours(r.backupAgeSeconds), true),
        drawn,
      },
    ],
    refs,
  };
}

export function chartSpecs(
  records: HistoryRecord[],
  period: Period,
  outputs: ReportOutputs,
): ChartSpec[] {
  const allRuns = runsOf(records);
  const runs = inPeriod(allRuns, period);
  const sized = runs.filter(listed);
  const checks = inPeriod(integrityChecksOf(records), period);
  const drills = inPeriod(drillsOf(records), period);
  return [
    ageChart(allRuns, runs, period, outputs),
    {
      id: "objects",
      title: "Objects in the source and the vault",
      caption:
        "Objects in the source listing and blobs in the vault's data/ listing, as each run listed them at its start (runs that did not finish listing are left out).",
      unit: "count",
      period,
      series: [
        {
          id: "sourceObjects",
          label: "source objects",
          color: BLUE,
          kind: "line",
          points: points(sized, (r) => r.sourceObjects),
        },
        {
          id: "vaultObjects",
          label: "vault blobs",
          color: TEAL,
          kind: "line",
          points: points(sized, (r) => r.vaultObjects),
        },
      ],
    },
    {
      id: "bytes",
      title: "Bytes in the source",
      caption:
        "Bytes in the source listing at each run. The run summaries hold no byte count of the vault, so it is not drawn.",
      unit: "bytes",
      period,
      series: [
        {
          id: "sourceBytes",
          label: "source bytes",
          color: BLUE,
          kind: "line",
          points: points(sized, (r) => r.sourceBytes),
        },
      ],
    },
    {
      id: "copied",
      title: "Objects copied per run",
      caption: "New and changed objects each run copied into the vault.",
      unit: "count",
      period,
      series: [
        {
          id: "copied",
          label: "objects copied",
          color: BLUE,
          kind: "bars",
          points: points(runs, (r) => r.copied),
        },
      ],
    },
    {
      id: "bytesCopied",
      title: "Bytes copied per run",
      caption: "Bytes each run copied into the vault.",
      unit: "bytes",
      period,
      series: [
        {
          id: "bytesCopied",
          label: "bytes copied",
          color: TEAL,
          kind: "bars",
          points: points(runs, (r) => r.bytesCopied),
        },
      ],
    },
    {
      id: "skipped",
      title: "Skipped objects per run",
      caption:
        "Objects a run could not store: on the acknowledged list (acceptedSkips, counted and expected) and not on it (the run is partial; named under Exceptions).",
      unit: "count",
      period,
      series: [
        {
          id: "skippedNew",
          label: "skipped, not on acceptedSkips",
          color: RED,
          kind: "step",
          points: points(runs, (r) => r.skippedCount),
        },
        {
          id: "skippedAccepted",
          label: "skipped, on acceptedSkips",
          color: GREY,
          kind: "step",
          points: points(runs, (r) => r.acceptedSkips),
        },
      ],
    },
    {
      id: "integrity",
      title: "Integrity check coverage",
      caption:
        "Share of the vault's blobs read back and checked within the coverage period (coveredFraction), at each check; red marks a check that found a mismatch or could not finish.",
      unit: "percent",
      period,
      series: [
        {
          id: "integrityCoverage",
          label: "vault read back within the coverage period",
          color: TEAL,
          kind: "line",
          points: points(checks, (c) => c.coveredFraction * 100, true),
        },
      ],
    },
    {
      id: "drills",
      title: "Restore drills",
      caption:
        "Objects each drill restored and verified; green: every object matched, red: a difference or a drill that could not finish.",
      unit: "count",
      period,
      series: [
        {
          id: "drillRestored",
          label: "objects restored and verified",
          color: AMBER,
          kind: "bars",
          points: points(drills, (d) => d.restored, true),
        },
      ],
    },
  ];
}
