import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as ssm from "@pulumi/aws/ssm";
import { awsPartitionOf } from "../domain/awsData";
import {
  assertNever,
  credentialKind,
  ENTRA_TOKEN_AUDIENCE,
  WEB_IDENTITY_SIGNING_ALGORITHM,
  WEB_IDENTITY_TOKEN_SECONDS,
  type CredentialKind,
  type CredentialMode,
  type OutboundFederation,
} from "../domain/credentials";
import type { CredentialDelivery, SyncMode } from "../domain/modes";
import type { VaultAccess as RenderedVaultAccess } from "../userdata";
import { VaultIdentity } from "./vaultIdentity";

/** The vault the host is given access to: what AzureBackupVault exposes. */
export interface VaultRef {
  resourceGroupName: pulumi.Input<string>;
  /** Where the federated identity's custom roles are defined and may be assigned. */
  resourceGroupId: pulumi.Input<string>;
  storageAccountId: pulumi.Input<string>;
  containerName: pulumi.Input<string>;
  blobEndpoint: pulumi.Input<string>;
  /** SAS mode: the container URL with its service SAS (a secret); undefined in federated mode. */
  sasUrl?: pulumi.Input<string>;
}

export interface VaultAccessArgs {
  /** "federated": no stored credential (the default); "sas": the vault's service SAS. */
  credentialMode: CredentialMode;
  /** SAS mode: "ssm" (an SSM SecureString the host reads at every run) or "userData". */
  credentialDelivery: CredentialDelivery;
  /** Federated mode: "enable" the AWS account's outbound identity federation, or read the "existing" one. */
  outboundFederation: OutboundFederation;
  vault: VaultRef;
  /** Azure region of the managed identity (federated mode). */
  location: string;
  /** The host's role: the only AWS principal the federated identity trusts. */
  hostRoleArn: pulumi.Input<string>;
  /** The host's egress IP: a SAS the host mints (federated mode) is bound to it. */
  hostIp: pulumi.Input<string>;
  /** SAS mode with ssm delivery: the SecureString's name (the renderers' settings carry it too). */
  ssmParameterName: string;
  /** The AWS region of the host and of the SSM parameter. */
  region: string;
  /**
   * SAS mode with ssm delivery: the principal that deploys the stack, the only one the
   * parameter's key lets encrypt. Default: the identity running Pulumi.
   */
  deployerArn?: string;
  /** "copy" never deletes in the vault, so the federated identity gets no delete. */
  syncMode: SyncMode;
  tags?: Record<string, string>;
}

/**
 * What the sync host needs from VaultAccess, in one value, so the credential kind is decided in
 * one place and the host never has to cross-check it.
 */
export interface HostVaultAccess {
  /** The renderers' credential kind (settings.credential). */
  kind: CredentialKind;
  /** The access as the renderers take it: plain values, a secret (userData carries the SAS). */
  rendered: pulumi.Output<RenderedVaultAccess>;
  /** What the host's role needs for it: mint a token (federated), read the parameter (ssm). */
  statements: pulumi.Input<object>[];
  /** What must exist before the host first boots: the identity with its grants, or the SAS. */
  bootNeeds: pulumi.Resource[];
}

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

/**
 * Logical names the credential's resources had before this component owned them (the stack
 * created the federation and the identity, SyncHost the SSM parameter). They are kept, and
 * aliases name the former parents, so `pulumi up` moves them in the state instead of replacing
 * them: a new identity would mean a new client id and new role assignments while the host runs,
 * and a replaced parameter would leave the host without its SAS between delete and create.
 */
export const KEPT_NAMES = {
  federation: "outbound-federation",
  identity: "vault-identity",
  parameter: "sync-host-sas",
} as const;
const FORMER_PARAMETER_OWNER = { name: "sync-host", type: "cross-cloud-backup:aws:SyncHost" };

