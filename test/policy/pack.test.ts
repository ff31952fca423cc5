// The whole pack over what the program creates (the program under mocks, per stack, with the
// stack's policy config file): both stacks pass, and breaking one invariant makes exactly the
// policy that guards it fire, blocking in prod and advisory in dev.
import { expect } from "chai";
import { stackBackupConfig } from "../../harness/stack";
import { blocks, evaluate, type LocalResource, type PolicyConfigFile } from "../../policy/local";
import { policies } from "../../policy/policies";
import {
  formatReport,
  policyReport,
  policyResources,
  stackPolicyConfig,
} from "../../scripts/policy-report";
import { runProgram } from "../support/program";

const STACKS = ["dev", "prod"] as const;

function violated(outcomes: Awaited<ReturnType<typeof evaluate>>): string[] {
  return outcomes.filter((o) => o.violations.length > 0).map((o) => o.policy);
}

function find(resources: LocalResource[], type: string, name?: string): LocalResource {
  const r = resources.find((x) => x.type === type && (name === undefined || x.name === name));
  if (!r) throw new Error(`no ${type} ${name ?? ""} recorded`);
  return r;
}

/** Adds a statement to the inline policy named `name` (a JSON string in the recorded inputs). */
function addStatement(resources: LocalResource[], name: string, statement: object): void {
  const r = find(resources, "aws:iam/rolePolicy:RolePolicy", name);
  const doc = JSON.parse(r.props.policy as string) as { Statement: object[] };
  doc.Statement.push(statement);
  r.props.policy = JSON.stringify(doc);
}

const SAS =
  "https://x.blob.core.windows.net/backup?sv=2022-11-02&sr=c&sp=racwl&sig=FAKEsig0000000000000000%3D";

/**
 * One broken invariant per policy, applied to a copy of the stack's recorded resources; a break
 * may also return policy config to merge per policy (a stack whose config says more).
 */
const BREAKS: Record<
  string,
  (rs: LocalResource[], bucket: string) => void | Record<string, Record<string, unknown>>
