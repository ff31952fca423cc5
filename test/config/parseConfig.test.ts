// parseConfig is the only gate between stack config and resources: every bad value must be
// rejected up front with the full key and the rule it broke, and good input must come back with
// the defaults Pulumi.yaml documents.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import {
  architectureOf,
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
function problemsOf(raw: RawConfig, defaultRegion: string | undefined = REGION): string[] {
  try {
    parseConfig(raw, defaultRegion);
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
}

const BAD: BadCase[] = [
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
    rule: /must equal aws:region \(eu-west-1\)/,
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
    rule: /must be between 1 and 24, got 0/,
  },
  {
    name: "softDeleteRetentionDays above 365",
    raw: { ...GOOD, softDeleteRetentionDays: "366" },
    key: "softDeleteRetentionDays",
    rule: /must be between 1 and 365, got 366/,
  },
  {
    name: "sasRotationDays above 180",
    raw: { ...GOOD, sasRotationDays: "181" },
    key: "sasRotationDays",
    rule: /must be between 1 and 180, got 181/,
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
];

describe("parseConfig", () => {
  describe("rejects bad input, naming the full key and the rule", () => {
    for (const c of BAD) {
      it(`rejects ${c.name}`, () => {
        const problems = problemsOf(c.raw);
        const full = `cross-cloud-backup:${c.key}: `;
        const mine = problems.filter((p) => p.startsWith(full));
        expect(mine, `problems: ${JSON.stringify(problems)}`).to.have.lengthOf.at.least(1);
        expect(
          mine.some((p) => c.rule.test(p)),
          `problems: ${JSON.stringify(problems)}`,
        ).to.be.true;
      });
    }

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
        expect(architectureOf(type)).to.equal(arch);
        expect(parseConfig({ ...GOOD, instanceType: type }, REGION).architecture).to.equal(arch);
      });
    }
  });
});
