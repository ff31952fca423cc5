// Each policy of the pack on its own, called directly (validateResource / validateStack) with the
// arguments the analyzer would build: one case where it passes and at least one where it fires.
// No Pulumi CLI and no PolicyPack (constructing one starts a gRPC server).
import { expect } from "chai";
import { gzipSync } from "node:zlib";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { resourceArgs, stackArgs, type LocalResource } from "../../policy/local";
import * as compute from "../../policy/compute";
import * as iam from "../../policy/iam";
import * as managedEngine from "../../policy/managedEngine";
import * as secrets from "../../policy/secrets";
import * as storage from "../../policy/storage";
import { VAULT_ALERT_OPERATIONS } from "../../domain/vaultAlerts";

function res(type: string, props: Record<string, unknown>, name = "r"): LocalResource {
  return { type, name, urn: `urn:pulumi:test::cross-cloud-backup::${type}::${name}`, props };
}

async function check(
  policy: ResourceValidationPolicy,
  r: LocalResource,
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const out: string[] = [];
  const validations = [policy.validateResource!].flat();
  for (const v of validations) await v(resourceArgs(r, config), (m) => out.push(m));
  return out;
}

async function checkStack(
  policy: StackValidationPolicy,
  resources: LocalResource[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const out: string[] = [];
  await policy.validateStack(stackArgs(resources, config), (m) => out.push(m));
  return out;
}

const INSTANCE = "aws:ec2/instance:Instance";
const goodInstance = {
  associatePublicIpAddress: false,
  metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
  rootBlockDevice: { encrypted: true, volumeType: "gp3" },
};
const ACCOUNT = "azure-native:storage:StorageAccount";
const goodAccount = {
  accountName: "vaultabc12345",
  minimumTlsVersion: "TLS1_2",
  enableHttpsTrafficOnly: true,
  allowBlobPublicAccess: false,
  allowSharedKeyAccess: false,
  networkRuleSet: { defaultAction: "Deny", ipRules: [{ iPAddressOrRange: "203.0.113.10" }] },
  encryption: { requireInfrastructureEncryption: true },
};
const bucket = "example-app-data-dev";
function rolePolicy(...statements: object[]): LocalResource {
  return res("aws:iam/rolePolicy:RolePolicy", {
    role: "sync-identity-role",
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  });
}
const readSource = [
  { Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` },
  { Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` },
  {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Action: ["s3:*", "kms:*"],
    Resource: "*",
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  },
];

describe("policy pack: the policies", () => {
  it("has unique names, one file per area, and every policy is in the pack", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).to.equal(names.length);
    const areas = [
      ...storage.storagePolicies,
      ...iam.iamPolicies,
      ...compute.computePolicies,
      ...secrets.secretPolicies,
      ...managedEngine.managedEnginePolicies,
    ].map((p) => p.name);
    expect(names).to.have.members(areas);
  });

  describe("compute", () => {
    it("host-imdsv2 passes IMDSv2 with hop limit 1 and fires on hop limit 2 or optional tokens", async () => {
      expect(await check(compute.imdsv2, res(INSTANCE, goodInstance))).to.deep.equal([]);
      const hop2 = { ...goodInstance.metadataOptions, httpPutResponseHopLimit: 2 };
      expect(await check(compute.imdsv2, res(INSTANCE, { metadataOptions: hop2 })))
        .to.have.length(1)
        .and.match(/hop.*must be 1, got 2/i);
      const v1 = { ...goodInstance.metadataOptions, httpTokens: "optional" };
      expect(await check(compute.imdsv2, res(INSTANCE, { metadataOptions: v1 }))).to.match(
        /httpTokens must be "required"/,
      );
      expect(await check(compute.imdsv2, res(INSTANCE, {}))).to.have.length(2);
    });

    it("host-encrypted-volumes passes an encrypted root volume and fires on an unencrypted one", async () => {
      expect(await check(compute.encryptedVolumes, res(INSTANCE, goodInstance))).to.deep.equal([]);
      const plain = { ...goodInstance, rootBlockDevice: { encrypted: false } };
      expect(await check(compute.encryptedVolumes, res(INSTANCE, plain))).to.deep.equal([
        "rootBlockDevice.encrypted must be true",
      ]);
      expect(
        await check(compute.encryptedVolumes, res("aws:ebs/volume:Volume", { size: 8 })),
      ).to.deep.equal(["encrypted must be true"]);
    });

    it("host-no-public-ip allows the Elastic IP but fires on an automatic public IP", async () => {
      expect(await check(compute.noPublicIp, res(INSTANCE, goodInstance))).to.deep.equal([]);
      expect(
        await check(compute.noPublicIp, res("aws:ec2/eip:Eip", { domain: "vpc" })),
      ).to.deep.equal([]);
      expect(
        await check(compute.noPublicIp, res(INSTANCE, { associatePublicIpAddress: true })),
      ).to.match(/associatePublicIpAddress must not be true/);
      expect(
        await check(
          compute.noPublicIp,
          res("aws:ec2/subnet:Subnet", { mapPublicIpOnLaunch: true }),
        ),
      ).to.deep.equal(["mapPublicIpOnLaunch must not be true"]);
    });

    it("host-no-ingress passes egress-only groups and fires on any ingress rule", async () => {
      const sg = "aws:ec2/securityGroup:SecurityGroup";
      const egress = [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }];
      expect(await check(compute.noIngress, res(sg, { ingress: [], egress }))).to.deep.equal([]);
      const ssh = [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }];
      expect(await check(compute.noIngress, res(sg, { ingress: ssh, egress }))).to.match(
        /1 ingress rule/,
      );
      expect(
        await check(
          compute.noIngress,
          res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { fromPort: 22 }),
        ),
      ).to.deep.equal(["is an ingress rule"]);
      expect(
        await check(
          compute.noIngress,
          res("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "egress" }),
        ),
      ).to.deep.equal([]);
    });
  });

  describe("iam", () => {
    const sessionManager = {
      Sid: "SessionManager",
      Effect: "Allow",
      Action: [...iam.SESSION_MANAGER_ACTIONS],
      Resource: "*",
    };
    const metrics = {
      Sid: "Metrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "CrossCloudBackup/prod" } },
    };

    it("iam-no-wildcards allows Session Manager and a condition-scoped metric call on Resource *", async () => {
      expect(
        await check(iam.noWildcards, rolePolicy(sessionManager, metrics, ...readSource)),
      ).to.deep.equal([]);
    });

    it("iam-no-wildcards fires on a wildcard action, an unscoped Resource * and a managed policy", async () => {
      expect(
        await check(
          iam.noWildcards,
          rolePolicy({
            Effect: "Allow",
            Action: "ssm:Get*",
            Resource: "arn:aws:ssm:eu-west-1:1:parameter/x",
          }),
        ),
      ).to.deep.equal(['statement (no Sid): wildcard action "ssm:Get*"']);
      expect(
        await check(
          iam.noWildcards,
          rolePolicy({ Sid: "D", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" }),
        ),
      ).to.deep.equal(['statement D: ec2:DescribeInstances on Resource "*"; name the resources']);
      const unscoped = { ...metrics, Condition: undefined };
      expect(await check(iam.noWildcards, rolePolicy(unscoped))).to.match(
        /needs a condition pinning cloudwatch:namespace/,
      );
      const otherNamespace = {
        ...metrics,
        Condition: { StringEquals: { "cloudwatch:namespace": "AWS/EC2" } },
      };
      expect(await check(iam.noWildcards, rolePolicy(otherNamespace))).to.have.length(1);
      // The namespace every stack used to share: one stack's host could publish another's health.
      const sharedNamespace = {
        ...metrics,
        Condition: { StringEquals: { "cloudwatch:namespace": "CrossCloudBackup" } },
      };
      expect(await check(iam.noWildcards, rolePolicy(sharedNamespace))).to.match(
        /needs a condition pinning cloudwatch:namespace to "CrossCloudBackup\/<stack>"/,
      );
      const patternNamespace = {
        ...metrics,
        Condition: { StringLike: { "cloudwatch:namespace": "CrossCloudBackup/*" } },
      };
      expect(await check(iam.noWildcards, rolePolicy(patternNamespace))).to.have.length(1);
      expect(
        await check(
          iam.noWildcards,
          res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
            policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
          }),
        ),
      ).to.match(/AmazonSSMManagedInstanceCore/);
    });

    it("iam-s3-read-only passes list and read and fires on a write, a delete or s3:*", async () => {
      expect(await check(iam.s3ReadOnly, rolePolicy(...readSource))).to.deep.equal([]);
      const put = {
        Sid: "W",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${bucket}/*`,
      };
      expect(await check(iam.s3ReadOnly, rolePolicy(...readSource, put))).to.deep.equal([
        'statement W: "s3:PutObject" allows S3 writes or deletes (s3:PutObject)',
      ]);
      const all = { Sid: "A", Effect: "Allow", Action: "s3:*", Resource: `arn:aws:s3:::${bucket}` };
      expect(await check(iam.s3ReadOnly, rolePolicy(all))).to.match(/s3:DeleteObject/);
      const tagging = {
        Sid: "T",
        Effect: "Allow",
        Action: "s3:PutBucketTagging",
        Resource: `arn:aws:s3:::${bucket}`,
      };
      expect(await check(iam.s3ReadOnly, rolePolicy(tagging))).to.have.length(1);
      const endpoint = res("aws:ec2/vpcEndpoint:VpcEndpoint", {
        policy: JSON.stringify({ Statement: [{ ...put, Principal: "*" }] }),
      });
      expect(await check(iam.s3ReadOnly, endpoint)).to.have.length(1);
    });

    it("iam-source-bucket-only passes the configured bucket and fires on another or on Resource *", async () => {
      const cfg = { sourceBucket: bucket };
      expect(await check(iam.sourceBucketOnly, rolePolicy(...readSource), cfg)).to.deep.equal([]);
      const other = {
        Sid: "O",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::someone-elses/*",
      };
      expect(await check(iam.sourceBucketOnly, rolePolicy(other), cfg)).to.deep.equal([
        `statement O: arn:aws:s3:::someone-elses/* is not the source bucket "${bucket}"`,
      ]);
      const anywhere = { Sid: "S", Effect: "Allow", Action: "s3:GetObject", Resource: "*" };
      expect(await check(iam.sourceBucketOnly, rolePolicy(anywhere), cfg)).to.match(
        /reaches every bucket/,
      );
      // Without a configured bucket nothing can be compared: that is reported, not passed.
      expect(await check(iam.sourceBucketOnly, rolePolicy(...readSource))).to.have.length(2);
    });
  });

  describe("storage", () => {
    it("no-s3-bucket-changes fires on every S3 bucket resource and passes anything else", async () => {
      for (const type of [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "aws:s3control/accessPointPolicy:AccessPointPolicy",
      ])
        expect(await check(storage.noS3Changes, res(type, {})), type).to.have.length(1);
      expect(
        await check(storage.noS3Changes, res("aws:ec2/vpcEndpoint:VpcEndpoint", {})),
      ).to.deep.equal([]);
    });

    it("vault-transport passes TLS 1.2 + HTTPS only and fires on TLS 1.0 or HTTP", async () => {
      expect(await check(storage.accountTransport, res(ACCOUNT, goodAccount))).to.deep.equal([]);
      expect(
        await check(
          storage.accountTransport,
          res(ACCOUNT, { ...goodAccount, minimumTlsVersion: "TLS1_0" }),
        ),
      ).to.deep.equal(['minimumTlsVersion must be TLS1_2 or newer, got "TLS1_0"']);
      expect(
        await check(
          storage.accountTransport,
          res(ACCOUNT, { ...goodAccount, enableHttpsTrafficOnly: false }),
        ),
      ).to.deep.equal(["enableHttpsTrafficOnly must be true"]);
    });

    it("vault-no-public-access passes a private account and fires on public blobs, an open firewall or a public container", async () => {
      expect(await check(storage.noPublicAccess, res(ACCOUNT, goodAccount))).to.deep.equal([]);
      expect(
        await check(
          storage.noPublicAccess,
          res(ACCOUNT, { ...goodAccount, allowBlobPublicAccess: true }),
        ),
      ).to.deep.equal(["allowBlobPublicAccess must be false"]);
      expect(
        await check(
          storage.noPublicAccess,
          res(ACCOUNT, { ...goodAccount, networkRuleSet: { defaultAction: "Allow" } }),
        ),
      ).to.match(/defaultAction must be "Deny"/);
      const container = "azure-native:storage:BlobContainer";
      expect(
        await check(storage.noPublicAccess, res(container, { publicAccess: "None" })),
      ).to.deep.equal([]);
      expect(
        await check(storage.noPublicAccess, res(container, { publicAccess: "Blob" })),
      ).to.have.length(1);
    });

    it("vault-infrastructure-encryption passes double encryption and fires without it", async () => {
      expect(
        await check(storage.infrastructureEncryption, res(ACCOUNT, goodAccount)),
      ).to.deep.equal([]);
      expect(
        await check(
          storage.infrastructureEncryption,
          res(ACCOUNT, { ...goodAccount, encryption: {} }),
        ),
      ).to.have.length(1);
    });

    it("vault-shared-key-off fires on Shared Key in federated mode only", async () => {
      const withKey = res(ACCOUNT, { ...goodAccount, allowSharedKeyAccess: true });
      expect(await check(storage.sharedKeyOff, res(ACCOUNT, goodAccount))).to.deep.equal([]);
      expect(
        await check(storage.sharedKeyOff, withKey, { credentialMode: "federated" }),
      ).to.have.length(1);
      // The schema's default is federated: a stack that says nothing gets the strict rule.
      expect(await check(storage.sharedKeyOff, withKey)).to.have.length(1);
      expect(await check(storage.sharedKeyOff, withKey, { credentialMode: "sas" })).to.deep.equal(
        [],
      );
    });

    const account = res(ACCOUNT, goodAccount, "vault-account");
    const service = {
      resourceGroupName: "vault-rg",
      accountName: goodAccount.accountName,
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 7, allowPermanentDelete: false },
      containerDeleteRetentionPolicy: { enabled: true, days: 7 },
    };
    const BLOB_SERVICE = "azure-native:storage:BlobServiceProperties";

    it("vault-data-protection passes versioning + soft deletes and fires when any is off or missing", async () => {
      expect(
        await checkStack(storage.blobDataProtection, [account, res(BLOB_SERVICE, service)]),
      ).to.deep.equal([]);
      expect(await checkStack(storage.blobDataProtection, [account])).to.match(
        /no BlobServiceProperties/,
      );
      expect(
        await checkStack(storage.blobDataProtection, [
          account,
          res(BLOB_SERVICE, { ...service, isVersioningEnabled: false }),
        ]),
      ).to.deep.equal(["blob versioning must be enabled (isVersioningEnabled)"]);
      expect(
        await checkStack(storage.blobDataProtection, [
          account,
          res(BLOB_SERVICE, { ...service, containerDeleteRetentionPolicy: { enabled: false } }),
        ]),
      ).to.deep.equal(["containerDeleteRetentionPolicy must be enabled"]);
      expect(
        await checkStack(storage.blobDataProtection, [
          account,
          res(BLOB_SERVICE, {
            ...service,
            deleteRetentionPolicy: { enabled: true, days: 7, allowPermanentDelete: true },
          }),
        ]),
      ).to.match(/allowPermanentDelete/);
      // Settings for another account do not protect this one.
      expect(
        await checkStack(storage.blobDataProtection, [
          account,
          res(BLOB_SERVICE, { ...service, accountName: "other" }),
        ]),
      ).to.have.length(1);
    });

    const DIAG = "azure-native:monitor:DiagnosticSetting";
    const diag = (logs: object[], extra: Record<string, unknown> = {}) =>
      res(DIAG, {
        resourceUri: `/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/${goodAccount.accountName}/blobServices/default`,
        workspaceId:
          "/subscriptions/s/resourceGroups/g/providers/Microsoft.OperationalInsights/workspaces/w",
        logs,
        ...extra,
      });
    const all = ["StorageRead", "StorageWrite", "StorageDelete"].map((category) => ({
      category,
      enabled: true,
    }));

    it("vault-diagnostics passes a blob audit setting and fires when a category, the destination or the setting is missing", async () => {
      expect(await checkStack(storage.vaultDiagnostics, [account, diag(all)])).to.deep.equal([]);
      expect(
        await checkStack(storage.vaultDiagnostics, [
          account,
          diag([{ categoryGroup: "allLogs", enabled: true }]),
        ]),
      ).to.deep.equal([]);
      expect(await checkStack(storage.vaultDiagnostics, [account])).to.match(
        /StorageRead, StorageWrite, StorageDelete/,
      );
      expect(await checkStack(storage.vaultDiagnostics, [account, diag(all.slice(0, 2))])).to.match(
        /sends StorageDelete to/,
      );
      expect(
        await checkStack(storage.vaultDiagnostics, [
          account,
          diag(all, { workspaceId: undefined }),
        ]),
      ).to.have.length(1);
      // Through the engine's property dependencies, whatever the URI looks like.
      const linked = {
        ...diag(all, { resourceUri: "unrelated/blobServices/default" }),
        propertyDependencies: { resourceUri: [account.urn] },
      };
      expect(await checkStack(storage.vaultDiagnostics, [account, linked])).to.deep.equal([]);
    });

    it("vault-no-firewall-bypass passes None and fires on AzureServices, in a list, or unset (Azure's default)", async () => {
      const withBypass = (bypass?: string) =>
        res(ACCOUNT, {
          ...goodAccount,
          networkRuleSet: { ...goodAccount.networkRuleSet, bypass },
        });
      expect(await check(storage.noTrustedServicesBypass, withBypass("None"))).to.deep.equal([]);
      expect(
        await check(storage.noTrustedServicesBypass, withBypass("Logging, Metrics")),
      ).to.deep.equal([]);
      for (const bypass of ["AzureServices", "Logging, AzureServices", undefined])
        expect(await check(storage.noTrustedServicesBypass, withBypass(bypass)))
          .to.have.length(1)
          .and.match(/bypass must not include AzureServices/);
    });

    describe("vault-immutability-locked", () => {
      const PROD = { requireWorm: true, lockedAccount: "" };
      const worm = (state: string | undefined) =>
        res(ACCOUNT, {
          ...goodAccount,
          ...(state === undefined
            ? {}
            : {
                immutableStorageWithVersioning: {
                  enabled: true,
                  immutabilityPolicy: { immutabilityPeriodSinceCreationInDays: 90, state },
                },
              }),
        });
      const lockedAccount = goodAccount.accountName;

      it("prod before the first deployment: Unlocked passes (Azure creates policies only Unlocked), no WORM fires", async () => {
        expect(await check(storage.vaultImmutability, worm("Unlocked"), PROD)).to.deep.equal([]);
        expect(await check(storage.vaultImmutability, worm(undefined), PROD))
          .to.have.length(1)
          .and.match(/WORM \(immutableStorageWithVersioning\) must be enabled/);
      });

      it("prod once its vault is deployed: Unlocked fires, Locked passes", async () => {
        const bootstrapped = { ...PROD, lockedAccount };
        expect(await check(storage.vaultImmutability, worm("Unlocked"), bootstrapped))
          .to.have.length(1)
          .and.match(/WORM policy of vaultabc12345 must be Locked, got Unlocked/);
        expect(await check(storage.vaultImmutability, worm("Locked"), bootstrapped)).to.deep.equal(
          [],
        );
        // Another stack's account is not the one this config names.
        const other = { ...PROD, lockedAccount: "vaultzz99yy88" };
        expect(await check(storage.vaultImmutability, worm("Unlocked"), other)).to.deep.equal([]);
      });

      it("dev (no requirement, no locked account): passes without WORM and unlocked", async () => {
        const DEV = { requireWorm: false, lockedAccount: "" };
        expect(await check(storage.vaultImmutability, worm(undefined), DEV)).to.deep.equal([]);
        expect(await check(storage.vaultImmutability, worm("Unlocked"), DEV)).to.deep.equal([]);
        // The schema defaults are dev's.
        expect(await check(storage.vaultImmutability, worm(undefined))).to.deep.equal([]);
      });
    });

    it("vault-activity-alerts fires until every alerted operation is covered by an enabled, routed Administrative alert", async () => {
      const account = res(ACCOUNT, goodAccount, "vault-account");
      const alert = (name: string, ops: string[], extra: Record<string, unknown> = {}) =>
        res(
          "azure-native:monitor:ActivityLogAlert",
          {
            enabled: true,
            condition: {
              allOf: [
                { field: "category", equals: "Administrative" },
                { anyOf: ops.map((equals) => ({ field: "operationName", equals })) },
              ],
            },
            actions: { actionGroups: [{ actionGroupId: "/subscriptions/s/ag" }] },
            ...extra,
          },
          name,
        );
      const ops = Object.entries(VAULT_ALERT_OPERATIONS);
      const all = ops.map(([k, v]) => alert(k, [...v]));
      expect(await checkStack(storage.vaultActivityAlerts, [account, ...all])).to.deep.equal([]);
      // No vault, nothing to alert on.
      expect(await checkStack(storage.vaultActivityAlerts, [])).to.deep.equal([]);
      const withoutKeys = all.filter((a) => a.name !== "keys");
      expect(await checkStack(storage.vaultActivityAlerts, [account, ...withoutKeys]))
        .to.have.length(1)
        .and.match(/covers Microsoft\.Storage\/storageAccounts\/listKeys\/action, .*regenerateKey/);
      // Disabled, unrouted or not Administrative: not coverage.
      for (const extra of [
        { enabled: false },
        { actions: { actionGroups: [] } },
        { condition: { allOf: [{ anyOf: [{ field: "operationName", equals: "x" }] }] } },
      ]) {
        const broken = [...withoutKeys, alert("keys", [...VAULT_ALERT_OPERATIONS.keys], extra)];
        expect(await checkStack(storage.vaultActivityAlerts, [account, ...broken])).to.have.length(
          1,
        );
      }
    });
  });

  describe("secrets", () => {
    const sas =
      "https://vault.blob.core.windows.net/backup?sv=2022-11-02&sr=c&sp=racwl&sig=FAKEsignatureFORtests0000%3D";
    const userData = (text: string) => gzipSync(Buffer.from(text)).toString("base64");

    it("no-plaintext-credentials passes ordinary props and fires on a SAS, key, JWT or private key", async () => {
      const clean = res(INSTANCE, {
        ...goodInstance,
        userDataBase64: userData("#cloud-config\nruncmd: [true]\n"),
        tags: { Name: "sync-host" },
      });
      expect(await check(secrets.noPlaintextCredentials, clean)).to.deep.equal([]);
      const cases: [string, string][] = [
        [sas, "SAS signature"],
        [
          "DefaultEndpointsProtocol=https;AccountName=v;AccountKey=FAKEaccountKEYforTESTS0000==",
          "AccountKey",
        ],
        [
          "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcm46YXdzOmlhbTo6MTIzIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
          "JWT",
        ],
        ["-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "private key"],
        ["AKIAFAKEFAKEFAKEFAKE", "AWS access key id"],
      ];
      for (const [value, kind] of cases) {
        const out = await check(
          secrets.noPlaintextCredentials,
          res(INSTANCE, { tags: { Note: value } }),
        );
        expect(out, kind).to.have.length(1);
        expect(out[0], kind).to.include(kind).and.include("tags.Note");
      }
    });

    it("no-plaintext-credentials reads gzipped user-data and allows it only when the stack delivers the SAS that way", async () => {
      const r = res(INSTANCE, { ...goodInstance, userDataBase64: userData(`sas_url = ${sas}\n`) });
      expect(await check(secrets.noPlaintextCredentials, r)).to.deep.equal([
        "userDataBase64 holds a SAS signature (sig=) in plain text",
      ]);
      expect(
        await check(secrets.noPlaintextCredentials, r, { credentialInUserData: true }),
      ).to.deep.equal([]);
    });

    it("no-plaintext-credentials allows an SSM SecureString's value, not a plain String's", async () => {
      const param = (type: string) =>
        res("aws:ssm/parameter:Parameter", { name: "/ccb/dev/sas", type, value: sas });
      expect(await check(secrets.noPlaintextCredentials, param("SecureString"))).to.deep.equal([]);
      expect(await check(secrets.noPlaintextCredentials, param("String"))).to.deep.equal([
        "value holds a SAS signature (sig=) in plain text",
      ]);
    });

    it("no-credential-outputs allows credentials in the configured secret outputs only", async () => {
      const stack = res("pulumi:pulumi:Stack", {
        vaultSasUrl: sas,
        syncSchedule: "every 4 hours (UTC)",
      });
      expect(
        await checkStack(secrets.noCredentialOutputs, [stack], { secretOutputs: ["vaultSasUrl"] }),
      ).to.deep.equal([]);
      expect(await checkStack(secrets.noCredentialOutputs, [stack])).to.deep.equal([
        "output vaultSasUrl holds a SAS signature (sig=)",
      ]);
      const leaky = res("pulumi:pulumi:Stack", { debug: { nested: [sas] } });
      expect(
        await checkStack(secrets.noCredentialOutputs, [leaky], { secretOutputs: ["vaultSasUrl"] }),
      ).to.have.length(1);
    });
  });
});
