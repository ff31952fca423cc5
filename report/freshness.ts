// How current the backup was over time, from the runs' own reports. Each run reports, when it
// ends, BackupAgeSeconds: the time since the start of the newest listing whose every change is
// stored. Until the next run reports, that age only grows. So the age over time is a sawtooth
// through the reported ages, and the missed-backup alarm's threshold (interval + 1 hours) is
// breached wherever the sawtooth is above it. A partial or failed run does not reset the age:
// it reports the age of the last fresh listing, which keeps growing.
import type { RunRecord } from "./types";
import { recordTime } from "./history";

export interface AgePoint {
  /** Epoch milliseconds. */
  t: number;
  ageSeconds: number;
}

/** The backup's age at `t`, from the newest run that ended at or before it (undefined: none). */
export function ageAt(runs: RunRecord[], t: number): number | undefined {
  let last: RunRecord | undefined;
  for (const r of runs) if (recordTime(r) <= t) last = r;
  if (last === undefined) return undefined;
  return last.backupAgeSeconds + (t - recordTime(last)) / 1000;
}

/**
 * The sawtooth's corners from the first run's end to `until`: each run's reported age, and the
 * age just before the next run reported (or at `until`). `runs` oldest first.
 */
export function ageCurve(runs: RunRecord[], until: number): AgePoint[] {
  const points: AgePoint[] = [];
  runs.forEach((r, i) => {
    const t = recordTime(r);
    points.push({ t, ageSeconds: r.backupAgeSeconds });
    const next = i + 1 < runs.length ? recordTime(runs[i + 1]) : until;
    if (next > t) points.push({ t: next, ageSeconds: r.backupAgeSeconds + (next - t) / 1000 });
  });
  return points;
}

export interface Breaches {
  /** Seconds in [from, until] during which the age was over the threshold. */
  seconds: number;
  /** Unbroken stretches over the threshold, oldest first. */
  episodes: { from: number; to: number }[];
  /** Seconds of [from, until] for which no run had reported yet (nothing to judge). */
  uncoveredSeconds: number;
}

/**
 * Where the age was over `thresholdSeconds` within [from, until]. Runs before `from` count for
 * the age at `from`; time before the first run is "uncovered", never counted as fresh.
 */
export function breaches(
  runs: RunRecord[],
  thresholdSeconds: number,
  from: number,
  until: number,
): Breaches {
  const episodes: { from: number; to: number }[] = [];
  const add = (a: number, b: number) => {
    const s = Math.max(a, from);
    const e = Math.min(b, until);
    if (e <= s) return;
    const last = episodes.at(-1);
    if (last && last.to >= s) last.to = Math.max(last.to, e);
    else episodes.push({ from: s, to: e });
  };
  runs.forEach((r, i) => {
    const t = recordTime(r);
    const next = i + 1 < runs.length ? recordTime(runs[i + 1]) : until;
    // Within [t, next) the age is reported + elapsed: over the threshold from this point on.
    const over = t + Math.max(0, thresholdSeconds - r.backupAgeSeconds) * 1000;
    if (next > over) add(over, next);
  });
  const firstRun = runs.length > 0 ? recordTime(runs[0]) : until;
  const seconds = episodes.reduce((n, e) => n + (e.to - e.from) / 1000, 0);
  return {
    seconds,
    episodes,
    uncoveredSeconds: Math.max(0, (Math.min(firstRun, until) - from) / 1000),
  };
}
