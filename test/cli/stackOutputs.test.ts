// The operator commands read only what the program exports. The program runs under mocks with a
// stack's real config; its real exports (what index.ts exports, not what buildStack returns),
// as `pulumi stack output --json` prints them (secrets as "[secret]"), go to the output readers
// of `status --stack`, `verify --stack` and `restore --stack`.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { runProgram, type ProgramResult } from "../support/program";
import type { Outputs } from "../../cli/common";
import { statusFromOutputs } from "../../cli/status";
import { verifyTargetFromOutputs } from "../../cli/verify";
import { vaultFromOutputs } from "../../cli/restore";
import { SECRET_OUTPUTS } from "../../domain/outputs";

const ROOT = path.resolve(__dirname, "..", "..");

/** The exports as the pulumi CLI prints them without --show-secrets. */
function asPrinted(r: ProgramResult): Outputs {
  expect(r.error).to.equal(undefined);
  return Object.fromEntries(
    Object.entries(r.outputs).map(([k, o]) => [k, o.secret ? "[secret]" : o.value]),
  );
}

describe("stack outputs: what the operator commands read is what the program exports", function () {
  this.timeout(120_000);
  // Not the defaults, so a reader that guesses (or parses prose) cannot pass by luck.
  const custom = {
    "aws:region": "eu-central-1",
    syncIntervalHours: 6,
    integrityCheck: "daily",
    restoreDrill: "weekly",
  };
  let dev: ProgramResult;
  let devCustom: ProgramResult;
  let devSas: ProgramResult;
  before(() => {
    dev = runProgram("dev");
    devCustom = runProgram("dev", custom);
    devSas = runProgram("dev", { credentialMode: "sas" });
  });

  it("verify --stack asks the exported host with the exported verify document, with an SSM client in the exported region", () => {
    expect(verifyTargetFromOutputs(asPrinted(dev))).to.deep.equal({
      instanceId: "sync-host-instance-id",
      region: "eu-west-1",
      documentName: "cross-cloud-backup-dev-verify",
    });
    expect(verifyTargetFromOutputs(asPrinted(devCustom)).region).to.equal("eu-central-1");
  });

  it("status --stack judges by the exported interval and check schedules, and reads the exported log group and region", () => {
    const d = statusFromOutputs(asPrinted(dev));
    expect(d.schedule).to.deep.equal({
      intervalHours: 4,
      sasExpiry: undefined,
      integrityMaxAgeDays: 8,
      drillMaxAgeDays: 32,
    });
    expect(d.region).to.equal("eu-west-1");
    expect(d.logGroup).to.equal(dev.outputs.runLogGroup.value).and.match(/dev/);
    expect(d.containerUrl).to.equal("https://vaultabc123def4.blob.core.windows.net/backup");

    const c = statusFromOutputs(asPrinted(devCustom));
    expect(c.schedule).to.include({ intervalHours: 6, integrityMaxAgeDays: 2, drillMaxAgeDays: 8 });
    expect(c.region).to.equal("eu-central-1");

    const s = statusFromOutputs(asPrinted(devSas));
    expect(s.schedule.sasExpiry).to.be.a("string").and.equal(devSas.outputs.vaultSasExpiry.value);
    expect(Date.parse(s.schedule.sasExpiry!)).to.be.greaterThan(Date.now());
  });

  it("restore --stack reads the exported vault and source bucket", () => {
    expect(vaultFromOutputs(asPrinted(dev))).to.deep.equal({
      source: {
        kind: "entra",
        accountUrl: "https://vaultabc123def4.blob.core.windows.net",
        container: "backup",
      },
      sourceBucket: "example-app-data-dev",
    });
    expect(vaultFromOutputs(asPrinted(dev), "other").source).to.include({ container: "other" });
  });

  it("a reader names an output the stack does not export instead of guessing", () => {
    const older = asPrinted(dev);
    delete older.syncRegion;
    expect(() => verifyTargetFromOutputs(older)).to.throw(/no syncRegion output: run pulumi up/);
    expect(() => statusFromOutputs(older)).to.throw(/no syncRegion output/);
    // a stack deployed before the verify document: verify refuses rather than fall back to
    // AWS-RunShellScript
    const beforeDocument = asPrinted(dev);
    delete beforeDocument.verifyDocumentName;
    expect(() => verifyTargetFromOutputs(beforeDocument)).to.throw(
      /no verifyDocumentName output: run pulumi up/,
    );
  });

  it("numbers go out as numbers, and the interval is no longer prose", () => {
    expect(dev.outputs.syncIntervalHours).to.deep.equal({ secret: false, value: 4 });
    expect(dev.outputs).to.not.have.property("syncSchedule");
  });

  it("exports every output resolved, and exactly the declared secrets as secrets (the policy pack's list too)", () => {
    for (const r of [dev, devSas]) {
      for (const [k, o] of Object.entries(r.outputs))
        expect(o.value, k).to.satisfy(
          (v: unknown) => typeof v === "string" || typeof v === "number",
        );
      const secret = Object.keys(r.outputs).filter((k) => r.outputs[k].secret);
      expect(secret.sort()).to.deep.equal([...SECRET_OUTPUTS].sort());
    }
    for (const stack of ["dev", "prod"]) {
      const cfg = JSON.parse(
        readFileSync(path.join(ROOT, "policy", `config.${stack}.json`), "utf8"),
      ) as Record<string, { secretOutputs?: string[] }>;
      const listed = Object.values(cfg).flatMap((p) => p.secretOutputs ?? []);
      expect(listed.sort(), `policy/config.${stack}.json`).to.deep.equal(
        [...SECRET_OUTPUTS].sort(),
      );
    }
  });

  it("the README's Outputs list names exactly the exported outputs", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const paragraph = /^Outputs: `sourceBucket`[\s\S]*?\n\n/m.exec(readme)?.[0] ?? "";
    const named = [...paragraph.matchAll(/`([a-z][A-Za-z]+)`/g)].map((m) => m[1]);
    expect([...new Set(named)].sort()).to.deep.equal(Object.keys(dev.outputs).sort());
  });
});
