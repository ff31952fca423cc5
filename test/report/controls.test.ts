// The report's verdicts: each control on the four fixture histories (healthy, stale, tampered,
// partial for ever), and the rules that keep a control from passing without evidence.
import { expect } from "chai";
import { evaluateControls } from "../../report/controls";
import { ageAt, breaches } from "../../report/freshness";
import { CONTROL_POLICIES } from "../../report/settingsControls";
import type { Control, Verdict } from "../../report/verdicts";
import { policies } from "../../policy/policies";
import {
  ALARMS,
  healthy,
  inputOf,
  NOW,
  outputs,
  partialForever,
  run,
  stale,
  tampered,
} from "./fixtures";

const DAY = 86_400_000;
const HOUR = 3_600_000;

function verdicts(controls: Control[]): Record<string, Verdict> {
  return Object.fromEntries(controls.map((c) => [c.id, c.verdict]));
}

function control(controls: Control[], id: string): Control {
  const c = controls.find((x) => x.id === id);
  if (!c) throw new Error(`no control ${id}`);
  return c;
}

const HEALTHY: Record<string, Verdict> = {
  backupAge: "pass",
  rpoHeld: "pass",
  lastRun: "pass",
  integrity: "pass",
  drill: "pass",
  worm: "pass",
  softDelete: "pass",
  sharedKey: "pass",
  firewall: "pass",
  credential: "pass",
  auditTrail: "pass",
  policyPack: "pass",
  // The stack exports the alarm topic, not who is subscribed to it.
  alarms: "no evidence",
};

describe("report controls", () => {
  it("healthy: every control passes except the alarms' recipients, which no output shows", () => {
    const controls = evaluateControls(inputOf(healthy()));
    expect(verdicts(controls)).to.deep.equal(HEALTHY);
    const alarms = control(controls, "alarms").evidence;
    for (const name of ALARMS) expect(alarms).to.include(name);
    expect(alarms).to.include("who is subscribed to it is not among the stack's outputs");
  });

  it("stale: the backup age and the period's RPO fail; the checks still pass", () => {
    const controls = evaluateControls(inputOf(stale()));
    expect(verdicts(controls)).to.deep.equal({ ...HEALTHY, backupAge: "fail", rpoHeld: "fail" });
    expect(control(controls, "backupAge").evidence).to.match(/backup age 2\.2 days/);
    expect(control(controls, "rpoHeld").evidence).to.match(
      /exceeded 5\.0 h for 47\.\d h in 1 episode/,
    );
  });

  it("tampered: the integrity check fails, and names the outcome", () => {
    const controls = evaluateControls(inputOf(tampered()));
    expect(verdicts(controls)).to.deep.equal({ ...HEALTHY, integrity: "fail" });
    expect(control(controls, "integrity").evidence)
      .to.match(/^mismatch/)
      .and.include("read back and differing 1");
  });

  it("partial for ever: runs that succeed in their own terms never make the backup current", () => {
    const s = partialForever();
    expect(
      s.records
        .filter((r) => r.kind === "run")
        .every((r) => r.kind === "run" && r.errorCount === 0),
    ).to.equal(true);
    const controls = evaluateControls(inputOf(s));
    expect(verdicts(controls)).to.deep.equal({
      ...HEALTHY,
      backupAge: "fail",
      rpoHeld: "fail",
      lastRun: "fail",
    });
    expect(control(controls, "backupAge").evidence).to.include("no run has stored every change");
    expect(control(controls, "lastRun").evidence).to.include("2 object(s) skipped");
  });

  it("without outputs or policy results, nothing that needs them passes", () => {
    const controls = evaluateControls(inputOf(healthy(), { outputs: {}, policy: undefined }));
    const v = verdicts(controls);
    for (const id of Object.keys(HEALTHY).filter((k) => k !== "lastRun"))
      expect(v[id], id).to.equal("no evidence");
    expect(control(controls, "backupAge").evidence).to.include("exports no syncIntervalHours");
  });

  it("without any record, the run and check controls have no evidence", () => {
    const v = verdicts(evaluateControls(inputOf({ ...healthy(), records: [] })));
    for (const id of ["backupAge", "rpoHeld", "lastRun", "integrity", "drill"])
      expect(v[id], id).to.equal("no evidence");
  });

  it("WORM passes only when Locked", () => {
    for (const [state, want] of [
      ["Locked", "pass"],
      ["Unlocked", "fail"],
      ["Disabled", "fail"],
    ] as const) {
      const s = { ...healthy(), outputs: outputs({ vaultImmutabilityState: state }) };
      expect(verdicts(evaluateControls(inputOf(s))).worm, state).to.equal(want);
    }
  });

  it("SAS mode: Shared Key is on, and the credential fails within 7 days of its expiry", () => {
    const sas = (days: number) => {
      const s = {
        ...healthy(),
        outputs: outputs({
          credentialMode: "sas",
          vaultSasExpiry: new Date(NOW.getTime() + days * DAY).toISOString(),
        }),
      };
      return verdicts(evaluateControls(inputOf(s)));
    };
    expect(sas(30)).to.include({ credential: "pass", sharedKey: "fail" });
    expect(sas(3).credential).to.equal("fail");
    expect(sas(-1).credential).to.equal("fail");
  });

  it("a violated policy fails its control and the pack; a policy absent from the results is no evidence", () => {
    const s = healthy();
    const violated = {
      ...s.policy,
      outcomes: s.policy.outcomes.map((o) =>
        o.policy === "vault-data-protection"
          ? {
              ...o,
              violations: [{ message: "blob versioning must be enabled (isVersioningEnabled)" }],
            }
          : o,
      ),
    };
    const v = evaluateControls(inputOf(s, { policy: violated }));
    expect(verdicts(v)).to.include({ softDelete: "fail", policyPack: "fail", firewall: "pass" });
    expect(control(v, "softDelete").evidence).to.include("isVersioningEnabled");
    const absent = {
      ...s.policy,
      outcomes: s.policy.outcomes.filter((o) => o.policy !== "vault-no-firewall-bypass"),
    };
    expect(verdicts(evaluateControls(inputOf(s, { policy: absent }))).firewall).to.equal(
      "no evidence",
    );
  });

  it("every policy a control rests on is in the pack", () => {
    const names = policies.map((p) => p.name);
    for (const list of Object.values(CONTROL_POLICIES))
      for (const n of list) expect(names).to.include(n);
  });

  it("a check older than its schedule plus a day fails; an 'off' schedule judges the outcome only", () => {
    const s = healthy();
    const old = s.records.filter(
      (r) => r.kind !== "integrity" || Date.parse(r.finished) < NOW.getTime() - 9 * DAY,
    );
    expect(verdicts(evaluateControls(inputOf({ ...s, records: old }))).integrity).to.equal("fail");
    const off = { ...s, records: old, outputs: outputs({ integrityCheck: "off" }) };
    expect(verdicts(evaluateControls(inputOf(off))).integrity).to.equal("pass");
  });

  it("a drill that restored nothing fails", () => {
    const s = healthy();
    const last = s.records.filter((r) => r.kind === "drill").at(-1)!;
    Object.assign(last, { restored: 0, restoredBytes: 0, sourceCompared: 0 });
    expect(verdicts(evaluateControls(inputOf(s))).drill).to.equal("fail");
  });

  it("a history that starts late leaves the period's RPO without evidence", () => {
    const s = healthy();
    const recent = s.records.filter((r) => Date.parse(r.finished) > NOW.getTime() - 10 * DAY);
    const c = control(evaluateControls(inputOf({ ...s, records: recent })), "rpoHeld");
    expect(c.verdict).to.equal("no evidence");
    expect(c.evidence).to.match(/first 80\.\d days of the period have no evidence/);
  });

  it("judged as of an earlier time, later records are ignored", () => {
    const s = tampered();
    const mismatch = s.records.filter((r) => r.kind === "integrity").at(-1)!;
    const before = new Date(Date.parse(mismatch.finished) - HOUR);
    const v = verdicts(
      evaluateControls(
        inputOf(s, {
          now: before,
          period: { from: new Date(before.getTime() - 90 * DAY), to: before },
        }),
      ),
    );
    expect(v.integrity).to.equal("pass");
  });
});

