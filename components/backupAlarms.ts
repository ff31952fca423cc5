import * as pulumi from "@pulumi/pulumi";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as kms from "@pulumi/aws/kms";
import * as sns from "@pulumi/aws/sns";
import { getCallerIdentityOutput } from "@pulumi/aws";
import { awsPartitionOf } from "../domain/awsData";
import { LIMITS } from "../domain/limits";
import type { CheckSchedule } from "../domain/modes";
import { rangeProblem } from "../domain/problems";
import {
  checkOverdueSeconds,
  freshnessAlarm,
  METRICS,
  metricsNamespace,
} from "../domain/telemetry";

export interface BackupAlarmsArgs {
  /** The sync host: its status checks are watched. */
  instanceId: pulumi.Input<string>;
  /** The stack (the metrics' dimension and the log group's name). */
  stack: string;
  /** The host's region: the partition of the alarm key's ARNs. */
  region: string;
  /** Hours between runs (1-24): the missed-backup alarm's window and the overrun alarm follow it. */
  intervalHours: number;
  /**
   * Alarm (source-drop) when a run finds the source smaller than at the last fresh run by at least
   * this many percent, in objects or bytes (1-100).
   */
  sourceDropAlarmPercent: number;
  /** The checks' schedules: an overdue alarm for each check that is not "off". */
  checkSchedules: { integrity: CheckSchedule; drill: CheckSchedule };
  /** SAS mode: alarm when less than this many seconds of the SAS are left; undefined otherwise. */
  credentialWarningSeconds?: number;
  /** Addresses subscribed to the alarm topic (each must confirm the subscription e-mail). */
  emails: string[];
  /** A CloudWatch dashboard of the backup's metrics and alarms, in this region. */
  dashboard?: { region: string };
  tags?: Record<string, string>;
}

