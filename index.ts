// One stack: read and validate config, build it, export its outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config";
import { buildStack } from "./stack";

const out = buildStack(readStackConfig(), pulumi.getStack());

export const sourceBucket = out.sourceBucket;
export const syncRoleName = out.syncRoleName;
export const syncRoleArn = out.syncRoleArn;
export const instanceProfileName = out.instanceProfileName;
export const vaultResourceGroup = out.vaultResourceGroup;
export const vaultAccountName = out.vaultAccountName;
export const vaultContainerName = out.vaultContainerName;
export const vaultBlobEndpoint = out.vaultBlobEndpoint;
export const vaultPrivateEndpointId = out.vaultPrivateEndpointId;
export const vaultSasExpiry = out.vaultSasExpiry;
export const credentialMode = out.credentialMode;
export const vaultIdentityClientId = out.vaultIdentityClientId;
export const vaultImmutabilityState = out.vaultImmutabilityState;
export const vaultSasUrl = out.vaultSasUrl;
export const syncHostInstanceId = out.syncHostInstanceId;
export const alarmTopicArn = out.alarmTopicArn;
export const runLogGroup = out.runLogGroup;
export const vaultAuditWorkspaceId = out.vaultAuditWorkspaceId;
export const syncHostAmiId = out.syncHostAmiId;
export const syncEgressIp = out.syncEgressIp;
export const syncSchedule = out.syncSchedule;
export const syncMode = out.syncMode;
export const vaultSasParameter = out.vaultSasParameter;
export const rcloneConfig = out.rcloneConfig;
