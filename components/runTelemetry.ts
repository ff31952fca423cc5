import * as pulumi from "@pulumi/pulumi";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import { logGroupName, metricsNamespace } from "../domain/telemetry";

export interface RunTelemetryArgs {
  /** The host role: it gets leave to publish into this stack's namespace and log group only. */
  roleName: pulumi.Input<string>;
  /** The stack (the log group's name). */
  stack: string;
  /** Days the run log group keeps each run's summary. */
  logRetentionDays: number;
  /** Optional KMS key ARN for the log group (its key policy must allow logs.<region>.amazonaws.com). */
  logKmsKeyArn?: string;
  tags?: Record<string, string>;
}

/**
 * Where each run reports: the stack's log group (one stream per run id) and the host role's
 * leave to publish metrics into the stack's own namespace and to write that log group, nothing
 * else. Created before the host, so its first run can already publish.
 */
export class RunTelemetry extends pulumi.ComponentResource {
  public readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: RunTelemetryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:RunTelemetry", name, {}, opts);
    // Each run's summary, one stream per run id.
    const logGroup = new cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: logGroupName(args.stack),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKmsKeyArn,
        tags: args.tags,
      },
      { parent: this },
    );
    // The host may publish metrics into its stack's namespace only (PutMetricData has no
    // resource-level permission, so the namespace condition is the scope) and write streams of
    // this log group only.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
    new iam.RolePolicy(
      `${name}-publish`,
      {
        role: args.roleName,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "PublishRunMetrics",
              Effect: "Allow",
              Action: "cloudwatch:PutMetricData",
              Resource: "*",
              Condition: { StringEquals: { "cloudwatch:namespace": metricsNamespace(args.stack) } },
            },
            {
              Sid: "WriteRunLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              // Both actions act on log-stream resources (the service authorization reference).
              Resource: pulumi.interpolate`${logGroup.arn}:log-stream:*`,
            },
          ],
        }),
      },
      { parent: this },
    );

    this.logGroupName = logGroup.name;
    this.registerOutputs({ logGroupName: this.logGroupName });
  }
}