describe("report freshness", () => {
  const at = (h: number) => Date.parse("2026-11-01T00:00:00Z") + h * HOUR;
  const runAt = (h: number, ageSeconds: number) => {
    const r = run(at(h) - 120_000);
    return { ...r, backupAgeSeconds: ageSeconds };
  };

  it("the age grows from each run's report until the next", () => {
    const runs = [runAt(0, 120), runAt(4, 120)];
    expect(ageAt(runs, at(-1))).to.equal(undefined);
    expect(ageAt(runs, at(3))).to.equal(120 + 3 * 3600);
    expect(ageAt(runs, at(4))).to.equal(120);
  });

  it("counts the time over the threshold, and merges a breach that a late run does not end", () => {
    const threshold = 5 * 3600;
    // Runs at 0 and 4 h fresh; none until 12 h, which reports 8 h (not fresh); fresh at 16 h.
    const runs = [runAt(0, 0), runAt(4, 0), runAt(12, 8 * 3600), runAt(16, 0)];
    const b = breaches(runs, threshold, at(0), at(20));
    // Over from 9 h (4 + 5) to 16 h: one episode of 7 hours.
    expect(b.episodes).to.deep.equal([{ from: at(9), to: at(16) }]);
    expect(b.seconds).to.equal(7 * 3600);
    expect(b.uncoveredSeconds).to.equal(0);
    // Judged from before the first run: that time is uncovered, not fresh.
    expect(breaches(runs, threshold, at(-2), at(3)).uncoveredSeconds).to.equal(2 * 3600);
  });
});