> = {
  "no-s3-bucket-changes": (rs) => {
    rs.push({
      type: "aws:s3/bucketNotification:BucketNotification",
      name: "source-events",
      urn: "urn:pulumi:test::cross-cloud-backup::aws:s3/bucketNotification:BucketNotification::source-events",
      props: { bucket: "example-app-data", eventbridge: true },
    });
  },
  "vault-transport": (rs) => {
    find(rs, "azure-native:storage:StorageAccount").props.minimumTlsVersion = "TLS1_0";
  },
  "vault-no-public-access": (rs) => {
    find(rs, "azure-native:storage:StorageAccount").props.allowBlobPublicAccess = true;
  },
  "vault-infrastructure-encryption": (rs) => {
    const a = find(rs, "azure-native:storage:StorageAccount");
    (a.props.encryption as Record<string, unknown>).requireInfrastructureEncryption = false;
  },
  "vault-shared-key-off": (rs) => {
    find(rs, "azure-native:storage:StorageAccount").props.allowSharedKeyAccess = true;
  },
  "vault-data-protection": (rs) => {
    find(rs, "azure-native:storage:BlobServiceProperties").props.isVersioningEnabled = false;
  },
  "vault-diagnostics": (rs) => {
    const d = find(rs, "azure-native:monitor:DiagnosticSetting");
    d.props.logs = (d.props.logs as { category: string }[]).filter(
      (l) => l.category !== "StorageDelete",
    );
  },
  "vault-no-firewall-bypass": (rs) => {
    const a = find(rs, "azure-native:storage:StorageAccount");
    (a.props.networkRuleSet as Record<string, unknown>).bypass = "AzureServices";
  },
  // The stack has deployed its vault (the policy config names it) but the WORM policy is not
  // Locked: dev has none at all, prod's is Unlocked.
  "vault-immutability-locked": (rs) => ({
    "vault-immutability-locked": {
      lockedAccount: find(rs, "azure-native:storage:StorageAccount").props.accountName,
    },
  }),
  "vault-activity-alerts": (rs) => {
    const keys = rs.findIndex(
      (r) => r.type === "azure-native:monitor:ActivityLogAlert" && r.name === "vault-alerts-keys",
    );
    expect(keys).to.be.at.least(0);
    rs.splice(keys, 1);
  },
  "iam-no-wildcards": (rs) =>
    addStatement(rs, "sync-host-host", {
      Sid: "Describe",
      Effect: "Allow",
      Action: "ec2:DescribeInstances",
      Resource: "*",
    }),
  "iam-s3-read-only": (rs, bucket) =>
    addStatement(rs, "source-read-read", {
      Sid: "Write",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
    }),
  "iam-source-bucket-only": (rs) =>
    addStatement(rs, "source-read-read", {
      Sid: "ReadOther",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::another-teams-bucket/*",
    }),
  "host-imdsv2": (rs) => {
    const i = find(rs, "aws:ec2/instance:Instance");
    (i.props.metadataOptions as Record<string, unknown>).httpPutResponseHopLimit = 2;
  },
  "host-encrypted-volumes": (rs) => {
    const i = find(rs, "aws:ec2/instance:Instance");
    (i.props.rootBlockDevice as Record<string, unknown>).encrypted = false;
  },
  "host-no-public-ip": (rs) => {
    find(rs, "aws:ec2/instance:Instance").props.associatePublicIpAddress = true;
  },
  "host-no-ingress": (rs) => {
    find(rs, "aws:ec2/securityGroup:SecurityGroup").props.ingress = [
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] },
    ];
  },
  "no-plaintext-credentials": (rs) => {
    const i = find(rs, "aws:ec2/instance:Instance");
    i.props.tags = { ...(i.props.tags as object), VaultUrl: SAS };
  },
  "no-credential-outputs": (rs) => {
    const s = find(rs, "pulumi:pulumi:Stack");
    s.props.vaultBlobEndpoint = `DefaultEndpointsProtocol=https;AccountName=v;AccountKey=FAKEaccountKEYforTESTS0000==`;
  },
  // The host stacks run no DataSync: each break adds a managed-engine resource set up unsafely.
  "managed-engine-copy-mode": (rs) => {
    rs.push({
      type: "aws:datasync/task:Task",
      name: "mirroring-task",
      urn: "urn:pulumi:test::cross-cloud-backup::aws:datasync/task:Task::mirroring-task",
      props: {
        taskMode: "ENHANCED",
        cloudwatchLogGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/x",
        options: {
          preserveDeletedFiles: "REMOVE",
          overwriteMode: "ALWAYS",
          verifyMode: "ONLY_FILES_TRANSFERRED",
          logLevel: "TRANSFER",
        },
        schedule: { scheduleExpression: "cron(0 0/4 * * ? *)", status: "ENABLED" },
      },
    });
  },
  "managed-engine-sas-in-secret-store": (rs) => {
    rs.push({
      type: "aws:cloudcontrol/resource:Resource",
      name: "inline-sas-location",
      urn: "urn:pulumi:test::cross-cloud-backup::aws:cloudcontrol/resource:Resource::inline-sas-location",
      props: {
        typeName: "AWS::DataSync::LocationAzureBlob",
        desiredState: JSON.stringify({
          AzureBlobContainerUrl: "https://x.blob.core.windows.net/backup",
          AzureBlobAuthenticationType: "SAS",
          AzureBlobSasConfiguration: { AzureBlobSasToken: "<the token>" },
        }),
      },
    });
  },
};

describe("policy pack over the program", () => {
  for (const stack of STACKS) {
    describe(`stack ${stack}`, () => {
      let resources: LocalResource[];
      let config: PolicyConfigFile;
      before(() => {
        resources = policyResources(runProgram(stack), stack);
        config = stackPolicyConfig(stack);
      });

      it("passes every policy, at the stack's enforcement level", async () => {
        const outcomes = await policyReport(stack);
        expect(outcomes.map((o) => o.policy)).to.deep.equal(policies.map((p) => p.name));
        expect(violated(outcomes)).to.deep.equal([]);
        const level = stack === "prod" ? "mandatory" : "advisory";
        expect(outcomes.every((o) => o.level === level)).to.equal(true);
        expect(formatReport(stack, outcomes)).to.match(/all policies pass$/);
      });

      it("has a break for every policy (the table below is complete)", () => {
        expect(Object.keys(BREAKS)).to.have.members(policies.map((p) => p.name));
      });

      for (const [policy, breakIt] of Object.entries(BREAKS)) {
        it(`reports exactly ${policy} when its invariant is broken`, async () => {
          const copy = structuredClone(resources);
          const extra = breakIt(copy, stackBackupConfig(stack).sourceBucket) ?? {};
          const merged: PolicyConfigFile = { ...config };
          for (const [name, props] of Object.entries(extra))
            merged[name] = { ...(config[name] as object), ...props };
          const outcomes = await evaluate(copy, merged);
          expect(violated(outcomes)).to.deep.equal([policy]);
          // Mandatory in prod (the update is refused), advisory in dev.
          expect(blocks(outcomes)).to.equal(stack === "prod");
        });
      }
    });
  }

  describe("the per-stack policy config agrees with the stack's config", () => {
    for (const stack of STACKS) {
      it(`policy/config.${stack}.json names ${stack}'s bucket, mode and secret outputs`, () => {
        const cfg = stackBackupConfig(stack);
        const file = stackPolicyConfig(stack) as Record<string, Record<string, unknown>>;
        expect(file.all).to.equal(stack === "prod" ? "mandatory" : "advisory");
        expect(file["iam-source-bucket-only"].sourceBucket).to.equal(cfg.sourceBucket);
        expect(file["vault-shared-key-off"].credentialMode).to.equal(cfg.credentialMode);
        // WORM is required where the stack has it (prod), and the account the policy holds to
        // Locked is the one the stack config locks.
        const worm = file["vault-immutability-locked"];
        expect(worm.requireWorm).to.equal(cfg.immutabilityDays > 0);
        expect(worm.lockedAccount).to.equal(
          cfg.immutabilityLocked ? cfg.immutabilityLockAccount : "",
        );
        expect(file["no-plaintext-credentials"].credentialInUserData).to.equal(
          cfg.credentialMode === "sas" && cfg.credentialDelivery === "userData",
        );
        // Exactly the outputs the program exports as secrets may hold a credential.
        const secretOutputs = Object.entries(runProgram(stack).outputs)
          .filter(([, o]) => o.secret)
          .map(([k]) => k);
        expect(file["no-credential-outputs"].secretOutputs).to.have.members(secretOutputs);
      });
    }
  });

  describe("SAS mode, with the policy config such a stack declares", () => {
    const sasConfig = (inUserData: boolean): PolicyConfigFile => ({
      ...stackPolicyConfig("dev"),
      "vault-shared-key-off": { credentialMode: "sas" },
      "no-plaintext-credentials": { credentialInUserData: inUserData },
    });

    it("passes with the SAS in an SSM SecureString and in the secret outputs", async () => {
      const outcomes = await policyReport("dev", { credentialMode: "sas" }, sasConfig(false));
      expect(violated(outcomes)).to.deep.equal([]);
    });

    it("with userData delivery, passes only when the config admits the SAS in user-data", async () => {
      const overrides = { credentialMode: "sas", credentialDelivery: "userData" };
      expect(violated(await policyReport("dev", overrides, sasConfig(true)))).to.deep.equal([]);
      expect(violated(await policyReport("dev", overrides, sasConfig(false)))).to.deep.equal([
        "no-plaintext-credentials",
      ]);
    });

    it("fires vault-shared-key-off when a SAS stack keeps the federated policy config", async () => {
      const outcomes = await policyReport("dev", { credentialMode: "sas" });
      expect(violated(outcomes)).to.deep.equal(["vault-shared-key-off"]);
    });
  });
});
