import * as pulumi from "@pulumi/pulumi";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as ssm from "@pulumi/aws/ssm";
import { getCallerIdentityOutput } from "@pulumi/aws";
import { awsPartitionOf } from "../domain/awsData";
import { SESSION_MANAGER_ACTIONS } from "../domain/hostPermissions";
import {
  encodeUserData,
  engineDelivery,
  renderCloudInit,
  renderHostArtifacts,
  type SyncSettings,
} from "../userdata";
import type { HostVaultAccess } from "./vaultAccess";

/** Debian's official AWS account: bookworm images, whose archive also signs rclone and awscli. */
export const DEBIAN_AMI_OWNER = "136693071363";

export interface SyncHostArgs {
  /**
   * Plain settings the renderers in userdata/ turn into the host's files; the credential kind
   * is vaultAccess's, whatever `credential` says.
   */
  settings: Omit<SyncSettings, "credential">;
  /** How the host reaches the vault (VaultAccess's `host`): the credential kind, decided there. */
  vaultAccess: HostVaultAccess;
  /**
   * The vault account's blob endpoint (https://<account>.blob.core.windows.net/): with the
   * container name, the only place the engine lets a SAS read from SSM point.
   */
  vaultBlobEndpoint: pulumi.Input<string>;
  instanceType: string;
  /** Root volume size in GiB (the engine keeps each run's listings on disk). */
  rootVolumeGb: number;
  architecture: "arm64" | "x86_64";
  subnetId: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  eipAllocationId: pulumi.Input<string>;
  /** The read-only role and its instance profile from S3ReadOnlyAccess. */
  roleName: pulumi.Input<string>;
  instanceProfileName: pulumi.Input<string>;
  /** Resources the host needs in place before it boots (e.g. the S3ReadOnlyAccess component). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  tags?: Record<string, string>;
}

/**
 * The EC2 host that runs the backup: Debian 12, IMDSv2 only (hop limit 1), encrypted root
 * volume, no SSH key and no ingress (Session Manager only), replaced whenever its user-data
 * changes. Its vault credential comes from VaultAccess (federated by default: none is stored).
 */
export class SyncHost extends pulumi.ComponentResource {
  public readonly instanceId: pulumi.Output<string>;
  public readonly amiId: pulumi.Output<string>;
  /** The rendered rclone config (secret). */
  public readonly rcloneConfig: pulumi.Output<string>;

  constructor(name: string, args: SyncHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:SyncHost", name, {}, opts);
    const access = args.vaultAccess;
    const s: SyncSettings = { ...args.settings, credential: access.kind };
    const tags = args.tags ?? {};

    // Session Manager needs only these calls; AmazonSSMManagedInstanceCore would also allow
    // reading every parameter in the account, which is more than the host needs.
    const statements: pulumi.Input<object>[] = [
      {
        Sid: "SessionManager",
        Effect: "Allow",
        Action: [...SESSION_MANAGER_ACTIONS],
        Resource: "*",
      },
      ...access.statements,
    ];

    // Everything the first boot uses: its permissions and its credential.
    const bootNeeds: pulumi.Input<pulumi.Resource>[] = [
      ...(args.dependsOn ?? []),
      ...access.bootNeeds,
    ];
    // The engine, larger than user-data may be, in standard-tier (free) SSM parameters; the
    // loader in user-data pins its SHA-256. Plain strings: the engine holds no secret.
    const engine = engineDelivery(s.stack);
    const engineParameters = engine.parameters.map(
      (p, i) =>
        new ssm.Parameter(
          `${name}-engine-${i}`,
          {
            name: p.name,
            type: "String",
            tier: "Standard",
            dataType: "text",
            description: `cross-cloud-backup: sync engine part ${i + 1} of ${engine.parameters.length} (gzip, base64; SHA-256 ${engine.sha256})`,
            insecureValue: p.value,
            tags,
          },
          { parent: this },
        ),
    );
    bootNeeds.push(...engineParameters);
    // The ARNs are built from the names (known at preview, unlike the parameters' arn outputs),
    // so the host's policy can be evaluated in a preview, by the policy pack too.
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const partition = awsPartitionOf(s.sourceRegion);
    statements.push({
      Sid: "ReadSyncEngine",
      Effect: "Allow",
      Action: "ssm:GetParameters",
      Resource: engine.parameters.map(
        (p) =>
          pulumi.interpolate`arn:${partition}:ssm:${s.sourceRegion}:${account}:parameter${p.name}`,
      ),
    });
    const hostPolicy = new iam.RolePolicy(
      `${name}-host`,
      {
        role: args.roleName,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }),
      },
      { parent: this },
    );

    const ami = ec2.getAmiOutput(
      {
        owners: [DEBIAN_AMI_OWNER],
        mostRecent: true,
        filters: [
          {
            name: "name",
            values: [`debian-12-${args.architecture === "arm64" ? "arm64" : "amd64"}-*`],
          },
          { name: "architecture", values: [args.architecture] },
          { name: "virtualization-type", values: ["hvm"] },
          { name: "root-device-type", values: ["ebs"] },
        ],
      },
      { parent: this },
    );

    // The bucket's owner, the stack's own account unless configured: every S3 request the
    // engine makes carries it (ExpectedBucketOwner). The vault container's URL: a SAS read from
    // SSM that points anywhere else is refused, so a replaced parameter cannot redirect the backup.
    const artifacts = pulumi.secret(
      pulumi
        .all([access.rendered, account, args.vaultBlobEndpoint])
        .apply(([a, owner, blobEndpoint]) =>
          renderHostArtifacts(
            {
              ...s,
              sourceBucketOwner: s.sourceBucketOwner || owner,
              vaultContainerUrl: `${blobEndpoint.replace(/\/+$/, "")}/${s.containerName}`,
            },
            a,
            engine,
          ),
        ),
    );
    const userData = pulumi.secret(
      artifacts.apply((a) => encodeUserData(renderCloudInit(s, a, args.architecture))),
    );

    const instance = new ec2.Instance(
      `${name}-instance`,
      {
        ami: ami.id,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: [args.securityGroupId],
        iamInstanceProfile: args.instanceProfileName,
        associatePublicIpAddress: false,
        userDataBase64: userData,
        userDataReplaceOnChange: true,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        rootBlockDevice: {
          encrypted: true,
          volumeType: "gp3",
          volumeSize: args.rootVolumeGb,
          deleteOnTermination: true,
        },
        monitoring: true,
        disableApiTermination: false,
        tags: { ...tags, Name: `${name}` },
        volumeTags: tags,
      },
      // A newer AMI alone must not replace the host; unattended-upgrades keeps it patched. The
      // instance starts only once its policies and credential exist (cloud-init also waits for
      // the Elastic IP, which can only be associated with a running instance).
      { parent: this, ignoreChanges: ["ami"], dependsOn: [...bootNeeds, hostPolicy] },
    );
    new ec2.EipAssociation(
      `${name}-eip`,
      { instanceId: instance.id, allocationId: args.eipAllocationId },
      { parent: this },
    );

    this.instanceId = instance.id;
    // The AMI the host runs (not the newest lookup: a newer image never replaces the host).
    this.amiId = instance.ami;
    this.rcloneConfig = pulumi.secret(artifacts.apply((a) => a.rcloneConfig));
    this.registerOutputs({
      instanceId: this.instanceId,
      amiId: this.amiId,
      rcloneConfig: this.rcloneConfig,
    });
  }
}
