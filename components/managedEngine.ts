import * as pulumi from "@pulumi/pulumi";
import * as cloudcontrol from "@pulumi/aws/cloudcontrol";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as datasync from "@pulumi/aws/datasync";
import * as iam from "@pulumi/aws/iam";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import { getCallerIdentityOutput } from "@pulumi/aws";
import { awsPartitionOf } from "../domain/awsData";
import { LIMITS } from "../domain/limits";
import {
  DATASYNC_TASK_OPTIONS,
  DATASYNC_VAULT_SUBDIRECTORY,
  datasyncSchedule,
} from "../domain/managedEngine";
import { rangeProblem, type Problem } from "../domain/problems";
import { LOG_RETENTION_DAYS } from "../domain/telemetry";
import { ManagedEngineAlarms } from "./managedEngineAlarms";
import {
  datasyncAssumeRolePolicy,
  datasyncSecretPolicy,
  datasyncSourcePolicy,
} from "./managedEnginePolicy";

export interface ManagedEngineArgs {
  /** The stack: names the task, its log group and its notifications. */
  stack: string;
  /** The bucket's region: DataSync runs the task there. */
  region: string;
  source: {
    bucket: string;
    /** Copy keys under this prefix only ("" = the whole bucket); they land relative to it. */
    prefix: string;
    /** The bucket's SSE-KMS key, when it has one. */
    kmsKeyArn?: string;
    /** The account that must own the bucket; default: the stack's own. */
    owner?: string;
  };
  /** The vault DataSync writes to (AzureBackupVault's outputs). */
  vault: {
    blobEndpoint: pulumi.Input<string>;
    containerName: pulumi.Input<string>;
    /**
     * The container URL with its SAS (a secret): HTTPS only, no delete, not bound to an IP,
     * expiring two rotation windows after the current one started (AzureBackupVault, SAS mode).
     */
    sasUrl: pulumi.Input<string>;
  };
  /** Hours between scheduled executions (1-24, dividing 24). */
  intervalHours: number;
  /** Days the task's log group keeps each execution's log (a CloudWatch Logs period). */
  logRetentionDays: number;
  /** KMS key ARN for the log group; CloudWatch Logs' own encryption when unset. */
  logKmsKeyArn?: string;
  /** Permissions boundary for the roles DataSync assumes. */
  permissionsBoundaryArn?: string;
  /** Addresses subscribed to the alarm topic. */
  emails: string[];
  tags?: Record<string, string>;
}

/** The SAS token of a container URL with a SAS ("https://.../backup?sv=...&sig=..."). */
export function sasTokenOf(sasUrl: string): string {
  const at = sasUrl.indexOf("?");
  if (at < 0 || at === sasUrl.length - 1)
    throw new Error("vault.sasUrl holds no SAS token (expected <container URL>?<token>)");
  return sasUrl.slice(at + 1);
}

/** Every broken rule in the component's arguments, as property paths. */
export function managedEngineProblems(args: ManagedEngineArgs): Problem[] {
  const p = rangeProblem("intervalHours", args.intervalHours, LIMITS.syncIntervalHours);
  if (p.length === 0 && 24 % args.intervalHours !== 0)
    p.push({
      propertyPath: "intervalHours",
      reason: `must divide 24, so executions fall at the same hours every day, got ${args.intervalHours}`,
    });
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(args.logRetentionDays))
    p.push({
      propertyPath: "logRetentionDays",
      reason: `must be a period CloudWatch Logs accepts (${LOG_RETENTION_DAYS.join(", ")}), got ${args.logRetentionDays}`,
    });
  return p;
}

