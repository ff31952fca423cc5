// The managed engine's policies, called directly as the analyzer would (no PolicyPack, no CLI):
// they pass what the program creates for engine "datasync" and fire on a task or location set up
// unsafely. And the whole pack over a datasync stack: the one policy that fires is the vault's
// firewall rule, the trade-off docs/scale.md describes.
import { expect } from "chai";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { evaluate, resourceArgs, type LocalResource } from "../../policy/local";
import { managedEngineCopyMode, managedEngineSecretStore } from "../../policy/managedEngine";
import { noPlaintextCredentials } from "../../policy/secrets";
import { policyResources, stackPolicyConfig } from "../../scripts/policy-report";
import { runProgram } from "../support/program";

const TASK = "aws:datasync/task:Task";
const CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource";
const DATASYNC = {
  engine: "datasync",
  credentialMode: "sas",
  openVaultFirewall: "true",
  integrityCheck: "off",
  restoreDrill: "off",
};
const SAS = "sv=2022-11-02&sr=c&sp=racwl&sig=FAKEsig0000000000000000000000%3D";
type Json = Record<string, any>;

async function check(policy: ResourceValidationPolicy, r: LocalResource): Promise<string[]> {
  const out: string[] = [];
  for (const v of [policy.validateResource!].flat())
    await v(resourceArgs(r, {}), (m) => out.push(m));
  return out;
}

const res = (type: string, props: Json, name = "r"): LocalResource => ({
  type,
  name,
  urn: `urn:pulumi:test::cross-cloud-backup::${type}::${name}`,
  props,
});

describe("policy pack: the managed engine", function () {
  let resources: LocalResource[];
  let task: LocalResource;
  let location: LocalResource;

  before(function () {
    this.timeout(300_000);
    const result = runProgram("dev", DATASYNC);
    expect(result.error).to.equal(undefined);
    resources = policyResources(result, "dev");
    task = resources.find((r) => r.type === TASK)!;
    location = resources.find((r) => r.type === CLOUD_CONTROL)!;
  });

  /** The program's task with some options, or other properties, replaced. */
  const taskWith = (options: Json, props: Json = {}) =>
    res(TASK, {
      ...task.props,
      options: { ...(task.props.options as Json), ...options },
      ...props,
    });

  it("managed-engine-copy-mode passes the program's task", async () => {
    expect(await check(managedEngineCopyMode, task)).to.deep.equal([]);
  });

  it("managed-engine-copy-mode fires on a task that could delete, keep stale copies or verify nothing", async () => {
    expect(await check(managedEngineCopyMode, taskWith({ preserveDeletedFiles: "REMOVE" })))
      .to.have.length(1)
      .and.match(/preserveDeletedFiles must be "PRESERVE", got "REMOVE".*no deletion guard/);
    // Unset counts too: the policy does not rely on a provider's default.
    expect(
      await check(managedEngineCopyMode, taskWith({ preserveDeletedFiles: undefined })),
    ).to.match(/got unset/);
    expect(await check(managedEngineCopyMode, taskWith({ overwriteMode: "NEVER" }))).to.match(
      /overwriteMode must be "ALWAYS", got "NEVER".*misses changes/,
    );
    expect(await check(managedEngineCopyMode, taskWith({ verifyMode: "NONE" }))).to.match(
      /verifyMode must verify/,
    );
  });

  it("managed-engine-copy-mode fires on a task that logs nothing or never runs", async () => {
    expect(await check(managedEngineCopyMode, taskWith({ logLevel: "OFF" }))).to.match(
      /logLevel must be BASIC or TRANSFER.*got "OFF"/,
    );
    expect(
      await check(managedEngineCopyMode, taskWith({}, { cloudwatchLogGroupArn: undefined })),
    ).to.match(/cloudwatchLogGroupArn must name the log group/);
    expect(await check(managedEngineCopyMode, taskWith({}, { schedule: undefined }))).to.match(
      /never runs/,
    );
    const disabled = { schedule: { scheduleExpression: "cron(0 0 * * ? *)", status: "DISABLED" } };
    expect(await check(managedEngineCopyMode, taskWith({}, disabled))).to.match(/DISABLED/);
    // Everything wrong at once: each rule reported.
    expect(await check(managedEngineCopyMode, res(TASK, {}))).to.have.length(6);
    // Other resources are not its business.
    expect(await check(managedEngineCopyMode, location)).to.deep.equal([]);
  });

  it("managed-engine-sas-in-secret-store passes the program's location, which reads a secret", async () => {
    expect(await check(managedEngineSecretStore, location)).to.deep.equal([]);
    expect(await check(managedEngineSecretStore, task)).to.deep.equal([]);
  });

  it("managed-engine-sas-in-secret-store fires on a SAS in the location's own properties", async () => {
    const state = JSON.parse(location.props.desiredState as string) as Json;
    const inline = res(CLOUD_CONTROL, {
      typeName: "AWS::DataSync::LocationAzureBlob",
      desiredState: JSON.stringify({
        ...state,
        CustomSecretConfig: undefined,
        AzureBlobSasConfiguration: { AzureBlobSasToken: SAS },
      }),
    });
    expect(await check(managedEngineSecretStore, inline)).to.deep.equal([
      "desiredState.AzureBlobSasConfiguration holds the SAS in the location's properties; use CustomSecretConfig",
      "desiredState.CustomSecretConfig.SecretArn must name the Secrets Manager secret the SAS is read from",
    ]);
    const classic = res("aws:datasync/locationAzureBlob:LocationAzureBlob", {
      containerUrl: "https://x.blob.core.windows.net/backup",
      sasConfiguration: { token: SAS },
    });
    expect(await check(managedEngineSecretStore, classic)).to.have.length(1);
    // Another Cloud Control type is not its business.
    const other = res(CLOUD_CONTROL, { typeName: "AWS::Logs::LogGroup", desiredState: "{}" });
    expect(await check(managedEngineSecretStore, other)).to.deep.equal([]);
  });

  it("no-plaintext-credentials admits a SAS as a Secrets Manager secret's value, and nowhere else", async () => {
    const version = res("aws:secretsmanager/secretVersion:SecretVersion", {
      secretId: "s",
      secretString: SAS,
    });
    expect(await check(noPlaintextCredentials, version)).to.deep.equal([]);
    const described = res("aws:secretsmanager/secret:Secret", { description: `token ${SAS}` });
    expect(await check(noPlaintextCredentials, described)).to.match(/description holds a SAS/);
    // The program's own secret version (the SAS itself) passes.
    const programVersion = resources.find(
      (r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion",
    )!;
    expect(programVersion.props.secretString).to.include("sig=");
    expect(await check(noPlaintextCredentials, programVersion)).to.deep.equal([]);
  });

  it("over a datasync stack, the pack refuses only the open firewall (the documented trade-off)", async () => {
    const config = {
      ...stackPolicyConfig("dev"),
      "vault-shared-key-off": { credentialMode: "sas" },
    };
    const outcomes = await evaluate(resources, config);
    expect(outcomes.filter((o) => o.violations.length > 0).map((o) => o.policy)).to.deep.equal([
      "vault-no-public-access",
    ]);
    const firewall = outcomes.find((o) => o.policy === "vault-no-public-access")!;
    expect(firewall.violations.map((v) => v.message)).to.deep.equal([
      'networkRuleSet.defaultAction must be "Deny", got "Allow"',
    ]);
  });
});
