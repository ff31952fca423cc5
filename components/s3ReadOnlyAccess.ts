import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { ec2AssumeRolePolicy, s3ReadOnlyPolicy } from "./s3ReadOnlyPolicy";

export interface S3ReadOnlyAccessArgs {
  /** Name of the existing bucket. It is only referenced, never created or modified. */
  bucketName: string;
  /** Limit reads to keys under this prefix (ends with "/"); "" for the whole bucket. */
  prefix?: string;
  /** The bucket's region; scopes kms:ViaService and the ARN partition. */
  region: string;
  /** ARN of the bucket's SSE-KMS key. Only then is kms:Decrypt granted. */
  kmsKeyArn?: string;
  /** Optional permissions boundary for the role. */
  permissionsBoundaryArn?: string;
  tags?: Record<string, string>;
}

/**
 * An IAM role that only EC2 can assume, allowed to list one existing bucket and read its
 * objects (and nothing else in S3), with an instance profile for the sync host.
 */
export class S3ReadOnlyAccess extends pulumi.ComponentResource {
  public readonly roleName: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly instanceProfileName: pulumi.Output<string>;

  constructor(name: string, args: S3ReadOnlyAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:S3ReadOnlyAccess", name, {}, opts);

    const role = new iam.Role(
      `${name}-role`,
      {
        description: `Read-only access to s3://${args.bucketName} for the cross-cloud backup host`,
        assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy(args.region)),
        permissionsBoundary: args.permissionsBoundaryArn,
        maxSessionDuration: 3600,
        tags: args.tags,
      },
      { parent: this },
    );

    // Inline, not managed: the grant lives and dies with the role and cannot be attached elsewhere.
    new iam.RolePolicy(
      `${name}-read`,
      {
        role: role.name,
        policy: JSON.stringify(
          s3ReadOnlyPolicy({
            bucketName: args.bucketName,
            prefix: args.prefix ?? "",
            region: args.region,
            kmsKeyArn: args.kmsKeyArn,
          }),
        ),
      },
      { parent: this },
    );

    const profile = new iam.InstanceProfile(
      `${name}-profile`,
      { role: role.name, tags: args.tags },
      { parent: this },
    );

    this.roleName = role.name;
    this.roleArn = role.arn;
    this.instanceProfileName = profile.name;
    this.registerOutputs({
      roleName: this.roleName,
      roleArn: this.roleArn,
      instanceProfileName: this.instanceProfileName,
    });
  }
}
