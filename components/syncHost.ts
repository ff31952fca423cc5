import * as pulumi from "@pulumi/pulumi";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as ssm from "@pulumi/aws/ssm";
import { getCallerIdentityOutput, getPartitionOutput } from "@pulumi/aws";
import {
  assertNever,
  ENTRA_TOKEN_AUDIENCE,
  WEB_IDENTITY_SIGNING_ALGORITHM,
  WEB_IDENTITY_TOKEN_SECONDS,
} from "../domain/credentials";
import { SESSION_MANAGER_ACTIONS } from "../domain/hostPermissions";
import {
  encodeUserData,
  engineDelivery,
  renderCloudInit,
  renderHostArtifacts,
  type SyncSettings,
  type VaultAccess,
} from "../userdata";

/** The vault access as the program knows it (Outputs); the renderers get the plain values. */
export type HostVaultAccess =
  | { kind: "ssm" | "userData"; sasUrl: pulumi.Input<string> }
  | {
      kind: "federated";
      tenantId: pulumi.Input<string>;
      clientId: pulumi.Input<string>;
      blobEndpoint: pulumi.Input<string>;
      /** The host's Elastic IP, which the minted SAS is bound to. */
      sasIp: pulumi.Input<string>;
    };

/**
 * The one AWS permission federated mode adds: mint a web identity token for Entra's audience
 * only, short-lived. The condition keys are the ones IAM documents for GetWebIdentityToken.
 */
export function mintTokenStatement(): object {
  return {
    Sid: "MintVaultToken",
    Effect: "Allow",
    Action: "sts:GetWebIdentityToken",
    Resource: "*",
    Condition: {
      "ForAllValues:StringEquals": { "sts:IdentityTokenAudience": [ENTRA_TOKEN_AUDIENCE] },
      // ForAllValues is also true when the key is absent: require an audience.
      Null: { "sts:IdentityTokenAudience": "false" },
      NumericLessThanEquals: { "sts:DurationSeconds": WEB_IDENTITY_TOKEN_SECONDS },
      StringEquals: { "sts:SigningAlgorithm": WEB_IDENTITY_SIGNING_ALGORITHM },
    },
  };
}

/** Debian's official AWS account: bookworm images, whose archive also signs rclone and awscli. */
export const DEBIAN_AMI_OWNER = "136693071363";

export interface SyncHostArgs {
  /** Plain settings the renderers in userdata/ turn into the host's files. */
  settings: SyncSettings;
  /** How the host reaches the vault; its kind must match settings.credential. */
  vaultAccess: HostVaultAccess;
  /** Federated mode: the vault identity that must exist (with its role grants) before boot. */
  vaultIdentity?: pulumi.Input<pulumi.Resource>;
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
 * changes. The SAS reaches it through an SSM SecureString by default, never user-data.
 */
export class SyncHost extends pulumi.ComponentResource {
  public readonly instanceId: pulumi.Output<string>;
  public readonly amiId: pulumi.Output<string>;
  /** SSM parameter holding the SAS URL ("" with userData delivery). */
  public readonly ssmParameterName: pulumi.Output<string>;
  /** The rendered rclone config (secret). */
  public readonly rcloneConfig: pulumi.Output<string>;

  constructor(name: string, args: SyncHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:SyncHost", name, {}, opts);
    const s = args.settings;
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
    ];

    let parameterName: pulumi.Output<string> = pulumi.output("");
    // Everything the first boot uses: its permissions and its credential.
    const bootNeeds: pulumi.Input<pulumi.Resource>[] = [...(args.dependsOn ?? [])];
    const access = args.vaultAccess;
    if (access.kind !== s.credential)
      throw new pulumi.InputPropertiesError({
        message: `SyncHost "${name}": invalid arguments`,
        errors: [
          {
            propertyPath: "vaultAccess.kind",
            reason: `is "${access.kind}" but settings.credential is "${s.credential}"`,
          },
        ],
      });
    if (access.kind === "federated") {
      statements.push(mintTokenStatement());
      if (args.vaultIdentity) bootNeeds.push(args.vaultIdentity);
    }
    if (access.kind === "ssm") {
      const parameter = new ssm.Parameter(
        `${name}-sas`,
        {
          name: s.ssmParameterName,
          type: "SecureString",
          description:
            "cross-cloud-backup: container SAS URL of the Azure vault (rotated by pulumi up)",
          value: pulumi.secret(access.sasUrl),
          tags,
        },
        { parent: this },
      );
      parameterName = parameter.name;
      bootNeeds.push(parameter);
      // The aws/ssm key's policy already lets in-account principals decrypt through SSM.
      statements.push({
        Sid: "ReadVaultCredential",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: parameter.arn,
      });
    }
    // The engine, larger than user-data may be, in standard-tier (free) SSM parameters; the
    // loader in user-data pins its SHA-256. Plain strings: the engine holds no secret.
    const engine = engineDelivery(s);
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
    const partition = getPartitionOutput({}, { parent: this }).partition;
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

    let plainAccess: pulumi.Output<VaultAccess>;
    switch (access.kind) {
      case "ssm":
        plainAccess = pulumi.output({ kind: "ssm" as const });
        break;
      case "userData":
        plainAccess = pulumi
          .secret(access.sasUrl)
          .apply((sasUrl) => ({ kind: "userData" as const, sasUrl }));
        break;
      case "federated":
        plainAccess = pulumi
          .all([access.tenantId, access.clientId, access.blobEndpoint, access.sasIp])
          .apply(([tenantId, clientId, blobEndpoint, sasIp]) => ({
            kind: "federated" as const,
            tenantId,
            clientId,
            blobEndpoint,
            sasIp,
          }));
        break;
      default:
        assertNever(access);
    }
    const artifacts = pulumi.secret(plainAccess.apply((a) => renderHostArtifacts(s, a, engine)));
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
    this.ssmParameterName = parameterName;
    this.rcloneConfig = pulumi.secret(artifacts.apply((a) => a.rcloneConfig));
    this.registerOutputs({
      instanceId: this.instanceId,
      ssmParameterName: this.ssmParameterName,
      rcloneConfig: this.rcloneConfig,
    });
  }
}
