// The adapter from raw stack config to domain values. Every key is declared once, in
// config/schema.ts (Pulumi.yaml is generated from it and a test keeps the two equal). Values are
// parsed and validated here, synchronously, before any resource is created; each error names the
// key and the rule it broke, and all errors are reported at once. Rules that belong to a
// component (the vault's) live in domain/ and come back here as property paths, which this
// module maps to the config keys the user wrote.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunError } from "@pulumi/pulumi/errors";
import { AWS_REGIONS, awsPartitionOf, instanceTypeInfo } from "../domain/awsData";
import { credentialKind } from "../domain/credentials";
import { engineProblems } from "../domain/managedEngine";
import { LOG_RETENTION_DAYS, logGroupName, metricsNamespace } from "../domain/telemetry";
import type { Architecture } from "../domain/modes";
import { parseKmsKeyArn, parsePolicyArn } from "../domain/naming";
import type { Problem } from "../domain/problems";
import { vaultProblems } from "../domain/vault";
import { APP, type SyncSettings } from "../userdata/settings";
import { CONFIG_KEYS, NAMESPACE, SCHEMA, type ConfigKey, type KeyValues } from "./schema";

export { CONFIG_KEYS, NAMESPACE, SCHEMA, pulumiYamlConfig, type ConfigKey } from "./schema";
export type { SyncMode, CredentialDelivery, StorageRedundancy } from "../domain/modes";

/** A stack's validated configuration: every key with its default applied, plus what follows. */
export type BackupConfig = Omit<KeyValues, "sourceRegion" | "azureLocation"> & {
  /** The bucket's (and the host's) region: sourceRegion, else aws:region / AWS_REGION. */
  sourceRegion: string;
  /** The vault's region: azureLocation, else azure-native:location, else westeurope. */
  azureLocation: string;
  /** CPU architecture of the instance type. */
  architecture: Architecture;
};

/** Raw config as Pulumi hands it over: string values keyed by the bare key name. */
export type RawConfig = Record<string, string | undefined>;

/**
 * Every problem with the stack's config. A pulumi.RunError: the CLI prints its message (the
 * list) once, without a stack trace.
 */
