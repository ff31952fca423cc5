import { assertNever } from "../domain/credentials";
import type { SyncSettings, VaultAccess } from "./settings";

/**
 * The rclone config. `source` reads S3 with the instance role (env_auth: IMDSv2 credentials,
 * never a static key) and never tries to create the bucket. `vault` writes to Azure Blob with
 * a SAS: with "userData" delivery it is written here; with "ssm" (read from SSM) and "federated"
 * (a user-delegation SAS minted per run) the sync engine supplies it at run time
 * (RCLONE_CONFIG_VAULT_SAS_URL), so this file holds no credential.
 */
export function renderRcloneConfig(s: SyncSettings, access: VaultAccess): string {
  if (access.kind !== s.credential)
    throw new Error(`vault access "${access.kind}" does not match credential "${s.credential}"`);
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
  switch (access.kind) {
    case "userData":
      lines.push(`sas_url = ${access.sasUrl}`);
      break;
    case "ssm":
    case "federated":
      break;
    default:
      assertNever(access);
  }
  // Blobs land in the Hot tier; lifecycle rules in the vault may move them later.
  lines.push("access_tier = Hot", "");
  return lines.join("\n");
}
