// The stack's configuration, declared once. Each key has its Pulumi.yaml type, description and
// default, and a zod schema that parses the string the Pulumi CLI hands over and checks every
// rule that concerns that key alone. From this table come the TypeScript types (KeyValues),
// the defaults, the error messages (key + rule), and Pulumi.yaml's config block
// (scripts/config-table.ts --write; a test keeps the file equal to it). Rules that relate keys
// to each other live in config/index.ts and domain/.
import { z } from "zod";
import { AWS_REGIONS } from "../domain/awsData";
import { LIMITS, MAX_IP_RULES, type Range } from "../domain/limits";
import {
  CREDENTIAL_DELIVERIES,
  CHECK_SCHEDULES,
  STORAGE_REDUNDANCIES,
  SYNC_MODES,
} from "../domain/modes";
import { CREDENTIAL_MODES, OUTBOUND_FEDERATION } from "../domain/credentials";
import { ENGINES } from "../domain/managedEngine";
import {
  CMK_KEY_URI,
  parseKmsKeyArn,
  parsePolicyArn,
  s3BucketNameProblem,
  sourcePrefixProblems,
  STORAGE_ACCOUNT_NAME,
  SUBNET_ID,
  USER_ASSIGNED_IDENTITY_ID,
} from "../domain/naming";
import {
  cidrProblem,
  egressCidrProblem,
  ipRuleProblem,
  MAX_EGRESS_CIDRS,
  WIDEST_IP_RULE_PREFIX,
} from "../domain/network";
import { rangeProblem } from "../domain/problems";
import { ACCEPTED_SKIPS_MAX, acceptedSkipProblems } from "../domain/skips";
import { LOG_RETENTION_DAYS } from "../domain/telemetry";

export const NAMESPACE = "cross-cloud-backup";

export type YamlType = "string" | "integer" | "boolean" | "array";

export interface KeySpec<S extends z.ZodType = z.ZodType> {
  type: YamlType;
  description: string;
  /** The default Pulumi.yaml declares (and the CLI injects); absent = required. */
  default?: string | number | boolean | string[];
  schema: S;
}

/** "" and whitespace mean "not set", as the CLI injects "" defaults for optional strings. */
function blank(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  return t === "" ? undefined : t;
}
const show = (v: unknown) => (typeof v === "string" ? `"${v}"` : JSON.stringify(v));

function integer(description: string, def: number, range: Range) {
  const schema = z.preprocess(
    (v) => {
      const b = blank(v);
      return typeof b === "string" && /^-?\d+$/.test(b) ? Number(b) : b;
    },
    z
      .number({ error: (i) => `must be a whole number, got ${show(i.input)}` })
      // The range rule's one home (domain/problems.ts), shared with the components.
      .superRefine((n, ctx) => {
        for (const p of rangeProblem("", n, range))
          ctx.addIssue({ code: "custom", message: p.reason });
      })
      .default(def),
  );
  return { type: "integer" as const, description, default: def, schema };
}

function boolean(description: string, def: boolean) {
  const schema = z.preprocess(
    (v) => {
      const b = blank(v);
      return b === "true" ? true : b === "false" ? false : b;
    },
    z.boolean({ error: (i) => `must be true or false, got ${show(i.input)}` }).default(def),
  );
  return { type: "boolean" as const, description, default: def, schema };
}

function oneOf<const T extends readonly [string, ...string[]]>(
  description: string,
  values: T,
  def: T[number],
) {
  const schema = z.preprocess(
    blank,
    z
      .enum(values, {
        error: (i) => `unknown value ${show(i.input)}; allowed: ${values.join(", ")}`,
      })
      .default(def as never),
  );
  return { type: "string" as const, description, default: def, schema };
}

/** A string checked by `problems` (each returned string is one broken rule). */
function checkedString(problems: (v: string) => string[]) {
  return z
    .string({ error: (i) => `must be a string, got ${show(i.input)}` })
    .superRefine((v, ctx) => {
      for (const message of problems(v)) ctx.addIssue({ code: "custom", message });
    });
}

