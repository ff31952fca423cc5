import type { SyncSettings } from "./settings";

/**
 * The rclone config. `source` reads S3 with the instance role (env_auth: IMDSv2 credentials,
 * never a static key) and never tries to create the bucket. `vault` writes to Azure Blob with
 * the container SAS; with SSM delivery the SAS is left out here and supplied by the sync script
 * at run time (RCLONE_CONFIG_VAULT_SAS_URL).
 */
export function renderRcloneConfig(s: SyncSettings, sasUrl?: string): string {
  if (s.credentialDelivery === "userData" && !sasUrl) {
    throw new Error('credentialDelivery "userData" needs the SAS URL to render the rclone config');
  }
  const lines = [
    "[source]",
    "type = s3",
    "provider = AWS",
    "env_auth = true",
    `region = ${s.sourceRegion}`,
    // Read-only role: a bucket-exists check or create would be denied anyway; never attempt it.
    "no_check_bucket = true",
  ];
  if (s.sourceKmsKeyArn) {
    lines.push("server_side_encryption = aws:kms", `sse_kms_key_id = ${s.sourceKmsKeyArn}`);
  }
  lines.push("", "[vault]", "type = azureblob");
  if (s.credentialDelivery === "userData") lines.push(`sas_url = ${sasUrl}`);
  // Blobs land in the Hot tier; lifecycle rules in the vault may move them later.
  lines.push("access_tier = Hot", "");
  return lines.join("\n");
}
