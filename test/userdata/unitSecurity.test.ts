// The host's service units judged by systemd's own sandbox review: `systemd-analyze security
// --offline=true` on each rendered unit file (no running systemd needed).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stackSettings } from "../../harness/stack";
import { renderUnits, CHECKS, type CheckKind } from "../../userdata/schedule";
import { SERVICE_NAME } from "../../userdata/settings";

/** systemd's bands: OK is 1.0-4.9; SAFE and PERFECT are better. */
const GOOD_ENOUGH = ["OK", "SAFE", "PERFECT"];

/** Every setting the review (issue #21) asked for, as systemd-analyze names them. */
const REQUIRED = [
  "SystemCallFilter=~@clock",
  "SystemCallFilter=~@debug",
  "SystemCallFilter=~@module",
  "SystemCallFilter=~@mount",
  "SystemCallFilter=~@obsolete",
  "SystemCallFilter=~@raw-io",
  "SystemCallFilter=~@reboot",
  "SystemCallFilter=~@swap",
  "ProtectProc=",
  "ProcSubset=",
  "ProtectKernelLogs=",
  "ProtectClock=",
  "ProtectHostname=",
  "RestrictRealtime=",
];

function analyze(file: string, json = false) {
  const r = spawnSync(
    "systemd-analyze",
    ["security", "--offline=true", "--no-pager", ...(json ? ["--json=short"] : []), file],
    { encoding: "utf8" },
  );
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("host service units: systemd-analyze security", () => {
  const units: [string, string][] = [];
  for (const federated of [true, false]) {
    const s = stackSettings("prod");
    const u = renderUnits(s.syncIntervalHours, federated, {
      integrity: "weekly",
      drill: "monthly",
    });
    const tag = federated ? "federated" : "sas";
    units.push([`${tag}: ${SERVICE_NAME}`, u.service]);
    for (const kind of Object.keys(CHECKS) as CheckKind[])
      units.push([`${tag}: ${CHECKS[kind].unit}.service`, u.checks[kind].service]);
  }

  for (const [label, content] of units) {
    it(`${label} rates OK or better, with the review's settings in force`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), "ccb-unit-security-"));
      try {
        const file = path.join(dir, label.split(": ")[1]);
        writeFileSync(file, content);
        const text = analyze(file);
        expect(text.code, text.err).to.equal(0);
        const m = /Overall exposure level for \S+: (\d+\.\d) (\w+)/.exec(text.out);
        expect(m, text.out).to.not.equal(null);
        const [exposure, rating] = [Number(m![1]), m![2]];
        console.log(`      ${label}: exposure ${exposure} ${rating}`);
        expect(GOOD_ENOUGH, `${label}: ${exposure} ${rating}`).to.include(rating);
        expect(exposure).to.be.at.most(4.9);

        const rows = JSON.parse(analyze(file, true).out) as {
          name: string;
          set: boolean;
          exposure: string | null;
        }[];
        for (const name of REQUIRED) {
          const row = rows.find((r) => r.name === name);
          expect(row, name).to.not.equal(undefined);
          expect(row!.set && row!.exposure === null, `${label}: ${name} not in force`).to.equal(
            true,
          );
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
