// Federated mode (the default): no credential exists anywhere. The AWS account's outbound
// federation vouches for the host's role; one Azure managed identity trusts exactly that role and
// may only touch the backup container; the account refuses Shared Key; preview makes no key or
// SAS call.
import { expect } from "chai";
import { gunzipSync } from "node:zlib";
import {
  FAKE_CLIENT_ID,
  FAKE_EXISTING_ISSUER,
  FAKE_ISSUER,
  FAKE_TENANT_ID,
} from "../../harness/mocks";
import {
  isSecretInput,
  ofType,
  one,
  plain,
  runProgram,
  type ProgramResult,
} from "../support/program";

const T = {
  account: "azure-native:storage:StorageAccount",
  federation: "aws:iam/outboundWebIdentityFederation:OutboundWebIdentityFederation",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  trust: "azure-native:managedidentity:FederatedIdentityCredential",
  roleDef: "azure-native:authorization:RoleDefinition",
  assignment: "azure-native:authorization:RoleAssignment",
  role: "aws:iam/role:Role",
  instance: "aws:ec2/instance:Instance",
};
const FEDERATION_INVOKE =
  "aws:iam/getOutboundWebIdentityFederation:getOutboundWebIdentityFederation";
type Json = Record<string, any>;

function userDataOf(r: ProgramResult): string {
  const b64 = plain<string>(one(r, T.instance).inputs.userDataBase64);
  return gunzipSync(Buffer.from(b64, "base64")).toString("utf8");
}
function byName(r: ProgramResult, type: string, name: string): Json {
  const found = ofType(r, type).find((x) => x.name === name);
  expect(found, `${type} ${name}`).to.not.equal(undefined);
  return found!.inputs;
}

