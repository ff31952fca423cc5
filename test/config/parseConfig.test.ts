// parseConfig is the only gate between stack config and resources: every bad value must be
// rejected up front with the full key and the rule it broke, and good input must come back with
// the defaults Pulumi.yaml documents.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import {
  awsProviderRegion,
  CONFIG_KEYS,
  ConfigError,
  parseConfig,
  type RawConfig,
} from "../../config";

const ROOT = path.resolve(__dirname, "..", "..");
const REGION = "eu-west-1";
const GOOD: RawConfig = { sourceBucket: "example-app-data" };
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110";
const IDENTITY_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk";

/** The problems parseConfig reports for `raw`; fails the test if it accepts it. */
function problemsOf(
  raw: RawConfig,
  defaultRegion: string | null = REGION,
  location?: string,
): string[] {
  try {
    parseConfig(raw, defaultRegion ?? undefined, location);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  expect.fail(`parseConfig accepted ${JSON.stringify(raw)}`);
}

interface BadCase {
  name: string;
  raw: RawConfig;
  /** The key the problem must be reported under (a ConfigKey, or the typo itself). */
  key: string;
  /** A fragment of the rule the message must state. */
  rule: RegExp;
  /** aws:region for this case (null = unset); eu-west-1 otherwise. */
  regionOverride?: string | null;
  /** azure-native:location for this case; unset otherwise. */
  locationOverride?: string;
}

const BAD: BadCase[] = [
  {
    name: "an egressCidrs entry that is an address, not a block",
    raw: { sourceBucket: "example-bucket", egressCidrs: '["203.0.113.10"]' },
    key: "egressCidrs",
    rule: /"203\.0\.113\.10" must be an IPv4 CIDR block/,
  },
  {
    name: "an egressCidrs block with host bits set",
    raw: { sourceBucket: "example-bucket", egressCidrs: '["203.0.113.10/24"]' },
    key: "egressCidrs",
    rule: /host bits set/,
  },
  {
    name: "an empty egressCidrs (the host would reach nothing but S3)",
    raw: { sourceBucket: "example-bucket", egressCidrs: "[]" },
    key: "egressCidrs",
    rule: /is empty/,
  },
  {
    name: "an egressCidrs block listed twice",
    raw: { sourceBucket: "example-bucket", egressCidrs: '["10.0.5.0/24", "10.0.5.0/24"]' },
    key: "egressCidrs",
    rule: /lists "10\.0\.5\.0\/24" twice/,
  },
  {
    name: "more egressCidrs than a security group holds",
    raw: {
      sourceBucket: "example-bucket",
      egressCidrs: JSON.stringify(Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`)),
    },
    key: "egressCidrs",
    rule: /at most 50/,
  },
  {
    name: "flowLogs that is not a boolean",
    raw: { sourceBucket: "example-bucket", flowLogs: "yes" },
    key: "flowLogs",
    rule: /must be true or false/,
  },
  {
    name: "sessionLogging that is not a boolean",
    raw: { sourceBucket: "example-bucket", sessionLogging: "on" },
    key: "sessionLogging",
    rule: /must be true or false/,
  },
  {
    name: "an allowedIps entry with a leading zero (010.1.1.1 is 8.1.1.1 to some parsers)",
    raw: { sourceBucket: "example-bucket", allowedIps: '["203.0.113.10", "203.0.113.010"]' },
    key: "allowedIps",
    rule: /leading zero/,
  },
  {
    name: "a range that starts public but contains private space (172.0.0.0/8 holds 172.16.0.0/12)",
    raw: { sourceBucket: "example-bucket", allowedIps: '["172.0.0.0/8"]' },
    key: "allowedIps",
    rule: /must be a public address or range/,
  },
  {
    name: "400 allowedIps entries (one of Azure's 400 rules is the host's)",
    raw: {
      sourceBucket: "example-bucket",
      allowedIps: JSON.stringify(
        Array.from({ length: 400 }, (_, i) => `198.51.${i >> 8}.${i & 255}`),
      ),
    },
    key: "allowedIps",
    rule: /holds 400 entries; Azure allows 400 IP rules .* at most 399/,
  },
  {
    name: "a prefix with a '..' segment",
    raw: { sourceBucket: "example-bucket", sourcePrefix: "exports/../secrets/" },
    key: "sourcePrefix",
    rule: /must not contain "\." or "\.\." segments/,
  },
  {
    name: "a prefix with an empty segment",
    raw: { sourceBucket: "example-bucket", sourcePrefix: "exports//daily/" },
    key: "sourcePrefix",
    rule: /empty segment/,
  },
  {
    name: "a prefix with '$' (an IAM policy variable in the host's resource ARNs)",
    raw: { sourceBucket: "example-bucket", sourcePrefix: "exports/${aws:username}/" },
    key: "sourcePrefix",
    rule: /must not contain "\$"/,
  },
  {
    name: "a version retention beyond Azure's lifecycle limit",
    raw: { sourceBucket: "example-bucket", versionRetentionDays: "100000" },
    key: "versionRetentionDays",
    rule: /between 1 and 99999/,
  },
  {
    name: "a prefix with a control character",
    raw: { sourceBucket: "example-bucket", sourcePrefix: "exports\u0007/" },
    key: "sourcePrefix",
    rule: /control characters/,
  },
  {
    name: "mirror mode with WORM (Azure refuses to delete versions under retention)",
    raw: { sourceBucket: "example-bucket", syncMode: "mirror", immutabilityDays: "30" },
    key: "syncMode",
    rule: /"mirror" cannot be combined with immutabilityDays \(30\)/,
  },
  {
    name: "a version retention shorter than the WORM period",
    raw: { sourceBucket: "example-bucket", immutabilityDays: "90", versionRetentionDays: "30" },
    key: "versionRetentionDays",
    rule: /must be at least immutabilityDays \(90\), got 30/,
  },
  {
    name: "a root volume below the 8 GiB Debian image",
    raw: { sourceBucket: "example-bucket", rootVolumeGb: "4" },
    key: "rootVolumeGb",
    rule: /between 8 and 16384/,
  },
  {
    name: "a deletion share above 100%",
    raw: { sourceBucket: "example-bucket", maxDeletePercent: "150" },
    key: "maxDeletePercent",
    rule: /between 0 and 100/,
  },
  {
    name: "a source region other than aws:region",
    raw: { sourceBucket: "example-bucket", sourceRegion: "us-east-1" },
    key: "sourceRegion",
    rule: /must equal the AWS provider's region \(eu-west-1, from aws:region\)/,
  },
  {
    name: "a shared-address-space (CGNAT) IP in allowedIps",
    raw: { sourceBucket: "example-bucket", allowedIps: '["100.64.1.1"]' },
    key: "allowedIps",
    rule: /must be a public address/,
  },
  {
    name: "a link-local IP in allowedIps",
    raw: { sourceBucket: "example-bucket", allowedIps: '["169.254.169.254"]' },
    key: "allowedIps",
    rule: /must be a public address/,
  },
  {
    name: "a CIDR with host bits set in allowedIps",
    raw: { sourceBucket: "example-bucket", allowedIps: '["203.0.113.7/28"]' },
    key: "allowedIps",
    rule: /host bits/,
  },
  {
    name: "a duplicate entry in allowedIps",
    raw: { sourceBucket: "example-bucket", allowedIps: '["203.0.113.7","203.0.113.7"]' },
    key: "allowedIps",
    rule: /twice/,
  },
  {
    name: "uppercase bucket name",
    raw: { sourceBucket: "Example-Bucket" },
    key: "sourceBucket",
    rule: /lowercase/,
  },
  { name: "too-short bucket name", raw: { sourceBucket: "ab" }, key: "sourceBucket", rule: /3-63/ },
  {
    name: "IP-formatted bucket name",
    raw: { sourceBucket: "192.168.5.4" },
    key: "sourceBucket",
    rule: /IP address/,
  },
  {
    name: "bucket name with two adjacent dots",
    raw: { sourceBucket: "my..bucket" },
    key: "sourceBucket",
    rule: /adjacent dots/,
  },
  {
    name: "bucket name with the reserved xn-- prefix",
    raw: { sourceBucket: "xn--bucket" },
    key: "sourceBucket",
    rule: /xn--/,
  },
  { name: "missing sourceBucket", raw: {}, key: "sourceBucket", rule: /is required/ },
  {
    name: 'syncMode "sync"',
    raw: { ...GOOD, syncMode: "sync" },
    key: "syncMode",
    rule: /unknown value "sync"; allowed: copy, mirror/,
  },
  {
    name: 'storageRedundancy "Premium_LRS"',
    raw: { ...GOOD, storageRedundancy: "Premium_LRS" },
    key: "storageRedundancy",
    rule: /unknown value "Premium_LRS"; allowed: Standard_LRS/,
  },
  {
    name: 'credentialDelivery "plain"',
    raw: { ...GOOD, credentialDelivery: "plain" },
    key: "credentialDelivery",
    rule: /unknown value "plain"; allowed: ssm, userData/,
  },
  {
    name: "KMS alias ARN instead of a key ARN",
    raw: { ...GOOD, sourceKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/app-data" },
    key: "sourceKmsKeyArn",
    rule: /is not a KMS key ARN.*aliases are not accepted/,
  },
  {
    name: "a bucket owner that is not an account id",
    raw: { ...GOOD, sourceBucketOwner: "12345678901" },
    key: "sourceBucketOwner",
    rule: /must be a 12-digit AWS account id, got "12345678901"/,
  },
  {
    name: "garbled KMS key ARN",
    raw: { ...GOOD, sourceKmsKeyArn: "arn:aws:kms:eu-west-1:1234:key/not-a-uuid" },
    key: "sourceKmsKeyArn",
    rule: /is not a KMS key ARN/,
  },
  {
    name: "permissions boundary that is a role ARN, not a policy ARN",
    raw: { ...GOOD, permissionsBoundaryArn: "arn:aws:iam::123456789012:role/boundary" },
    key: "permissionsBoundaryArn",
    rule: /is not an IAM managed policy ARN/,
  },
  {
    name: "deployer that is a policy, not a role or user",
    raw: { ...GOOD, deployerArn: "arn:aws:iam::123456789012:policy/deploy" },
    key: "deployerArn",
    rule: /is not an IAM role or user ARN/,
  },
  {
    name: "KMS key in another region than the bucket",
    raw: {
      ...GOOD,
      sourceKmsKeyArn:
        "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110",
    },
    key: "sourceKmsKeyArn",
    rule: /key region must be the bucket's region eu-west-1/,
  },
  {
    name: "syncIntervalHours 5 (does not divide 24)",
    raw: { ...GOOD, syncIntervalHours: "5" },
    key: "syncIntervalHours",
    rule: /must divide 24/,
  },
  {
    name: 'syncIntervalHours "abc"',
    raw: { ...GOOD, syncIntervalHours: "abc" },
    key: "syncIntervalHours",
    rule: /must be a whole number, got "abc"/,
  },
  {
    name: "syncIntervalHours 0",
    raw: { ...GOOD, syncIntervalHours: "0" },
    key: "syncIntervalHours",
    rule: /must be a whole number between 1 and 24, got 0/,
  },
  {
    name: "softDeleteRetentionDays above 365",
    raw: { ...GOOD, softDeleteRetentionDays: "366" },
    key: "softDeleteRetentionDays",
    rule: /must be a whole number between 1 and 365, got 366/,
  },
  {
    name: "sasRotationDays above 180",
    raw: { ...GOOD, sasRotationDays: "181" },
    key: "sasRotationDays",
    rule: /must be a whole number between 1 and 180, got 181/,
  },
  {
    name: "pointInTimeRestoreDays equal to softDeleteRetentionDays",
    raw: { ...GOOD, softDeleteRetentionDays: "7", pointInTimeRestoreDays: "7" },
    key: "pointInTimeRestoreDays",
    rule: /must be less than softDeleteRetentionDays \(7\), got 7/,
  },
  {
    name: "vpcCidr with host bits set",
    raw: { ...GOOD, vpcCidr: "10.42.0.1/24" },
    key: "vpcCidr",
    rule: /host bits/,
  },
  {
    name: "vnetCidr in a public range",
    raw: { ...GOOD, vnetCidr: "8.8.8.0/24" },
    key: "vnetCidr",
    rule: /private \(RFC 1918\)/,
  },
  {
    name: "private address in allowedIps",
    raw: { ...GOOD, allowedIps: '["203.0.113.7","10.1.2.3"]' },
    key: "allowedIps",
    rule: /"10\.1\.2\.3" must be a public address/,
  },
  {
    name: "cmkKeyUri without cmkIdentityId",
    raw: { ...GOOD, cmkKeyUri: "https://backupvault.vault.azure.net/keys/vault-cmk" },
    key: "cmkIdentityId",
    rule: /must be set together/,
  },
  {
    name: 'unknown key "sourceBuckett" (typo)',
    raw: { sourceBucket: "example-app-data", sourceBuckett: "example-app-data" },
    key: "sourceBuckett",
    rule: /unknown config key/,
  },
  {
    name: "immutabilityLocked without immutabilityDays",
    raw: { ...GOOD, immutabilityLocked: "true" },
    key: "immutabilityLocked",
    rule: /requires immutabilityDays > 0/,
  },
  {
    name: "a source region that does not exist",
    raw: { ...GOOD, sourceRegion: "eu-west-9" },
    key: "sourceRegion",
    rule: /is not an AWS region known to @pulumi\/aws/,
  },
  {
    name: "a China region (aws-cn partition)",
    raw: { ...GOOD, sourceRegion: "cn-north-1" },
    regionOverride: "cn-north-1",
    key: "sourceRegion",
    rule: /is in the aws-cn partition; only commercial AWS regions are supported/,
  },
  {
    name: "a GovCloud region (aws-us-gov partition)",
    raw: { ...GOOD },
    regionOverride: "us-gov-west-1",
    key: "sourceRegion",
    rule: /aws:region "us-gov-west-1" is in the aws-us-gov partition/,
  },
  {
    name: "an aws:region that does not exist",
    raw: { ...GOOD },
    regionOverride: "moon-base-1",
    key: "sourceRegion",
    rule: /aws:region "moon-base-1" is not an AWS region/,
  },
  {
    name: "no region at all",
    raw: { ...GOOD },
    regionOverride: null,
    key: "sourceRegion",
    rule: /is required when aws:region \(or AWS_REGION\) is not set/,
  },
  {
    name: "a KMS key ARN from another partition",
    raw: {
      ...GOOD,
      sourceKmsKeyArn:
        "arn:aws-cn:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110",
    },
    key: "sourceKmsKeyArn",
    rule: /is in the aws-cn partition/,
  },
  {
    name: "a permissions boundary from the GovCloud partition",
    raw: { ...GOOD, permissionsBoundaryArn: "arn:aws-us-gov:iam::123456789012:policy/boundary" },
    key: "permissionsBoundaryArn",
    rule: /is in the aws-us-gov partition/,
  },
  {
    name: "an instance type that does not exist",
    raw: { ...GOOD, instanceType: "t4g.mega" },
    key: "instanceType",
    rule: /"t4g\.mega" is not an EC2 instance type known to @pulumi\/aws/,
  },
  {
    name: "a Mac instance type (Dedicated Hosts, macOS AMIs only)",
    raw: { ...GOOD, instanceType: "mac2.metal" },
    key: "instanceType",
    rule: /Mac/,
  },
  {
    name: "a previous-generation paravirtual instance type",
    raw: { ...GOOD, instanceType: "m1.small" },
    key: "instanceType",
    rule: /"m1\.small"/,
  },
  {
    name: "an instance type in capitals",
    raw: { ...GOOD, instanceType: "T4G.MICRO" },
    key: "instanceType",
    rule: /is not an EC2 instance type/,
  },
  {
    name: "an Azure region that does not exist",
    raw: { ...GOOD, azureLocation: "westeurope2" },
    key: "azureLocation",
    rule: /"westeurope2" is not an Azure public-cloud region/,
  },
  {
    name: "an Azure China region",
    raw: { ...GOOD, azureLocation: "chinaeast2" },
    key: "azureLocation",
    rule: /sovereign-cloud region/,
  },
  {
    name: "an Azure Government region from azure-native:location",
    raw: { ...GOOD },
    locationOverride: "usgovvirginia",
    key: "azureLocation",
    rule: /sovereign-cloud region .*\(from azure-native:location\)/,
  },
  {
    name: "an Azure region name with an underscore",
    raw: { ...GOOD, azureLocation: "west_europe" },
    key: "azureLocation",
    rule: /is not an Azure region name/,
  },
  {
    name: "zone-redundant storage in a region without availability zones",
    raw: { ...GOOD, azureLocation: "westcentralus", storageRedundancy: "Standard_ZRS" },
    key: "storageRedundancy",
    rule: /Standard_ZRS is not offered in westcentralus \(the region has no availability zones\)/,
  },
  {
    name: "geo-zone-redundant storage in a region without availability zones",
    raw: { ...GOOD, azureLocation: "westcentralus", storageRedundancy: "Standard_RAGZRS" },
    key: "storageRedundancy",
    rule: /Standard_RAGZRS is not offered in westcentralus/,
  },
  {
    name: "a locked WORM policy on a stack whose account is not named (Azure creates policies Unlocked)",
    raw: {
      ...GOOD,
      immutabilityDays: "30",
      immutabilityLocked: "true",
      versionRetentionDays: "30",
    },
    key: "immutabilityLocked",
    rule: /needs immutabilityLockAccount: Azure creates a policy only Unlocked, so locking is a second step/,
  },
  {
    name: "immutabilityLockAccount without immutabilityLocked",
    raw: {
      ...GOOD,
      immutabilityDays: "30",
      versionRetentionDays: "30",
      immutabilityLockAccount: "vaultab12cd34",
    },
    key: "immutabilityLockAccount",
    rule: /is only used with immutabilityLocked: true/,
  },
  {
    name: "immutabilityLockAccount that is not an account name",
    raw: {
      ...GOOD,
      immutabilityDays: "30",
      versionRetentionDays: "30",
      immutabilityLocked: "true",
      immutabilityLockAccount: "Vault-Prod",
    },
    key: "immutabilityLockAccount",
    rule: /is not a storage account name/,
  },
  {
    name: 'a boolean written "yes"',
    raw: { ...GOOD, deleteLock: "yes" },
    key: "deleteLock",
    rule: /must be true or false, got "yes"/,
  },
  {
    name: "a fractional volume size",
    raw: { ...GOOD, rootVolumeGb: "16.5" },
    key: "rootVolumeGb",
    rule: /must be a whole number, got "16\.5"/,
  },
  {
    name: "a negative maxDeletes",
    raw: { ...GOOD, maxDeletes: "-1" },
    key: "maxDeletes",
    rule: /must be a whole number between 0 and 1000000, got -1/,
  },
  {
    name: "immutabilityDays beyond Azure's 146,000",
    raw: { ...GOOD, immutabilityDays: "146001" },
    key: "immutabilityDays",
    rule: /between 0 and 146000, got 146001/,
  },
  {
    name: "versionRetentionDays 0",
    raw: { ...GOOD, versionRetentionDays: "0" },
    key: "versionRetentionDays",
    rule: /between 1 and 99999, got 0/,
  },
  {
    name: "syncIntervalHours 25",
    raw: { ...GOOD, syncIntervalHours: "25" },
    key: "syncIntervalHours",
    rule: /between 1 and 24, got 25/,
  },
  {
    name: "sasRotationDays 0",
    raw: { ...GOOD, sasRotationDays: "0" },
    key: "sasRotationDays",
    rule: /between 1 and 180, got 0/,
  },
  {
    name: "allowedIps as a bare string, not a list",
    raw: { ...GOOD, allowedIps: "203.0.113.7" },
    key: "allowedIps",
    rule: /must be a list of IPv4 addresses or CIDR blocks/,
  },
  {
    name: "allowedIps holding numbers",
    raw: { ...GOOD, allowedIps: "[1, 2]" },
    key: "allowedIps",
    rule: /must list IPv4 addresses or CIDR blocks as strings, got 1/,
  },
  {
    name: "an IPv6 address in allowedIps",
    raw: { ...GOOD, allowedIps: '["2001:db8::1"]' },
    key: "allowedIps",
    rule: /must be an IPv4 address or CIDR block/,
  },
  {
    name: "a public /8 in allowedIps (Azure accepts it; the vault admits /24 or narrower)",
    raw: { ...GOOD, allowedIps: '["20.0.0.0/8"]' },
    key: "allowedIps",
    rule: /"20\.0\.0\.0\/8" is a \/8, wider than \/24/,
  },
  {
    name: "a public /23 in allowedIps",
    raw: { ...GOOD, allowedIps: '["198.51.100.0/23"]' },
    key: "allowedIps",
    rule: /is a \/23, wider than \/24/,
  },
  {
    name: "a SAS-mode rotation window whose SAS (two windows) outlives the 90-day key period",
    raw: { ...GOOD, credentialMode: "sas", sasRotationDays: "46" },
    key: "sasRotationDays",
    rule: /must be at most 45 in SAS mode, got 46: the SAS lives two rotation windows \(92 days\), longer than the 90-day expiration period of the account keys/,
  },
  {
    name: "a /31 in allowedIps (Azure accepts /8 to /30)",
    raw: { ...GOOD, allowedIps: '["203.0.113.0/31"]' },
    key: "allowedIps",
    rule: /prefixes \/8 to \/30/,
  },
  {
    name: "a wildcard prefix",
    raw: { ...GOOD, sourcePrefix: "exports/*/" },
    key: "sourcePrefix",
    rule: /literal key prefix, not a pattern/,
  },
  {
    name: "a prefix without the trailing slash",
    raw: { ...GOOD, sourcePrefix: "exports" },
    key: "sourcePrefix",
    rule: /must end with "\/"/,
  },
  {
    name: "a prefix with a leading slash",
    raw: { ...GOOD, sourcePrefix: "/exports/" },
    key: "sourcePrefix",
    rule: /must not start with "\/"/,
  },
  {
    name: "a prefix longer than 1,024 bytes",
    raw: { ...GOOD, sourcePrefix: `${"é".repeat(512)}/` },
    key: "sourcePrefix",
    rule: /at most 1024 bytes/,
  },
  {
    name: "a bucket name ending in a reserved suffix",
    raw: { sourceBucket: "backups-s3alias" },
    key: "sourceBucket",
    rule: /reserved suffix/,
  },
  {
    name: "a subnet id that is not one",
    raw: { ...GOOD, existingSubnetId: "sg-0123abcd" },
    key: "existingSubnetId",
    rule: /is not a subnet id/,
  },
  {
    name: "a VPC wider than /16",
    raw: { ...GOOD, vpcCidr: "10.0.0.0/8" },
    key: "vpcCidr",
    rule: /prefix must be between \/16 and \/28/,
  },
  {
    name: "a VNet narrower than /28",
    raw: { ...GOOD, vnetCidr: "10.43.0.0/29" },
    key: "vnetCidr",
    rule: /prefix must be between \/16 and \/28/,
  },
  {
    name: "a CMK URI over plain HTTP",
    raw: {
      ...GOOD,
      cmkKeyUri: "http://backupvault.vault.azure.net/keys/vault-cmk",
      cmkIdentityId: IDENTITY_ID,
    },
    key: "cmkKeyUri",
    rule: /is not a Key Vault key URI/,
  },
  {
    name: "a CMK identity that is a system-assigned principal id",
    raw: {
      ...GOOD,
      cmkKeyUri: "https://backupvault.vault.azure.net/keys/vault-cmk",
      cmkIdentityId: "00000000-0000-0000-0000-000000000000",
    },
    key: "cmkIdentityId",
    rule: /is not a user-assigned identity resource id/,
  },
  {
    name: "a storage SKU written in lowercase",
    raw: { ...GOOD, storageRedundancy: "standard_lrs" },
    key: "storageRedundancy",
    rule: /unknown value "standard_lrs"/,
  },
  {
    name: "an access-restricted Azure region without the access flag",
    raw: { ...GOOD, azureLocation: "germanynorth" },
    key: "azureLocation",
    rule: /"germanynorth" is an access-restricted region.*azureRestrictedRegionAccess/,
  },
  {
    name: "a source-drop alarm at 0% (it would fire on every run)",
    raw: { ...GOOD, sourceDropAlarmPercent: "0" },
    key: "sourceDropAlarmPercent",
    rule: /must be a whole number between 1 and 100, got 0/,
  },
  {
    name: "a source-drop alarm above 100%",
    raw: { ...GOOD, sourceDropAlarmPercent: "101" },
    key: "sourceDropAlarmPercent",
    rule: /must be a whole number between 1 and 100, got 101/,
  },
  {
    name: "a fractional source-drop percentage",
    raw: { ...GOOD, sourceDropAlarmPercent: "2.5" },
    key: "sourceDropAlarmPercent",
    rule: /must be a whole number, got "2\.5"/,
  },
  {
    name: "a prefix with surrounding spaces (a different S3 prefix; never trimmed)",
    raw: { ...GOOD, sourcePrefix: " logs/ " },
    key: "sourcePrefix",
    rule: /must end with "\/"/,
  },
];

describe("parseConfig", () => {
  describe("rejects bad input, naming the full key and the rule", () => {
    for (const c of BAD) {
      it(`rejects ${c.name}`, () => {
        const region = c.regionOverride === undefined ? REGION : c.regionOverride;
        const problems = problemsOf(c.raw, region, c.locationOverride);
        const full = `cross-cloud-backup:${c.key}: `;
        const mine = problems.filter((p) => p.startsWith(full));
        expect(mine, `problems: ${JSON.stringify(problems)}`).to.have.lengthOf.at.least(1);
        expect(
          mine.some((p) => c.rule.test(p)),
          `problems: ${JSON.stringify(problems)}`,
        ).to.be.true;
      });
    }

    it(`covers at least 60 bad inputs (${BAD.length})`, () => {
      expect(BAD.length).to.be.at.least(60);
      expect(new Set(BAD.map((c) => c.name)).size, "case names are unique").to.equal(BAD.length);
    });

    it("reports a garbled KMS ARN once, not also as a region mismatch", () => {
      const problems = problemsOf({ ...GOOD, sourceKmsKeyArn: "not-an-arn" });
      expect(problems).to.have.lengthOf(1);
      expect(problems[0]).to.match(/^cross-cloud-backup:sourceKmsKeyArn: is not a KMS key ARN/);
    });

    it("the ConfigError message lists every problem with its key", () => {
      try {
        parseConfig({ ...GOOD, syncMode: "sync", vpcCidr: "10.42.0.1/24" }, REGION);
        expect.fail("accepted");
      } catch (e) {
        expect((e as Error).message).to.match(/^Invalid stack configuration \(2 problems\)/);
        expect((e as Error).message).to.include("cross-cloud-backup:syncMode:");
        expect((e as Error).message).to.include("cross-cloud-backup:vpcCidr:");
      }
    });
  });

  it("reports several problems at once, each under its own key", () => {
    const problems = problemsOf({
      sourceBucket: "Bad_Bucket",
      syncMode: "sync",
      syncIntervalHours: "5",
      vpcCidr: "10.42.0.1/24",
      allowedIps: '["192.168.1.1"]',
      immutabilityLocked: "true",
      sourceBuckett: "x",
    });
    const keys = problems.map((p) => /^cross-cloud-backup:(\w+): /.exec(p)?.[1]);
    expect(keys).to.have.members([
      "sourceBuckett",
      "sourceBucket",
      "vpcCidr",
      "syncIntervalHours",
      "syncMode",
      "immutabilityLocked",
      "allowedIps",
    ]);
  });

  it("returns the defaults documented in Pulumi.yaml for a minimal config", () => {
    const declared = (
      parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { default?: unknown }>;
      }
    ).config;
    const cfg = parseConfig(GOOD, REGION) as unknown as Record<string, unknown>;
    const withDefaults = Object.entries(declared).filter(([, d]) => "default" in d);
    expect(withDefaults.length).to.equal(Object.keys(CONFIG_KEYS).length - 1);
    for (const [key, decl] of withDefaults) {
      if (key === "sourceRegion") {
        // Documented as "defaults to aws:region".
        expect(cfg[key], key).to.equal(REGION);
      } else if (key === "azureLocation") {
        // Documented as "empty uses azure-native:location, else westeurope".
        expect(cfg[key], key).to.equal("westeurope");
      } else if (decl.default === "") {
        // An empty default means "not set": optional strings come back unset (or empty).
        expect([undefined, ""], key).to.include(cfg[key]);
      } else {
        expect(cfg[key], key).to.deep.equal(decl.default);
      }
    }
  });

  it("accepts the edges: 399 allowedIps, a 1,024-byte prefix", () => {
    const ips = Array.from({ length: 399 }, (_, i) => `198.51.${i >> 8}.${i & 255}`);
    const prefix = `${"p".repeat(1023)}/`;
    const cfg = parseConfig(
      { sourceBucket: "example-app-data", allowedIps: JSON.stringify(ips), sourcePrefix: prefix },
      REGION,
    );
    expect(cfg.allowedIps).to.have.length(399);
    expect(cfg.sourcePrefix).to.equal(prefix);
  });

  it("accepts the other edges: /28 and /16 networks, every range's ends, regions by their real offer", () => {
    const ok = (raw: RawConfig, region = REGION) =>
      expect(() => parseConfig({ ...GOOD, ...raw }, region), JSON.stringify(raw)).to.not.throw();
    ok({ vpcCidr: "10.42.0.0/28", vnetCidr: "192.168.0.0/16" });
    ok({ vpcCidr: "172.31.255.240/28", vnetCidr: "10.0.0.0/16" });
    ok({ rootVolumeGb: "8", syncIntervalHours: "24", maxDeletes: "0", maxDeletePercent: "100" });
    ok({ rootVolumeGb: "16384", syncIntervalHours: "1", sasRotationDays: "180" });
    // SAS mode: two windows of 45 days are exactly the 90-day key period.
    ok({ credentialMode: "sas", sasRotationDays: "45" });
    // The widest firewall block the vault admits.
    ok({ allowedIps: '["198.51.100.0/24"]' });
    ok({ sourceDropAlarmPercent: "1" });
    ok({ sourceDropAlarmPercent: "100" });
    ok({ softDeleteRetentionDays: "365", pointInTimeRestoreDays: "364" });
    ok({ immutabilityDays: "146000", versionRetentionDays: "99999" });
    // A region without availability zones still offers LRS and GRS.
    ok({ azureLocation: "westcentralus", storageRedundancy: "Standard_GRS" });
    ok({ azureLocation: "westcentralus", storageRedundancy: "Standard_LRS" });
    ok({ azureLocation: "swedencentral", storageRedundancy: "Standard_RAGZRS" });
    // The second step of locking WORM names the existing account.
    ok({
      immutabilityDays: "30",
      versionRetentionDays: "30",
      immutabilityLocked: "true",
      immutabilityLockAccount: "vaultab12cd34",
    });
    ok({ sourceRegion: "us-east-1" }, "us-east-1");
    ok({ instanceType: "c7gn.16xlarge" });
    ok({ instanceType: "m7i-flex.large" });
  });

  it("reads Azure location names as Azure does (case and spaces ignored), and restricted regions with the flag", () => {
    expect(parseConfig({ ...GOOD, azureLocation: "West Europe" }, REGION).azureLocation).to.equal(
      "westeurope",
    );
    expect(
      parseConfig({ ...GOOD, azureLocation: "westus2" }, REGION, "WestUS2").azureLocation,
    ).to.equal("westus2");
    expect(parseConfig(GOOD, REGION, "North Europe").azureLocation).to.equal("northeurope");
    expect(
      parseConfig(
        { ...GOOD, azureLocation: "germanynorth", azureRestrictedRegionAccess: "true" },
        REGION,
      ).azureLocation,
    ).to.equal("germanynorth");
  });

  it("finds the AWS provider's region in the shared config file's profile, as the SDKs do", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ccb-awscfg-"));
    try {
      const file = path.join(dir, "config");
      writeFileSync(
        file,
        "[default]\nregion = eu-central-1\n\n[profile backup]\noutput = json\nregion=eu-north-1\n",
      );
      const env = { AWS_CONFIG_FILE: file };
      expect(awsProviderRegion(undefined, undefined, env)).to.deep.equal({
        region: "eu-central-1",
        origin: `profile "default" in ${file}`,
      });
      expect(awsProviderRegion(undefined, "backup", env)?.region).to.equal("eu-north-1");
      expect(
        awsProviderRegion(undefined, undefined, { ...env, AWS_PROFILE: "backup" })?.region,
      ).to.equal("eu-north-1");
      // aws:region and the environment come first; no file and no region: undefined.
      expect(awsProviderRegion("eu-west-1", "backup", env)?.origin).to.equal("aws:region");
      expect(
        awsProviderRegion(undefined, undefined, { ...env, AWS_REGION: "us-east-2" }),
      ).to.deep.equal({
        region: "us-east-2",
        origin: "AWS_REGION",
      });
      expect(awsProviderRegion(undefined, "nope", env)).to.equal(undefined);
      expect(
        awsProviderRegion(undefined, undefined, { AWS_CONFIG_FILE: path.join(dir, "x") }),
      ).to.equal(undefined);
      // The region's origin is named when sourceRegion disagrees with it.
      expect(() =>
        parseConfig(
          { ...GOOD, sourceRegion: "eu-west-2" },
          "eu-north-1",
          undefined,
          'profile "backup"',
        ),
      ).to.throw(/must equal the AWS provider's region \(eu-north-1, from profile "backup"\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the vault's region from azure-native:location when azureLocation is unset, and rejects a conflict", () => {
    expect(parseConfig(GOOD, REGION, "northeurope").azureLocation).to.equal("northeurope");
    expect(parseConfig(GOOD, REGION).azureLocation).to.equal("westeurope");
    expect(
      parseConfig({ ...GOOD, azureLocation: "swedencentral" }, REGION, "swedencentral")
        .azureLocation,
    ).to.equal("swedencentral");
    try {
      parseConfig({ ...GOOD, azureLocation: "swedencentral" }, REGION, "northeurope");
      expect.fail("accepted two different regions");
    } catch (e) {
      expect((e as ConfigError).problems.join("\n")).to.match(
        /azureLocation.*"swedencentral" differs from azure-native:location \("northeurope"\)/,
      );
    }
  });

  it("accepts a multi-Region KMS key (mrk-) in the bucket's region", () => {
    const arn = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    expect(parseConfig({ ...GOOD, sourceKmsKeyArn: arn }, REGION).sourceKmsKeyArn).to.equal(arn);
  });

  it("accepts a full, valid configuration", () => {
    const cfg = parseConfig(
      {
        ...GOOD,
        sourcePrefix: "exports/",
        sourceKmsKeyArn: KEY_ARN,
        permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/boundaries/ccb",
        syncIntervalHours: "6",
        syncMode: "mirror",
        allowedIps: '["203.0.113.0/28"]',
        cmkKeyUri: "https://backupvault.vault.azure.net/keys/vault-cmk",
        cmkIdentityId: IDENTITY_ID,
        softDeleteRetentionDays: "30",
        pointInTimeRestoreDays: "29",
      },
      REGION,
    );
    expect(cfg).to.include({
      syncIntervalHours: 6,
      syncMode: "mirror",
      pointInTimeRestoreDays: 29,
    });
    expect(cfg.allowedIps).to.deep.equal(["203.0.113.0/28"]);
  });

  describe("architecture follows the instance type", () => {
    const expected: Record<string, "arm64" | "x86_64"> = {
      "t4g.micro": "arm64",
      "m7g.large": "arm64",
      "c7gn.xlarge": "arm64",
      "g5g.xlarge": "arm64",
      "a1.medium": "arm64",
      "t3.micro": "x86_64",
      "m5.large": "x86_64",
      "g5.xlarge": "x86_64",
      "m7i-flex.large": "x86_64",
    };
    for (const [type, arch] of Object.entries(expected)) {
      it(`${type} is ${arch}`, () => {
        expect(parseConfig({ ...GOOD, instanceType: type }, REGION).architecture).to.equal(arch);
      });
    }
  });
});