/**
 * How the sync host reaches the vault; the one place the credential kind is chosen.
 * - federated: the AWS account's outbound identity federation (enabled here, or read) and a
 *   VaultIdentity that trusts exactly the host's role; the host mints a token, no secret stored.
 * - sas + ssm: the vault's SAS in an SSM SecureString the host reads at every run.
 * - sas + userData: the SAS travels in the (secret) user-data.
 * Outputs: `host` (what SyncHost consumes), `kind`, `identityClientId`, `ssmParameterName`.
 */
export class VaultAccess extends pulumi.ComponentResource {
  public readonly kind: CredentialKind;
  /** Everything SyncHost needs, in one value. */
  public readonly host: HostVaultAccess;
  /** Federated mode: the managed identity's client id ("" otherwise). */
  public readonly identityClientId: pulumi.Output<string>;
  /** SAS mode with ssm delivery: the SecureString's name ("" otherwise). */
  public readonly ssmParameterName: pulumi.Output<string>;

  constructor(name: string, args: VaultAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:azure:VaultAccess", name, {}, opts);
    const kind = credentialKind(args.credentialMode, args.credentialDelivery);
    if (kind !== "federated" && args.vault.sasUrl === undefined) {
      const reason = `is missing: credentialMode "sas" delivers the vault's SAS (AzureBackupVault with credentialMode "sas" mints it)`;
      throw new pulumi.InputPropertiesError({
        message: `VaultAccess "${name}": invalid arguments:\n  - vault.sasUrl: ${reason}`,
        errors: [{ propertyPath: "vault.sasUrl", reason }],
      });
    }
    const tags = args.tags ?? {};

    let host: HostVaultAccess;
    let identityClientId: pulumi.Output<string> = pulumi.output("");
    let parameterName: pulumi.Output<string> = pulumi.output("");
    switch (kind) {
      case "federated": {
        // The AWS account vouches for the host's role (outbound identity federation), and one
        // Azure identity trusts exactly that role.
        const issuer =
          args.outboundFederation === "enable"
            ? // Account-wide and possibly shared with other workloads: destroying this stack
              // leaves it enabled rather than cutting them off.
              new iam.OutboundWebIdentityFederation(
                KEPT_NAMES.federation,
                {},
                {
                  parent: this,
                  retainOnDelete: true,
                  aliases: [{ parent: pulumi.rootStackResource }],
                },
              ).issuerIdentifier
            : iam.getOutboundWebIdentityFederationOutput({ parent: this }).issuerIdentifier;
        const identity = new VaultIdentity(
          KEPT_NAMES.identity,
          {
            resourceGroupName: args.vault.resourceGroupName,
            resourceGroupId: args.vault.resourceGroupId,
            location: args.location,
            storageAccountId: args.vault.storageAccountId,
            containerName: args.vault.containerName,
            issuer,
            subject: args.hostRoleArn,
            syncMode: args.syncMode,
            tags,
          },
          // Its children (identity, trust, roles, assignments) inherit this alias.
          { parent: this, aliases: [{ parent: pulumi.rootStackResource }] },
        );
        identityClientId = identity.clientId;
        host = {
          kind,
          rendered: pulumi
            .all([identity.tenantId, identity.clientId, args.vault.blobEndpoint, args.hostIp])
            .apply(([tenantId, clientId, blobEndpoint, sasIp]) => ({
              kind,
              tenantId,
              clientId,
              blobEndpoint,
              sasIp,
            })),
          statements: [mintTokenStatement()],
          bootNeeds: [identity],
        };
        break;
      }
      case "ssm": {
        const { key, deniesOtherKeys } = parameterKey(name, args, this);
        const parameter = new ssm.Parameter(
          KEPT_NAMES.parameter,
          {
            name: args.ssmParameterName,
            type: "SecureString",
            keyId: key.arn,
            description:
              "cross-cloud-backup: container SAS URL of the Azure vault (rotated by pulumi up)",
            value: pulumi.secret(args.vault.sasUrl!),
            tags,
          },
          {
            parent: this,
            aliases: [
              {
                parent: pulumi.createUrn(FORMER_PARAMETER_OWNER.name, FORMER_PARAMETER_OWNER.type),
              },
            ],
          },
        );
        parameterName = parameter.name;
        host = {
          kind,
          // The host reads the SAS from the parameter at run time: nothing secret to render.
          rendered: pulumi.output({ kind }),
          // The parameter's own key lets the host decrypt it (its key policy names the role);
          // the host may decrypt nothing else through SSM, so a parameter rewritten under
          // another key (aws/ssm) does not decrypt.
          statements: [
            {
              Sid: "ReadVaultCredential",
              Effect: "Allow",
              Action: "ssm:GetParameter",
              Resource: parameter.arn,
            },
            deniesOtherKeys,
          ],
          bootNeeds: [parameter],
        };
        break;
      }
      case "userData":
        host = {
          kind,
          rendered: pulumi.secret(args.vault.sasUrl!).apply((sasUrl) => ({ kind, sasUrl })),
          statements: [],
          bootNeeds: [],
        };
        break;
      default:
        assertNever(kind);
    }

    this.kind = kind;
    this.host = host;
    this.identityClientId = identityClientId;
    this.ssmParameterName = parameterName;
    this.registerOutputs({
      kind: this.kind,
      identityClientId: this.identityClientId,
      ssmParameterName: this.ssmParameterName,
    });
  }
}