describe("federated credential mode (mocks)", function () {
  let dev: ProgramResult;
  let prod: ProgramResult;
  let mirror: ProgramResult;
  let existing: ProgramResult;

  before(function () {
    dev = runProgram("dev");
    prod = runProgram("prod");
    mirror = runProgram("dev", { syncMode: "mirror" });
    existing = runProgram("dev", { outboundFederation: "existing" });
    for (const [label, r] of Object.entries({ dev, prod, mirror, existing }))
      expect(r.error, `${label} run error`).to.equal(undefined);
  });

  it("is the default of both stacks, and the account refuses Shared Key", function () {
    for (const r of [dev, prod]) {
      expect(r.outputs.credentialMode.value).to.equal("federated");
      const a = one(r, T.account).inputs as Json;
      expect(a.allowSharedKeyAccess).to.equal(false);
      expect(a.defaultToOAuthAuthentication).to.equal(true);
      // The firewall still admits only the host's egress IP.
      expect(a.networkRuleSet.defaultAction).to.equal("Deny");
      expect(a.networkRuleSet.ipRules).to.have.length(1);
    }
  });

  it("makes no key or SAS call, and creates no SAS, no SSM parameter and no SAS output", function () {
    for (const r of [dev, prod, mirror, existing]) {
      expect(
        r.invokes.map((i) => i.token).filter((t) => /listStorageAccount/i.test(t)),
      ).to.deep.equal([]);
      expect(
        ofType(r, "aws:ssm/parameter:Parameter").filter((p) => p.inputs.type !== "String"),
      ).to.have.length(0);
      expect(r.outputs.vaultSasExpiry.value).to.equal("");
      expect(r.outputs.vaultSasUrl).to.deep.equal({ secret: true, value: "" });
      expect(JSON.stringify(r.resources)).to.not.include("sig=");
    }
  });

  it("enables outbound federation once, kept when the stack is destroyed, and trusts its issuer", function () {
    expect(ofType(dev, T.federation)).to.have.length(1);
    expect(dev.retainedResources).to.include(`${T.federation}::outbound-federation`);
    expect(dev.invokes.map((i) => i.token)).to.not.include(FEDERATION_INVOKE);
    expect(one(dev, T.trust).inputs.issuer).to.equal(FAKE_ISSUER);
  });

  it('with outboundFederation "existing", reads the issuer instead of enabling federation', function () {
    expect(ofType(existing, T.federation)).to.have.length(0);
    expect(existing.invokes.map((i) => i.token)).to.include(FEDERATION_INVOKE);
    expect(one(existing, T.trust).inputs.issuer).to.equal(FAKE_EXISTING_ISSUER);
  });

  it("trusts exactly the host's role (subject) for Entra's token exchange audience", function () {
    const trust = one(dev, T.trust).inputs;
    const roleArn = dev.outputs.syncRoleArn.value;
    expect(roleArn).to.be.a("string").and.not.equal("");
    expect(trust.subject).to.equal(roleArn);
    expect(trust.audiences).to.deep.equal(["api://AzureADTokenExchange"]);
    expect(trust.resourceName).to.equal(
      one(dev, T.identity).inputs.resourceName ?? "vault-identity-mi",
    );
    expect(ofType(dev, T.trust)).to.have.length(1);
  });

  it("grants data actions on the backup container only, without delete in copy mode", function () {
    const account = "vault-account-id";
    for (const [r, mode] of [
      [dev, "copy"],
      [mirror, "mirror"],
    ] as const) {
      const dataRole = byName(r, T.roleDef, "vault-identity-data-role");
      const blobs = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
      // Exactly these, written out: any added action (a wildcard, deleteBlobVersion,
      // immutableStorage/runAsSuperUser, ...) fails here.
      expect(dataRole.permissions).to.deep.equal([
        {
          actions: [],
          dataActions:
            mode === "mirror"
              ? [`${blobs}/read`, `${blobs}/write`, `${blobs}/delete`]
              : [`${blobs}/read`, `${blobs}/write`],
        },
      ]);
      expect(dataRole.assignableScopes).to.deep.equal(["vault-rg-id"]);
      expect(dataRole.scope).to.equal("vault-rg-id");
      const data = byName(r, T.assignment, "vault-identity-data");
      expect(data.scope).to.equal(`${account}/blobServices/default/containers/backup`);
      expect(data.roleDefinitionId).to.equal("vault-identity-data-role-id");
      expect(data.principalType).to.equal("ServicePrincipal");
    }
  });

  it("grants key delegation (no data access) at the account, and nothing more", function () {
    const role = byName(dev, T.roleDef, "vault-identity-delegator-role");
    expect(role.permissions).to.deep.equal([
      {
        actions: [
          "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
        ],
        dataActions: [],
      },
    ]);
    const a = byName(dev, T.assignment, "vault-identity-delegation");
    expect(a.scope).to.equal("vault-account-id");
    expect(ofType(dev, T.assignment)).to.have.length(2);
  });

  it("gives the host the identity's ids (no secret) and waits for the trust and grants before boot", function () {
    const ud = userDataOf(dev);
    expect(ud).to.include("/etc/cross-cloud-backup/federation.json");
    expect(ud).to.include(FAKE_CLIENT_ID);
    expect(ud).to.include(FAKE_TENANT_ID);
    expect(ud).to.include("https://vaultabc123def4.blob.core.windows.net/");
    expect(ud).to.not.match(/^\s*sas_url = /m);
    expect(ud).to.not.match(/^- awscli$/m);
    expect(isSecretInput(one(dev, T.instance).inputs.userDataBase64)).to.equal(true);
    expect(dev.outputs.vaultIdentityClientId).to.deep.equal({
      secret: true,
      value: FAKE_CLIENT_ID,
    });
    expect(dev.dependsOn[`${T.instance}::sync-host-instance`]).to.include(
      "cross-cloud-backup:azure:VaultIdentity::vault-identity",
    );
  });

  it("rejects userData delivery in federated mode at preview (it delivers a SAS)", function () {
    const r = runProgram("dev", { credentialDelivery: "userData" });
    expect(r.error).to.match(/credentialDelivery: "userData" delivers a SAS/);
    expect(r.resources).to.have.length(0);
  });
});