/** CloudWatch dashboard names allow letters, digits, "-" and "_" (stack names may hold "."). */
export function dashboardName(stack: string): string {
  return `cross-cloud-backup-${stack.replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 255);
}

/** What the dashboard draws its threshold lines from: the alarms' own settings. */
export type DashboardSettings = Pick<
  BackupAlarmsArgs,
  "intervalHours" | "sourceDropAlarmPercent" | "checkSchedules"
>;

/**
 * The dashboard: every alarm's state, then the backup's age against the missed-backup threshold,
 * the runs (fresh, failed, partial, killed), what they copied and how long they took against the
 * interval, skipped objects (new and accepted), the source's drop against its alarm, the integrity
 * check and the restore drill with the time since each last reported, and the SAS's remaining
 * time (SAS mode). Graphs are two to a row, 12 columns wide, on the 24-column grid.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export function dashboardBody(
  stack: string,
  region: string,
  alarmArns: string[],
  settings: DashboardSettings,
): { widgets: object[] } {
  const { intervalHours, sourceDropAlarmPercent, checkSchedules } = settings;
  const metric = (name: string, stat: string) => [
    metricsNamespace(stack),
    name,
    "Stack",
    stack,
    { stat, label: name },
  ];
  // A horizontal annotation: an alarm's threshold drawn across its metric's graph.
  type Line = { label: string; value: number };
  const line = (label: string, value: number): Line => ({ label, value });
  const graphs: { title: string; metrics: unknown[][]; lines: Line[] }[] = [];
  const graph = (title: string, metrics: unknown[][], lines: Line[] = []) =>
    graphs.push({ title, metrics, lines });
  const ALARM_HEIGHT = 4;

  const freshness = freshnessAlarm(intervalHours);
  graph(
    "Backup age: seconds since the newest listing stored in full",
    [metric(METRICS.backupAgeSeconds, "Maximum")],
    [line(`missed-backup: over ${freshness.evaluationPeriods} h`, freshness.thresholdSeconds)],
  );
  graph(`Runs (every ${intervalHours} h): fresh (heartbeat), failed, partial, killed`, [
    metric(METRICS.heartbeat, "Sum"),
    metric(METRICS.runFailed, "Sum"),
    metric(METRICS.runPartial, "Sum"),
    metric(METRICS.runKilled, "Maximum"),
  ]);
  graph("Copied per run", [
    metric(METRICS.objectsCopied, "Sum"),
    metric(METRICS.bytesCopied, "Sum"),
  ]);
  graph(
    "Run duration (seconds)",
    [metric(METRICS.durationSeconds, "Maximum")],
    [line(`overrun: over the ${intervalHours} h interval`, intervalHours * 3600)],
  );
  graph("Skipped objects: new (alarmed) and accepted (acceptedSkips)", [
    metric(METRICS.skippedObjects, "Maximum"),
    metric(METRICS.acceptedSkips, "Maximum"),
  ]);
  graph(
    "Source drop since the last fresh run (%)",
    [metric(METRICS.sourceDropPercent, "Maximum")],
    [line(`source-drop: ${sourceDropAlarmPercent}% or more`, sourceDropAlarmPercent)],
  );
  graph("Integrity check and restore drill", [
    metric(METRICS.integrityMismatches, "Maximum"),
    metric(METRICS.integrityCheckFailed, "Maximum"),
    metric(METRICS.integrityObjectsChecked, "Maximum"),
    metric(METRICS.restoreDrillFailed, "Maximum"),
    metric(METRICS.restoreDrillObjects, "Maximum"),
  ]);
  const overdue = (kind: string, schedule: CheckSchedule) => {
    const seconds = checkOverdueSeconds(schedule);
    return seconds === undefined ? [] : [line(`${kind}-overdue (${schedule})`, seconds)];
  };
  graph(
    "Seconds since the last integrity check and restore drill",
    [metric(METRICS.integrityAgeSeconds, "Maximum"), metric(METRICS.drillAgeSeconds, "Maximum")],
    [...overdue("integrity", checkSchedules.integrity), ...overdue("drill", checkSchedules.drill)],
  );
  graph("SAS mode: credential seconds left", [metric(METRICS.credentialSecondsLeft, "Minimum")]);

  return {
    widgets: [
      {
        type: "alarm",
        x: 0,
        y: 0,
        width: 24,
        height: ALARM_HEIGHT,
        properties: { title: `cross-cloud-backup (${stack}): alarms`, alarms: alarmArns },
      },
      ...graphs.map((g, i) => ({
        type: "metric",
        x: (i % 2) * 12,
        y: ALARM_HEIGHT + Math.floor(i / 2) * 6,
        width: 12,
        height: 6,
        properties: {
          title: g.title,
          region,
          view: "timeSeries",
          stacked: false,
          period: 3600,
          metrics: g.metrics,
          ...(g.lines.length > 0 ? { annotations: { horizontal: g.lines } } : {}),
        },
      })),
    ],
  };
}

/**
 * Where the backup's alarms go, and the alarms: an SNS topic encrypted with its own KMS key
 * (CloudWatch may use the key to publish, nothing else outside the account), optional e-mail
 * subscriptions, and alarms on what the runs and checks publish (freshness first; see the README's
 * Alarms section for each one's runbook) and on the sync host's EC2 status checks.
 * States (missed-backup, skipped-objects, host-unhealthy) notify when they clear too; per-run
 * events (a failed, killed or long run, a source drop, a check's findings) notify when they fire.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export class BackupAlarms extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;
  /** Every alarm's name (generated by Pulumi), for `npm run status`. */
  public readonly alarmNames: pulumi.Output<string[]>;

  constructor(name: string, args: BackupAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:BackupAlarms", name, {}, opts);
    // The thresholds and windows below follow these; out of range, an alarm would be invalid
    // (CloudWatch's 7-day window) or fire on every run.
    const problems = [
      ...rangeProblem("intervalHours", args.intervalHours, LIMITS.syncIntervalHours),
      ...rangeProblem(
        "sourceDropAlarmPercent",
        args.sourceDropAlarmPercent,
        LIMITS.sourceDropAlarmPercent,
      ),
    ];
    if (problems.length > 0)
      throw new pulumi.InputPropertiesError({
        message: `BackupAlarms "${name}": invalid arguments:\n${problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n")}`,
        errors: problems,
      });
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const partition = awsPartitionOf(args.region);

    // CloudWatch can publish to an encrypted topic only with a customer managed key whose policy
    // lets it use the key (the AWS managed aws/sns key does not).
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-sns-encryption
    const key = new kms.Key(
      `${name}-key`,
      {
        description: "cross-cloud-backup: encrypts the backup's alarm topic",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AccountAdministers",
              Effect: "Allow",
              Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${account}:root` },
              Action: "kms:*",
              Resource: "*",
            },
            {
              Sid: "CloudWatchPublishes",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
        tags: args.tags,
      },
      { parent: this },
    );
    const topic = new sns.Topic(
      `${name}-topic`,
      { kmsMasterKeyId: key.arn, tags: args.tags },
      { parent: this },
    );
    args.emails.forEach(
      (email, i) =>
        new sns.TopicSubscription(
          `${name}-email-${i}`,
          { topic: topic.arn, protocol: "email", endpoint: email },
          { parent: this },
        ),
    );

    const alarms: cloudwatch.MetricAlarm[] = [];
    const track = (a: cloudwatch.MetricAlarm) => {
      alarms.push(a);
      return a;
    };
    const runAlarm = (
      suffix: string,
      description: string,
      metric: string,
      props: Partial<cloudwatch.MetricAlarmArgs>,
    ) =>
      track(
        new cloudwatch.MetricAlarm(
          `${name}-${suffix}`,
          {
            alarmDescription: `cross-cloud-backup (${args.stack}): ${description} Runbook: README, Alarms.`,
            namespace: metricsNamespace(args.stack),
            metricName: metric,
            dimensions: { Stack: args.stack },
            period: 3600,
            evaluationPeriods: 1,
            alarmActions: [topic.arn],
            tags: args.tags,
            ...props,
          },
          { parent: this },
        ),
      );
    // Freshness, not a heartbeat: BackupAgeSeconds is how old the newest listing whose every change
    // is stored is, and every run publishes it whatever its outcome (about the run's duration
    // after a fresh run, about interval + duration after one that did not store everything).
    // Between runs the hourly periods hold no data, and missing data breaches (no data at all is
    // a host that stopped running); so the alarm fires only when every period of the window
    // (interval + 1 h) breaches: no run in it at all, or only runs reporting an age over the
    // threshold, i.e. two runs in a row that did not store everything. Maximum: a period holding
    // two runs (one started by hand) counts the staler age.
    const freshness = freshnessAlarm(args.intervalHours);
    runAlarm(
      "missed-backup",
      `the backup is over ${freshness.evaluationPeriods} hours old, or no run reported for ${freshness.evaluationPeriods} hours (the schedule is every ${args.intervalHours} h; BackupAgeSeconds is the time since the newest listing whose every change is stored).`,
      METRICS.backupAgeSeconds,
      {
        statistic: "Maximum",
        period: freshness.periodSeconds,
        evaluationPeriods: freshness.evaluationPeriods,
        datapointsToAlarm: freshness.evaluationPeriods,
        threshold: freshness.thresholdSeconds,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "breaching",
        // A state, not an event: say when it clears too.
        okActions: [topic.arn],
      },
    );
    runAlarm("failed-run", "a run failed.", METRICS.runFailed, {
      statistic: "Sum",
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    // A state: between runs there is no data and the alarm keeps its state ("ignore"), so an
    // object skipped run after run alarms once, and the notice that it cleared comes with the
    // first run that skips nothing new.
    runAlarm(
      "skipped-objects",
      "a run skipped objects it could not read or store (partial); skips on the acknowledged list (config acceptedSkips) are not counted.",
      METRICS.skippedObjects,
      {
        statistic: "Maximum",
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "ignore",
        okActions: [topic.arn],
      },
    );
    runAlarm(
      "source-drop",
      `a run found the source at least ${args.sourceDropAlarmPercent}% smaller (objects or bytes) than at the last run that stored every change: a mass deletion, a lifecycle rule or the wrong bucket.`,
      METRICS.sourceDropPercent,
      {
        statistic: "Maximum",
        threshold: args.sourceDropAlarmPercent,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      },
    );
    // systemd starts no run while one is active: a run longer than the interval takes the next
    // slot, and the backup ages by as much. (At 24 h, TimeoutStartSec=23h stops a run first:
    // failed-run or run-killed.)
    runAlarm(
      "overrun",
      `a run took longer than the ${args.intervalHours} h interval: the scheduled run it overlapped did not start.`,
      METRICS.durationSeconds,
      {
        statistic: "Maximum",
        threshold: args.intervalHours * 3600,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
    );
    runAlarm(
      "run-killed",
      "systemd killed a run before it could record itself (memory limit, timeout); recorded after the kill.",
      METRICS.runKilled,
      {
        statistic: "Maximum",
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      },
    );
    // Each backup run publishes the time since each check last reported; a check on a timer that
    // stops reporting (its timer, its unit, the lock) alarms here. Missing data between runs is
    // ignored, so the state holds: one notice when the check becomes overdue and one when it
    // reports again, not one per run (a silent host is the missed-backup alarm's). A check that
    // is "off" runs on demand only.
    const overdue = (kind: "integrity" | "drill", label: string, metric: string) => {
      const schedule = args.checkSchedules[kind];
      const seconds = checkOverdueSeconds(schedule);
      if (seconds === undefined) return;
      runAlarm(
        `${kind}-overdue`,
        `no ${label} has reported for over ${seconds / 86_400} days (the schedule is ${schedule}).`,
        metric,
        {
          statistic: "Maximum",
          threshold: seconds,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "ignore",
          okActions: [topic.arn],
        },
      );
    };
    overdue("integrity", "integrity check", METRICS.integrityAgeSeconds);
    overdue("drill", "restore drill", METRICS.drillAgeSeconds);
    if (args.credentialWarningSeconds !== undefined)
      runAlarm(
        "credential-expiry",
        "the vault SAS expires within one rotation window: run pulumi up.",
        METRICS.credentialSecondsLeft,
        {
          statistic: "Minimum",
          threshold: args.credentialWarningSeconds,
          comparisonOperator: "LessThanThreshold",
          treatMissingData: "notBreaching",
        },
      );

    // The integrity check (weekly by default, or on demand) found the vault differing from the
    // source, or could not finish. One alarm for both: each check publishes both metrics.
    const integrityMetric = (metricName: string) => ({
      namespace: metricsNamespace(args.stack),
      metricName,
      dimensions: { Stack: args.stack },
      period: 3600,
      stat: "Maximum",
    });
    const integrity = new cloudwatch.MetricAlarm(
      `${name}-integrity`,
      {
        alarmDescription: `cross-cloud-backup (${args.stack}): the integrity check found objects missing from the vault or differing from the source, or could not finish. Runbook: README, Alarms.`,
        metricQueries: [
          {
            id: "problems",
            expression: "FILL(mismatches, 0) + FILL(failed, 0)",
            label: "integrity mismatches + failed checks",
            returnData: true,
          },
          { id: "mismatches", metric: integrityMetric(METRICS.integrityMismatches) },
          { id: "failed", metric: integrityMetric(METRICS.integrityCheckFailed) },
        ],
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topic.arn],
        tags: args.tags,
      },
      { parent: this },
    );

    runAlarm(
      "restore-drill",
      "a restore drill restored an object that differs from the source, or could not finish.",
      METRICS.restoreDrillFailed,
      {
        statistic: "Maximum",
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      },
    );

    const hostUnhealthy = new cloudwatch.MetricAlarm(
      `${name}-host-unhealthy`,
      {
        alarmDescription:
          "cross-cloud-backup: the sync host fails its EC2 status checks, or reports none (stopped or terminated). Runbook: README, Alarms.",
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed",
        dimensions: { InstanceId: args.instanceId },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 2,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        // A stopped host sends no data: that must alarm, not look healthy.
        treatMissingData: "breaching",
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        tags: args.tags,
      },
      { parent: this },
    );

    track(integrity);
    track(hostUnhealthy);

    if (args.dashboard)
      new cloudwatch.Dashboard(
        `${name}-dashboard`,
        {
          dashboardName: dashboardName(args.stack),
          dashboardBody: pulumi
            .all(alarms.map((a) => a.arn))
            .apply((arns) =>
              JSON.stringify(dashboardBody(args.stack, args.dashboard!.region, arns, args)),
            ),
        },
        { parent: this },
      );

    this.topicArn = topic.arn;
    this.alarmNames = pulumi.all(alarms.map((a) => a.name));
    this.registerOutputs({ topicArn: this.topicArn, alarmNames: this.alarmNames });
  }
}
