import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { ec2AssumeRolePolicy } from "./s3ReadOnlyPolicy";

export interface HostIdentityArgs {
  /** The host's region: scopes the EC2 trust to the region's partition. */
  region: string;
  /** Optional permissions boundary for the role. */
  permissionsBoundaryArn?: string;
  /** What the role is for, in its description. */
  purpose: string;
  tags?: Record<string, string>;
}

/**
 * The sync host's AWS identity, with one owner: an IAM role that only EC2 can assume and its
 * instance profile. It grants nothing itself; each component that needs a permission adds its
 * own inline policy to the role with `grant` (S3 read, Session Manager and the vault credential,
 * token minting), so every statement lives next to the code that needs it and the least-privilege
 * test evaluates all of them together.
 *
 * The role and profile were first created by S3ReadOnlyAccess: aliases keep them (same URN
 * history), so existing stacks neither replace the role nor change its ARN, which the vault's
 * federated credential trusts.
 */
export class HostIdentity extends pulumi.ComponentResource {
  public readonly roleName: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly instanceProfileName: pulumi.Output<string>;
  private readonly role: iam.Role;

  constructor(name: string, args: HostIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:HostIdentity", name, {}, opts);
    const formerOwner = pulumi.createUrn("source-read", "cross-cloud-backup:aws:S3ReadOnlyAccess");

    this.role = new iam.Role(
      `${name}-role`,
      {
        description: args.purpose,
        assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy(args.region)),
        permissionsBoundary: args.permissionsBoundaryArn,
        maxSessionDuration: 3600,
        tags: args.tags,
      },
      { parent: this, aliases: [{ name: "source-read-role", parent: formerOwner }] },
    );
    const profile = new iam.InstanceProfile(
      `${name}-profile`,
      { role: this.role.name, tags: args.tags },
      { parent: this, aliases: [{ name: "source-read-profile", parent: formerOwner }] },
    );

    this.roleName = this.role.name;
    this.roleArn = this.role.arn;
    this.instanceProfileName = profile.name;
    this.registerOutputs({
      roleName: this.roleName,
      roleArn: this.roleArn,
      instanceProfileName: this.instanceProfileName,
    });
  }
}
