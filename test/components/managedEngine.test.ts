// engine "datasync": the program under mocks with the dev and prod stack files switched to the
// managed engine. What is asserted is what the program hands the providers: the DataSync locations
// and task (copy mode: never delete, verify, log), the schedule, the SAS kept secret in Secrets
// Manager, the roles proven least-privilege with an IAM evaluator, the alarms, the vault's
// firewall, no sync host at all, and config errors at preview before any resource exists.
import { expect } from "chai";
import type { Simulation } from "@cloud-copilot/iam-simulate";
import { managedEngineProblems, sasTokenOf } from "../../components/managedEngine";
import { datasyncSecretPolicy } from "../../components/managedEnginePolicy";
import type { PolicyDocument } from "../../components/s3ReadOnlyPolicy";
import {
  DATASYNC_SCHEDULE_MAX_LENGTH,
  DATASYNC_SCHEDULE_PATTERN,
  DATASYNC_TASK_OPTIONS,
  datasyncSchedule,
} from "../../domain/managedEngine";
import { SECRET_OUTPUTS } from "../../domain/outputs";
import { FAKE_ACCOUNT, FAKE_SAS_SIG } from "../../harness/mocks";
import { simulate, type Decision } from "../support/iamSimulate";
import {
  isSecretInput,
  ofType,
  one,
  plain,
  runProgram,
  type ProgramResult,
} from "../support/program";

const T = {
  task: "aws:datasync/task:Task",
  s3Location: "aws:datasync/s3Location:S3Location",
  cloudControl: "aws:cloudcontrol/resource:Resource",
  azureLocation: "aws:datasync/locationAzureBlob:LocationAzureBlob",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  logPolicy: "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  key: "aws:kms/key:Key",
  account: "azure-native:storage:StorageAccount",
};
const SAS_INVOKE = "azure-native:storage:listStorageAccountServiceSAS";
/** What a stack needs to run the managed engine (each one a documented rule). */
const DATASYNC = {
  engine: "datasync",
  credentialMode: "sas",
  openVaultFirewall: "true",
  integrityCheck: "off",
  restoreDrill: "off",
};
const OWNER = "210987654321";
const PREFIX = "exports/";
type Json = Record<string, any>;

