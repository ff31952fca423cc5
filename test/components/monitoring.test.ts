// The first part of "know that the backup works": the alarm topic, the host-health alarm and
// the vault's audit trail, as the program declares them for the dev and prod stacks.
import { expect } from "chai";
import { FAKE_ACCOUNT } from "../../harness/mocks";
import { ofType, one, plain, runProgram, type ProgramResult } from "../support/program";
import * as pulumi from "@pulumi/pulumi";
import { METRICS } from "../../domain/telemetry";
import { BackupAlarms, dashboardName, type BackupAlarmsArgs } from "../../components/backupAlarms";

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
const TOPIC = `arn:aws:mock:sns/topic::${FAKE_ACCOUNT}:backup-alarms-topic`;
const DAY = 86_400;

/** The alarm `backup-alarms-<suffix>`'s recorded inputs, or undefined when it was not created. */
function alarm(r: ProgramResult, suffix: string): Json | undefined {
  return ofType(r, T.alarm).find((x) => x.name === `backup-alarms-${suffix}`)?.inputs;
}

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

  it("one namespace per stack: every alarm on the host's metrics watches its own stack's namespace, the only one its host may publish into", function () {
    for (const [stack, r] of [
      ["dev", dev],
      ["prod", prod],
    ] as const) {
      // Each alarm's metrics: its own, or those of its metric-math queries.
      const watched = ofType(r, T.alarm).flatMap((a) => {
        const x = a.inputs as Json;
        const queried = ((x.metricQueries ?? []) as Json[]).filter((q) => q.metric);
        return queried.length > 0 ? queried.map((q) => q.metric.namespace) : [x.namespace];
      });
      const own = watched.filter((ns) => ns !== "AWS/EC2");
      expect(own.length, stack).to.be.at.least(5);
      expect([...new Set(own)], stack).to.deep.equal([`CrossCloudBackup/${stack}`]);
      const publish = ofType(r, "aws:iam/rolePolicy:RolePolicy")
        .map((p) => JSON.parse(plain<string>((p.inputs as Json).policy)) as { Statement: Json[] })
        .flatMap((p) => p.Statement)
        .filter((st) => [st.Action].flat().includes("cloudwatch:PutMetricData"));
      expect(publish, stack).to.have.length(1);
      expect(publish[0].Condition).to.deep.equal({
        StringEquals: { "cloudwatch:namespace": `CrossCloudBackup/${stack}` },
      });
    }
  });

  for (const hours of [1, 4, 12, 24]) {
    it(`missed backup (every ${hours} h): the backup's age over ${hours + 1} h in every hourly period of ${hours + 1} h, no data breaching, within CloudWatch's 7-day window`, function () {
      const r = hours === 4 ? dev : runProgram("dev", { syncIntervalHours: hours });
      const a = alarm(r, "missed-backup")!;
      expect(a).to.include({
        namespace: "CrossCloudBackup/dev",
        metricName: METRICS.backupAgeSeconds,
        statistic: "Maximum",
        period: 3600,
        evaluationPeriods: hours + 1,
        datapointsToAlarm: hours + 1,
        threshold: (hours + 1) * 3600,
        comparisonOperator: "GreaterThanThreshold",
        // Between runs the periods hold no data: breaching, so only a window without any run
        // reporting a fresh enough backup alarms (and a host that went silent does).
        treatMissingData: "breaching",
      });
      const window = a.period * a.evaluationPeriods;
      // Every window holds at least one scheduled run (plus an hour for its delay and length).
      expect(window).to.be.at.least(hours * 3600 + 3600);
      // CloudWatch: at most 7 days for periods of an hour or more.
      expect(window).to.be.at.most(7 * DAY);
      // A run that did not store everything after a fresh one reports about the interval plus
      // its duration (here 10 minutes): under the threshold. The second in a row is over it.
      expect(hours * 3600 + 600).to.be.below(a.threshold);
      expect(2 * hours * 3600 + 600).to.be.above(a.threshold);
      expect(a.dimensions).to.deep.equal({ Stack: "dev" });
      expect(a.alarmActions).to.deep.equal([TOPIC]);
      expect(a.okActions).to.deep.equal([TOPIC]);
    });
  }

  it("skipped objects: alarms once for a skip that persists (state kept between runs) and says when it clears; accepted skips are not counted", function () {
    const a = alarm(dev, "skipped-objects")!;
    expect(a).to.include({
      metricName: METRICS.skippedObjects,
      statistic: "Maximum",
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "ignore",
    });
    expect(a.alarmActions).to.deep.equal([TOPIC]);
    expect(a.okActions).to.deep.equal([TOPIC]);
    expect(a.alarmDescription).to.match(/acceptedSkips\) are not counted/);
  });

  it("source drop: alarms when a run finds the source smaller by sourceDropAlarmPercent (default 50) or more", function () {
    for (const [r, percent] of [
      [dev, 50],
      [runProgram("dev", { sourceDropAlarmPercent: 20 }), 20],
    ] as const) {
      const a = alarm(r, "source-drop")!;
      expect(a).to.include({
        namespace: "CrossCloudBackup/dev",
        metricName: METRICS.sourceDropPercent,
        statistic: "Maximum",
        period: 3600,
        evaluationPeriods: 1,
        threshold: percent,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      });
      expect(a.dimensions).to.deep.equal({ Stack: "dev" });
      expect(a.alarmActions).to.deep.equal([TOPIC]);
      expect(a.okActions).to.equal(undefined);
      expect(a.alarmDescription).to.include(`at least ${percent}% smaller`);
    }
  });

  for (const hours of [4, 12]) {
    it(`overrun (every ${hours} h): alarms when a run takes longer than the interval`, function () {
      const r = hours === 4 ? dev : runProgram("dev", { syncIntervalHours: hours });
      const a = alarm(r, "overrun")!;
      expect(a).to.include({
        metricName: METRICS.durationSeconds,
        statistic: "Maximum",
        period: 3600,
        evaluationPeriods: 1,
        threshold: hours * 3600,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
      expect(a.alarmActions).to.deep.equal([TOPIC]);
      expect(a.okActions).to.equal(undefined);
    });
  }

  it("run killed: alarms when systemd killed a run before it could record itself", function () {
    const a = alarm(dev, "run-killed")!;
    expect(a).to.include({
      metricName: METRICS.runKilled,
      statistic: "Maximum",
      period: 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    expect(a.alarmActions).to.deep.equal([TOPIC]);
    expect(a.okActions).to.equal(undefined);
  });

  it("check overdue: one alarm per scheduled check, at its period plus a day (defaults: integrity weekly, drill monthly)", function () {
    for (const r of [dev, prod]) {
      const stack = r === dev ? "dev" : "prod";
      for (const [suffix, metricName, threshold] of [
        ["integrity-overdue", METRICS.integrityAgeSeconds, 8 * DAY],
        ["drill-overdue", METRICS.drillAgeSeconds, 32 * DAY],
      ] as const) {
        const a = alarm(r, suffix)!;
        expect(a, suffix).to.include({
          namespace: `CrossCloudBackup/${stack}`,
          metricName,
          statistic: "Maximum",
          period: 3600,
          evaluationPeriods: 1,
          threshold,
          comparisonOperator: "GreaterThanThreshold",
          // The state holds between runs (one notice, not one per run); a silent host is the
          // missed-backup alarm's.
          treatMissingData: "ignore",
        });
        expect(a.dimensions).to.deep.equal({ Stack: stack });
        expect(a.alarmActions).to.deep.equal([TOPIC]);
        expect(a.okActions).to.deep.equal([TOPIC]);
      }
    }
    const daily = runProgram("dev", { integrityCheck: "daily", restoreDrill: "weekly" });
    expect(alarm(daily, "integrity-overdue")!.threshold).to.equal(2 * DAY);
    expect(alarm(daily, "drill-overdue")!.threshold).to.equal(8 * DAY);
  });

  it("check overdue: no alarm for a check that is off (on demand only)", function () {
    const off = runProgram("dev", { integrityCheck: "off", restoreDrill: "off" });
    expect(off.error).to.equal(undefined);
    expect(alarm(off, "integrity-overdue")).to.equal(undefined);
    expect(alarm(off, "drill-overdue")).to.equal(undefined);
    // The checks' findings are still alarmed when run by hand.
    expect(alarm(off, "integrity")).to.not.equal(undefined);
    expect(alarm(off, "restore-drill")).to.not.equal(undefined);
    const drillOff = runProgram("dev", { restoreDrill: "off" });
    expect(alarm(drillOff, "integrity-overdue")).to.not.equal(undefined);
    expect(alarm(drillOff, "drill-overdue")).to.equal(undefined);
  });

  it("every alarm notifies the topic and points to the runbook", function () {
    const names = ofType(prod, T.alarm).map((a) => a.name.replace(/^backup-alarms-/, ""));
    expect(names).to.have.members([
      "missed-backup",
      "failed-run",
      "skipped-objects",
      "source-drop",
      "overrun",
      "run-killed",
      "integrity-overdue",
      "drill-overdue",
      "integrity",
      "restore-drill",
      "host-unhealthy",
    ]);
    for (const a of ofType(prod, T.alarm)) {
      const inputs = a.inputs as Json;
      expect(inputs.alarmDescription, a.name).to.match(/ Runbook: README, Alarms\.$/);
      expect(inputs.alarmActions, a.name).to.deep.equal([TOPIC]);
    }
  });

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
          namespace: `CrossCloudBackup/${stack}`,
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
        expect(m.slice(0, 4)).to.deep.equal(["CrossCloudBackup/prod", m[1], "Stack", "prod"]);
        expect(Object.values(METRICS)).to.include(m[1]);
      }
    }
    const drawn = body.widgets.flatMap((w) =>
      w.type === "metric" ? (w.properties.metrics as unknown[][]).map((m) => m[1]) : [],
    );
    expect(drawn).to.include.members([
      METRICS.backupAgeSeconds,
      METRICS.heartbeat,
      METRICS.runFailed,
      METRICS.runKilled,
      METRICS.durationSeconds,
      METRICS.skippedObjects,
      METRICS.acceptedSkips,
      METRICS.sourceDropPercent,
      METRICS.integrityMismatches,
      METRICS.restoreDrillFailed,
      METRICS.integrityAgeSeconds,
      METRICS.drillAgeSeconds,
    ]);
    expect(dashboardName("feature.x")).to.equal("cross-cloud-backup-feature-x");
  });

  it("draws each alarm's threshold on its metric's graph (prod: every 4 h, drop 50%, weekly check, monthly drill)", function () {
    const d = one(prod, "aws:cloudwatch/dashboard:Dashboard").inputs as Json;
    const body = JSON.parse(plain<string>(d.dashboardBody)) as { widgets: Json[] };
    const linesOf = (metricName: string) => {
      const w = body.widgets.find(
        (x) =>
          x.type === "metric" &&
          (x.properties.metrics as unknown[][]).some((m) => m[1] === metricName),
      )!;
      return (w.properties.annotations?.horizontal ?? []) as { label: string; value: number }[];
    };
    const values = (metricName: string) => linesOf(metricName).map((l) => l.value);
    // The same thresholds the alarms hold.
    expect(values(METRICS.backupAgeSeconds)).to.deep.equal([
      alarm(prod, "missed-backup")!.threshold,
    ]);
    expect(values(METRICS.backupAgeSeconds)).to.deep.equal([5 * 3600]);
    expect(values(METRICS.durationSeconds)).to.deep.equal([alarm(prod, "overrun")!.threshold]);
    expect(values(METRICS.sourceDropPercent)).to.deep.equal([50]);
    expect(values(METRICS.integrityAgeSeconds)).to.deep.equal([8 * DAY, 32 * DAY]);
    for (const l of linesOf(METRICS.backupAgeSeconds)) expect(l.label).to.match(/missed-backup/);
    // No line for a check that is off.
    const off = runProgram("prod", { restoreDrill: "off" });
    const offBody = JSON.parse(
      plain<string>((one(off, "aws:cloudwatch/dashboard:Dashboard").inputs as Json).dashboardBody),
    ) as { widgets: Json[] };
    const ages = offBody.widgets.find((w) =>
      (w.properties.metrics as unknown[][] | undefined)?.some(
        (m) => m[1] === METRICS.integrityAgeSeconds,
      ),
    )!;
    expect(
      (ages.properties.annotations.horizontal as { value: number }[]).map((l) => l.value),
    ).to.deep.equal([8 * DAY]);
  });

  it("lays the dashboard's widgets out on CloudWatch's 24-column grid without overlaps", function () {
    const d = one(prod, "aws:cloudwatch/dashboard:Dashboard").inputs as Json;
    const widgets = (JSON.parse(plain<string>(d.dashboardBody)) as { widgets: Json[] }).widgets;
    for (const w of widgets) {
      for (const k of ["x", "y", "width", "height"])
        expect(Number.isInteger(w[k]), `${w.properties.title} ${k}`).to.equal(true);
      expect(w.x).to.be.at.least(0);
      expect(w.y).to.be.at.least(0);
      expect(w.width).to.be.within(1, 24);
      expect(w.height).to.be.within(1, 1000);
      expect(w.x + w.width, w.properties.title).to.be.at.most(24);
      // One to 100 metrics per graph.
      if (w.type === "metric") expect(w.properties.metrics.length).to.be.within(1, 100);
    }
    for (const [i, a] of widgets.entries())
      for (const b of widgets.slice(i + 1)) {
        const apart =
          a.x + a.width <= b.x ||
          b.x + b.width <= a.x ||
          a.y + a.height <= b.y ||
          b.y + b.height <= a.y;
        expect(apart, `"${a.properties.title}" overlaps "${b.properties.title}"`).to.equal(true);
      }
    const titles = widgets.map((w) => w.properties.title as string);
    expect(new Set(titles).size).to.equal(titles.length);
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
    expect(byName(dev, "skipped-objects")!.okActions).to.have.length(1);
    expect(byName(dev, "missed-backup")!.okActions).to.have.length(1);
    expect(byName(dev, "host-unhealthy")!.okActions).to.have.length(1);
  });

  for (const bad of [0, 101, 2.5])
    it(`refuses sourceDropAlarmPercent ${bad} at preview, naming the key and its range`, function () {
      const r = runProgram("dev", { sourceDropAlarmPercent: bad });
      expect(r.error).to.match(
        Number.isInteger(bad)
          ? new RegExp(
              `cross-cloud-backup:sourceDropAlarmPercent: must be a whole number between 1 and 100, got ${bad}`,
            )
          : /cross-cloud-backup:sourceDropAlarmPercent: must be a whole number, got "2\.5"/,
      );
      expect(r.resources).to.have.length(0);
    });

  it("BackupAlarms refuses a drop threshold or interval out of range before creating anything (in-process)", async function () {
    const created: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          created.push(a.name);
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => {
          throw new Error("no invokes expected");
        },
      },
      "cross-cloud-backup",
      "inproc",
      false,
    );
    const args: BackupAlarmsArgs = {
      instanceId: "i-0123456789abcdef0",
      stack: "inproc",
      region: "eu-west-1",
      intervalHours: 25,
      sourceDropAlarmPercent: 0,
      checkSchedules: { integrity: "weekly", drill: "monthly" },
      emails: [],
    };
    let thrown: unknown;
    try {
      new BackupAlarms("alarms", args);
    } catch (e) {
      thrown = e;
    }
    expect(pulumi.InputPropertiesError.isInstance(thrown), String(thrown)).to.equal(true);
    const err = thrown as pulumi.InputPropertiesError;
    expect(err.message).to.match(/BackupAlarms "alarms": invalid arguments/);
    expect(err.errors.map((e) => [e.propertyPath, e.reason])).to.deep.equal([
      ["intervalHours", "must be a whole number between 1 and 24, got 25"],
      ["sourceDropAlarmPercent", "must be a whole number between 1 and 100, got 0"],
    ]);
    expect(created.filter((n) => n !== "alarms")).to.deep.equal([]);
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