/** A list given as JSON text (as the CLI passes an array value), parsed before it is checked. */
function jsonList(v: unknown): unknown {
  const b = blank(v);
  if (typeof b !== "string") return b;
  try {
    return JSON.parse(b) as unknown;
  } catch {
    return b;
  }
}

/** An optional string checked by `problems`. */
function optionalString(description: string, problems: (v: string) => string[]) {
  const schema = z.preprocess(blank, checkedString(problems).optional());
  return { type: "string" as const, description, default: "", schema };
}

/** A string with a default, checked by `problems`. */
function stringWithDefault(description: string, def: string, problems: (v: string) => string[]) {
  const schema = z.preprocess(blank, checkedString(problems).default(def));
  return { type: "string" as const, description, default: def, schema };
}

/** A string taken exactly as written (only "" means unset): whitespace is part of an S3 key. */
function literalString(description: string, def: string, problems: (v: string) => string[]) {
  const schema = z.preprocess(
    (v) => (v === "" ? undefined : v),
    checkedString(problems).default(def),
  );
  return { type: "string" as const, description, default: def, schema };
}

const matching =
  (re: RegExp, rule: string) =>
  (v: string): string[] =>
    re.test(v) ? [] : [`${rule}, got "${v}"`];
const listOf = (p: string | undefined) => (p === undefined ? [] : [p]);
const range = (r: Range) => `${r.min}-${r.max}`;