export class ConfigError extends RunError {
  constructor(public readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** The vault component's argument paths that are not named as their config key. */
const VAULT_PATH_TO_KEY: Record<string, ConfigKey> = {
  location: "azureLocation",
  redundancy: "storageRedundancy",
  "cmk.keyUri": "cmkKeyUri",
  "cmk.identityId": "cmkIdentityId",
  egressIps: "allowedIps",
};

/** The config key a component property path came from. */
export function keyOfPropertyPath(propertyPath: string): ConfigKey {
  const key = VAULT_PATH_TO_KEY[propertyPath] ?? propertyPath;
  if (!(CONFIG_KEYS as string[]).includes(key))
    throw new Error(`no config key for property path "${propertyPath}"`);
  return key;
}

/** The host's AMI (Debian's, account 136693071363) and outbound federation exist in "aws" only. */
const SUPPORTED_PARTITION = "aws";

/**
 * Parse and validate raw stack config. `defaultRegion` is the AWS provider's region (`aws:region`,
 * else AWS_REGION), used when `sourceRegion` is not set; `azureNativeLocation` is
 * `azure-native:location`.
 */
export function parseConfig(
  raw: RawConfig,
  defaultRegion?: string,
  azureNativeLocation?: string,
  /** Where defaultRegion came from, for messages ("aws:region", "AWS_REGION", a profile). */
  defaultRegionOrigin = "aws:region",
): BackupConfig {
  const problems: string[] = [];
  const failed = new Set<string>();
  const fail = (k: string, rule: string) => {
    const line = `${NAMESPACE}:${k}: ${rule}`;
    if (!problems.includes(line)) problems.push(line);
  };

  for (const k of Object.keys(raw)) {
    if (!(k in SCHEMA)) fail(k, "unknown config key (see Pulumi.yaml for the keys)");
  }

  // 1. Each key on its own.
  const values: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const spec = SCHEMA[key];
    const r = spec.schema.safeParse(raw[key]);
    if (r.success) {
      values[key] = r.data;
    } else {
      failed.add(key);
      for (const issue of r.error.issues) fail(key, issue.message);
      // Later rules see the default, and drop what they find about this key.
      values[key] = "default" in spec ? spec.schema.safeParse(undefined).data : undefined;
    }
  }
  const v = values as KeyValues;
  const check = (k: ConfigKey, rule: string) => {
    if (!failed.has(k)) fail(k, rule);
  };

  // 2. Keys against each other and against the providers' settings.
  const regionSource = v.sourceRegion !== undefined ? "sourceRegion" : defaultRegionOrigin;
  const sourceRegion = v.sourceRegion ?? defaultRegion;
  if (sourceRegion === undefined) {
    check("sourceRegion", "is required when aws:region (or AWS_REGION) is not set");
  } else {
    const partition = awsPartitionOf(sourceRegion);
    if (!AWS_REGIONS.includes(sourceRegion))
      check(
        "sourceRegion",
        `${regionSource} "${sourceRegion}" is not an AWS region known to @pulumi/aws (e.g. eu-west-1)`,
      );
    else if (partition !== SUPPORTED_PARTITION)
      check(
        "sourceRegion",
        `${regionSource} "${sourceRegion}" is in the ${partition} partition; only commercial AWS regions are supported (the host's Debian AMI is published by account 136693071363 in the aws partition only, and IAM outbound identity federation is a commercial-partition feature)`,
      );
    if (
      defaultRegion !== undefined &&
      v.sourceRegion !== undefined &&
      sourceRegion !== defaultRegion
    )
      // The host, its S3 gateway endpoint and the SSM parameter live in aws:region; gateway
      // endpoints only reach buckets of their own region.
      check(
        "sourceRegion",
        `must equal the AWS provider's region (${defaultRegion}, from ${defaultRegionOrigin}): the sync host runs in the bucket's region; set aws:region to "${sourceRegion}" instead`,
      );
  }
  if (v.sourceKmsKeyArn !== undefined) {
    const arn = parseKmsKeyArn(v.sourceKmsKeyArn);
    if (arn && sourceRegion !== undefined && arn.region !== sourceRegion)
      check(
        "sourceKmsKeyArn",
        `key region must be the bucket's region ${sourceRegion}, got ${arn.region}`,
      );
    if (arn && arn.partition !== SUPPORTED_PARTITION)
      check("sourceKmsKeyArn", `is in the ${arn.partition} partition; the stack runs in aws`);
  }
  if (v.permissionsBoundaryArn !== undefined) {
    const arn = parsePolicyArn(v.permissionsBoundaryArn);
    if (arn && arn.partition !== SUPPORTED_PARTITION)
      check(
        "permissionsBoundaryArn",
        `is in the ${arn.partition} partition; the stack runs in aws`,
      );
  }
  const info = instanceTypeInfo(v.instanceType);
  if ("problem" in info) check("instanceType", `"${v.instanceType}" ${info.problem}`);
  if (24 % v.syncIntervalHours !== 0)
    check(
      "syncIntervalHours",
      `must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24) so runs fall at the same hours every day, got ${v.syncIntervalHours}`,
    );
  if (v.credentialMode === "federated" && v.credentialDelivery === "userData")
    check(
      "credentialDelivery",
      '"userData" delivers a SAS, and credentialMode "federated" has none; set credentialMode to "sas" to use it',
    );
  if (v.credentialMode === "sas" && v.outboundFederation === "existing")
    check("outboundFederation", 'applies to credentialMode "federated" only');
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(v.logRetentionDays))
    check(
      "logRetentionDays",
      `must be one of the periods CloudWatch Logs accepts (${LOG_RETENTION_DAYS.join(", ")}), got ${v.logRetentionDays}`,
    );
  if (v.logKmsKeyArn !== undefined) {
    const arn = parseKmsKeyArn(v.logKmsKeyArn);
    if (arn && sourceRegion !== undefined && arn.region !== sourceRegion)
      check(
        "logKmsKeyArn",
        `key region must be the stack's region ${sourceRegion}, got ${arn.region}`,
      );
  }
  if ((v.cmkKeyUri === undefined) !== (v.cmkIdentityId === undefined))
    check(
      v.cmkKeyUri ? "cmkIdentityId" : "cmkKeyUri",
      "cmkKeyUri and cmkIdentityId must be set together",
    );

  // The vault's region: azureLocation, else the azure-native provider's location (which the
  // stack files set), else westeurope. Both set and different is a mistake, not a choice. Azure
  // reads location names without case and spaces ("West Europe" is westeurope).
  const canonical = (l: string | undefined) => l?.toLowerCase().replace(/\s+/g, "") || undefined;
  const explicitLocation = canonical(v.azureLocation);
  const providerLocation = canonical(azureNativeLocation);
  if (
    explicitLocation !== undefined &&
    providerLocation !== undefined &&
    explicitLocation !== providerLocation
  )
    check(
      "azureLocation",
      `"${v.azureLocation}" differs from azure-native:location ("${azureNativeLocation}"); set one of them, or both to the same region`,
    );
  const azureLocation = explicitLocation ?? providerLocation ?? "westeurope";