/**
 * The managed engine: AWS DataSync in Enhanced mode, agentless, copying the source bucket (or
 * its prefix) into the vault's data/ every intervalHours, the way copy mode does: changed objects
 * only, never deleting, verifying what it transferred, logging every object to CloudWatch Logs.
 * - Source: an S3 location and a role DataSync assumes, read-only on the source bucket.
 * - Destination: an Azure Blob location without an agent, declared through Cloud Control,
 *   because @pulumi/aws 7.48.0's LocationAzureBlob still requires agent ARNs (the AWS API does
 *   not: hashicorp/terraform-provider-aws#43066). Its SAS is read from a Secrets Manager secret
 *   (CustomSecretConfig), so the location's own state holds no credential; `pulumi up` writes
 *   each rotation window's SAS into the secret.
 * - Alarms: failed executions and freshness (ManagedEngineAlarms).
 * docs/scale.md says when to use it, and what differs from the host.
 */
export class ManagedEngine extends pulumi.ComponentResource {
  public readonly taskArn: pulumi.Output<string>;
  /** The role DataSync assumes to read the source bucket. */
  public readonly sourceRoleName: pulumi.Output<string>;
  public readonly sourceRoleArn: pulumi.Output<string>;
  /** The Secrets Manager secret holding the vault's SAS (its value is never an output). */
  public readonly sasSecretArn: pulumi.Output<string>;
  /** The log group with every execution's structured log. */
  public readonly logGroupName: pulumi.Output<string>;
  public readonly topicArn: pulumi.Output<string>;
  public readonly alarmNames: pulumi.Output<string[]>;

