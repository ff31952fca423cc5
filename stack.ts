// Builds one stack from validated config: the components, wired together, and the outputs.
// index.ts only reads config and exports what this returns; tests can build a stack in-process
// under mocks, without the per-stack child process.
import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { settingsFromConfig, type BackupConfig } from "./config";
import { HostIdentity } from "./components/hostIdentity";
import { S3ReadOnlyAccess } from "./components/s3ReadOnlyAccess";
import { AzureBackupVault } from "./components/azureBackupVault";
import { SyncNetwork } from "./components/syncNetwork";
import { SyncHost, type HostVaultAccess } from "./components/syncHost";
import { VaultIdentity } from "./components/vaultIdentity";
import { VaultAudit } from "./components/vaultAudit";
import { BackupAlarms } from "./components/backupAlarms";
import { RunTelemetry } from "./components/runTelemetry";
import { CONTAINER_NAME } from "./domain/layout";

export function buildStack(cfg: BackupConfig, stack: string) {
  const tags = { project: "cross-cloud-backup", stack, "managed-by": "pulumi" };

  // The host's AWS identity: one role and instance profile; each component adds its own grants.
  const access = new HostIdentity("sync-identity", {
    region: cfg.sourceRegion,
    permissionsBoundaryArn: cfg.permissionsBoundaryArn,
    purpose: `cross-cloud-backup sync host: reads s3://${cfg.sourceBucket}, writes the Azure vault`,
    tags,
  });
  const sourceRead = new S3ReadOnlyAccess("source-read", {
    roleName: access.roleName,
    bucketName: cfg.sourceBucket,
    prefix: cfg.sourcePrefix,
    region: cfg.sourceRegion,
    kmsKeyArn: cfg.sourceKmsKeyArn,
  });

  // The host's network comes first: its Elastic IP is what the vault's firewall and SAS admit.
  const network = new SyncNetwork("sync-net", {
    vpcCidr: cfg.vpcCidr,
    existingSubnetId: cfg.existingSubnetId,
    region: cfg.sourceRegion,
    instanceType: cfg.instanceType,
    sourceBucket: cfg.sourceBucket,
    sourcePrefix: cfg.sourcePrefix,
    tags,
  });
  const egressIp = network.egressIp;

  const vault = new AzureBackupVault("vault", {
    location: cfg.azureLocation,
    redundancy: cfg.storageRedundancy,
    softDeleteRetentionDays: cfg.softDeleteRetentionDays,
    pointInTimeRestoreDays: cfg.pointInTimeRestoreDays,
    immutabilityDays: cfg.immutabilityDays,
    immutabilityLocked: cfg.immutabilityLocked,
    immutabilityLockAccount: cfg.immutabilityLockAccount,
    versionRetentionDays: cfg.versionRetentionDays,
    deleteLock: cfg.deleteLock,
    cmk:
      cfg.cmkKeyUri && cfg.cmkIdentityId
        ? { keyUri: cfg.cmkKeyUri, identityId: cfg.cmkIdentityId }
        : undefined,
    egressIps: [egressIp, ...cfg.allowedIps],
    sasIp: egressIp,
    vnetCidr: cfg.vnetCidr,
    syncMode: cfg.syncMode,
    credentialMode: cfg.credentialMode,
    sasRotationDays: cfg.sasRotationDays,
    tags,
  });

  // Federated mode: the AWS account vouches for the host's role (outbound identity federation),
  // and one Azure identity trusts exactly that role.
  let vaultAccess: HostVaultAccess;
  let identity: VaultIdentity | undefined;
  if (cfg.credentialMode === "federated") {
    const issuer =
      cfg.outboundFederation === "enable"
        ? // Account-wide and possibly shared with other workloads: destroying this stack leaves
          // it enabled rather than cutting them off.
          new iam.OutboundWebIdentityFederation("outbound-federation", {}, { retainOnDelete: true })
            .issuerIdentifier
        : iam.getOutboundWebIdentityFederationOutput().issuerIdentifier;
    identity = new VaultIdentity("vault-identity", {
      resourceGroupName: vault.resourceGroupName,
      resourceGroupId: vault.resourceGroupId,
      location: cfg.azureLocation,
      storageAccountId: vault.storageAccountId,
      containerName: vault.containerName,
      issuer,
      subject: access.roleArn,
      syncMode: cfg.syncMode,
      tags,
    });
    vaultAccess = {
      kind: "federated",
      tenantId: identity.tenantId,
      clientId: identity.clientId,
      blobEndpoint: vault.blobEndpoint,
      sasIp: egressIp,
    };
  } else {
    vaultAccess = {
      kind: cfg.credentialDelivery,
      sasUrl: vault.sasUrl!,
    };
  }

  // Where runs report; in place before the host boots, so its first run can publish.
  const telemetry = new RunTelemetry("run-telemetry", {
    roleName: access.roleName,
    stack,
    logRetentionDays: cfg.logRetentionDays,
    logKmsKeyArn: cfg.logKmsKeyArn,
    tags,
  });

  const settings = settingsFromConfig(cfg, stack, CONTAINER_NAME);
  const host = new SyncHost("sync-host", {
    settings,
    vaultAccess,
    vaultIdentity: identity,
    instanceType: cfg.instanceType,
    rootVolumeGb: cfg.rootVolumeGb,
    architecture: cfg.architecture,
    subnetId: network.subnetId,
    securityGroupId: network.securityGroupId,
    eipAllocationId: network.eipAllocationId,
    roleName: access.roleName,
    instanceProfileName: access.instanceProfileName,
    dependsOn: [access, sourceRead, telemetry],
    tags,
  });

  // Who read, wrote or deleted backup data: the vault's data-plane audit trail.
  const audit = new VaultAudit("vault-audit", {
    resourceGroupName: vault.resourceGroupName,
    location: cfg.azureLocation,
    storageAccountId: vault.storageAccountId,
    retentionDays: cfg.auditRetentionDays,
    defender: cfg.defenderForStorage,
    tags,
  });
  // Where alarms go, and the host-health alarm.
  const alarms = new BackupAlarms("backup-alarms", {
    instanceId: host.instanceId,
    stack,
    intervalHours: cfg.syncIntervalHours,
    // SAS mode: warn when less than one rotation window is left (nobody ran pulumi up in it).
    credentialWarningSeconds:
      cfg.credentialMode === "sas" ? cfg.sasRotationDays * 86_400 : undefined,
    emails: cfg.alarmEmails,
    dashboard: cfg.dashboard ? { region: cfg.sourceRegion } : undefined,
    tags,
  });

  return {
    sourceBucket: cfg.sourceBucket,
    syncRoleName: access.roleName,
    syncRoleArn: access.roleArn,
    instanceProfileName: access.instanceProfileName,
    vaultResourceGroup: vault.resourceGroupName,
    vaultAccountName: vault.accountName,
    vaultContainerName: vault.containerName,
    vaultBlobEndpoint: vault.blobEndpoint,
    vaultPrivateEndpointId: vault.privateEndpointId,
    /** SAS mode: when the SAS expires ("" in federated mode, which has none). */
    vaultSasExpiry: vault.sasExpiry ?? "",
    credentialMode: cfg.credentialMode,
    /**
     * Federated mode: the managed identity the host's role federates to ("" in SAS mode). A
     * secret, as the design treats the host's identity settings, though it grants nothing alone.
     */
    vaultIdentityClientId: pulumi.secret(identity?.clientId ?? ""),
    /** Disabled, Unlocked or Locked: what Azure reports for the WORM policy. */
    vaultImmutabilityState: vault.immutabilityPolicyState,
    /** Secret: the container URL with the sync host's SAS. */
    vaultSasUrl: vault.sasUrl ?? pulumi.secret(""),
    syncHostInstanceId: host.instanceId,
    /** The host's (and the source bucket's) AWS region. */
    syncRegion: cfg.sourceRegion,
    /** The SNS topic every alarm notifies (KMS-encrypted). */
    alarmTopicArn: alarms.topicArn,
    /** CloudWatch Logs group with each run's summary. */
    runLogGroup: telemetry.logGroupName,
    /** The Log Analytics workspace holding the vault's audit trail. */
    vaultAuditWorkspaceId: audit.workspaceId,
    syncHostAmiId: host.amiId,
    syncEgressIp: network.egressIp,
    syncSchedule: `every ${cfg.syncIntervalHours} hours (UTC)`,
    /** How often the host checks the vault against the source (daily, weekly, monthly, off). */
    integrityCheck: cfg.integrityCheck,
    /** How often the host rehearses a restore (daily, weekly, monthly, off). */
    restoreDrill: cfg.restoreDrill,
    syncMode: cfg.syncMode,
    /** Name of the SSM SecureString with the SAS URL ("" with userData delivery). */
    vaultSasParameter: host.ssmParameterName,
    /** Secret: the rclone config the host runs. */
    rcloneConfig: host.rcloneConfig,
  } satisfies Record<string, pulumi.Input<string>>;
}