/**
 * SAS mode with ssm delivery: the parameter's own customer-managed key. Only the identity that
 * deploys the stack may encrypt with it (so only it can write the parameter: a SecureString is
 * written by encrypting), and only the host's role may decrypt with it, through SSM, for this
 * parameter. The account keeps administering the key (no lock-out) but not using it. With the
 * engine's check of the URL's place (vaultContainerUrl), whoever holds ssm:PutParameter alone can
 * no longer send the backup elsewhere.
 */
function parameterKey(
  name: string,
  args: VaultAccessArgs,
  parent: pulumi.Resource,
): { key: kms.Key; deniesOtherKeys: pulumi.Input<object> } {
  const caller = getCallerIdentityOutput({}, { parent });
  const deployer = args.deployerArn ?? caller.arn.apply(principalOfCaller);
  const partition = awsPartitionOf(args.region);
  const viaSsm = `ssm.${args.region}.amazonaws.com`;
  const parameterArn = pulumi.interpolate`arn:${partition}:ssm:${args.region}:${caller.accountId}:parameter${args.ssmParameterName}`;
  const key = new kms.Key(
    `${name}-parameter-key`,
    {
      description: `cross-cloud-backup: encrypts the vault SAS parameter ${args.ssmParameterName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AccountAdministersNotUses",
            Effect: "Allow",
            Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${caller.accountId}:root` },
            Action: [...KEY_ADMINISTRATION],
            Resource: "*",
          },
          {
            Sid: "DeployerWritesTheParameter",
            Effect: "Allow",
            Principal: { AWS: deployer },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": viaSsm } },
          },
          {
            Sid: "HostReadsTheParameter",
            Effect: "Allow",
            Principal: { AWS: args.hostRoleArn },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: {
              StringEquals: {
                "kms:ViaService": viaSsm,
                "kms:EncryptionContext:PARAMETER_ARN": parameterArn,
              },
            },
          },
        ],
      }),
      tags: args.tags ?? {},
    },
    { parent },
  );
  const deniesOtherKeys = {
    Sid: "DecryptNoOtherParameterKey",
    Effect: "Deny",
    Action: "kms:Decrypt",
    NotResource: key.arn,
    Condition: { StringEquals: { "kms:ViaService": viaSsm } },
  };
  return { key, deniesOtherKeys };
}

/**
 * The principal a key policy can name for the caller: an assumed role's session ARN stands for its
 * role (on the default path; set deployerArn for a role with a path), anything else for itself.
 * Parsed rather than asked of IAM (GetRole), which a deploy role need not be allowed.
 */
export function principalOfCaller(arn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/** What the account may do with the parameter's key: administer it, never encrypt or decrypt. */
export const KEY_ADMINISTRATION = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:EnableKeyRotation",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateKeyDescription",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:UpdateAlias",
] as const;