  constructor(name: string, args: ManagedEngineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:ManagedEngine", name, {}, opts);
    const problems = managedEngineProblems(args);
    if (problems.length > 0)
      throw new pulumi.InputPropertiesError({
        message: `ManagedEngine "${name}": invalid arguments:\n${problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n")}`,
        errors: problems,
      });
    const tags = args.tags ?? {};
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const partition = awsPartitionOf(args.region);
    const datasyncRole = (suffix: string, description: string) =>
      new iam.Role(
        `${name}-${suffix}`,
        {
          description,
          assumeRolePolicy: account.apply((a) =>
            JSON.stringify(datasyncAssumeRolePolicy(args.region, a)),
          ),
          permissionsBoundary: args.permissionsBoundaryArn,
          tags,
        },
        { parent: this },
      );

    // The source: read-only, on the bucket (and prefix) only, and only while it is the expected
    // account's bucket.
    const sourceRole = datasyncRole(
      "source-role",
      `cross-cloud-backup (${args.stack}): DataSync reads s3://${args.source.bucket}/${args.source.prefix}`,
    );
    const sourceRead = new iam.RolePolicy(
      `${name}-source-read`,
      {
        role: sourceRole.name,
        policy: account.apply((a) =>
          JSON.stringify(
            datasyncSourcePolicy({
              bucketName: args.source.bucket,
              prefix: args.source.prefix,
              region: args.region,
              bucketOwner: args.source.owner ?? a,
              kmsKeyArn: args.source.kmsKeyArn,
            }),
          ),
        ),
      },
      { parent: this },
    );
    const source = new datasync.S3Location(
      `${name}-source`,
      {
        s3BucketArn: `arn:${partition}:s3:::${args.source.bucket}`,
        // Keys land in data/ relative to the prefix, as the host writes them.
        subdirectory: `/${args.source.prefix}`,
        s3Config: { bucketAccessRoleArn: sourceRole.arn },
        tags,
      },
      // DataSync checks the role's access when the location is created.
      { parent: this, dependsOn: [sourceRead] },
    );

    // The vault's SAS, in a secret DataSync reads through its own role: the value is a Pulumi
    // secret here and in the state, and no location, task or output carries it.
    const secret = new secretsmanager.Secret(
      `${name}-vault-sas`,
      {
        description: `cross-cloud-backup (${args.stack}): the vault container's SAS token DataSync writes with (renewed by pulumi up every rotation window)`,
        tags,
      },
      { parent: this },
    );
    const secretValue = new secretsmanager.SecretVersion(
      `${name}-vault-sas-value`,
      {
        secretId: secret.id,
        secretString: pulumi.secret(pulumi.output(args.vault.sasUrl).apply(sasTokenOf)),
      },
      { parent: this },
    );
    const secretRole = datasyncRole(
      "secret-role",
      `cross-cloud-backup (${args.stack}): DataSync reads the vault's SAS`,
    );
    const secretRead = new iam.RolePolicy(
      `${name}-secret-read`,
      {
        role: secretRole.name,
        policy: secret.arn.apply((arn) => JSON.stringify(datasyncSecretPolicy(arn))),
      },
      { parent: this },
    );
    const containerUrl = pulumi
      .all([args.vault.blobEndpoint, args.vault.containerName])
      .apply(([endpoint, container]) => `${endpoint.replace(/\/+$/, "")}/${container}`);
    // No AgentArns: an agentless location, which only Enhanced-mode tasks use.
    // https://docs.aws.amazon.com/datasync/latest/userguide/API_CreateLocationAzureBlob.html
    const vault = new cloudcontrol.Resource(
      `${name}-vault`,
      {
        typeName: "AWS::DataSync::LocationAzureBlob",
        desiredState: pulumi.jsonStringify({
          AzureBlobContainerUrl: containerUrl,
          AzureBlobAuthenticationType: "SAS",
          AzureBlobType: "BLOCK",
          AzureAccessTier: "HOT",
          Subdirectory: DATASYNC_VAULT_SUBDIRECTORY,
          CustomSecretConfig: { SecretArn: secret.arn, SecretAccessRoleArn: secretRole.arn },
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      },
      { parent: this, dependsOn: [secretValue, secretRead] },
    );

    const logGroup = new cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/cross-cloud-backup/${args.stack}/datasync`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKmsKeyArn,
        tags,
      },
      { parent: this },
    );
    // DataSync writes task logs under a log resource policy, limited to this account's tasks.
    // https://docs.aws.amazon.com/datasync/latest/userguide/configure-logging.html
    const logPolicy = new cloudwatch.LogResourcePolicy(
      `${name}-logs-policy`,
      {
        policyName: `cross-cloud-backup-${args.stack}-datasync`,
        policyDocument: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DataSyncWritesTaskLogs",
              Effect: "Allow",
              Principal: { Service: "datasync.amazonaws.com" },
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: pulumi.interpolate`${logGroup.arn}:*`,
              Condition: {
                ArnLike: {
                  "aws:SourceArn": pulumi.interpolate`arn:${partition}:datasync:${args.region}:${account}:task/*`,
                },
                StringEquals: { "aws:SourceAccount": account },
              },
            },
          ],
        }),
      },
      { parent: this },
    );

    const task = new datasync.Task(
      `${name}-task`,
      {
        name: `cross-cloud-backup-${args.stack}`,
        // Enhanced: no object quota per execution and no agent for Azure Blob.
        // https://docs.aws.amazon.com/datasync/latest/userguide/choosing-task-mode.html
        taskMode: "ENHANCED",
        sourceLocationArn: source.arn,
        destinationLocationArn: vault.id,
        cloudwatchLogGroupArn: logGroup.arn,
        options: { ...DATASYNC_TASK_OPTIONS },
        schedule: { scheduleExpression: datasyncSchedule(args.intervalHours), status: "ENABLED" },
        tags,
      },
      { parent: this, dependsOn: [logPolicy] },
    );

    const alarms = new ManagedEngineAlarms(
      `${name}-alarms`,
      {
        stack: args.stack,
        region: args.region,
        taskArn: task.arn,
        intervalHours: args.intervalHours,
        emails: args.emails,
        tags,
      },
      { parent: this },
    );

    this.taskArn = task.arn;
    this.sourceRoleName = sourceRole.name;
    this.sourceRoleArn = sourceRole.arn;
    this.sasSecretArn = secret.arn;
    this.logGroupName = logGroup.name;
    this.topicArn = alarms.topicArn;
    this.alarmNames = alarms.alarmNames;
    this.registerOutputs({
      taskArn: this.taskArn,
      sourceRoleName: this.sourceRoleName,
      sourceRoleArn: this.sourceRoleArn,
      sasSecretArn: this.sasSecretArn,
      logGroupName: this.logGroupName,
      topicArn: this.topicArn,
      alarmNames: this.alarmNames,
    });
  }
}
