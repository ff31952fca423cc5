// Naming rules for what the stack points at in AWS and Azure. Pure functions returning the
// broken rules; the config schema and the components call them.
import { MAX_S3_KEY_BYTES } from "./limits";

/** AWS general-purpose bucket naming rules. Returns the broken rule, or undefined. */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return "must be 3-63 characters long";
  if (!/^[a-z0-9.-]+$/.test(name))
    return "may contain only lowercase letters, digits, dots and hyphens";
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return "must begin and end with a letter or digit";
  if (name.includes("..")) return "must not contain two adjacent dots";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "must not be formatted as an IP address";
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name))
    return "must not start with xn--, sthree- or amzn-s3-demo-";
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name))
    return "must not end with a reserved suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)";
  return undefined;
}

/**
 * Problems with a source key prefix. The prefix ends up in rclone paths, in IAM resource ARNs and
 * s3:prefix conditions, and in every blob name, so it must be one literal, normalised folder.
 */
export function sourcePrefixProblems(prefix: string): string[] {
  const p: string[] = [];
  if (prefix === "") return p;
  if (prefix.startsWith("/")) p.push(`must not start with "/", got "${prefix}"`);
  if (/[*?]/.test(prefix)) p.push(`is a literal key prefix, not a pattern; got "${prefix}"`);
  if (!prefix.endsWith("/")) p.push(`must end with "/" (a folder-like prefix), got "${prefix}"`);
  if (Buffer.byteLength(prefix) > MAX_S3_KEY_BYTES)
    p.push(`must be at most ${MAX_S3_KEY_BYTES} bytes (S3's key length limit)`);
  if (prefix.includes("//")) p.push(`must not contain an empty segment ("//"), got "${prefix}"`);
  if (prefix.split("/").some((seg) => seg === "." || seg === ".."))
    p.push(
      `must not contain "." or ".." segments (rclone would read another path), got "${prefix}"`,
    );
  if (/[\u0000-\u001f\u007f]/.test(prefix)) p.push("must not contain control characters");
  if (prefix.includes("$"))
    p.push(
      `must not contain "$": IAM reads "\${...}" in a resource ARN as a policy variable, so the host's read access would not match, got "${prefix}"`,
    );
  return p;
}

/** ARN partitions; the program deploys to the commercial one only (see awsPartitionRule). */
const AWS_PARTITION = "aws(?:-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?";
// Single-Region key ids are UUIDs; multi-Region key ids are "mrk-" and 32 hex digits.
const KMS_KEY_ARN = new RegExp(
  `^arn:(${AWS_PARTITION}):kms:([a-z0-9-]+):\\d{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`,
);
const IAM_POLICY_ARN = new RegExp(
  `^arn:(${AWS_PARTITION}):iam::(?:\\d{12}|aws):policy/[\\w+=,.@/-]{1,512}$`,
);

/** The partition and region of a KMS key ARN, or undefined when it is not one. */
export function parseKmsKeyArn(arn: string): { partition: string; region: string } | undefined {
  const m = KMS_KEY_ARN.exec(arn);
  return m ? { partition: m[1], region: m[2] } : undefined;
}

/** The partition of an IAM managed policy ARN, or undefined when it is not one. */
export function parsePolicyArn(arn: string): { partition: string } | undefined {
  const m = IAM_POLICY_ARN.exec(arn);
  return m ? { partition: m[1] } : undefined;
}

export const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/** Key Vault key URI, optionally with a 32-hex-digit version. */
export const CMK_KEY_URI =
  /^https:\/\/[a-zA-Z0-9-]{3,24}\.vault\.azure\.net\/keys\/[a-zA-Z0-9-]{1,127}(?:\/[0-9a-f]{32})?$/;

export const USER_ASSIGNED_IDENTITY_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

/**
 * Storage account names: 3-24 lowercase letters and digits, globally unique.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage
 */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