const named = (r: ProgramResult, type: string, name: string) => {
  const found = ofType(r, type).find((x) => x.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
/** The mocks' ARN for a resource (harness/mocks.ts). */
const mockArn = (type: string, name: string) =>
  `arn:aws:mock:${type.split(":")[1]}::${FAKE_ACCOUNT}:${name}`;
const json = (v: unknown): Json => JSON.parse(plain<string>(v)) as Json;

describe("managed engine: DataSync into the vault (mocks)", function () {
  let dev: ProgramResult;
  let prod: ProgramResult;
  let preview: ProgramResult;
  let host: ProgramResult;

  before(function () {
    this.timeout(300_000);
    dev = runProgram("dev", DATASYNC);
    prod = runProgram("prod", {
      ...DATASYNC,
      sourcePrefix: PREFIX,
      sourceBucketOwner: OWNER,
      syncIntervalHours: "24",
    });
    preview = runProgram("dev", DATASYNC, { preview: true });
    host = runProgram("dev");
    for (const [label, r] of Object.entries({ dev, prod, preview, host }))
      expect(r.error, `${label} run error`).to.equal(undefined);
  });

  it("creates no sync host, host network, host identity or host alarms", function () {
    for (const r of [dev, prod]) {
      const types = new Set(r.resources.map((x) => x.type));
      for (const absent of [
        "aws:ec2/instance:Instance",
        "aws:ec2/eip:Eip",
        "aws:ec2/vpc:Vpc",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:ssm/parameter:Parameter",
        "cross-cloud-backup:aws:SyncHost",
        "cross-cloud-backup:aws:SyncNetwork",
        "cross-cloud-backup:aws:HostIdentity",
        "cross-cloud-backup:aws:BackupAlarms",
        "cross-cloud-backup:azure:VaultAccess",
      ])
        expect(types.has(absent), absent).to.equal(false);
      expect(ofType(r, T.task)).to.have.length(1);
      expect(r.outputs.syncHostInstanceId.value).to.equal("");
      expect(r.outputs.syncEgressIp.value).to.equal("");
    }
    // And the host engine creates no managed one.
    for (const type of [T.task, T.s3Location, T.cloudControl, T.secret])
      expect(ofType(host, type), type).to.deep.equal([]);
    expect(ofType(host, "aws:ec2/instance:Instance")).to.have.length(1);
  });

  it("runs an Enhanced-mode task in copy mode: never deletes, overwrites changes, verifies, logs every object", function () {
    const task = one(dev, T.task).inputs as Json;
    expect(task.taskMode).to.equal("ENHANCED");
    expect(task.options).to.deep.equal({ ...DATASYNC_TASK_OPTIONS });
    expect(task.options.preserveDeletedFiles).to.equal("PRESERVE");
    expect(task.options.overwriteMode).to.equal("ALWAYS");
    expect(task.options.verifyMode).to.equal("ONLY_FILES_TRANSFERRED");
    expect(task.options.transferMode).to.equal("CHANGED");
    expect(task.options.logLevel).to.equal("TRANSFER");
    expect(task.name).to.equal("cross-cloud-backup-dev");
    // Logs go to the stack's own group, which DataSync may write (and only its tasks).
    const logGroup = one(dev, T.logGroup).inputs as Json;
    expect(logGroup.name).to.equal("/cross-cloud-backup/dev/datasync");
    expect(logGroup.retentionInDays).to.equal(90);
    expect(task.cloudwatchLogGroupArn).to.equal(
      `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT}:log-group:/cross-cloud-backup/dev/datasync`,
    );
    const logPolicy = json(one(dev, T.logPolicy).inputs.policyDocument);
    const st = logPolicy.Statement[0];
    expect(st.Principal).to.deep.equal({ Service: "datasync.amazonaws.com" });
    expect(st.Resource).to.equal(`${task.cloudwatchLogGroupArn}:*`);
    expect(st.Condition.ArnLike["aws:SourceArn"]).to.equal(
      `arn:aws:datasync:eu-west-1:${FAKE_ACCOUNT}:task/*`,
    );
    // A task report needs an S3 bucket, and the program creates none (decision 1).
    expect(task.taskReportConfig).to.equal(undefined);
  });

  it("schedules the task every syncIntervalHours, on the hour from midnight UTC, as the host's timer", function () {
    expect((one(dev, T.task).inputs as Json).schedule).to.deep.equal({
      scheduleExpression: "cron(0 0/4 * * ? *)",
      status: "ENABLED",
    });
    expect((one(prod, T.task).inputs as Json).schedule.scheduleExpression).to.equal(
      "cron(0 0 * * ? *)",
    );
    for (const hours of [1, 2, 3, 4, 6, 8, 12, 24]) {
      const expr = datasyncSchedule(hours);
      expect(expr).to.match(DATASYNC_SCHEDULE_PATTERN);
      expect(expr.length).to.be.at.most(DATASYNC_SCHEDULE_MAX_LENGTH);
    }
    // DataSync's shortest schedule is an hour; our runs fall at the same hours every day.
    for (const bad of [0, 0.5, 5, 7, 25]) expect(() => datasyncSchedule(bad)).to.throw(/24/);
  });

  it("reads the source bucket under the prefix, and writes the vault's data/ through an agentless location", function () {
    const s3 = one(prod, T.s3Location).inputs as Json;
    expect(s3.s3BucketArn).to.equal("arn:aws:s3:::example-app-data-prod");
    expect(s3.subdirectory).to.equal(`/${PREFIX}`);
    expect(s3.s3Config.bucketAccessRoleArn).to.equal(mockArn(T.role, "managed-engine-source-role"));
    expect(s3.agentArns).to.equal(undefined);
    expect((one(dev, T.s3Location).inputs as Json).subdirectory).to.equal("/");

    // @pulumi/aws's LocationAzureBlob would require agent ARNs: the location is a Cloud Control
    // resource, with none.
    expect(ofType(dev, T.azureLocation)).to.deep.equal([]);
    const location = one(dev, T.cloudControl).inputs as Json;
    expect(location.typeName).to.equal("AWS::DataSync::LocationAzureBlob");
    const desired = json(location.desiredState);
    const account = plain<string>(one(dev, T.account).inputs.accountName);
    expect(desired).to.deep.equal({
      AzureBlobContainerUrl: `https://${account}.blob.core.windows.net/backup`,
      AzureBlobAuthenticationType: "SAS",
      AzureBlobType: "BLOCK",
      AzureAccessTier: "HOT",
      Subdirectory: "/data/",
      CustomSecretConfig: {
        SecretArn: mockArn(T.secret, "managed-engine-vault-sas"),
        SecretAccessRoleArn: mockArn(T.role, "managed-engine-secret-role"),
      },
      Tags: [
        { Key: "project", Value: "cross-cloud-backup" },
        { Key: "stack", Value: "dev" },
        { Key: "managed-by", Value: "pulumi" },
      ],
    });
    expect(plain<string>(location.desiredState)).not.to.include("sig=");
    const task = one(dev, T.task).inputs as Json;
    expect(task.sourceLocationArn).to.equal(mockArn(T.s3Location, "managed-engine-source"));
    expect(task.destinationLocationArn).to.equal("managed-engine-vault-id");
  });

  it("keeps the SAS secret: a container SAS without delete or IP binding, in Secrets Manager only", function () {
    const [sas] = dev.invokes.filter((i) => i.token === SAS_INVOKE);
    expect(sas.args.resource).to.equal("c");
    expect(sas.args.permissions).to.equal("racwl");
    expect(sas.args.protocols).to.equal("https");
    // DataSync's addresses are not published: a SAS bound to an IP would lock it out.
    expect(sas.args.iPAddressOrRange).to.equal(undefined);

    const version = one(dev, T.secretVersion).inputs as Json;
    expect(isSecretInput(version.secretString)).to.equal(true);
    const token = plain<string>(version.secretString);
    expect(token).to.match(/^sv=/).and.include(`sig=${FAKE_SAS_SIG}`);
    expect(token).to.equal(sasTokenOf(plain<string>(dev.outputs.vaultSasUrl.value)));

    // Nowhere else in plain text: every input holding the signature is a secret, as is every
    // output (and the outputs the design lists as secrets stay secrets).
    for (const r of dev.resources)
      for (const [k, v] of Object.entries(r.inputs))
        if (JSON.stringify(v).includes(FAKE_SAS_SIG))
          expect(isSecretInput(v), `${r.type} ${r.name}.${k}`).to.equal(true);
    for (const [k, o] of Object.entries(dev.outputs)) {
      if (JSON.stringify(o.value).includes(FAKE_SAS_SIG)) expect(o.secret, k).to.equal(true);
      expect(o.secret, k).to.equal((SECRET_OUTPUTS as readonly string[]).includes(k));
    }
  });

  it("mints no SAS in a preview (who can preview must not get one)", function () {
    expect(preview.invokes.filter((i) => i.token === SAS_INVOKE)).to.deep.equal([]);
    // The secret's value is unknown until `pulumi up` mints the SAS.
    expect(one(preview, T.secretVersion).inputs.secretString).to.deep.equal({
      __pulumiUnknown: true,
    });
    expect(ofType(preview, T.task)).to.have.length(1);
  });

  it("opens the vault's firewall only for the managed engine, and signs its SAS with the account key", function () {
    const open = one(dev, T.account).inputs as Json;
    expect(open.networkRuleSet.defaultAction).to.equal("Allow");
    expect(open.networkRuleSet.bypass).to.equal("None");
    expect(open.allowSharedKeyAccess).to.equal(true);
    expect(open.allowBlobPublicAccess).to.equal(false);
    const closed = one(host, T.account).inputs as Json;
    expect(closed.networkRuleSet.defaultAction).to.equal("Deny");
  });

  it("alarms on failed executions at once, and on no successful execution within the interval + 1 h", function () {
    const failed = named(dev, T.rule, "managed-engine-alarms-failed").inputs as Json;
    const succeeded = named(dev, T.rule, "managed-engine-alarms-succeeded").inputs as Json;
    const taskArn = mockArn(T.task, "managed-engine-task");
    const pattern = (state: string) => ({
      source: ["aws.datasync"],
      "detail-type": ["DataSync Task Execution State Change"],
      resources: [{ prefix: `${taskArn}/execution/` }],
      detail: { State: [state] },
    });
    expect(json(failed.eventPattern)).to.deep.equal(pattern("ERROR"));
    expect(json(succeeded.eventPattern)).to.deep.equal(pattern("SUCCESS"));

    const topicArn = mockArn(T.topic, "managed-engine-alarms-topic");
    const target = one(dev, T.target).inputs as Json;
    expect(target.rule).to.equal("managed-engine-alarms-failed");
    expect(target.arn).to.equal(topicArn);
    expect(target.inputTransformer.inputTemplate).to.include("cross-cloud-backup (dev)");

    const missed = one(dev, T.alarm).inputs as Json;
    expect(missed).to.include({
      namespace: "AWS/Events",
      metricName: "TriggeredRules",
      statistic: "Sum",
      period: 3600,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    });
    expect(missed.dimensions).to.deep.equal({ RuleName: "managed-engine-alarms-succeeded" });
    expect(missed.alarmActions).to.deep.equal([topicArn]);
    expect(missed.okActions).to.deep.equal([topicArn]);
    expect((one(prod, T.alarm).inputs as Json).evaluationPeriods).to.equal(25);
    expect(dev.outputs.alarmTopicArn.value).to.equal(topicArn);
    expect(dev.outputs.alarmNames.value).to.equal("managed-engine-alarms-missed-backup");

    // The topic is encrypted with a key EventBridge and CloudWatch may use, and only the failed
    // rule may publish as EventBridge.
    expect((one(dev, T.topic).inputs as Json).kmsMasterKeyId).to.equal(
      mockArn(T.key, "managed-engine-alarms-key"),
    );
    const keyPolicy = json(one(dev, T.key).inputs.policy);
    const services = (keyPolicy.Statement as Json[]).map((s) => s.Principal.Service);
    expect(services).to.include.members(["cloudwatch.amazonaws.com", "events.amazonaws.com"]);
    const topicPolicy = json(one(dev, T.topicPolicy).inputs.policy);
    const events = (topicPolicy.Statement as Json[]).find(
      (s) => s.Principal.Service === "events.amazonaws.com",
    )!;
    expect(events.Condition.ArnEquals["aws:SourceArn"]).to.equal(
      mockArn(T.rule, "managed-engine-alarms-failed"),
    );
  });

  describe("least privilege, proven with an IAM policy evaluator", () => {
    const policyOf = (r: ProgramResult, name: string): PolicyDocument =>
      json(named(r, T.rolePolicy, name).inputs.policy) as PolicyDocument;

    async function decide(
      policy: PolicyDocument,
      action: string,
      resource: string,
      context: Record<string, string> = {},
    ): Promise<Decision> {
      const simulation: Simulation = {
        request: {
          principal: `arn:aws:iam::${FAKE_ACCOUNT}:role/managed-engine-source-role`,
          action,
          resource: { resource, accountId: FAKE_ACCOUNT },
          contextVariables: { "aws:SecureTransport": "true", ...context },
        },
        identityPolicies: [{ name: "inline", policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        // A KMS key's default policy delegates to the account's IAM policies.
        resourcePolicy: action.startsWith("kms:")
          ? {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: `arn:aws:iam::${FAKE_ACCOUNT}:root` },
                  Action: "kms:*",
                  Resource: "*",
                },
              ],
            }
          : undefined,
      };
      return simulate(simulation, /^$/, "key-policy");
    }

    it("DataSync may list and read the source under the prefix, of the expected owner, and nothing else", async () => {
      const policy = policyOf(prod, "managed-engine-source-read");
      const bucket = "arn:aws:s3:::example-app-data-prod";
      const object = `${bucket}/${PREFIX}2026/report.csv`;
      const owner = { "s3:ResourceAccount": OWNER };
      const allowed: [string, string, Record<string, string>][] = [
        ["s3:ListBucket", bucket, { ...owner, "s3:prefix": PREFIX }],
        ["s3:GetBucketLocation", bucket, owner],
        ["s3:ListBucketMultipartUploads", bucket, owner],
        ["s3:GetObject", object, owner],
        ["s3:GetObjectVersion", object, owner],
        ["s3:GetObjectTagging", object, owner],
        ["s3:ListMultipartUploadParts", object, owner],
      ];
      for (const [action, resource, context] of allowed)
        expect(await decide(policy, action, resource, context), action).to.equal("Allowed");
      const denied: [string, string, Record<string, string>][] = [
        ["s3:PutObject", object, owner],
        ["s3:DeleteObject", object, owner],
        ["s3:AbortMultipartUpload", object, owner],
        ["s3:PutBucketPolicy", bucket, owner],
        ["s3:GetObject", `${bucket}/other/2026/report.csv`, owner],
        ["s3:ListBucket", bucket, { ...owner, "s3:prefix": "other/" }],
        ["s3:GetObject", "arn:aws:s3:::another-bucket/exports/x", owner],
        // The same bucket name owned by another account (deleted and re-created) is not read.
        ["s3:GetObject", object, { "s3:ResourceAccount": FAKE_ACCOUNT }],
        [
          "secretsmanager:GetSecretValue",
          `arn:aws:secretsmanager:eu-west-1:${FAKE_ACCOUNT}:secret:x`,
          {},
        ],
      ];
      for (const [action, resource, context] of denied)
        expect(await decide(policy, action, resource, context), `${action} ${resource}`).to.equal(
          "ImplicitlyDenied",
        );
      // Plain HTTP is refused outright.
      expect(
        await decide(policy, "s3:GetObject", object, { ...owner, "aws:SecureTransport": "false" }),
      ).to.equal("ExplicitlyDenied");
      // SSE-KMS: decrypt through S3 only.
      const key = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110";
      const via = { "kms:ViaService": "s3.eu-west-1.amazonaws.com" };
      const kmsPolicy = policy;
      expect(await decide(kmsPolicy, "kms:Decrypt", key, via)).to.equal("Allowed");
      expect(await decide(kmsPolicy, "kms:Decrypt", key)).to.equal("ImplicitlyDenied");
    });

    it("without an owner configured, the bucket must be the stack's own account's", async () => {
      const policy = policyOf(dev, "managed-engine-source-read");
      const object = "arn:aws:s3:::example-app-data-dev/a.txt";
      expect(
        await decide(policy, "s3:GetObject", object, { "s3:ResourceAccount": FAKE_ACCOUNT }),
      ).to.equal("Allowed");
      expect(
        await decide(policy, "s3:GetObject", object, { "s3:ResourceAccount": OWNER }),
      ).to.equal("ImplicitlyDenied");
      expect(await decide(policy, "kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k")).to.equal(
        "ImplicitlyDenied",
      );
    });

    it("the secret role reads the one SAS secret, and only DataSync of this account may assume either role", async () => {
      // The recorded policy names the stack's secret; the evaluator needs a real ARN's shape.
      const recorded = policyOf(dev, "managed-engine-secret-read");
      expect(recorded.Statement.map((s) => s.Resource)).to.deep.equal([
        mockArn(T.secret, "managed-engine-vault-sas"),
      ]);
      const secretArn = `arn:aws:secretsmanager:eu-west-1:${FAKE_ACCOUNT}:secret:ccb-vault-sas-AbCdEf`;
      const policy = datasyncSecretPolicy(secretArn);
      expect(await decide(policy, "secretsmanager:GetSecretValue", secretArn)).to.equal("Allowed");
      expect(await decide(policy, "secretsmanager:GetSecretValue", `${secretArn}-other`)).to.equal(
        "ImplicitlyDenied",
      );
      expect(await decide(policy, "secretsmanager:PutSecretValue", secretArn)).to.equal(
        "ImplicitlyDenied",
      );
      for (const role of ofType(dev, T.role)) {
        const trust = json(role.inputs.assumeRolePolicy);
        expect(trust.Statement).to.have.length(1);
        expect(trust.Statement[0].Principal).to.deep.equal({ Service: "datasync.amazonaws.com" });
        expect(trust.Statement[0].Condition).to.deep.equal({
          StringEquals: { "aws:SourceAccount": FAKE_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:datasync:eu-west-1:${FAKE_ACCOUNT}:*` },
        });
      }
    });
  });

  describe("config errors at preview, before any resource is created", () => {
    it("names every key the managed engine needs changed, with its rule", function () {
      this.timeout(300_000);
      const bad = runProgram("dev", { engine: "datasync", syncMode: "mirror" }, { preview: true });
      expect(bad.resources).to.deep.equal([]);
      for (const [key, rule] of [
        ["syncMode", /no deletion guard/],
        ["credentialMode", /SAS token only/],
        ["openVaultFirewall", /must be true with engine "datasync"/],
        ["integrityCheck", /content record/],
        ["restoreDrill", /content record/],
      ] as const)
        expect(bad.error).to.match(new RegExp(`cross-cloud-backup:${key}: [^\\n]*${rule.source}`));
    });

    it("refuses storageMover, saying why", function () {
      this.timeout(300_000);
      const bad = runProgram("dev", { engine: "storageMover" }, { preview: true });
      expect(bad.resources).to.deep.equal([]);
      expect(bad.error).to.match(/cross-cloud-backup:engine: "storageMover" cannot be provisioned/);
    });
  });

  it("checks its own arguments: a schedule that divides the day, a CloudWatch Logs period", () => {
    const args = {
      stack: "dev",
      region: "eu-west-1",
      source: { bucket: "b", prefix: "" },
      vault: {
        blobEndpoint: "https://a.blob.core.windows.net/",
        containerName: "backup",
        sasUrl: "",
      },
      emails: [],
    };
    expect(
      managedEngineProblems({ ...args, intervalHours: 4, logRetentionDays: 90 }),
    ).to.deep.equal([]);
    expect(
      managedEngineProblems({ ...args, intervalHours: 5, logRetentionDays: 2 }).map(
        (p) => p.propertyPath,
      ),
    ).to.deep.equal(["intervalHours", "logRetentionDays"]);
    expect(() => sasTokenOf("https://a.blob.core.windows.net/backup")).to.throw(/no SAS token/);
  });
});
