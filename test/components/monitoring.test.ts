// The first part of "know that the backup works": the alarm topic, the host-health alarm and
// the vault's audit trail, as the program declares them for the dev and prod stacks.
import { expect } from "chai";
import { FAKE_ACCOUNT } from "../../harness/mocks";
import { ofType, one, plain, runProgram, type ProgramResult } from "../support/program";
import { METRICS, METRICS_NAMESPACE } from "../../domain/telemetry";
import { dashboardName } from "../../components/backupAlarms";

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

  it("keeps each run's summary in the stack's log group, encrypted with a key when configured", function () {
    const lg = one(dev, "aws:cloudwatch/logGroup:LogGroup").inputs as Json;
    expect(lg).to.include({ name: "/cross-cloud-backup/dev", retentionInDays: 90 });
    expect(lg.kmsKeyId).to.equal(undefined);
    const key = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110";
    const withKey = runProgram("dev", { logKmsKeyArn: key, logRetentionDays: 365 });
    expect(one(withKey, "aws:cloudwatch/logGroup:LogGroup").inputs).to.include({
      kmsKeyId: key,
      retentionInDays: 365,
    });
    expect(dev.outputs.runLogGroup.value).to.equal("/cross-cloud-backup/dev");
  });

  for (const hours of [1, 4, 12, 24]) {
    it(`missed backup (every ${hours} h): no heartbeat in a window of one interval to twice the interval plus an hour, missing data breaching`, function () {
      const r = hours === 4 ? dev : runProgram("dev", { syncIntervalHours: hours });
      const a = ofType(r, T.alarm).find((x) => x.name === "backup-alarms-missed-backup")!
        .inputs as Json;
      const window = a.period * a.evaluationPeriods;
      expect(window).to.be.at.least(hours * 3600);
      expect(window).to.be.at.most(2 * hours * 3600 + 3600);
      // CloudWatch: at most 7 days for periods of an hour or more.
      expect(a.period).to.be.at.least(3600);
      expect(window).to.be.at.most(7 * 86_400);
      expect(a.datapointsToAlarm).to.equal(a.evaluationPeriods);
      expect(a).to.include({
        namespace: "CrossCloudBackup",
        metricName: "Heartbeat",
        statistic: "Sum",
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
      });
      expect(a.dimensions).to.deep.equal({ Stack: "dev" });
      expect(a.alarmActions).to.have.length(1);
    });
  }

  it("alarms when an integrity check finds a mismatch or cannot finish", function () {
    for (const r of [dev, prod]) {
      const a = ofType(r, T.alarm).find((x) => x.name === "backup-alarms-integrity")!
        .inputs as Json;
      expect(a).to.include({
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      });
      expect(a.alarmActions).to.have.length(1);
      const q = a.metricQueries as Json[];
      expect(q.filter((x) => x.returnData)).to.have.length(1);
      expect(q.find((x) => x.returnData)!.expression).to.equal(
        "FILL(mismatches, 0) + FILL(failed, 0)",
      );
      const metric = (id: string) => q.find((x) => x.id === id)!.metric;
      const stack = r === dev ? "dev" : "prod";
      for (const [id, name] of [
        ["mismatches", METRICS.integrityMismatches],
        ["failed", METRICS.integrityCheckFailed],
      ])
        expect(metric(id)).to.deep.equal({
          namespace: METRICS_NAMESPACE,
          metricName: name,
          dimensions: { Stack: stack },
          period: 3600,
          stat: "Maximum",
        });
    }
  });

  it("draws a dashboard of every alarm and the backup's metrics where configured (prod)", function () {
    expect(ofType(dev, "aws:cloudwatch/dashboard:Dashboard")).to.have.length(0);
    const d = one(prod, "aws:cloudwatch/dashboard:Dashboard").inputs as Json;
    expect(d.dashboardName).to.equal("cross-cloud-backup-prod");
    const body = JSON.parse(plain<string>(d.dashboardBody)) as { widgets: Json[] };
    const alarmNames = ofType(prod, T.alarm).map((a) => a.name);
    const shown = body.widgets.find((w) => w.type === "alarm")!.properties.alarms as string[];
    expect(shown).to.have.length(alarmNames.length);
    for (const n of alarmNames)
      expect(
        shown.filter((arn) => arn.endsWith(`:${n}`)),
        n,
      ).to.have.length(1);
    for (const w of body.widgets.filter((x) => x.type === "metric")) {
      expect(w.properties.region).to.equal("eu-west-1");
      for (const m of w.properties.metrics as unknown[][]) {
        expect(m.slice(0, 4)).to.deep.equal([METRICS_NAMESPACE, m[1], "Stack", "prod"]);
        expect(Object.values(METRICS)).to.include(m[1]);
      }
    }
    const drawn = body.widgets.flatMap((w) =>
      w.type === "metric" ? (w.properties.metrics as unknown[][]).map((m) => m[1]) : [],
    );
    expect(drawn).to.include.members([
      METRICS.heartbeat,
      METRICS.runFailed,
      METRICS.integrityMismatches,
      METRICS.restoreDrillFailed,
    ]);
    expect(dashboardName("feature.x")).to.equal("cross-cloud-backup-feature-x");
  });

  it("alarms on a failed run and on skipped objects; on credential expiry only in SAS mode", function () {
    const byName = (r: ProgramResult, n: string) =>
      ofType(r, T.alarm).find((x) => x.name === `backup-alarms-${n}`)?.inputs;
    expect(byName(dev, "failed-run")).to.include({
      metricName: "RunFailed",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
    });
    expect(byName(dev, "skipped-objects")).to.include({
      metricName: "SkippedObjects",
      threshold: 1,
    });
    expect(byName(prod, "restore-drill")).to.include({
      metricName: "RestoreDrillFailed",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "notBreaching",
    });
    expect(byName(dev, "credential-expiry")).to.equal(undefined);
    const sas = runProgram("dev", { credentialMode: "sas" });
    expect(byName(sas, "credential-expiry")).to.include({
      metricName: "CredentialSecondsLeft",
      statistic: "Minimum",
      comparisonOperator: "LessThanThreshold",
      threshold: 7 * 86_400, // dev's sasRotationDays: less than one window left
    });
    for (const a of ofType(dev, T.alarm))
      expect((a.inputs as Json).alarmActions, a.name).to.have.length(1);
    // Per-run events do not send an "OK" an hour later with nothing fixed; states do.
    expect(byName(dev, "failed-run")!.okActions).to.equal(undefined);
    expect(byName(dev, "skipped-objects")!.okActions).to.equal(undefined);
    expect(byName(dev, "missed-backup")!.okActions).to.have.length(1);
    expect(byName(dev, "host-unhealthy")!.okActions).to.have.length(1);
  });

  it("refuses bad alarm addresses and audit retention at preview, naming the key", function () {
    const bad = runProgram("dev", {
      alarmEmails: ["not-an-address"],
      auditRetentionDays: 7,
      logRetentionDays: 10,
    });
    expect(bad.error).to.match(
      /logRetentionDays: must be one of the periods CloudWatch Logs accepts/,
    );
    expect(bad.error).to.match(/alarmEmails: must list e-mail addresses, got "not-an-address"/);
    expect(bad.error).to.match(
      /auditRetentionDays: must be a whole number between 30 and 730, got 7/,
    );
    expect(bad.resources).to.have.length(0);
  });
});
