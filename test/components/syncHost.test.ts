// SyncNetwork + SyncHost under mocks: the host's hardening, its network, and that no SAS
// signature appears anywhere a reader of the account or the state could see it.
import { expect } from "chai";
import { DEBIAN_AMI_OWNER } from "../../components/syncHost";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import {
  decodeUserData,
  ENGINE_CHUNK_CHARS,
  engineBundle,
  engineParameterPrefix,
  MAX_ENGINE_CHUNKS,
} from "../../userdata";
import {
  isSecretInput,
  one,
  ofType,
  plain,
  runProgram,
  type ProgramResult,
} from "../support/program";
import { s3EndpointPolicy } from "../../components/syncNetwork";
import { FAKE_ACCOUNT, FAKE_EIP, OFFERED_IN_ONE_ZONE, OFFERED_NOWHERE } from "../../harness/mocks";

const INSTANCE = "aws:ec2/instance:Instance";
const PARAMETER = "aws:ssm/parameter:Parameter";

/** The SSM parameters that hold a credential (the engine's parameters are plain strings). */
function sasParameters(r: ProgramResult) {
  return ofType(r, PARAMETER).filter((p) => p.inputs.type === "SecureString");
}

/** The cloud-config the instance would boot with (user-data is gzip + base64). */
/** The part number of an engine parameter (/cross-cloud-backup/<stack>/engine/<n>). */
function partIndex(p: { inputs: Record<string, unknown> }): number {
  return Number(String(p.inputs.name).split("/").pop());
}

function userDataOf(r: ProgramResult): string {
  return decodeUserData(plain<string>(one(r, INSTANCE).inputs.userDataBase64));
}

/** The engine the host runs, put together from its SSM parameters. */
function engineOf(r: ProgramResult): string {
  const parts = ofType(r, PARAMETER)
    .filter((p) => p.inputs.type === "String")
    .sort((a, b) => partIndex(a) - partIndex(b));
  return gunzipSync(
    Buffer.from(parts.map((p) => String(p.inputs.insecureValue)).join(""), "base64"),
  ).toString("utf8");
}

