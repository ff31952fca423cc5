// The stack's outputs, declared once: their names and plain types. buildStack (stack.ts) returns
// exactly these as Pulumi values, index.ts exports what it returns, and the operator commands
// (cli/) read them as `pulumi stack output --json` prints them. Adding, renaming or retyping an
// output here is a compile error in every place that makes or reads it.
import type { CredentialMode } from "./credentials";
import type { CheckSchedule, SyncMode } from "./modes";

export interface StackOutputs {
  /** The existing S3 bucket the backup reads (never written). */
  sourceBucket: string;
  /** The host's IAM role and its instance profile. */
  syncRoleName: string;
  syncRoleArn: string;
  instanceProfileName: string;
  /** The sync host's EC2 instance, and the AMI it runs. */
  syncHostInstanceId: string;
  syncHostAmiId: string;
  /** The host's (and the source bucket's) AWS region. */
  syncRegion: string;
  /**
   * The SSM Command document `npm run verify` sends: it can only run the host's integrity check
   * or restore drill (parameter check: integrity or drill) and print its result.
   */
  verifyDocumentName: string;
  /**
   * The managed policy to attach to operators who run `npm run verify`: ssm:SendCommand of that
   * document to this host only, and ssm:GetCommandInvocation.
   */
  operatorPolicyArn: string;
  /** The host's Elastic IP: the one address the vault's firewall admits. */
  syncEgressIp: string;
  /** Hours between sync runs (a number, as configured: it divides 24). */
  syncIntervalHours: number;
  syncMode: SyncMode;
  /** How often the host checks the vault against the source (daily, weekly, monthly, off). */
  integrityCheck: CheckSchedule;
  /** How often the host rehearses a restore (daily, weekly, monthly, off). */
  restoreDrill: CheckSchedule;
  credentialMode: CredentialMode;
  /**
   * Federated mode: the managed identity the host's role federates to ("" in SAS mode). A
   * secret, as the design treats the host's identity settings, though it grants nothing alone.
   */
  vaultIdentityClientId: string;
  vaultResourceGroup: string;
  vaultAccountName: string;
  vaultContainerName: string;
  /** The vault account's blob endpoint, e.g. https://vaultab12cd34.blob.core.windows.net/ */
  vaultBlobEndpoint: string;
  vaultPrivateEndpointId: string;
  /** Disabled, Unlocked or Locked: what Azure reports for the WORM policy. */
  vaultImmutabilityState: string;
  /** SAS mode: when the SAS expires, ISO 8601 UTC ("" in federated mode, which has none). */
  vaultSasExpiry: string;
  /** SAS mode with ssm delivery: the SSM SecureString holding the SAS URL ("" otherwise). */
  vaultSasParameter: string;
  /** Secret: the container URL with the sync host's SAS ("" in federated mode). */
  vaultSasUrl: string;
  /** The SNS topic every alarm notifies (KMS-encrypted). */
  alarmTopicArn: string;
  /**
   * The stack's CloudWatch alarms, by name (Pulumi-generated), comma-separated: `npm run status`
   * asks DescribeAlarms for exactly these (a name prefix could match another stack's alarms).
   */
  alarmNames: string;
  /** CloudWatch Logs group with each run's summary. */
  runLogGroup: string;
  /** The Log Analytics workspace holding the vault's audit trail. */
  vaultAuditWorkspaceId: string;
  /** Secret: the rclone config the host runs. */
  rcloneConfig: string;
}

export type StackOutputName = keyof StackOutputs;

/** The alarmNames output from the alarms' names (outputs are strings or numbers, never lists). */
export function joinAlarmNames(names: readonly string[]): string {
  return names.join(",");
}

/** The alarm names in an alarmNames output. */
export function splitAlarmNames(output: string): string[] {
  return output.split(",").filter((n) => n !== "");
}

/**
 * The outputs exported as Pulumi secrets (`pulumi stack output --json` prints "[secret]" for
 * them; the operator commands never read them). The policy pack's `secretOutputs` lists the same.
 */
export const SECRET_OUTPUTS = [
  "vaultIdentityClientId",
  "vaultSasUrl",
  "rcloneConfig",
] as const satisfies readonly StackOutputName[];
