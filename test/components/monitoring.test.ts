// The first part of "know that the backup works": the alarm topic, the host-health alarm and
// the vault's audit trail, as the program declares them for the dev and prod stacks.
import { expect } from "chai";
import { FAKE_ACCOUNT } from "../support/mocks";
import { ofType, one, plain, runProgram, type ProgramResult } from "../support/program";

const T = {
  key: "aws:kms/key:Key",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  instance: "aws:ec2/instance:Instance",
  workspace: "azure-native:operationalinsights:Workspace",
  diagnostic: "azure-native:monitor:DiagnosticSetting",
  defender: "azure-native:security:DefenderForStorage",
  account: "azure-native:storage:StorageAccount",
};
type Json = Record<string, any>;

describe("alarms and audit trail (mocks)", function () {
  let dev: ProgramResult;
  let prod: ProgramResult;
  let mailed: ProgramResult;

  before(function () {
    dev = runProgram("dev");
    prod = runProgram("prod");
    mailed = runProgram("dev", { alarmEmails: ["ops@example.com", "backup-team@example.org"] });
    for (const [label, r] of Object.entries({ dev, prod, mailed }))
      expect(r.error, `${label} run error`).to.equal(undefined);
  });

  it("encrypts the alarm topic with its own rotating key that CloudWatch may use, only for this account", function () {
    for (const r of [dev, prod]) {
      const key = one(r, T.key).inputs as Json;
      expect(key.enableKeyRotation).to.equal(true);
      const policy = JSON.parse(plain<string>(key.policy)) as { Statement: Json[] };
      const cw = policy.Statement.find((s) => s.Sid === "CloudWatchPublishes")!;
      expect(cw.Principal).to.deep.equal({ Service: "cloudwatch.amazonaws.com" });
      expect(cw.Action).to.deep.equal(["kms:Decrypt", "kms:GenerateDataKey*"]);
      expect(cw.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": FAKE_ACCOUNT } });
      const admin = policy.Statement.find((s) => s.Sid === "AccountAdministers")!;
      expect(admin.Principal).to.deep.equal({ AWS: `arn:aws:iam::${FAKE_ACCOUNT}:root` });
      expect(policy.Statement).to.have.length(2);
      expect((one(r, T.topic).inputs as Json).kmsMasterKeyId).to.equal(
        `arn:aws:mock:kms/key::${FAKE_ACCOUNT}:backup-alarms-key`,
      );
    }
  });

  it("subscribes the configured e-mail addresses, none by default", function () {
    expect(ofType(dev, T.subscription)).to.have.length(0);
    const subs = ofType(mailed, T.subscription).map((s) => s.inputs as Json);
    expect(subs.map((s) => [s.protocol, s.endpoint])).to.deep.equal([
      ["email", "ops@example.com"],
      ["email", "backup-team@example.org"],
    ]);
    for (const s of subs)
      expect(s.topic).to.equal(`arn:aws:mock:sns/topic::${FAKE_ACCOUNT}:backup-alarms-topic`);
    expect(dev.outputs.alarmTopicArn.value).to.match(/backup-alarms-topic$/);
  });

  it("alarms when the host fails its status checks or reports nothing (stopped), and on recovery", function () {
    const alarm = ofType(dev, T.alarm).find((a) => a.name === "backup-alarms-host-unhealthy")!
      .inputs as Json;
    expect(alarm).to.include({
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "breaching",
    });
    expect(alarm.period * alarm.evaluationPeriods).to.equal(600);
    expect(alarm.dimensions).to.deep.equal({ InstanceId: "sync-host-instance-id" });
    const topic = `arn:aws:mock:sns/topic::${FAKE_ACCOUNT}:backup-alarms-topic`;
    expect(alarm.alarmActions).to.deep.equal([topic]);
    expect(alarm.okActions).to.deep.equal([topic]);
  });

  it("sends every blob read, write and delete to a Log Analytics workspace kept as configured", function () {
    for (const [r, days] of [
      [dev, 30],
      [prod, 365],
    ] as const) {
      const ws = one(r, T.workspace).inputs as Json;
      expect(ws.retentionInDays).to.equal(days);
      expect(ws.sku).to.deep.equal({ name: "PerGB2018" });
      const d = one(r, T.diagnostic).inputs as Json;
      expect(d.resourceUri).to.equal("vault-account-id/blobServices/default");
      expect(d.workspaceId).to.equal("vault-audit-logs-id");
      expect(d.logs).to.deep.equal([
        { category: "StorageRead", enabled: true },
        { category: "StorageWrite", enabled: true },
        { category: "StorageDelete", enabled: true },
      ]);
    }
    expect(prod.outputs.vaultAuditWorkspaceId.value).to.equal("vault-audit-logs-id");
  });

  it("turns Defender for Storage on where configured (prod), not in dev", function () {
    expect(ofType(dev, T.defender)).to.have.length(0);
    const d = one(prod, T.defender).inputs as Json;
    expect(d.resourceId).to.equal("vault-account-id");
    expect(d.properties).to.deep.include({ isEnabled: true });
  });

  it("refuses bad alarm addresses and audit retention at preview, naming the key", function () {
    const bad = runProgram("dev", { alarmEmails: ["not-an-address"], auditRetentionDays: 7 });
    expect(bad.error).to.match(/alarmEmails: must list e-mail addresses, got "not-an-address"/);
    expect(bad.error).to.match(
      /auditRetentionDays: must be a whole number between 30 and 730, got 7/,
    );
    expect(bad.resources).to.have.length(0);
  });
});
