// The `engine` key and what each engine needs of the other keys (domain/managedEngine.ts): every
// broken rule reported under the key to change, with the rule, all at once; a valid managed-engine
// config accepted as written.
import { expect } from "chai";
import { ConfigError, parseConfig, type RawConfig } from "../../config";

const REGION = "eu-west-1";
const DATASYNC: RawConfig = {
  sourceBucket: "example-app-data",
  engine: "datasync",
  credentialMode: "sas",
  openVaultFirewall: "true",
  integrityCheck: "off",
  restoreDrill: "off",
};

function problemsOf(raw: RawConfig): string[] {
  try {
    parseConfig(raw, REGION);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  expect.fail(`parseConfig accepted ${JSON.stringify(raw)}`);
}

describe("config: engine", () => {
  it("defaults to the host, with the vault's firewall closed", () => {
    const cfg = parseConfig({ sourceBucket: "example-app-data" }, REGION);
    expect(cfg.engine).to.equal("host");
    expect(cfg.openVaultFirewall).to.equal(false);
  });

  it("accepts a managed-engine config that meets every rule, with or without allowedIps", () => {
    const cfg = parseConfig(DATASYNC, REGION);
    expect(cfg).to.include({
      engine: "datasync",
      credentialMode: "sas",
      openVaultFirewall: true,
      syncMode: "copy",
      integrityCheck: "off",
      restoreDrill: "off",
    });
    // No host, so no Elastic IP rule: an empty firewall list is fine when it admits everything.
    expect(cfg.allowedIps).to.deep.equal([]);
    expect(
      parseConfig({ ...DATASYNC, allowedIps: '["198.51.100.0/24"]' }, REGION).allowedIps,
    ).to.deep.equal(["198.51.100.0/24"]);
  });

  it("reports, at once and under their own keys, everything datasync needs changed", () => {
    const problems = problemsOf({ sourceBucket: "example-app-data", engine: "datasync" });
    expect(problems.map((p) => p.split(": ")[0])).to.have.members([
      "cross-cloud-backup:credentialMode",
      "cross-cloud-backup:openVaultFirewall",
      "cross-cloud-backup:integrityCheck",
      "cross-cloud-backup:restoreDrill",
    ]);
    const byKey = (k: string) => problems.find((p) => p.startsWith(`cross-cloud-backup:${k}:`))!;
    expect(byKey("credentialMode")).to.match(/must be "sas".*SAS token only/);
    expect(byKey("openVaultFirewall")).to.match(/does not publish.*every network/);
    expect(byKey("integrityCheck")).to.match(/must be "off".*got "weekly".*content record/);
    expect(byKey("restoreDrill")).to.match(/must be "off".*got "monthly"/);
  });

  it("refuses mirror mode with datasync: it would delete with no deletion guard", () => {
    expect(problemsOf({ ...DATASYNC, syncMode: "mirror" })).to.deep.equal([
      'cross-cloud-backup:syncMode: "mirror" cannot be combined with engine "datasync": DataSync\'s PreserveDeletedFiles REMOVE deletes every blob whose source object is gone at once, with no deletion guard (maxDeletes, maxDeletePercent, deletionWindowHours) and nothing kept in archive/. Use "copy" (DataSync then never deletes: PreserveDeletedFiles PRESERVE)',
    ]);
  });

  it("refuses openVaultFirewall with the host engine, which never needs it", () => {
    const problems = problemsOf({ sourceBucket: "example-app-data", openVaultFirewall: "true" });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(
      /^cross-cloud-backup:openVaultFirewall: applies to engine "datasync" only/,
    );
  });

  it("refuses storageMover, naming what the pinned provider lacks", () => {
    const problems = problemsOf({ sourceBucket: "example-app-data", engine: "storageMover" });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(
      /^cross-cloud-backup:engine: "storageMover" cannot be provisioned.*2024-07-01.*multicloud connector/,
    );
  });

  it("refuses an unknown engine, listing the allowed ones", () => {
    expect(problemsOf({ sourceBucket: "example-app-data", engine: "rsync" })).to.deep.equal([
      'cross-cloud-backup:engine: unknown value "rsync"; allowed: host, datasync, storageMover',
    ]);
  });

  it("still applies SAS mode's own rules to the managed engine's SAS", () => {
    // The SAS lives two rotation windows; the account keys that sign it, 90 days.
    const problems = problemsOf({ ...DATASYNC, sasRotationDays: "60" });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^cross-cloud-backup:sasRotationDays: must be at most 45/);
  });
});
