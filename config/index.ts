// The one place that reads stack config. Every key is declared in Pulumi.yaml (a test keeps the
// two in step). Values are parsed and validated here, synchronously, before any resource is
// created; each error names the key and the rule it broke, and all errors are reported at once.

export const NAMESPACE = "cross-cloud-backup";

export type SyncMode = "copy" | "mirror";
export type CredentialDelivery = "ssm" | "userData";
export const SYNC_MODES: readonly SyncMode[] = ["copy", "mirror"];
export const CREDENTIAL_DELIVERIES: readonly CredentialDelivery[] = ["ssm", "userData"];
export const STORAGE_REDUNDANCIES = [
  "Standard_LRS",
  "Standard_ZRS",
  "Standard_GRS",
  "Standard_RAGRS",
  "Standard_GZRS",
  "Standard_RAGZRS",
] as const;
export type StorageRedundancy = (typeof STORAGE_REDUNDANCIES)[number];

export interface BackupConfig {
  // Source (AWS)
  sourceBucket: string;
  sourcePrefix: string;
  sourceRegion: string;
  sourceKmsKeyArn?: string;
  permissionsBoundaryArn?: string;
  // Sync host (AWS)
  instanceType: string;
  rootVolumeGb: number;
  /** CPU architecture implied by the instance type (Graviton families end in "g"). */
  architecture: "arm64" | "x86_64";
  vpcCidr: string;
  existingSubnetId?: string;
  syncIntervalHours: number;
  syncMode: SyncMode;
  maxDeletes: number;
  maxDeletePercent: number;
  credentialDelivery: CredentialDelivery;
  // Vault (Azure)
  azureLocation: string;
  storageRedundancy: StorageRedundancy;
  softDeleteRetentionDays: number;
  pointInTimeRestoreDays: number;
  immutabilityDays: number;
  immutabilityLocked: boolean;
  versionRetentionDays: number;
  deleteLock: boolean;
  cmkKeyUri?: string;
  cmkIdentityId?: string;
  allowedIps: string[];
  vnetCidr: string;
  sasRotationDays: number;
}

/** Raw config as Pulumi hands it over: string values keyed by the bare key name. */
export type RawConfig = Record<string, string | undefined>;

/** One entry per key: its Pulumi.yaml type. The program reads exactly these keys. */
export const CONFIG_KEYS = {
  sourceBucket: "string",
  sourcePrefix: "string",
  sourceRegion: "string",
  sourceKmsKeyArn: "string",
  permissionsBoundaryArn: "string",
  instanceType: "string",
  rootVolumeGb: "integer",
  vpcCidr: "string",
  existingSubnetId: "string",
  syncIntervalHours: "integer",
  syncMode: "string",
  maxDeletes: "integer",
  maxDeletePercent: "integer",
  credentialDelivery: "string",
  azureLocation: "string",
  storageRedundancy: "string",
  softDeleteRetentionDays: "integer",
  pointInTimeRestoreDays: "integer",
  immutabilityDays: "integer",
  immutabilityLocked: "boolean",
  versionRetentionDays: "integer",
  deleteLock: "boolean",
  cmkKeyUri: "string",
  cmkIdentityId: "string",
  allowedIps: "array",
  vnetCidr: "string",
  sasRotationDays: "integer",
} as const;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const AWS_PARTITION = "aws(-cn|-us-gov|-iso|-iso-b)?";
// Single-Region key ids are UUIDs; multi-Region key ids are "mrk-" and 32 hex digits.
const KMS_KEY_ARN = new RegExp(
  `^arn:${AWS_PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`,
);
const IAM_POLICY_ARN = new RegExp(
  `^arn:${AWS_PARTITION}:iam::(\\d{12}|aws):policy/[\\w+=,.@/-]{1,512}$`,
);
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/;
const AZURE_LOCATION = /^[a-z][a-z0-9]{2,30}$/;
const CMK_KEY_URI =
  /^https:\/\/[a-zA-Z0-9-]{3,24}\.vault\.azure\.net\/keys\/[a-zA-Z0-9-]{1,127}(\/[0-9a-f]{32})?$/;
