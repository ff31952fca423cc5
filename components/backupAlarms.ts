import * as pulumi from "@pulumi/pulumi";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as kms from "@pulumi/aws/kms";
import * as sns from "@pulumi/aws/sns";
import { getCallerIdentityOutput } from "@pulumi/aws";
import { awsPartitionOf } from "../domain/awsData";
import { METRICS, METRICS_NAMESPACE, missedBackupWindow } from "../domain/telemetry";

export interface BackupAlarmsArgs {
  /** The sync host: its status checks are watched. */
  instanceId: pulumi.Input<string>;
  /** The stack (the metrics' dimension and the log group's name). */
  stack: string;
  /** The host's region: the partition of the alarm key's ARNs. */
  region: string;
  /** Hours between runs: the missed-backup alarm's window follows it. */
  intervalHours: number;
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

/**
 * The dashboard: every alarm's state, then the runs (heartbeat, failures, partial runs), what
 * they copied and how long they took, skipped objects, the integrity check and the restore
 * drill, and the SAS's remaining time (SAS mode).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export function dashboardBody(
  stack: string,
  region: string,
  alarmArns: string[],
  intervalHours: number,
): { widgets: object[] } {
  const metric = (name: string, stat: string) => [
    METRICS_NAMESPACE,
    name,
    "Stack",
    stack,
    { stat, label: name },
  ];
  const graph = (title: string, metrics: unknown[][], y: number, x: number) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stacked: false, period: 3600, metrics },
  });
  return {
    widgets: [
      {
        type: "alarm",
        x: 0,
        y: 0,
        width: 24,
        height: 3,
        properties: { title: `cross-cloud-backup (${stack}): alarms`, alarms: alarmArns },
      },
      graph(
        `Runs (every ${intervalHours} h): heartbeat, failed, partial`,
        [
          metric(METRICS.heartbeat, "Sum"),
          metric(METRICS.runFailed, "Sum"),
          metric(METRICS.runPartial, "Sum"),
        ],
        3,
        0,
      ),
      graph(
        "Copied per run",
        [metric(METRICS.objectsCopied, "Sum"), metric(METRICS.bytesCopied, "Sum")],
        3,
        12,
      ),
      graph(
        "Run duration and skipped objects",
        [metric(METRICS.durationSeconds, "Maximum"), metric(METRICS.skippedObjects, "Maximum")],
        9,
        0,
      ),
      graph(
        "Integrity check and restore drill",
        [
          metric(METRICS.integrityMismatches, "Maximum"),
          metric(METRICS.integrityCheckFailed, "Maximum"),
          metric(METRICS.integrityObjectsChecked, "Maximum"),
          metric(METRICS.restoreDrillFailed, "Maximum"),
          metric(METRICS.restoreDrillObjects, "Maximum"),
        ],
        9,
        12,
      ),
      graph(
        "SAS mode: credential seconds left",
        [metric(METRICS.credentialSecondsLeft, "Minimum")],
        15,
        0,
      ),
    ],
  };
}

/**
 * Where the backup's alarms go, and the first alarm: an SNS topic encrypted with its own KMS key
 * (CloudWatch may use the key to publish, nothing else outside the account), optional e-mail
 * subscriptions, and "host unhealthy": the sync host's EC2 status checks failing, or no status
 * data at all (a stopped or terminated host), for 10 minutes. Notifies on recovery too.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export class BackupAlarms extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: BackupAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:BackupAlarms", name, {}, opts);
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
            namespace: METRICS_NAMESPACE,
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
    const window = missedBackupWindow(args.intervalHours);
    runAlarm(
      "missed-backup",
      `no successful run for ${args.intervalHours + 1} hours (the schedule is every ${args.intervalHours} h).`,
      METRICS.heartbeat,
      {
        statistic: "Sum",
        period: window.periodSeconds,
        evaluationPeriods: window.evaluationPeriods,
        datapointsToAlarm: window.evaluationPeriods,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // No data is the failure this alarm exists for: a host that stopped running.
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
    runAlarm("skipped-objects", "a run skipped objects (partial).", METRICS.skippedObjects, {
      statistic: "Maximum",
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
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
      namespace: METRICS_NAMESPACE,
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
              JSON.stringify(
                dashboardBody(args.stack, args.dashboard!.region, arns, args.intervalHours),
              ),
            ),
        },
        { parent: this },
      );

    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
