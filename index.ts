// Composes one stack: reads config once, builds the components, exports outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config";
import { S3ReadOnlyAccess } from "./components/s3ReadOnlyAccess";
import { AzureBackupVault, CONTAINER_NAME } from "./components/azureBackupVault";
import { SyncNetwork } from "./components/syncNetwork";
import { SyncHost } from "./components/syncHost";
import { settingsFromConfig } from "./userdata";

const cfg = readStackConfig();
const tags = { project: "cross-cloud-backup", stack: pulumi.getStack(), "managed-by": "pulumi" };

const access = new S3ReadOnlyAccess("source-read", {
  bucketName: cfg.sourceBucket,
  prefix: cfg.sourcePrefix,
  region: cfg.sourceRegion,
  kmsKeyArn: cfg.sourceKmsKeyArn,
  permissionsBoundaryArn: cfg.permissionsBoundaryArn,
  tags,
});

// The host's network comes first: its Elastic IP is what the vault's firewall and SAS admit.
const network = new SyncNetwork("sync-net", {
  vpcCidr: cfg.vpcCidr,
  existingSubnetId: cfg.existingSubnetId,
  region: cfg.sourceRegion,
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
  sasRotationDays: cfg.sasRotationDays,
  tags,
});

const settings = settingsFromConfig(cfg, pulumi.getStack(), CONTAINER_NAME);
const host = new SyncHost("sync-host", {
  settings,
  sasUrl: vault.sasUrl,
  instanceType: cfg.instanceType,
  rootVolumeGb: cfg.rootVolumeGb,
  architecture: cfg.architecture,
  subnetId: network.subnetId,
  securityGroupId: network.securityGroupId,
  eipAllocationId: network.eipAllocationId,
  roleName: access.roleName,
  instanceProfileName: access.instanceProfileName,
  dependsOn: [access],
  tags,
});

export const sourceBucket = cfg.sourceBucket;
export const syncRoleName = access.roleName;
export const syncRoleArn = access.roleArn;
export const instanceProfileName = access.instanceProfileName;
export const vaultResourceGroup = vault.resourceGroupName;
export const vaultAccountName = vault.accountName;
export const vaultContainerName = vault.containerName;
export const vaultBlobEndpoint = vault.blobEndpoint;
export const vaultPrivateEndpointId = vault.privateEndpointId;
export const vaultSasExpiry = vault.sasExpiry;
/** Secret: the container URL with the sync host's SAS. */
export const vaultSasUrl = vault.sasUrl;
export const syncHostInstanceId = host.instanceId;
export const syncHostAmiId = host.amiId;
export const syncEgressIp = network.egressIp;
export const syncSchedule = `every ${cfg.syncIntervalHours} hours (UTC)`;
export const syncMode = cfg.syncMode;
/** Name of the SSM SecureString with the SAS URL ("" with userData delivery). */
export const vaultSasParameter = host.ssmParameterName;
/** Secret: the rclone config the host runs. */
export const rcloneConfig = host.rcloneConfig;