/** Every string in a recorded value that is not inside a secret wrapper. */
function plainStrings(v: unknown, out: string[] = []): string[] {
  if (isSecretInput(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => plainStrings(x, out));
  return out;
}

function assertNoSasLeak(r: ProgramResult): void {
  for (const res of r.resources) {
    const leaked = plainStrings(res.inputs).filter((s) => s.includes("sig="));
    expect(
      leaked,
      `${res.type} ${res.name} has a SAS signature in a non-secret input`,
    ).to.deep.equal([]);
  }
  for (const [k, o] of Object.entries(r.outputs)) {
    if (!o.secret) expect(JSON.stringify(o.value), `output ${k}`).not.to.include("sig=");
  }
}

describe("SyncHost and SyncNetwork (mocks)", () => {
  let dev: ProgramResult;
  let prod: ProgramResult;
  /** The SAS mode (credentialMode "sas"), where the credential is an SSM parameter. */
  let devSas: ProgramResult;
  before(() => {
    dev = runProgram("dev");
    prod = runProgram("prod");
    devSas = runProgram("dev", { credentialMode: "sas" });
    expect(dev.error).to.equal(undefined);
    expect(prod.error).to.equal(undefined);
  });

  it("requires IMDSv2 with hop limit 1, encrypts the root volume, monitors in detail", () => {
    for (const r of [dev, prod]) {
      const i = one(r, INSTANCE).inputs as Record<string, any>;
      expect(i.metadataOptions).to.deep.include({
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        httpEndpoint: "enabled",
      });
      expect(i.rootBlockDevice.encrypted).to.equal(true);
      // room for the engine's on-disk listings (rootVolumeGb, 16 GiB by default)
      expect(i.rootBlockDevice).to.deep.include({ volumeType: "gp3", volumeSize: 16 });
      expect(i.monitoring).to.equal(true);
      expect(i.associatePublicIpAddress).to.equal(false);
    }
  });

  it("boots only after its policies and its credential exist, and waits for the Elastic IP", () => {
    for (const r of [dev, prod]) {
      // Federated (the default): the Azure identity, its trust and grants exist before boot.
      const deps = r.dependsOn[`${INSTANCE}::sync-host-instance`] ?? [];
      expect(deps).to.include.members([
        "aws:iam/rolePolicy:RolePolicy::sync-host-host",
        "cross-cloud-backup:azure:VaultIdentity::vault-identity",
        "cross-cloud-backup:aws:S3ReadOnlyAccess::source-read",
        // its first run publishes its outcome: the log group and the permission exist already
        "cross-cloud-backup:aws:RunTelemetry::run-telemetry",
      ]);
    }
    expect(devSas.dependsOn[`${INSTANCE}::sync-host-instance`]).to.include.members([
      "aws:iam/rolePolicy:RolePolicy::sync-host-host",
      "aws:ssm/parameter:Parameter::sync-host-sas",
      "cross-cloud-backup:aws:S3ReadOnlyAccess::source-read",
    ]);
    const bootcmd = userDataOf(dev).slice(0, userDataOf(dev).indexOf("package_update"));
    expect(bootcmd).to.include("meta-data/public-ipv4");
    expect(bootcmd).to.include("X-aws-ec2-metadata-token");
  });

  it("takes the region from AWS_REGION when aws:region is not set, as the AWS provider does", () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = "eu-central-1";
    let r: ProgramResult;
    try {
      r = runProgram("dev", { "aws:region": undefined });
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
    expect(r.error).to.equal(undefined);
    expect(one(r, "aws:ec2/vpcEndpoint:VpcEndpoint").inputs.serviceName).to.equal(
      "com.amazonaws.eu-central-1.s3",
    );
  });

  it("has no key pair, no ingress at all, and egress to HTTPS only", () => {
    for (const r of [dev, prod]) {
      const i = one(r, INSTANCE).inputs;
      expect(i).not.to.have.property("keyName");
      expect(ofType(r, "aws:ec2/keyPair:KeyPair")).to.have.length(0);
      const sg = one(r, "aws:ec2/securityGroup:SecurityGroup").inputs as Record<string, any>;
      expect(sg.ingress).to.deep.equal([]);
      // apt reaches Debian's mirror over HTTPS, so nothing needs port 80 (or any other port);
      // the second rule is S3's, through the gateway endpoint's prefix list
      expect(sg.egress.map((e: any) => [e.protocol, e.fromPort, e.toPort])).to.deep.equal([
        ["tcp", 443, 443],
        ["tcp", 443, 443],
      ]);
      expect(sg.egress[0]).to.deep.include({
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["0.0.0.0/0"],
      });
      expect(sg.description).not.to.match(/HTTP\b/);
      // the only plain-HTTP URLs left in user-data are instance metadata, which no security
      // group filters
      for (const url of userDataOf(r).match(/http:\/\/[^\s"')]+/g) ?? [])
        expect(url).to.match(/^http:\/\/169\.254\.169\.254\//);
      expect(ofType(r, "aws:ec2/securityGroupRule:SecurityGroupRule")).to.have.length(0);
      expect(ofType(r, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.have.length(
        0,
      );
      const dsg = one(r, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs as Record<
        string,
        any
      >;
      expect(dsg.ingress).to.deep.equal([]);
      expect(dsg.egress).to.deep.equal([]);
    }
  });

  it("wires the instance profile from S3ReadOnlyAccess and adds host permissions to that role", () => {
    const profile = one(devSas, "aws:iam/instanceProfile:InstanceProfile");
    expect(one(devSas, INSTANCE).inputs.iamInstanceProfile).to.equal(profile.name);
    const hostPolicy = ofType(devSas, "aws:iam/rolePolicy:RolePolicy").find(
      (p) => p.name === "sync-host-host",
    )!;
    expect(hostPolicy.inputs.role).to.equal(profile.inputs.role);
    const doc = JSON.parse(plain<string>(hostPolicy.inputs.policy)) as { Statement: any[] };
    const read = doc.Statement.find((s) => s.Sid === "ReadVaultCredential");
    expect(read.Action).to.equal("ssm:GetParameter");
    expect(read.Resource).to.match(/sync-host-sas$/);
    expect(JSON.stringify(doc)).not.to.match(/"ssm:\*"|"\*:\*"|"Action":"\*"/);
  });

  it("names the configured bucket owner in the engine's settings (ExpectedBucketOwner)", () => {
    const other = runProgram("dev", { sourceBucketOwner: "210987654321" });
    expect(userDataOf(other)).to.include(`"sourceBucketOwner": "210987654321"`);
    expect(userDataOf(other)).to.not.include(`"sourceBucketOwner": "${FAKE_ACCOUNT}"`);
  });

  it("delivers the engine through plain standard-tier SSM parameters the loader pins by SHA-256", () => {
    for (const r of [dev, prod, devSas]) {
      const parts = ofType(r, PARAMETER)
        .filter((p) => p.inputs.type === "String")
        // in part order (engine/10 after engine/9)
        .sort((a, b) => partIndex(a) - partIndex(b));
      expect(parts.length).to.be.within(2, MAX_ENGINE_CHUNKS);
      const stack = r === prod ? "prod" : "dev";
      parts.forEach((p, i) => {
        expect(p.inputs.name).to.equal(`${engineParameterPrefix(stack)}${i}`);
        expect(p.inputs.tier).to.equal("Standard");
        expect(isSecretInput(p.inputs.insecureValue)).to.equal(false);
        expect(String(p.inputs.insecureValue).length).to.be.at.most(ENGINE_CHUNK_CHARS);
      });
      const engine = gunzipSync(
        Buffer.from(parts.map((p) => String(p.inputs.insecureValue)).join(""), "base64"),
      );
      // the engine bundle (the same for every stack); the stack's settings are in user-data
      const bundle = JSON.parse(engine.toString("utf8")) as { entry: string };
      expect(bundle.entry).to.equal("ccb.cli");
      expect(engine.toString("utf8")).to.equal(engineBundle().text);
      // user-data holds the loader, pinned to exactly these bytes, and not the engine
      const userData = userDataOf(r);
      const sha = createHash("sha256").update(engine).digest("hex");
      expect(userData).to.include(`"sha256": "${sha}"`);
      expect(userData).not.to.include("def list(");
      expect(userData).to.include(`"stack": "${stack}"`);
      // every S3 request the engine makes names the bucket's owner: the stack's account by default
      expect(userData).to.include(`"sourceBucketOwner": "${FAKE_ACCOUNT}"`);
      expect(
        Buffer.from(plain<string>(one(r, INSTANCE).inputs.userDataBase64), "base64").length,
      ).to.be.below(8 * 1024);
      // the host may read exactly these parameters, and boots only once they exist
      const policy = ofType(r, "aws:iam/rolePolicy:RolePolicy").find(
        (p) => p.name === "sync-host-host",
      )!;
      const doc = JSON.parse(plain<string>(policy.inputs.policy)) as { Statement: any[] };
      const read = doc.Statement.find((st) => st.Sid === "ReadSyncEngine");
      expect(read.Action).to.equal("ssm:GetParameters");
      expect(read.Resource).to.have.length(parts.length);
      expect(read.Resource).to.deep.equal(
        parts.map((p) => `arn:aws:ssm:eu-west-1:${FAKE_ACCOUNT}:parameter${String(p.inputs.name)}`),
      );
      expect(r.dependsOn[`${INSTANCE}::sync-host-instance`]).to.include.members(
        parts.map((p) => `${PARAMETER}::${p.name}`),
      );
    }
  });

  it("keeps user-data secret and replaces the host when it changes", () => {
    for (const r of [dev, prod]) {
      const i = one(r, INSTANCE).inputs;
      expect(isSecretInput(i.userDataBase64)).to.equal(true);
      expect(i).not.to.have.property("userData");
      expect(userDataOf(r)).to.match(/^#cloud-config\n/);
      expect(i.userDataReplaceOnChange).to.equal(true);
    }
  });

  it("stores the SAS in an SSM SecureString as a secret and puts only its name in user-data", () => {
    const sas = sasParameters(devSas);
    expect(sas).to.have.length(1);
    const p = sas[0].inputs;
    expect(p.type).to.equal("SecureString");
    expect(isSecretInput(p.value)).to.equal(true);
    expect(plain<string>(p.value)).to.include("sig=");
    // the engine reads the parameter named in its settings (settings.json, in user-data)
    expect(userDataOf(devSas)).to.include(`"ssmParameterName": "${String(p.name)}"`);
    expect(engineOf(devSas)).not.to.include("sig=");
    expect(userDataOf(devSas)).not.to.include("sig=");
    expect(devSas.outputs.vaultSasParameter).to.deep.equal({ secret: false, value: p.name });
  });

  it("never shows a SAS signature in a non-secret input or output; the rclone config output is secret", () => {
    assertNoSasLeak(dev);
    assertNoSasLeak(prod);
    assertNoSasLeak(devSas);
    expect(dev.outputs.rcloneConfig.secret).to.equal(true);
    expect(dev.outputs.vaultSasUrl.secret).to.equal(true);
  });

  it("looks up a Debian 12 AMI of the instance type's architecture", () => {
    const ami = dev.invokes.find((i) => i.token === "aws:ec2/getAmi:getAmi")!;
    expect(ami.args.owners).to.deep.equal([DEBIAN_AMI_OWNER]);
    expect(JSON.stringify(ami.args.filters)).to.include("debian-12-arm64-*");
    expect(one(dev, INSTANCE).inputs.instanceType).to.equal("t4g.micro");
    const x86 = runProgram("dev", { instanceType: "t3.micro" });
    const amiX86 = x86.invokes.find((i) => i.token === "aws:ec2/getAmi:getAmi")!;
    expect(JSON.stringify(amiX86.args.filters)).to.include("debian-12-amd64-*");
    expect(userDataOf(x86)).to.include("debian_amd64/amazon-ssm-agent.deb");
  });

  it("gives the host an S3 gateway endpoint and a stable Elastic IP that the vault admits", () => {
    const ep = one(dev, "aws:ec2/vpcEndpoint:VpcEndpoint").inputs;
    expect(ep.serviceName).to.equal("com.amazonaws.eu-west-1.s3");
    expect(ep.vpcEndpointType).to.equal("Gateway");
    // limited to the source bucket and the SSM agent's buckets (evaluated in test/iam)
    expect(JSON.parse(String(ep.policy))).to.deep.equal(
      s3EndpointPolicy({
        region: "eu-west-1",
        sourceBucket: "example-app-data-dev",
        sourcePrefix: "",
      }),
    );
    expect(one(dev, "aws:ec2/eipAssociation:EipAssociation").inputs.allocationId).to.be.a("string");
    const sas = devSas.invokes.find(
      (i) => i.token === "azure-native:storage:listStorageAccountServiceSAS",
    )!;
    expect(sas.args.iPAddressOrRange).to.equal(FAKE_EIP);
    expect(dev.outputs.syncEgressIp.value).to.equal(FAKE_EIP);
  });

  it("with userData delivery: no SSM parameter, the SAS sits only in the secret user-data", () => {
    const r = runProgram("dev", { credentialMode: "sas", credentialDelivery: "userData" });
    expect(r.error).to.equal(undefined);
    expect(sasParameters(r)).to.have.length(0);
    const ud = one(r, INSTANCE).inputs.userDataBase64;
    expect(isSecretInput(ud)).to.equal(true);
    expect(userDataOf(r)).to.include("sas_url = https://");
    assertNoSasLeak(r);
  });

  it("puts the subnet in a zone that offers the instance type, found at preview", () => {
    const zoneOf = (r: ProgramResult) =>
      one(r, "aws:ec2/subnet:Subnet").inputs.availabilityZone as string;
    expect(zoneOf(dev)).to.equal("eu-west-1a"); // every zone offers it: the first by name
    const oneZone = runProgram("dev", { instanceType: OFFERED_IN_ONE_ZONE });
    expect(oneZone.error).to.equal(undefined);
    expect(zoneOf(oneZone)).to.equal("eu-west-1c");
    const lookups = dev.invokes.filter(
      (i) => i.token === "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings",
    );
    expect(lookups).to.have.length(1);
    expect(lookups[0].args).to.deep.include({ locationType: "availability-zone" });
  });

  it("refuses, at preview, a type the region does not offer or an existing subnet in a zone without it", () => {
    const nowhere = runProgram("dev", { instanceType: OFFERED_NOWHERE });
    expect(nowhere.error).to.match(
      /instanceType c3\.large is not offered in any Availability Zone of eu-west-1/,
    );
    expect(ofType(nowhere, INSTANCE)).to.have.length(0);
    const wrongZone = runProgram("dev", {
      instanceType: OFFERED_IN_ONE_ZONE,
      existingSubnetId: "subnet-0123456789abcdef0",
    });
    expect(wrongZone.error).to.match(
      /subnet subnet-0123456789abcdef0 is in eu-west-1a, which does not offer t3\.micro/,
    );
  });

  it("uses an existing subnet without creating a VPC", () => {
    const r = runProgram("dev", { existingSubnetId: "subnet-0123456789abcdef0" });
    expect(r.error).to.equal(undefined);
    expect(ofType(r, "aws:ec2/vpc:Vpc")).to.have.length(0);
    expect(one(r, INSTANCE).inputs.subnetId).to.equal("subnet-0123456789abcdef0");
    const sg = one(r, "aws:ec2/securityGroup:SecurityGroup").inputs as Record<string, any>;
    expect(sg.vpcId).to.equal("vpc-0fake00000000001");
    expect(sg.egress.map((e: any) => [e.fromPort, e.toPort])).to.deep.equal([[443, 443]]);
  });
});