  // 3. The vault's own rules (domain/vault.ts), reported under the keys they came from.
  const vault: Problem[] = vaultProblems({
    location: azureLocation,
    redundancy: v.storageRedundancy,
    softDeleteRetentionDays: v.softDeleteRetentionDays,
    pointInTimeRestoreDays: v.pointInTimeRestoreDays,
    immutabilityDays: v.immutabilityDays,
    immutabilityLocked: v.immutabilityLocked,
    immutabilityLockAccount: v.immutabilityLockAccount,
    versionRetentionDays: v.versionRetentionDays,
    syncMode: v.syncMode,
    sasRotationDays: v.sasRotationDays,
    credentialMode: v.credentialMode,
    vnetCidr: v.vnetCidr,
    cmk:
      v.cmkKeyUri !== undefined && v.cmkIdentityId !== undefined
        ? { keyUri: v.cmkKeyUri, identityId: v.cmkIdentityId }
        : undefined,
    // Engine datasync runs no host: the firewall holds allowedIps only, and admits every network
    // (openVaultFirewall acknowledges that; its own rule is the engine's, below).
    ipRuleCount: (v.engine === "datasync" ? 0 : 1) + v.allowedIps.length,
    firewallOpen: v.engine === "datasync",
    restrictedRegionAccess: v.azureRestrictedRegionAccess,
  });
  for (const p of vault) {
    const key = keyOfPropertyPath(p.propertyPath);
    const reason =
      key === "azureLocation" && v.azureLocation === undefined
        ? `${p.reason} (from ${azureNativeLocation !== undefined ? "azure-native:location" : "the default"})`
        : p.reason;
    check(key, reason);
  }

  // 4. What the chosen engine (domain/managedEngine.ts) needs of the other keys.
  for (const p of engineProblems(v)) check(keyOfPropertyPath(p.propertyPath), p.reason);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...v,
    sourceRegion: sourceRegion!,
    azureLocation,
    architecture: (info as { architecture: Architecture }).architecture,
  };
}

/**
 * Read this stack's config through Pulumi and validate it. Unknown keys in the project's
 * namespace (typos) are errors too, so a misspelt key never silently falls back to a default.
 */
export function readStackConfig(): BackupConfig {
  // Imported lazily so the pure parser above can be used without the Pulumi runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const raw: RawConfig = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(`${NAMESPACE}:`)) raw[fullKey.slice(NAMESPACE.length + 1)] = value;
  }
  // The AWS provider takes its region from aws:region, else the environment and the shared
  // config file's profile, as the AWS SDKs do.
  const aws = new pulumi.Config("aws");
  const found = awsProviderRegion(aws.get("region"), aws.get("profile"), process.env);
  return parseConfig(
    raw,
    found?.region,
    new pulumi.Config("azure-native").get("location"),
    found?.origin,
  );
}

/**
 * The AWS provider's region and where it came from: aws:region, AWS_REGION, AWS_DEFAULT_REGION,
 * or the `region` of the profile (aws:profile, AWS_PROFILE, else "default") in the shared config
 * file (AWS_CONFIG_FILE, else ~/.aws/config). Instance metadata (Pulumi run on EC2) is not read.
 */
export function awsProviderRegion(
  configRegion: string | undefined,
  configProfile: string | undefined,
  env: NodeJS.ProcessEnv,
): { region: string; origin: string } | undefined {
  if (configRegion) return { region: configRegion, origin: "aws:region" };
  if (env.AWS_REGION) return { region: env.AWS_REGION, origin: "AWS_REGION" };
  if (env.AWS_DEFAULT_REGION)
    return { region: env.AWS_DEFAULT_REGION, origin: "AWS_DEFAULT_REGION" };
  const profile = configProfile ?? env.AWS_PROFILE ?? "default";
  const file = env.AWS_CONFIG_FILE ?? path.join(env.HOME ?? os.homedir(), ".aws", "config");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  // INI: "[default]" or "[profile name]" sections of "key = value" lines.
  let section: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]\s*$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const kv = /^\s*region\s*=\s*([^\s#;]+)/.exec(line);
    if (kv && section === profile)
      return { region: kv[1], origin: `profile "${profile}" in ${file}` };
  }
  return undefined;
}

/** The renderers' settings for a stack, from its validated config. */
export function settingsFromConfig(
  cfg: BackupConfig,
  stack: string,
  containerName: string,
): SyncSettings {
  return {
    sourceBucket: cfg.sourceBucket,
    sourcePrefix: cfg.sourcePrefix,
    sourceRegion: cfg.sourceRegion,
    sourceKmsKeyArn: cfg.sourceKmsKeyArn,
    sourceBucketOwner: cfg.sourceBucketOwner ?? "",
    containerName,
    syncMode: cfg.syncMode,
    maxDeletes: cfg.maxDeletes,
    maxDeletePercent: cfg.maxDeletePercent,
    deletionWindowHours: cfg.deletionWindowHours,
    credential: credentialKind(cfg.credentialMode, cfg.credentialDelivery),
    ssmParameterName: `/${APP}/${stack}/vault-sas-url`,
    vaultContainerUrl: "",
    syncIntervalHours: cfg.syncIntervalHours,
    integrityCheck: cfg.integrityCheck,
    integritySampleObjects: cfg.integritySampleObjects,
    integrityCoverageDays: cfg.integrityCoverageDays,
    restoreDrill: cfg.restoreDrill,
    restoreDrillObjects: cfg.restoreDrillObjects,
    acceptedSkips: cfg.acceptedSkips,
    stack,
    metricsNamespace: metricsNamespace(stack),
    logGroup: logGroupName(stack),
  };
}
