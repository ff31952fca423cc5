// scripts/sas-window.ts, which the scheduled workflow runs to pick the stacks whose SAS it renews:
// the stack files' credentialMode and sasRotationDays with the schema's defaults and rules, and
// the program's own window (domain/sasWindow.ts).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { stackConfig, stackNames } from "../../config/stackFile";
import { renewalsDue, stackRenewal } from "../../scripts/sas-window";

const ROOT = path.resolve(__dirname, "..", "..");
const FIRST_DAY = new Date("2026-12-03T00:30:00Z"); // day 20790: divisible by 7 and by 30
const NEXT_DAY = new Date("2026-12-04T00:30:00Z");
const sas = (days?: number) => ({
  "cross-cloud-backup:credentialMode": "sas",
  ...(days === undefined ? {} : { "cross-cloud-backup:sasRotationDays": String(days) }),
});

describe("sas-window script", () => {
  it("renews a SAS stack on the first day of its window, not the day after", () => {
    const r = stackRenewal("dev", sas(7), FIRST_DAY);
    expect(r).to.deep.include({ mode: "sas", rotationDays: 7, firstDay: true });
    expect(r.window).to.deep.equal({
      start: "2026-12-03T00:00:00Z",
      expiry: "2026-12-17T00:00:00Z",
    });
    expect(renewalsDue([r], false)).to.deep.equal(["dev"]);
    expect(renewalsDue([stackRenewal("dev", sas(7), NEXT_DAY)], false)).to.deep.equal([]);
    // 180-day windows: day 20790 is not a first day.
    expect(renewalsDue([stackRenewal("dev", sas(180), FIRST_DAY)], false)).to.deep.equal([]);
  });

  it("takes the schema's defaults: federated (nothing to renew), 30-day windows", () => {
    expect(stackRenewal("x", {}, FIRST_DAY)).to.deep.include({
      mode: "federated",
      rotationDays: 30,
    });
    expect(stackRenewal("x", sas(), FIRST_DAY)).to.deep.include({
      rotationDays: 30,
      firstDay: true,
    });
  });

  it("renews every SAS stack, and only those, when run by hand (--all)", () => {
    const all = [
      stackRenewal("a", sas(7), NEXT_DAY),
      stackRenewal("b", {}, FIRST_DAY),
      stackRenewal("c", sas(30), FIRST_DAY),
    ];
    expect(renewalsDue(all, true)).to.deep.equal(["a", "c"]);
    expect(renewalsDue(all, false)).to.deep.equal(["c"]);
  });

  it("fails on a setting the program would reject, naming the stack file and the key", () => {
    expect(() => stackRenewal("dev", sas(0), FIRST_DAY)).to.throw(
      /^Pulumi\.dev\.yaml: cross-cloud-backup:sasRotationDays: must be a whole number between 1 and 180/,
    );
    expect(() =>
      stackRenewal("dev", { "cross-cloud-backup:credentialMode": "key" }, FIRST_DAY),
    ).to.throw(/cross-cloud-backup:credentialMode: unknown value "key"/);
  });

  it("prints only the JSON list on stdout, as the workflow's output expects, for this repository's stacks", function () {
    this.timeout(120_000);
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "scripts", "sas-window.ts"), ...args],
        { cwd: ROOT, encoding: "utf8" },
      );
    const stacks = stackNames();
    expect(stacks).to.include.members(["dev", "prod"]);
    for (const all of [false, true]) {
      const r = run(["--now", FIRST_DAY.toISOString(), ...(all ? ["--all"] : [])]);
      expect(r.status, r.stderr).to.equal(0);
      const expected = renewalsDue(
        stacks.map((s) => stackRenewal(s, stackConfig(s), FIRST_DAY)),
        all,
      );
      expect(JSON.parse(r.stdout)).to.deep.equal(expected);
      expect(r.stdout.trim().split("\n")).to.have.length(1);
      for (const s of stacks) expect(r.stderr).to.include(`${s}: `);
    }
    const bad = run(["--now", "yesterday"]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/--now "yesterday" is not a date/);
  });
});
