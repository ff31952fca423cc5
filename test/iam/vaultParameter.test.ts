// SAS mode with SSM delivery: who can write the vault's SAS parameter, and what the host will
// decrypt. A SecureString is written by encrypting it with its key, so the key policy decides who
// can replace the SAS: only the identity that deploys the stack. The host may decrypt with that
// key only, for that parameter, through SSM: a parameter rewritten under another key (aws/ssm)
// does not decrypt. Evaluated with iam-simulate on the policies the program renders under mocks;
// the engine's own check of where the SAS points is in test/engine/test_credentials.py and
// test/integration/sync.test.ts.
import { expect } from "chai";
import type { Simulation } from "@cloud-copilot/iam-simulate";
import { simulate } from "../support/iamSimulate";
import { FAKE_ACCOUNT } from "../../harness/mocks";
import { ofType, plain, runProgram, type ProgramResult } from "../support/program";

type Json = Record<string, any>;
const REGION = "eu-west-1";
const KEY = `arn:aws:kms:${REGION}:${FAKE_ACCOUNT}:key/0a0b0c0d-1111-4222-8333-444455556666`;
const AWS_SSM_KEY = `arn:aws:kms:${REGION}:${FAKE_ACCOUNT}:key/99999999-1111-4222-8333-444455556666`;
const DEPLOYER = `arn:aws:iam::${FAKE_ACCOUNT}:user/test`; // the mocks' caller identity
const HOST = `arn:aws:iam::${FAKE_ACCOUNT}:role/sync-identity-role`;
const ADMIN = `arn:aws:iam::${FAKE_ACCOUNT}:role/platform-admin`;
const PARAMETER = `arn:aws:ssm:${REGION}:${FAKE_ACCOUNT}:parameter/cross-cloud-backup/dev/vault-sas-url`;
const VIA_SSM = { "kms:ViaService": `ssm.${REGION}.amazonaws.com` };
/** Everything on everything: an administrator's identity policy. */
const ADMIN_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};
/** The AWS managed aws/ssm key's policy: any in-account principal, through SSM. */
const AWS_SSM_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": FAKE_ACCOUNT,
          "kms:ViaService": VIA_SSM["kms:ViaService"],
        },
      },
    },
  ],
};

/** Recorded policy text with the mocks' placeholder ARNs (the key, the host's role) made well-formed. */
function parsed(text: string): Json {
  const mockKey = `arn:aws:mock:kms/key::${FAKE_ACCOUNT}:vault-access-parameter-key`;
  return JSON.parse(
    text
      .split(mockKey)
      .join(KEY)
      .replace(/arn:aws:mock:iam\/role::\d{12}:[^"]+/g, HOST),
  ) as Json;
}

describe("SAS in SSM: only the deployer can write the parameter; the host decrypts it and nothing else (iam-simulate)", function () {
  let r: ProgramResult;
  let keyPolicy: Json;
  let hostPolicies: Json[];

  before(function () {
    r = runProgram("dev", { credentialMode: "sas" });
    expect(r.error, r.error).to.equal(undefined);
    const keys = ofType(r, "aws:kms/key:Key").filter(
      (k) => k.name === "vault-access-parameter-key",
    );
    expect(keys, "the parameter's own key").to.have.length(1);
    keyPolicy = parsed(plain<string>(keys[0].inputs.policy));
    const parameter = ofType(r, "aws:ssm/parameter:Parameter").find(
      (p) => p.inputs.type === "SecureString",
    )!;
    expect(parameter.inputs.keyId).to.equal(
      `arn:aws:mock:kms/key::${FAKE_ACCOUNT}:vault-access-parameter-key`,
    );
    hostPolicies = ofType(r, "aws:iam/rolePolicy:RolePolicy").map((p) =>
      parsed(plain<string>(p.inputs.policy)),
    );
  });

  async function decide(
    principal: string,
    identity: Json[],
    action: string,
    context: Record<string, string>,
    key = KEY,
    resourcePolicy: Json = keyPolicy,
  ): Promise<string> {
    const simulation: Simulation = {
      request: {
        principal,
        action,
        resource: { resource: key, accountId: FAKE_ACCOUNT },
        contextVariables: { "aws:SecureTransport": "true", ...context },
      },
      identityPolicies: identity.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    };
    // iam-simulate drops kms:EncryptionContext:PARAMETER_ARN, valid for kms:Decrypt.
    return simulate(simulation, /^kms:EncryptionContext:/i, "key-policy");
  }

  it("the deployer may encrypt through SSM (write the parameter); an account administrator may not, and no one may outside SSM", async () => {
    expect(await decide(DEPLOYER, [ADMIN_POLICY], "kms:Encrypt", VIA_SSM)).to.equal("Allowed");
    expect(await decide(ADMIN, [ADMIN_POLICY], "kms:Encrypt", VIA_SSM)).to.not.equal("Allowed");
    expect(await decide(HOST, hostPolicies, "kms:Encrypt", VIA_SSM)).to.not.equal("Allowed");
    expect(await decide(DEPLOYER, [ADMIN_POLICY], "kms:Encrypt", {})).to.not.equal("Allowed");
  });

  it("the account still administers the key (no lock-out) but cannot use it", async () => {
    expect(await decide(ADMIN, [ADMIN_POLICY], "kms:PutKeyPolicy", {})).to.equal("Allowed");
    expect(await decide(ADMIN, [ADMIN_POLICY], "kms:Decrypt", VIA_SSM)).to.not.equal("Allowed");
    expect(keyPolicy.Statement.find((s: Json) => s.Sid === "AccountAdministersNotUses").Action)
      .to.be.an("array")
      .that.does.not.include.members(["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant", "kms:*"]);
  });

  it("the host decrypts this parameter through SSM, not another parameter under the same key", async () => {
    const ctx = (parameter: string) => ({
      ...VIA_SSM,
      "kms:EncryptionContext:PARAMETER_ARN": parameter,
    });
    expect(await decide(HOST, hostPolicies, "kms:Decrypt", ctx(PARAMETER))).to.equal("Allowed");
    expect(await decide(HOST, hostPolicies, "kms:Decrypt", ctx(`${PARAMETER}-other`))).to.not.equal(
      "Allowed",
    );
  });

  it("a parameter rewritten under the aws/ssm key does not decrypt for the host (explicit deny)", async () => {
    const context = { ...VIA_SSM, "kms:CallerAccount": FAKE_ACCOUNT };
    // Without the host's deny, the aws/ssm key's own policy would let it decrypt.
    expect(
      await decide(ADMIN, [], "kms:Decrypt", context, AWS_SSM_KEY, AWS_SSM_KEY_POLICY),
    ).to.equal("Allowed");
    expect(
      await decide(HOST, hostPolicies, "kms:Decrypt", context, AWS_SSM_KEY, AWS_SSM_KEY_POLICY),
    ).to.equal("ExplicitlyDenied");
  });
});
