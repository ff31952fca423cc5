// Builds one stack from validated config: the components, wired together, and the outputs.
// index.ts only reads config and exports what this returns; tests can build a stack in-process
// under mocks, without the per-stack child process.
import * as pulumi from "@pulumi/pulumi";
import { settingsFromConfig, type BackupConfig } from "./config";
import { HostIdentity } from "./components/hostIdentity";
import { S3ReadOnlyAccess } from "./components/s3ReadOnlyAccess";
import { AzureBackupVault, type AzureBackupVaultArgs } from "./components/azureBackupVault";
import { SyncNetwork } from "./components/syncNetwork";
import { SyncHost } from "./components/syncHost";
import { VaultAccess } from "./components/vaultAccess";
import { VaultAudit } from "./components/vaultAudit";
import { VaultAlerts } from "./components/vaultAlerts";
import { BackupAlarms } from "./components/backupAlarms";
import { RunTelemetry } from "./components/runTelemetry";
import { OperatorAccess } from "./components/operatorAccess";
import { ManagedEngine } from "./components/managedEngine";
import { CONTAINER_NAME } from "./domain/layout";
import { joinAlarmNames, type StackOutputs } from "./domain/outputs";

/** The stack's outputs as the program makes them (domain/outputs.ts names and types them). */
export type StackExports = { [K in keyof StackOutputs]: pulumi.Input<StackOutputs[K]> };

