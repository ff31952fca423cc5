import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { s3ReadOnlyPolicy } from "./s3ReadOnlyPolicy";

export interface S3ReadOnlyAccessArgs {
  /** The host role (HostIdentity) the read policy is added to. */
  roleName: pulumi.Input<string>;
  /** Name of the existing bucket. It is only referenced, never created or modified. */
  bucketName: string;
  /** Limit reads to keys under this prefix (ends with "/"); "" for the whole bucket. */
  prefix?: string;
  /** The bucket's region; scopes kms:ViaService and the ARN partition. */
  region: string;
  /** ARN of the bucket's SSE-KMS key. Only then is kms:Decrypt granted. */
  kmsKeyArn?: string;
}

/**
 * The host role's read access to the source: list one existing bucket and read its objects
 * (and, with SSE-KMS, decrypt them through S3), nothing else in S3. The role itself belongs to
 * HostIdentity.
 */
export class S3ReadOnlyAccess extends pulumi.ComponentResource {
  constructor(name: string, args: S3ReadOnlyAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:S3ReadOnlyAccess", name, {}, opts);

    // Inline, not managed: the grant lives and dies with the role and cannot be attached elsewhere.
    new iam.RolePolicy(
      `${name}-read`,
      {
        role: args.roleName,
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
    this.registerOutputs({});
  }
}