export const SCHEMA = {
  sourceBucket: {
    type: "string",
    description:
      "Name of the existing S3 bucket to back up. Required. It is only read, never created or modified.",
    schema: z.preprocess(
      blank,
      z
        .string({ error: "is required: the name of the existing S3 bucket to back up" })
        .superRefine((v, ctx) => {
          const p = s3BucketNameProblem(v);
          if (p)
            ctx.addIssue({ code: "custom", message: `"${v}" is not a valid S3 bucket name: ${p}` });
        }),
    ),
  },
  sourcePrefix: literalString(
    'Back up only keys under this prefix, taken exactly as written (must end with "/"; no leading "/", "//", "." or ".." segments, "*", "?", "$" or control characters; at most 1024 bytes); empty for the whole bucket. The IAM policy is narrowed to it.',
    "",
    sourcePrefixProblems,
  ),
  sourceRegion: optionalString(
    "Region of the source bucket. Empty uses aws:region (or AWS_REGION); when set, it must equal that region, because the host and its S3 gateway endpoint run in the bucket's region. Commercial AWS regions only.",
    (v) =>
      AWS_REGIONS.includes(v)
        ? []
        : [`is not an AWS region known to @pulumi/aws (e.g. eu-west-1), got "${v}"`],
  ),
  sourceKmsKeyArn: optionalString(
    "ARN of the bucket's SSE-KMS key (not an alias), in the bucket's region. When set, the host may kms:Decrypt with it, only through S3. Empty when the bucket uses SSE-S3.",
    (v) =>
      parseKmsKeyArn(v)
        ? []
        : [
            `is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>); aliases are not accepted because IAM cannot scope to them, got "${v}"`,
          ],
  ),
  sourceBucketOwner: optionalString(
    "The AWS account id (12 digits) that owns sourceBucket. Every S3 request the engine makes itself (the listing, HEADs, the reads that hash each copy) carries it as ExpectedBucketOwner, so a bucket of the same name deleted and re-created by another account is refused (the run fails naming it) rather than backed up; rclone 1.60.1's copy reads cannot carry it, and start only after the listing passed. Empty: the stack's own AWS account.",
    matching(/^[0-9]{12}$/, "must be a 12-digit AWS account id"),
  ),
  permissionsBoundaryArn: optionalString(
    "Optional IAM permissions boundary (managed policy ARN) attached to the host's role.",
    (v) =>
      parsePolicyArn(v)
        ? []
        : [`is not an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>), got "${v}"`],
  ),
  deployerArn: optionalString(
    "SAS mode with SSM delivery: the IAM role or user that runs `pulumi up` (e.g. the CI deploy role, with its path), the only principal the SAS parameter's KMS key lets encrypt, i.e. write the parameter. Default: the identity running Pulumi (an assumed role's session stands for its role on the default path). Set it when another identity previews the stack, or the preview shows the key's policy changing.",
    (v) =>
      /^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(v)
        ? []
        : [`is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), got "${v}"`],
  ),
  instanceType: stringWithDefault(
    "EC2 instance type of the sync host, one @pulumi/aws knows that can run a Debian 12 HVM AMI on demand (no Mac, paravirtual-only or retired first-generation types, no Dedicated-Host-only High Memory or Capacity-Block-only UltraServer types). Graviton (arm64) by default; the AMI's architecture follows the type.",
    "t4g.micro",
    () => [], // checked against the instance-type table in config/index.ts
  ),
  rootVolumeGb: integer(
    `Size of the host's encrypted gp3 root volume in GiB (${range(LIMITS.rootVolumeGb)}). Each run keeps both listings on disk, compressed in sort's temporary files: at most about 128 bytes per object at the peak (measured 96 at 1M objects and 102 at 10M by npm run bench -- --synthetic); the 16 GiB default holds that for 100 million objects. A first copy's plan adds about 40 bytes per object to copy: give a first copy past 50 million objects 24 GiB.`,
    16,
    LIMITS.rootVolumeGb,
  ),
  vpcCidr: stringWithDefault(
    "CIDR of the small VPC created for the sync host: a private (RFC 1918) block from /16 to /28, without host bits (unused, but still checked, when existingSubnetId is set).",
    "10.42.0.0/24",
    (v) => listOf(cidrProblem(v)).map((p) => `"${v}" ${p}`),
  ),
  existingSubnetId: optionalString(
    "Run the host in this existing public subnet instead of creating a VPC. The subnet needs a route to an internet gateway.",
    matching(SUBNET_ID, "is not a subnet id (subnet-0123abcd...)"),
  ),
  egressCidrs: {
    type: "array",
    description: `Where the sync host may open HTTPS connections (its only outbound traffic): IPv4 CIDR blocks without host bits, at most ${MAX_EGRESS_CIDRS}, no duplicates. Default everywhere: Azure storage, Entra ID, STS, SSM, CloudWatch and Debian's mirror publish no ranges a security group can name. Narrow it only to addresses that reach all of them (e.g. your egress firewall). S3 is always reached through the created VPC's gateway endpoint, whatever this says (with existingSubnetId, your VPC must provide that path).`,
    default: ["0.0.0.0/0"] as string[],
    schema: z.preprocess(
      jsonList,
      z
        .array(
          z.string({ error: (i) => `must list IPv4 CIDR blocks as strings, got ${show(i.input)}` }),
          { error: "must be a list of IPv4 CIDR blocks" },
        )
        .superRefine((cidrs, ctx) => {
          if (cidrs.length === 0)
            ctx.addIssue({
              code: "custom",
              message:
                'is empty: the host could reach nothing but S3 (the vault, SSM and the package mirror are HTTPS); list at least one block, e.g. ["0.0.0.0/0"]',
            });
          const seen = new Set<string>();
          for (const c of cidrs) {
            if (seen.has(c)) ctx.addIssue({ code: "custom", message: `lists "${c}" twice` });
            seen.add(c);
            const p = egressCidrProblem(c);
            if (p) ctx.addIssue({ code: "custom", message: `"${c}" ${p}` });
          }
          if (cidrs.length > MAX_EGRESS_CIDRS)
            ctx.addIssue({
              code: "custom",
              message: `holds ${cidrs.length} blocks; at most ${MAX_EGRESS_CIDRS} (a security group holds 60 outbound rules)`,
            });
        })
        .default(["0.0.0.0/0"]),
    ),
  },
  flowLogs: boolean(
    "Log the traffic of the VPC this program creates (VPC flow logs, accepted and rejected, to the log group /cross-cloud-backup/<stack>/vpc-flow-logs, kept logRetentionDays, encrypted with logKmsKeyArn when set). CloudWatch Logs bills ingestion per GB (see the README's cost notes). Ignored with existingSubnetId: your VPC's flow logs are yours to configure.",
    true,
  ),
  sessionLogging: boolean(
    "Log every Session Manager session of the AWS account and region to the log group /cross-cloud-backup/<stack>/sessions (kept logRetentionDays, encrypted with logKmsKeyArn when set). Account- and region-wide: the stack creates Session Manager's preferences document SSM-SessionManagerRunShell, so only one stack per account and region may turn it on, and creating it fails if the document exists already (the console creates it when preferences are saved: delete or import it first).",
    false,
  ),
  syncIntervalHours: integer(
    "Hours between sync runs; must divide 24 (1, 2, 3, 4, 6, 8, 12, 24).",
    4,
    LIMITS.syncIntervalHours,
  ),
  syncMode: oneOf(
    '"copy" copies new and modified objects and never deletes in the vault; "mirror" also propagates deletions (kept recoverable in archive/, guarded by maxDeletes and maxDeletePercent; not with immutabilityDays).',
    SYNC_MODES,
    "copy",
  ),
  engine: oneOf(
    '"host": the EC2 sync host runs our engine every syncIntervalHours. "datasync": AWS DataSync (Enhanced mode, agentless) copies into the same vault\'s data/ on that schedule, and no host is created; it needs syncMode "copy", credentialMode "sas", openVaultFirewall true, and integrityCheck and restoreDrill "off" (its blobs carry no content record). "storageMover" is refused: the pinned provider cannot create Storage Mover\'s S3 source. When to switch, and what differs: docs/scale.md.',
    ENGINES,
    "host",
  ),
  integrityCheck: oneOf(
    'How often the host proves the vault matches the source: every object present with the ETag its blob\'s content record holds, and a rotating share of the vault read back and checked against the recorded MD5, so that every blob is read within integrityCoverageDays ("off": on demand only).',
    CHECK_SCHEDULES,
    "weekly",
  ),
  integritySampleObjects: integer(
    `Objects each integrity check reads back from the vault at random, on top of its rotating share, and checks against their recorded MD5 (${range(LIMITS.integritySampleObjects)}).`,
    20,
    LIMITS.integritySampleObjects,
  ),
  integrityCoverageDays: integer(
    `Days within which the integrity check has read every blob back from the vault once (${range(LIMITS.integrityCoverageDays)}); each check reads the share of the vault that time since the last check covers. Reading costs the vault's egress (see the README's cost notes).`,
    365,
    LIMITS.integrityCoverageDays,
  ),
  restoreDrill: oneOf(
    'How often the host rehearses a restore: restoreDrillObjects blobs, picked at random, restored from the vault to its disk by their keys and compared with the source byte for byte (needs no write access to S3; "off": on demand only).',
    CHECK_SCHEDULES,
    "monthly",
  ),
  restoreDrillObjects: integer(
    `Objects each restore drill restores and compares (${range(LIMITS.restoreDrillObjects)}).`,
    20,
    LIMITS.restoreDrillObjects,
  ),
  maxDeletes: integer(
    `Mirror mode only (${range(LIMITS.maxDeletes)}). A run that would bring the deletions of the last deletionWindowHours above this many blobs deletes none and fails.`,
    100,
    LIMITS.maxDeletes,
  ),
  maxDeletePercent: integer(
    `Mirror mode only (${range(LIMITS.maxDeletePercent)}). A run that would bring the deletions of the last deletionWindowHours above this share of the vault's blobs deletes none and fails, whatever maxDeletes allows (rounded up: at 50%, a vault of 3 blobs may lose 2).`,
    50,
    LIMITS.maxDeletePercent,
  ),
  deletionWindowHours: integer(
    `Mirror mode only (${range(LIMITS.deletionWindowHours)}). The deletion guard counts the deletions of all runs within this many hours, not one run's: a slow mass deletion, one run at a time, is stopped like a sudden one.`,
    24,
    LIMITS.deletionWindowHours,
  ),
  credentialMode: oneOf(
    '"federated": no stored credential. The host proves its AWS role to Entra ID through IAM outbound identity federation and mints a short-lived user-delegation SAS each run; the account disallows Shared Key. "sas": a container SAS signed with the account key, renewed by pulumi up (for accounts that cannot federate).',
    CREDENTIAL_MODES,
    "federated",
  ),
  outboundFederation: oneOf(
    'Federated mode: "enable" turns on IAM outbound identity federation for the AWS account (an account-wide setting; kept enabled when the stack is destroyed); "existing" uses it as already enabled.',
    OUTBOUND_FEDERATION,
    "enable",
  ),
  credentialDelivery: oneOf(
    'SAS mode: "ssm" stores the SAS in an SSM SecureString the host reads at every run; "userData" embeds the rendered rclone config in (secret) user-data, for accounts without SSM.',
    CREDENTIAL_DELIVERIES,
    "ssm",
  ),
  azureLocation: optionalString(
    "Azure public-cloud region of the vault (e.g. westeurope; case and spaces are ignored, as Azure does). Empty uses azure-native:location, else westeurope; setting both to different regions is an error. Access-restricted regions need azureRestrictedRegionAccess.",
    matching(/^[A-Za-z][A-Za-z0-9 ]{2,40}$/, "is not an Azure region name (e.g. westeurope)"),
  ),
  azureRestrictedRegionAccess: boolean(
    "Set true once Microsoft has granted the subscription access to an access-restricted region (e.g. germanynorth, norwaywest); such regions are refused otherwise, because deploying there fails without it.",
    false,
  ),
  storageRedundancy: oneOf(
    `Storage account SKU (${STORAGE_REDUNDANCIES.join(", ")}); zone-redundant SKUs need a region with availability zones, geo-redundant ones a paired region.`,
    STORAGE_REDUNDANCIES,
    "Standard_LRS",
  ),
  softDeleteRetentionDays: integer(
    `Days deleted blobs, versions and containers stay recoverable (${range(LIMITS.softDeleteRetentionDays)}).`,
    14,
    LIMITS.softDeleteRetentionDays,
  ),
  pointInTimeRestoreDays: integer(
    `Days of point-in-time restore for the container (${range(LIMITS.pointInTimeRestoreDays)}, 0 = off); must be less than softDeleteRetentionDays; not with immutabilityDays.`,
    0,
    LIMITS.pointInTimeRestoreDays,
  ),
  immutabilityDays: integer(
    `Version-level WORM retention in days for every blob version (${range(LIMITS.immutabilityDays)}, 0 = off). See docs/vault.md before enabling.`,
    0,
    LIMITS.immutabilityDays,
  ),
  immutabilityLocked: boolean(
    "Lock the immutability policy (a second step: needs immutabilityLockAccount). Irreversible - the retention can then only be extended and the account cannot be deleted while protected versions exist.",
    false,
  ),
  immutabilityLockAccount: optionalString(
    "The vault account whose policy immutabilityLocked locks: the stack output vaultAccountName after the first deployment. Azure creates policies only Unlocked, so a stack without a vault cannot ask for a locked one.",
    matching(
      STORAGE_ACCOUNT_NAME,
      "is not a storage account name (3-24 lowercase letters and digits; the stack output vaultAccountName)",
    ),
  ),
  versionRetentionDays: integer(
    `Days mirror mode's archive/ and old run summaries are kept before the lifecycle policy deletes them (${range(LIMITS.versionRetentionDays)}); at least immutabilityDays. The backup in data/, its current blobs and previous versions, is never expired.`,
    90,
    LIMITS.versionRetentionDays,
  ),
  deleteLock: boolean(
    "Put a CanNotDelete management lock on the vault's resource group, so nothing deletes it outside Pulumi without first removing the lock. Creating the lock needs Microsoft.Authorization/locks/write (Owner or User Access Administrator) for the deploying identity.",
    false,
  ),
  cmkKeyUri: optionalString(
    "Key Vault key URI for customer-managed encryption of the vault (set together with cmkIdentityId); empty for Microsoft-managed keys.",
    matching(
      CMK_KEY_URI,
      "is not a Key Vault key URI (https://<vault>.vault.azure.net/keys/<name>[/<version>])",
    ),
  ),
  cmkIdentityId: optionalString(
    "Resource id of the user-assigned identity that may use cmkKeyUri.",
    matching(USER_ASSIGNED_IDENTITY_ID, "is not a user-assigned identity resource id"),
  ),
  allowedIps: {
    type: "array",
    description: `Extra public IPv4 addresses or CIDRs (e.g. an admin network) allowed through the vault's firewall, besides the sync host's egress IP. At most ${MAX_IP_RULES - 1} (Azure allows ${MAX_IP_RULES} IP rules; one is the host's); prefixes /${WIDEST_IP_RULE_PREFIX} to /30 (Azure would take /8; the vault does not) without host bits, no duplicates, no leading zeros, and no private, shared (CGNAT), link-local, loopback or multicast space.`,
    default: [] as string[],
    schema: z.preprocess(
      jsonList,
      z
        .array(
          z.string({
            error: (i) =>
              `must list IPv4 addresses or CIDR blocks as strings, got ${show(i.input)}`,
          }),
          { error: "must be a list of IPv4 addresses or CIDR blocks" },
        )
        .superRefine((ips, ctx) => {
          const seen = new Set<string>();
          for (const ip of ips) {
            if (seen.has(ip)) ctx.addIssue({ code: "custom", message: `lists "${ip}" twice` });
            seen.add(ip);
            const p = ipRuleProblem(ip);
            if (p) ctx.addIssue({ code: "custom", message: `"${ip}" ${p}` });
          }
          if (ips.length > MAX_IP_RULES - 1)
            ctx.addIssue({
              code: "custom",
              message: `holds ${ips.length} entries; Azure allows ${MAX_IP_RULES} IP rules per storage account and one is the sync host's Elastic IP, so at most ${MAX_IP_RULES - 1}`,
            });
        })
        .default([]),
    ),
  },
  openVaultFirewall: boolean(
    'Engine "datasync" only, and required there: let every network reach the vault\'s blob endpoint (firewall default action Allow), because agentless DataSync connects from AWS-managed addresses AWS does not publish. Access then rests on the SAS alone (HTTPS only, one container, no delete, expiring); setting it is accepting that trade-off (docs/scale.md).',
    false,
  ),
  vnetCidr: stringWithDefault(
    "CIDR of the Azure VNet that holds the vault's private endpoint: a private (RFC 1918) block from /16 to /28.",
    "10.43.0.0/24",
    (v) => listOf(cidrProblem(v)).map((p) => `"${v}" ${p}`),
  ),
  logRetentionDays: integer(
    `Days CloudWatch Logs keeps each run's summary (and the VPC flow logs and session logs, when on): one of ${LOG_RETENTION_DAYS.join(", ")}.`,
    90,
    { min: 1, max: 3653 },
  ),
  logKmsKeyArn: optionalString(
    "KMS key ARN that encrypts the run log group, and the flow and session log groups when on (its key policy must allow logs.<region>.amazonaws.com for them); empty for CloudWatch Logs' own encryption.",
    (v) =>
      parseKmsKeyArn(v)
        ? []
        : [`is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>), got "${v}"`],
  ),
  auditRetentionDays: integer(
    `Days the vault's audit trail (every blob read, write and delete, in a Log Analytics workspace) is kept (${range(LIMITS.auditRetentionDays)}).`,
    90,
    LIMITS.auditRetentionDays,
  ),
  dashboard: boolean(
    "Create a CloudWatch dashboard (cross-cloud-backup-<stack>) with every alarm's state and the runs', integrity checks' and restore drills' metrics ($3 a month per dashboard beyond the free three).",
    false,
  ),
  defenderForStorage: boolean(
    "Turn on Microsoft Defender for Storage for the vault account (threat alerts; billed per account and per GB scanned).",
    false,
  ),
  acceptedSkips: {
    type: "array",
    description: `The acknowledged skip list: patterns of keys (below sourcePrefix) the host may skip without the run counting as partial or the backup as stale, e.g. \`*/\` for the folder markers the S3 console creates, or \`archived/*\`. Shell-style: \`*\` matches any run of characters including "/", \`?\` one character, \`[abc]\` one of a set. At most ${ACCEPTED_SKIPS_MAX}; a pattern that matches every key (only \`*\` and \`?\`) is refused. Accepted skips are still named in each run's skipped.jsonl.gz and counted in acceptedSkips (metric AcceptedSkips).`,
    default: [] as string[],
    schema: z.preprocess(
      jsonList,
      z
        .array(
          z.string({ error: (i) => `must list key patterns as strings, got ${show(i.input)}` }),
          { error: "must be a list of key patterns" },
        )
        .superRefine((patterns, ctx) => {
          const seen = new Set<string>();
          for (const p of patterns) {
            if (seen.has(p)) ctx.addIssue({ code: "custom", message: `lists "${p}" twice` });
            seen.add(p);
            for (const problem of acceptedSkipProblems(p))
              ctx.addIssue({ code: "custom", message: `${JSON.stringify(p)} ${problem}` });
          }
          if (patterns.length > ACCEPTED_SKIPS_MAX)
            ctx.addIssue({
              code: "custom",
              message: `holds ${patterns.length} patterns; at most ${ACCEPTED_SKIPS_MAX}`,
            });
        })
        .default([]),
    ),
  },
  alarmEmails: {
    type: "array",
    description:
      "E-mail addresses subscribed to the backup's alarm topic (each confirms by e-mail). Empty: subscribe your own endpoints to the alarmTopicArn output.",
    default: [] as string[],
    schema: z.preprocess(
      jsonList,
      z
        .array(z.email({ error: (i) => `must list e-mail addresses, got ${show(i.input)}` }), {
          error: "must be a list of e-mail addresses",
        })
        .superRefine((emails, ctx) => {
          const seen = new Set<string>();
          for (const e of emails) {
            if (seen.has(e.toLowerCase()))
              ctx.addIssue({ code: "custom", message: `lists "${e}" twice` });
            seen.add(e.toLowerCase());
          }
        })
        .default([]),
    ),
  },
  sourceDropAlarmPercent: integer(
    `Alarm (source-drop) when a run finds the source smaller than at the last run that stored every change by at least this share, in objects or in bytes (${range(LIMITS.sourceDropAlarmPercent)} percent): a mass deletion or a wrong bucket. An alarm setting only: the host's runs are the same whatever it is.`,
    50,
    LIMITS.sourceDropAlarmPercent,
  ),
  sasRotationDays: integer(
    `Length of the SAS rotation window in days (${range(LIMITS.sasRotationDays)}). The SAS expires two windows after the current window starts; run pulumi up at least once per window.`,
    30,
    LIMITS.sasRotationDays,
  ),
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;
export const CONFIG_KEYS = Object.keys(SCHEMA) as ConfigKey[];

/** Each key's parsed value (defaults applied), as the schema types it. */
export type KeyValues = { [K in ConfigKey]: z.output<(typeof SCHEMA)[K]["schema"]> };

/** The Pulumi.yaml declaration of every key, derived from the schema. */
export function pulumiYamlConfig(): Record<
  string,
  { type: YamlType; items?: { type: "string" }; description: string; default?: unknown }
> {
  const out: ReturnType<typeof pulumiYamlConfig> = {};
  for (const key of CONFIG_KEYS) {
    const spec: KeySpec = SCHEMA[key];
    out[key] = {
      type: spec.type,
      ...(spec.type === "array" ? { items: { type: "string" as const } } : {}),
      description: spec.description,
      ...("default" in spec ? { default: spec.default } : {}),
    };
  }
  return out;
}