export function buildStack(cfg: BackupConfig, stack: string): StackExports {
  const tags = { project: "cross-cloud-backup", stack, "managed-by": "pulumi" };
  // Past what one host can list in an interval: a managed transfer service, same vault, no host.
  if (cfg.engine === "datasync") return buildManagedEngineStack(cfg, stack, tags);

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
    egressCidrs: cfg.egressCidrs,
    flowLogs: cfg.flowLogs
      ? {
          logGroupName: `/cross-cloud-backup/${stack}/vpc-flow-logs`,
          retentionDays: cfg.logRetentionDays,
          kmsKeyArn: cfg.logKmsKeyArn,
          permissionsBoundaryArn: cfg.permissionsBoundaryArn,
        }
      : undefined,
    tags,
  });
  const egressIp = network.egressIp;

  const vault = new AzureBackupVault(
    "vault",
    vaultArgs(cfg, tags, { egressIps: [egressIp, ...cfg.allowedIps], sasIp: egressIp }),
  );

  // How the host reaches the vault: federated (no stored credential) or the vault's SAS.
  const settings = settingsFromConfig(cfg, stack, CONTAINER_NAME);
  const vaultAccess = new VaultAccess("vault-access", {
    credentialMode: cfg.credentialMode,
    credentialDelivery: cfg.credentialDelivery,
    outboundFederation: cfg.outboundFederation,
    vault,
    location: cfg.azureLocation,
    hostRoleArn: access.roleArn,
    hostIp: egressIp,
    ssmParameterName: settings.ssmParameterName,
    region: settings.sourceRegion,
    deployerArn: cfg.deployerArn,
    syncMode: cfg.syncMode,
    tags,
  });

  // Where runs report; in place before the host boots, so its first run can publish.
  const telemetry = new RunTelemetry("run-telemetry", {
    roleName: access.roleName,
    stack,
    logRetentionDays: cfg.logRetentionDays,
    logKmsKeyArn: cfg.logKmsKeyArn,
    tags,
  });

  const host = new SyncHost("sync-host", {
    settings,
    vaultAccess: vaultAccess.host,
    vaultBlobEndpoint: vault.blobEndpoint,
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

  // How operators reach the host: a verify-only command document and the policy to use it;
  // optionally Session Manager's (account-wide) session logging.
  const operator = new OperatorAccess("operator-access", {
    stack,
    region: cfg.sourceRegion,
    instanceId: host.instanceId,
    roleName: access.roleName,
    sessionLogging: cfg.sessionLogging
      ? { retentionDays: cfg.logRetentionDays, kmsKeyArn: cfg.logKmsKeyArn }
      : undefined,
    tags,
  });

  const audit = vaultOversight(cfg, vault, tags);
  // Where alarms go: freshness, failed, partial, killed and long runs, a shrinking source, the
  // checks' findings and their being overdue, the credential's expiry and the host's health.
  const alarms = new BackupAlarms("backup-alarms", {
    instanceId: host.instanceId,
    stack,
    region: cfg.sourceRegion,
    intervalHours: cfg.syncIntervalHours,
    sourceDropAlarmPercent: cfg.sourceDropAlarmPercent,
    // The checks' own schedules: an overdue alarm for each one that runs on a timer.
    checkSchedules: { integrity: cfg.integrityCheck, drill: cfg.restoreDrill },
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
    syncHostInstanceId: host.instanceId,
    syncHostAmiId: host.amiId,
    syncRegion: cfg.sourceRegion,
    verifyDocumentName: operator.verifyDocumentName,
    operatorPolicyArn: operator.operatorPolicyArn,
    syncEgressIp: network.egressIp,
    syncIntervalHours: cfg.syncIntervalHours,
    syncMode: cfg.syncMode,
    integrityCheck: cfg.integrityCheck,
    restoreDrill: cfg.restoreDrill,
    credentialMode: cfg.credentialMode,
    vaultIdentityClientId: pulumi.secret(vaultAccess.identityClientId),
    vaultResourceGroup: vault.resourceGroupName,
    vaultAccountName: vault.accountName,
    vaultContainerName: vault.containerName,
    vaultBlobEndpoint: vault.blobEndpoint,
    vaultPrivateEndpointId: vault.privateEndpointId,
    vaultImmutabilityState: vault.immutabilityPolicyState,
    vaultSasExpiry: vault.sasExpiry ?? "",
    vaultSasParameter: vaultAccess.ssmParameterName,
    vaultSasUrl: vault.sasUrl ?? pulumi.secret(""),
    alarmTopicArn: alarms.topicArn,
    alarmNames: alarms.alarmNames.apply(joinAlarmNames),
    runLogGroup: telemetry.logGroupName,
    vaultAuditWorkspaceId: audit.workspaceId,
    rcloneConfig: host.rcloneConfig,
  };
}

/**
 * The vault's arguments from config; the engine decides what its firewall admits and whether its
 * SAS is bound to an address. The same names in both engines' stacks, so switching engine keeps
 * the vault (it is protected; a replacement would fail).
 */
function vaultArgs(
  cfg: BackupConfig,
  tags: Record<string, string>,
  access: Pick<AzureBackupVaultArgs, "egressIps" | "sasIp" | "openFirewall">,
): AzureBackupVaultArgs {
  return {
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
    ...access,
    vnetCidr: cfg.vnetCidr,
    syncMode: cfg.syncMode,
    credentialMode: cfg.credentialMode,
    sasRotationDays: cfg.sasRotationDays,
    tags,
  };
}

/** Who read, wrote or deleted backup data (the audit trail), and who changed the vault. */
function vaultOversight(
  cfg: BackupConfig,
  vault: AzureBackupVault,
  tags: Record<string, string>,
): VaultAudit {
  // Who read, wrote or deleted backup data: the vault's data-plane audit trail.
  const audit = new VaultAudit("vault-audit", {
    resourceGroupName: vault.resourceGroupName,
    location: cfg.azureLocation,
    storageAccountId: vault.storageAccountId,
    retentionDays: cfg.auditRetentionDays,
    defender: cfg.defenderForStorage,
    tags,
  });
  // Who changed the vault's control plane: account, WORM policies, locks, roles, keys.
  new VaultAlerts("vault-alerts", {
    resourceGroupName: vault.resourceGroupName,
    resourceGroupId: vault.resourceGroupId,
    emails: cfg.alarmEmails,
    tags,
  });
  return audit;
}

/**
 * engine "datasync" (docs/scale.md): the same vault, its audit trail and alerts, and AWS DataSync
 * writing into data/ on the schedule; no host, so no host network, identity, credential delivery,
 * checks or host alarms. The firewall admits every network (DataSync's addresses are not
 * published) and the SAS is bound to no address; config requires openVaultFirewall to accept it.
 * Outputs that name host resources are empty; the sync role is the one DataSync reads the source
 * with, the run log group DataSync's.
 */
function buildManagedEngineStack(
  cfg: BackupConfig,
  stack: string,
  tags: Record<string, string>,
): StackExports {
  const vault = new AzureBackupVault(
    "vault",
    vaultArgs(cfg, tags, { egressIps: cfg.allowedIps, openFirewall: true }),
  );
  if (vault.sasUrl === undefined)
    throw new Error('engine "datasync" needs the vault\'s SAS: credentialMode must be "sas"');
  const audit = vaultOversight(cfg, vault, tags);
  const engine = new ManagedEngine("managed-engine", {
    stack,
    region: cfg.sourceRegion,
    source: {
      bucket: cfg.sourceBucket,
      prefix: cfg.sourcePrefix,
      kmsKeyArn: cfg.sourceKmsKeyArn,
      owner: cfg.sourceBucketOwner,
    },
    vault: {
      blobEndpoint: vault.blobEndpoint,
      containerName: vault.containerName,
      sasUrl: vault.sasUrl,
    },
    intervalHours: cfg.syncIntervalHours,
    logRetentionDays: cfg.logRetentionDays,
    logKmsKeyArn: cfg.logKmsKeyArn,
    permissionsBoundaryArn: cfg.permissionsBoundaryArn,
    emails: cfg.alarmEmails,
    tags,
  });
  return {
    sourceBucket: cfg.sourceBucket,
    syncRoleName: engine.sourceRoleName,
    syncRoleArn: engine.sourceRoleArn,
    instanceProfileName: "",
    syncHostInstanceId: "",
    syncHostAmiId: "",
    syncRegion: cfg.sourceRegion,
    verifyDocumentName: "",
    operatorPolicyArn: "",
    syncEgressIp: "",
    syncIntervalHours: cfg.syncIntervalHours,
    syncMode: cfg.syncMode,
    integrityCheck: cfg.integrityCheck,
    restoreDrill: cfg.restoreDrill,
    credentialMode: cfg.credentialMode,
    vaultIdentityClientId: pulumi.secret(""),
    vaultResourceGroup: vault.resourceGroupName,
    vaultAccountName: vault.accountName,
    vaultContainerName: vault.containerName,
    vaultBlobEndpoint: vault.blobEndpoint,
    vaultPrivateEndpointId: vault.privateEndpointId,
    vaultImmutabilityState: vault.immutabilityPolicyState,
    vaultSasExpiry: vault.sasExpiry ?? "",
    vaultSasParameter: "",
    vaultSasUrl: vault.sasUrl,
    alarmTopicArn: engine.topicArn,
    alarmNames: engine.alarmNames.apply(joinAlarmNames),
    runLogGroup: engine.logGroupName,
    vaultAuditWorkspaceId: audit.workspaceId,
    rcloneConfig: pulumi.secret(""),
  };
}
