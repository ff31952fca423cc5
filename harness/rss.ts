// Peak memory of a process tree, sampled from /proc: the sum of VmRSS over every process in one
// process group (a run and everything it starts: python, rclone, sort), and the largest single
// process. Sampling every 50 ms can miss a short spike; the runs measured last seconds.
import * as fs from "node:fs";

export interface RssPeak {
  /** Largest sum of RSS over the group's processes at one sample, KiB. */
  totalKiB: number;
  /** Largest RSS of one process, KiB. */
  singleKiB: number;
}

function groupRss(pgid: number): { total: number; single: number } {
  let total = 0;
  let single = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // pgrp is the 3rd field after the parenthesised command name
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${entry}/status`, "utf8"));
      const kib = m ? Number(m[1]) : 0;
      total += kib;
      single = Math.max(single, kib);
    } catch {
      // the process ended between readdir and read
    }
  }
  return { total, single };
}

/** Samples the process group until stop() is called; stop() returns the peaks. */
export function sampleGroupRss(pgid: number, everyMs = 50): { stop(): RssPeak } {
  const peak: RssPeak = { totalKiB: 0, singleKiB: 0 };
  const sample = () => {
    const r = groupRss(pgid);
    peak.totalKiB = Math.max(peak.totalKiB, r.total);
    peak.singleKiB = Math.max(peak.singleKiB, r.single);
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
