// OperatorAccess under mocks: the verify document the operator commands send (no free-form
// command), the operator policy that scopes ssm:SendCommand to it and to the host, and Session
// Manager's account-wide preferences that log every session (prod only, by its config).
import { expect } from "chai";
import { SESSION_PREFERENCES_DOCUMENT } from "../../components/operatorAccess";
import { renderVerifyDocument } from "../../userdata/verifyDocument";
import { FAKE_ACCOUNT } from "../../harness/mocks";
import { ofType, one, plain, runProgram, type ProgramResult } from "../support/program";

const DOCUMENT = "aws:ssm/document:Document";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4998-8776-655443322110";
type Json = Record<string, any>;

const documents = (r: ProgramResult, type: string) =>
  ofType(r, DOCUMENT).filter((d) => d.inputs.documentType === type);
const sessionGroup = (r: ProgramResult) =>
  ofType(r, LOG_GROUP).filter((g) => String(g.inputs.name).endsWith("/sessions"));

describe("OperatorAccess (mocks)", () => {
  let dev: ProgramResult;
  let prod: ProgramResult;
  before(() => {
    dev = runProgram("dev");
    prod = runProgram("prod");
  });

  it("creates one Command document, the verify document, and exports its name", () => {
    for (const [r, stack] of [
      [dev, "dev"],
      [prod, "prod"],
    ] as const) {
      expect(r.error).to.equal(undefined);
      const [doc, ...others] = documents(r, "Command");
      expect(others).to.deep.equal([]);
      expect(doc.inputs).to.deep.include({
        name: `cross-cloud-backup-${stack}-verify`,
        documentFormat: "JSON",
        targetType: "/AWS::EC2::Instance",
      });
      expect(JSON.parse(String(doc.inputs.content))).to.deep.equal(renderVerifyDocument());
      expect(r.outputs.verifyDocumentName).to.deep.equal({
        secret: false,
        value: `cross-cloud-backup-${stack}-verify`,
      });
    }
  });

  it("its operator policy sends that document to the host only, and reads command results", () => {
    const policy = one(dev, "aws:iam/policy:Policy");
    const doc = JSON.parse(plain<string>(policy.inputs.policy)) as Json;
    expect(doc.Statement).to.deep.equal([
      {
        Sid: "SendVerifyDocumentToHost",
        Effect: "Allow",
        Action: "ssm:SendCommand",
        Resource: [
          `arn:aws:ssm:eu-west-1:${FAKE_ACCOUNT}:document/cross-cloud-backup-dev-verify`,
          `arn:aws:ec2:eu-west-1:${FAKE_ACCOUNT}:instance/sync-host-instance-id`,
        ],
      },
      {
        Sid: "ReadCommandResult",
        Effect: "Allow",
        Action: "ssm:GetCommandInvocation",
        Resource: "*",
      },
    ]);
    expect(dev.outputs.operatorPolicyArn.secret).to.equal(false);
    expect(dev.outputs.operatorPolicyArn.value).to.match(/operator-access-operator/);
  });

  it("prod logs every Session Manager session to its own log group, with retention", () => {
    const [prefs, ...others] = documents(prod, "Session");
    expect(others).to.deep.equal([]);
    expect(prefs.inputs.name).to.equal(SESSION_PREFERENCES_DOCUMENT);
    const content = JSON.parse(String(prefs.inputs.content)) as Json;
    expect(content).to.deep.include({ schemaVersion: "1.0", sessionType: "Standard_Stream" });
    expect(content.inputs).to.deep.include({
      cloudWatchLogGroupName: "/cross-cloud-backup/prod/sessions",
      cloudWatchStreamingEnabled: true,
      // prod has no logKmsKeyArn: requiring encryption would refuse every session
      cloudWatchEncryptionEnabled: false,
    });
    const [group] = sessionGroup(prod);
    expect(group.inputs).to.deep.include({
      name: "/cross-cloud-backup/prod/sessions",
      retentionInDays: 90,
    });
    // the host's role (whose SSM agent writes the transcript) may write that group's streams
    const grant = ofType(prod, ROLE_POLICY).find((p) => p.name === "operator-access-session-logs");
    expect(grant, "the session log grant").to.not.equal(undefined);
    expect(plain(grant!.inputs.role)).to.equal("sync-identity-role");
    const statements = (JSON.parse(plain<string>(grant!.inputs.policy)) as Json)
      .Statement as Json[];
    expect(statements[0].Resource).to.deep.equal([
      `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT}:log-group:/cross-cloud-backup/prod/sessions`,
      `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT}:log-group:/cross-cloud-backup/prod/sessions:log-stream:*`,
    ]);
  });

  it("dev leaves the account's Session Manager preferences alone (sessionLogging off)", () => {
    expect(documents(dev, "Session")).to.deep.equal([]);
    expect(sessionGroup(dev)).to.deep.equal([]);
    expect(ofType(dev, ROLE_POLICY).map((p) => p.name)).not.to.include(
      "operator-access-session-logs",
    );
  });

  it("with logKmsKeyArn, the session log group is encrypted and sessions require it", () => {
    const r = runProgram("prod", { logKmsKeyArn: KEY_ARN, logRetentionDays: 365 });
    expect(r.error).to.equal(undefined);
    const [group] = sessionGroup(r);
    expect(group.inputs).to.deep.include({ kmsKeyId: KEY_ARN, retentionInDays: 365 });
    const content = JSON.parse(String(documents(r, "Session")[0].inputs.content)) as Json;
    expect(content.inputs.cloudWatchEncryptionEnabled).to.equal(true);
  });
});