const IDENTITY_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

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

/** True when a CIDR block's address has bits set below its prefix (not a network address). */
function hostBitsSet(octets: number[], prefix: number): boolean {
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (addr & ~mask) >>> 0 !== 0;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;
/** "010.1.1.1" is 10.1.1.1 to some parsers and 8.1.1.1 to others: one spelling only. */
const LEADING_ZERO = "has a number with a leading zero (write 10.1.1.1, not 010.1.1.1)";
function leadingZero(m: RegExpExecArray): boolean {
  return [m[1], m[2], m[3], m[4], m[6]].some(
    (x) => x !== undefined && x.length > 1 && x.startsWith("0"),
  );
}
/**
 * Azure storage accepts at most 400 IP network rules per account; one is the sync host's
 * Elastic IP. https://learn.microsoft.com/azure/storage/common/storage-network-security-limitations
 */
export const MAX_IP_RULES = 400;

/** Ranges Azure storage IP rules do not accept: this host, private, shared, link-local, multicast. */
const NON_PUBLIC_RANGES: readonly [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 3],
];

/** IPv4 address or CIDR block that Azure storage network rules accept (public, prefix /8-/30). */
export function ipRuleProblem(value: string): string | undefined {
  const m = IPV4_CIDR.exec(value);
  if (!m) return "must be an IPv4 address or CIDR block (e.g. 203.0.113.10 or 203.0.113.0/28)";
  if (leadingZero(m)) return LEADING_ZERO;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (m[6] !== undefined && (Number(m[6]) < 8 || Number(m[6]) > 30))
    return "Azure storage IP rules accept prefixes /8 to /30 only";
  // The whole range must be public: a block such as 172.0.0.0/8 that only starts outside a
  // private range still contains one.
  const bits = m[6] === undefined ? 32 : Number(m[6]);
  const start = octets.reduce((acc, o) => acc * 256 + o, 0);
  const first = start - (start % 2 ** (32 - bits));
  const last = first + 2 ** (32 - bits) - 1;
  const notPublic = NON_PUBLIC_RANGES.some(([net, len]) => {
    const lo = net.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const hi = lo + 2 ** (32 - len) - 1;
    return first <= hi && lo <= last;
  });
  if (notPublic)
    return "must be a public address or range: Azure storage IP rules ignore private, shared, link-local and multicast ranges (a range must not contain any of them)";
  if (m[6] !== undefined && hostBitsSet(octets, Number(m[6])))
    return "has host bits set (not a network address)";
  return undefined;
}

/** A private IPv4 CIDR block with a prefix between /16 and /28. */
export function cidrProblem(value: string): string | undefined {
  const m = IPV4_CIDR.exec(value);
  if (!m || m[6] === undefined) return "must be an IPv4 CIDR block such as 10.42.0.0/24";
  if (leadingZero(m)) return LEADING_ZERO;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[6]);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (prefix < 16 || prefix > 28) return "prefix must be between /16 and /28";
  if (hostBitsSet(octets, prefix)) return "has host bits set (not a network address)";
  const [a, b] = octets;
  if (!(a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)))
    return "must be a private (RFC 1918) range";
  return undefined;
}

/**
 * Graviton instance families have a "g" after the generation digit (t4g, m7g, c7gn, g5g, ...);
 * a1 (first-generation Graviton) is the one arm64 family without it.
 */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
  const family = instanceType.split(".")[0];
  return family === "a1" || /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) ? "arm64" : "x86_64";
}

/**
 * Parse and validate raw stack config. `defaultRegion` is the AWS provider's region
 * (`aws:region`), used when `sourceRegion` is not set.
 */
