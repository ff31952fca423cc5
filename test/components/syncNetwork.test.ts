// SyncNetwork under mocks: VPC flow logs (prod by its config, not dev, never on a VPC the user
// brought), their delivery role's trust and grants, and the host's egress rules.
import { expect } from "chai";
import { FAKE_ACCOUNT, FAKE_S3_PREFIX_LIST } from "../../harness/mocks";
import { ofType, one, plain, runProgram, type ProgramResult } from "../support/program";

const FLOW_LOG = "aws:ec2/flowLog:FlowLog";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SUBNET = "subnet-0123456789abcdef0";
type Json = Record<string, any>;

const flowGroup = (r: ProgramResult) =>
  ofType(r, LOG_GROUP).filter((g) => String(g.inputs.name).endsWith("/vpc-flow-logs"));
const byName = (r: ProgramResult, type: string, name: string) => {
  const found = ofType(r, type).find((x) => x.name === name);
  expect(found, `${type} ${name}`).to.not.equal(undefined);
  return found!.inputs;
};

describe("SyncNetwork: flow logs and egress (mocks)", () => {
  let dev: ProgramResult;
  let prod: ProgramResult;
  before(() => {
    dev = runProgram("dev");
    prod = runProgram("prod");
  });

  it("prod logs all of the created VPC's traffic to a log group with retention", () => {
    expect(prod.error).to.equal(undefined);
    const flow = one(prod, FLOW_LOG).inputs;
    const group = `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT}:log-group:/cross-cloud-backup/prod/vpc-flow-logs`;
    expect(flow).to.deep.include({
      vpcId: "sync-net-vpc-id",
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group,
    });
    expect(flow.iamRoleArn).to.match(/sync-net-flow-logs-role$/);
    expect(flowGroup(prod)).to.have.length(1);
    expect(flowGroup(prod)[0].inputs).to.deep.include({
      name: "/cross-cloud-backup/prod/vpc-flow-logs",
      retentionInDays: 90,
    });
  });

  it("the delivery role trusts only this account's flow-logs service and writes only that group", () => {
    const role = byName(prod, "aws:iam/role:Role", "sync-net-flow-logs-role");
    const trust = JSON.parse(plain<string>(role.assumeRolePolicy)) as Json;
    expect(trust.Statement).to.deep.equal([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": FAKE_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:ec2:eu-west-1:${FAKE_ACCOUNT}:vpc-flow-log/*` },
        },
      },
    ]);
    const policy = byName(prod, "aws:iam/rolePolicy:RolePolicy", "sync-net-flow-logs-write");
    expect(plain(policy.role)).to.equal("sync-net-flow-logs-role");
    const group = `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT}:log-group:/cross-cloud-backup/prod/vpc-flow-logs`;
    expect((JSON.parse(plain<string>(policy.policy)) as Json).Statement).to.deep.equal([
      {
        Sid: "WriteFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [group, `${group}:log-stream:*`],
      },
      { Sid: "FindFlowLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
    ]);
  });

  it("dev (flowLogs false) and an existing subnet (the user's VPC) get no flow logs", () => {
    const mine = runProgram("prod", { existingSubnetId: SUBNET });
    expect(mine.error).to.equal(undefined);
    for (const r of [dev, mine]) {
      expect(ofType(r, FLOW_LOG)).to.deep.equal([]);
      expect(flowGroup(r)).to.deep.equal([]);
      expect(ofType(r, "aws:iam/role:Role").map((x) => x.name)).to.deep.equal([
        "sync-identity-role",
      ]);
    }
  });

  it("egress: HTTPS to egressCidrs, and to S3 through the gateway endpoint's prefix list", () => {
    const egress = (r: ProgramResult) => (one(r, SG).inputs as Json).egress as Json[];
    expect(egress(dev).map((e) => [e.protocol, e.fromPort, e.toPort])).to.deep.equal([
      ["tcp", 443, 443],
      ["tcp", 443, 443],
    ]);
    expect(egress(dev)[0].cidrBlocks).to.deep.equal(["0.0.0.0/0"]);
    expect(egress(dev)[1]).to.not.have.property("cidrBlocks");
    expect(egress(dev)[1].prefixListIds).to.deep.equal([FAKE_S3_PREFIX_LIST]);

    const narrowed = runProgram("dev", { egressCidrs: ["198.51.100.0/24", "10.0.5.10/32"] });
    expect(narrowed.error).to.equal(undefined);
    expect(egress(narrowed)[0].cidrBlocks).to.deep.equal(["198.51.100.0/24", "10.0.5.10/32"]);
    expect(egress(narrowed)[1].prefixListIds).to.deep.equal([FAKE_S3_PREFIX_LIST]);

    // the user's VPC: no endpoint of ours, so no prefix-list rule
    const mine = runProgram("dev", { existingSubnetId: SUBNET });
    expect(egress(mine).map((e) => e.cidrBlocks)).to.deep.equal([["0.0.0.0/0"]]);
  });
});
