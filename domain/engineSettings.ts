// The engine's settings: the small JSON document (settings.json) cloud-init writes on the host
// beside the engine bundle, which is the same for every stack. Each setting keeps the name of
// the stack config key it comes from (or of the SyncSettings field where it has no key of its
// own), from Pulumi.yaml to the engine's field. The engine checks the document against these
// rules at start (generated into its contract.py) and names the setting that breaks one.
import { CREDENTIAL_KINDS } from "./credentials";
import { SYNC_MODES } from "./modes";
import { ACCEPTED_SKIPS_MAX } from "./skips";

export type SettingRule =
  | { type: "string"; values?: readonly string[]; pattern?: string; rule?: string }
  | { type: "integer"; min?: number; max?: number }
  | { type: "strings"; maxItems: number };

export const ENGINE_SETTINGS = {
  // The config schema has checked names and regions at preview time; the engine checks only
  // what would make it misbehave.
  sourceBucket: { type: "string", pattern: ".+", rule: "must not be empty" },
  sourcePrefix: { type: "string", pattern: "(.*/)?", rule: "must be empty or end in '/'" },
  sourceRegion: { type: "string", pattern: ".+", rule: "must not be empty" },
  /** ExpectedBucketOwner on every S3 request ("" only where no stack rendered it: no check). */
  sourceBucketOwner: {
    type: "string",
    pattern: "([0-9]{12})?",
    rule: "must be a 12-digit AWS account id",
  },
  containerName: { type: "string", pattern: "[^/]+", rule: "must be a container name (no '/')" },
  syncMode: { type: "string", values: SYNC_MODES },
  maxDeletes: { type: "integer", min: 0 },
  maxDeletePercent: { type: "integer", min: 0, max: 100 },
  deletionWindowHours: { type: "integer", min: 1 },
  /** How the host authenticates to the vault (domain/credentials.ts CredentialKind). */
  credential: { type: "string", values: CREDENTIAL_KINDS },
  /** The SSM SecureString holding the SAS URL (credential "ssm"). */
  ssmParameterName: { type: "string" },
  /**
   * The vault container's URL (scheme, host and path, no query): a SAS URL read from SSM must
   * point here, so a replaced parameter cannot send the backup to another account. "" only
   * where no stack rendered it; credential "ssm" then refuses to run.
   */
  vaultContainerUrl: {
    type: "string",
    pattern: "(https?://[^/?#]+(/[^/?#]+)+)?",
    rule: "must be the vault container's URL (scheme, host and path, no query)",
  },
  /** The stack: the metrics' dimension. */
  stack: { type: "string" },
  /** Where runs publish metrics ("" = not at all) and their summary. */
  metricsNamespace: { type: "string" },
  logGroup: { type: "string" },
  integritySampleObjects: { type: "integer", min: 0 },
  integrityCoverageDays: { type: "integer", min: 1 },
  restoreDrillObjects: { type: "integer", min: 0 },
  /** The acknowledged skip list: patterns of keys whose skips are counted apart. */
  acceptedSkips: { type: "strings", maxItems: ACCEPTED_SKIPS_MAX },
} as const satisfies Record<string, SettingRule>;

export type EngineSettingName = keyof typeof ENGINE_SETTINGS;
export type EngineSettings = {
  [K in EngineSettingName]: (typeof ENGINE_SETTINGS)[K]["type"] extends "integer"
    ? number
    : (typeof ENGINE_SETTINGS)[K]["type"] extends "strings"
      ? string[]
      : string;
};