export function parseConfig(
  raw: RawConfig,
  defaultRegion?: string,
  azureNativeLocation?: string,
): BackupConfig {
  const problems: string[] = [];
  const key = (k: ConfigKey) => `${NAMESPACE}:${k}`;
  const fail = (k: ConfigKey, rule: string) => problems.push(`${key(k)}: ${rule}`);
  const str = (k: ConfigKey): string | undefined => {
    const v = raw[k];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const int = (k: ConfigKey, def: number, min: number, max: number): number => {
    const v = str(k);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) {
      fail(k, `must be a whole number, got "${v}"`);
      return def;
    }
    const n = Number(v);
    if (n < min || n > max) fail(k, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const bool = (k: ConfigKey, def: boolean): boolean => {
    const v = str(k);
    if (v === undefined) return def;
    if (v !== "true" && v !== "false") fail(k, `must be true or false, got "${v}"`);
    return v === "true";
  };
  const oneOf = <T extends string>(k: ConfigKey, allowed: readonly T[], def: T): T => {
    const v = str(k);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      fail(k, `unknown value "${v}"; allowed: ${allowed.join(", ")}`);
      return def;
    }
    return v as T;
  };
  const matching = (k: ConfigKey, re: RegExp, rule: string): string | undefined => {
    const v = str(k);
    if (v !== undefined && !re.test(v)) fail(k, `${rule}, got "${v}"`);
    return v;
  };

  for (const k of Object.keys(raw)) {
    if (!(k in CONFIG_KEYS))
      fail(k as ConfigKey, "unknown config key (see Pulumi.yaml for the keys)");
  }

  // Source
  const sourceBucket = str("sourceBucket");
  if (sourceBucket === undefined) {
    fail("sourceBucket", "is required: the name of the existing S3 bucket to back up");
  } else {
    const p = s3BucketNameProblem(sourceBucket);
    if (p) fail("sourceBucket", `"${sourceBucket}" is not a valid S3 bucket name: ${p}`);
  }
  const sourcePrefix = str("sourcePrefix") ?? "";
  if (sourcePrefix.startsWith("/"))
    fail("sourcePrefix", `must not start with "/", got "${sourcePrefix}"`);
  if (/[*?]/.test(sourcePrefix))
    fail("sourcePrefix", `is a literal key prefix, not a pattern; got "${sourcePrefix}"`);
  if (sourcePrefix !== "" && !sourcePrefix.endsWith("/"))
    fail("sourcePrefix", `must end with "/" (a folder-like prefix), got "${sourcePrefix}"`);
  if (Buffer.byteLength(sourcePrefix) > 1024)
    fail("sourcePrefix", "must be at most 1024 bytes (S3's key length limit)");
  if (sourcePrefix.includes("//"))
    fail("sourcePrefix", `must not contain an empty segment ("//"), got "${sourcePrefix}"`);
  if (sourcePrefix.split("/").some((seg) => seg === "." || seg === ".."))
    fail(
      "sourcePrefix",
      `must not contain "." or ".." segments (rclone would read another path), got "${sourcePrefix}"`,
    );
  if (/[\u0000-\u001f\u007f]/.test(sourcePrefix))
    fail("sourcePrefix", "must not contain control characters");
  if (sourcePrefix.includes("$"))
    fail(
      "sourcePrefix",
      `must not contain "$": IAM reads "\${...}" in a resource ARN as a policy variable, so the host's read access would not match, got "${sourcePrefix}"`,
    );

  const sourceRegion = str("sourceRegion") ?? defaultRegion;
  if (sourceRegion === undefined) {
    fail("sourceRegion", "is required when aws:region is not set");
  } else if (!AWS_REGION.test(sourceRegion)) {
    fail("sourceRegion", `is not an AWS region name (e.g. eu-west-1), got "${sourceRegion}"`);
  } else if (defaultRegion !== undefined && sourceRegion !== defaultRegion) {
    // The host, its S3 gateway endpoint and the SSM parameter live in aws:region; gateway
    // endpoints only reach buckets of their own region.
    fail(
      "sourceRegion",
      `must equal aws:region (${defaultRegion}): the sync host runs in the bucket's region; set aws:region to "${sourceRegion}" instead`,
    );
  }
  const sourceKmsKeyArn = matching(
    "sourceKmsKeyArn",
    KMS_KEY_ARN,
    "is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>); aliases are not accepted because IAM cannot scope to them",
  );
  if (
    sourceKmsKeyArn &&
    KMS_KEY_ARN.test(sourceKmsKeyArn) &&
    sourceRegion &&
    sourceKmsKeyArn.split(":")[3] !== sourceRegion
  )
    fail("sourceKmsKeyArn", `key region must be the bucket's region ${sourceRegion}`);
  const permissionsBoundaryArn = matching(
    "permissionsBoundaryArn",
    IAM_POLICY_ARN,
    "is not an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)",
  );

  // Sync host
  const instanceType =
    matching("instanceType", INSTANCE_TYPE, "is not an EC2 instance type (e.g. t4g.micro)") ??
    "t4g.micro";
  const vpcCidr = str("vpcCidr") ?? "10.42.0.0/24";
  const vpcProblem = cidrProblem(vpcCidr);
  if (vpcProblem) fail("vpcCidr", `"${vpcCidr}" ${vpcProblem}`);
  const existingSubnetId = matching(
    "existingSubnetId",
    SUBNET_ID,
    "is not a subnet id (subnet-0123abcd...)",
  );
  // The engine keeps each run's two listings on disk (about 0.7 KB per object at its peak, with
  // sort's temporary files); Debian's image needs about 2 GB. EBS gp3 volumes are 1-16,384 GiB.
  const rootVolumeGb = int("rootVolumeGb", 16, 8, 16_384);
  const syncIntervalHours = int("syncIntervalHours", 4, 1, 24);
  if (syncIntervalHours >= 1 && syncIntervalHours <= 24 && 24 % syncIntervalHours !== 0)
    fail(
      "syncIntervalHours",
      `must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24) so runs fall at the same hours every day, got ${syncIntervalHours}`,
    );
  const syncMode = oneOf("syncMode", SYNC_MODES, "copy");
  const maxDeletes = int("maxDeletes", 100, 0, 1_000_000);
  const maxDeletePercent = int("maxDeletePercent", 50, 0, 100);
  const credentialDelivery = oneOf("credentialDelivery", CREDENTIAL_DELIVERIES, "ssm");

  // Vault
  // The vault's region: azureLocation, else the azure-native provider's location (which the
  // stack files set), else westeurope. Both set and different is a mistake, not a choice.
  const explicitLocation = matching(
    "azureLocation",
    AZURE_LOCATION,
    "is not an Azure region name (lowercase, no spaces, e.g. westeurope)",
  );
  if (
    explicitLocation !== undefined &&
    azureNativeLocation !== undefined &&
    explicitLocation !== azureNativeLocation
  )
    fail(
      "azureLocation",
      `"${explicitLocation}" differs from azure-native:location ("${azureNativeLocation}"); set one of them, or both to the same region`,
    );
  const azureLocation = explicitLocation ?? azureNativeLocation ?? "westeurope";
  const storageRedundancy = oneOf("storageRedundancy", STORAGE_REDUNDANCIES, "Standard_LRS");
  const softDeleteRetentionDays = int("softDeleteRetentionDays", 7, 1, 365);
  const pointInTimeRestoreDays = int("pointInTimeRestoreDays", 0, 0, 364);
  if (pointInTimeRestoreDays > 0 && pointInTimeRestoreDays >= softDeleteRetentionDays)
    fail(
      "pointInTimeRestoreDays",
      `must be less than softDeleteRetentionDays (${softDeleteRetentionDays}), got ${pointInTimeRestoreDays}`,
    );
  const immutabilityDays = int("immutabilityDays", 0, 0, 146_000);
  const immutabilityLocked = bool("immutabilityLocked", false);
  // Lifecycle day counts are limited to 99,999 (azurerm documents "between 0 and 99999").
  const versionRetentionDays = int("versionRetentionDays", 90, 1, 99_999);
  if (immutabilityDays > 0 && versionRetentionDays < immutabilityDays)
    fail(
      "versionRetentionDays",
      `must be at least immutabilityDays (${immutabilityDays}), got ${versionRetentionDays}: versions stay immutable that long, so a shorter retention could not be kept`,
    );
  const deleteLock = bool("deleteLock", false);
  if (syncMode === "mirror" && immutabilityDays > 0)
    fail(
      "syncMode",
      `"mirror" cannot be combined with immutabilityDays (${immutabilityDays}): mirror mode moves deleted and replaced blobs to archive/, and Azure refuses to delete a blob version under a time-based retention policy, so every such run would fail. Use "copy" (it never deletes) with WORM`,
    );
  if (immutabilityLocked && immutabilityDays === 0)
    fail("immutabilityLocked", "requires immutabilityDays > 0");
  if (immutabilityDays > 0 && pointInTimeRestoreDays > 0)
    fail(
      "pointInTimeRestoreDays",
      "cannot be combined with immutabilityDays (Azure does not support point-in-time restore on accounts with version-level immutability)",
    );
  const cmkKeyUri = matching(
    "cmkKeyUri",
    CMK_KEY_URI,
    "is not a Key Vault key URI (https://<vault>.vault.azure.net/keys/<name>[/<version>])",
  );
  const cmkIdentityId = matching(
    "cmkIdentityId",
    IDENTITY_ID,
    "is not a user-assigned identity resource id",
  );
  if ((cmkKeyUri === undefined) !== (cmkIdentityId === undefined))
    fail(
      cmkKeyUri ? "cmkIdentityId" : "cmkKeyUri",
      "cmkKeyUri and cmkIdentityId must be set together",
    );

  let allowedIps: string[] = [];
  const ipsRaw = str("allowedIps");
  if (ipsRaw !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ipsRaw);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) {
      fail("allowedIps", "must be a list of IPv4 addresses or CIDR blocks");
    } else {
      allowedIps = parsed as string[];
      const dup = allowedIps.find((ip, i) => allowedIps.indexOf(ip) !== i);
      if (dup !== undefined) fail("allowedIps", `lists "${dup}" twice`);
      for (const ip of allowedIps) {
        const p = ipRuleProblem(ip);
        if (p) fail("allowedIps", `"${ip}" ${p}`);
      }
      if (allowedIps.length > MAX_IP_RULES - 1)
        fail(
          "allowedIps",
          `holds ${allowedIps.length} entries; Azure allows ${MAX_IP_RULES} IP rules per storage account and one is the sync host's Elastic IP, so at most ${MAX_IP_RULES - 1}`,
        );
    }
  }
  const vnetCidr = str("vnetCidr") ?? "10.43.0.0/24";
  const vnetProblem = cidrProblem(vnetCidr);
  if (vnetProblem) fail("vnetCidr", `"${vnetCidr}" ${vnetProblem}`);
  const sasRotationDays = int("sasRotationDays", 30, 1, 180);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    sourceBucket: sourceBucket!,
    sourcePrefix,
    sourceRegion: sourceRegion!,
    sourceKmsKeyArn,
    permissionsBoundaryArn,
    instanceType,
    rootVolumeGb,
    architecture: architectureOf(instanceType),
    vpcCidr,
    existingSubnetId,
    syncIntervalHours,
    syncMode,
    maxDeletes,
    maxDeletePercent,
    credentialDelivery,
    azureLocation,
    storageRedundancy,
    softDeleteRetentionDays,
    pointInTimeRestoreDays,
    immutabilityDays,
    immutabilityLocked,
    versionRetentionDays,
    deleteLock,
    cmkKeyUri,
    cmkIdentityId,
    allowedIps,
    vnetCidr,
    sasRotationDays,
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
  // The AWS provider also takes its region from the environment, as the AWS SDKs do.
  const awsRegion =
    new pulumi.Config("aws").get("region") ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION;
  return parseConfig(raw, awsRegion, new pulumi.Config("azure-native").get("location"));
}
