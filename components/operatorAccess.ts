import * as pulumi from "@pulumi/pulumi";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as ssm from "@pulumi/aws/ssm";
import { getCallerIdentityOutput } from "@pulumi/aws";
import { awsPartitionOf } from "../domain/awsData";
import { APP } from "../userdata/settings";
import { renderVerifyDocument } from "../userdata/verifyDocument";

/** The account- and region-wide document that holds Session Manager's preferences. */
export const SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell";

export interface OperatorAccessArgs {
  stack: string;
  /** The host's region. */
  region: string;
  /** The sync host: the one instance the operator policy may send the verify document to. */
  instanceId: pulumi.Input<string>;
  /** The host role: with session logging, it may write the session log group. */
  roleName: pulumi.Input<string>;
  /**
   * Log every Session Manager session of the account and region to a log group of this stack.
   * Account-wide: the stack owns SSM-SessionManagerRunShell.
   */
  sessionLogging?: { retentionDays: number; kmsKeyArn?: string };
  tags?: Record<string, string>;
}

/**
 * The operator's way onto the host: an SSM Command document that can only start the integrity
 * check or the restore drill and print its result (instead of AWS-RunShellScript, which runs any
 * command as root), a managed policy that lets an operator send that document to this host and
 * nothing else, and, optionally, Session Manager's preferences logging every session.
 */
export class OperatorAccess extends pulumi.ComponentResource {
  public readonly verifyDocumentName: pulumi.Output<string>;
  public readonly operatorPolicyArn: pulumi.Output<string>;
  /** The session log group ("" without session logging). */
  public readonly sessionLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: OperatorAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:OperatorAccess", name, {}, opts);
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const partition = awsPartitionOf(args.region);

    const documentName = `${APP}-${args.stack}-verify`;
    const document = new ssm.Document(
      `${name}-verify`,
      {
        name: documentName,
        documentType: "Command",
        documentFormat: "JSON",
        targetType: "/AWS::EC2::Instance",
        content: JSON.stringify(renderVerifyDocument()),
        tags: args.tags,
      },
      { parent: this },
    );
    // Built from names (known at preview) rather than from outputs, so the policy can be
    // evaluated in a preview, by the policy pack and the IAM tests too.
    const documentArn = pulumi.interpolate`arn:${partition}:ssm:${args.region}:${account}:document/${documentName}`;
    const instanceArn = pulumi.interpolate`arn:${partition}:ec2:${args.region}:${account}:instance/${args.instanceId}`;
    const policy = new iam.Policy(
      `${name}-operator`,
      {
        description: `cross-cloud-backup ${args.stack}: npm run verify (the verify document on the sync host only)`,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              // SendCommand is authorized on the document and on each target: both must match.
              Sid: "SendVerifyDocumentToHost",
              Effect: "Allow",
              Action: "ssm:SendCommand",
              Resource: [documentArn, instanceArn],
            },
            {
              // No resource-level permissions: AWS documents Resource "*" only.
              // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
              Sid: "ReadCommandResult",
              Effect: "Allow",
              Action: "ssm:GetCommandInvocation",
              Resource: "*",
            },
          ],
        }),
        tags: args.tags,
      },
      { parent: this },
    );

    let sessionLogGroupName: pulumi.Output<string> = pulumi.output("");
    if (args.sessionLogging) {
      const group = new cloudwatch.LogGroup(
        `${name}-sessions`,
        {
          name: `/${APP}/${args.stack}/sessions`,
          retentionInDays: args.sessionLogging.retentionDays,
          kmsKeyId: args.sessionLogging.kmsKeyArn,
          tags: args.tags,
        },
        { parent: this },
      );
      // Session Manager's preferences for the whole account and region: every session's
      // transcript goes to the log group. cloudWatchEncryptionEnabled makes the agent refuse to
      // start a session when the group is not KMS-encrypted, so it follows the group's key.
      // https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-schema.html
      new ssm.Document(
        `${name}-session-preferences`,
        {
          name: SESSION_PREFERENCES_DOCUMENT,
          documentType: "Session",
          documentFormat: "JSON",
          content: pulumi.jsonStringify({
            schemaVersion: "1.0",
            description: `Session Manager preferences (cross-cloud-backup ${args.stack}): sessions logged to CloudWatch Logs`,
            sessionType: "Standard_Stream",
            inputs: {
              s3BucketName: "",
              s3KeyPrefix: "",
              s3EncryptionEnabled: false,
              cloudWatchLogGroupName: group.name,
              cloudWatchEncryptionEnabled: args.sessionLogging.kmsKeyArn !== undefined,
              cloudWatchStreamingEnabled: true,
              kmsKeyId: "",
              runAsEnabled: false,
              runAsDefaultUser: "",
              idleSessionTimeout: "20",
              shellProfile: { linux: "", windows: "" },
            },
          }),
          tags: args.tags,
        },
        { parent: this },
      );
      // The SSM agent writes the transcript with the host's role: streams of this group only,
      // plus DescribeLogGroups, which it calls to check the group (no resource-level permission).
      // https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html
      new iam.RolePolicy(
        `${name}-session-logs`,
        {
          role: args.roleName,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "WriteSessionLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [group.arn, pulumi.interpolate`${group.arn}:log-stream:*`],
              },
              {
                Sid: "FindSessionLogGroup",
                Effect: "Allow",
                Action: "logs:DescribeLogGroups",
                Resource: "*",
              },
            ],
          }),
        },
        { parent: this },
      );
      sessionLogGroupName = group.name;
    }

    this.verifyDocumentName = document.name;
    this.operatorPolicyArn = policy.arn;
    this.sessionLogGroupName = sessionLogGroupName;
    this.registerOutputs({
      verifyDocumentName: this.verifyDocumentName,
      operatorPolicyArn: this.operatorPolicyArn,
      sessionLogGroupName: this.sessionLogGroupName,
    });
  }
}
