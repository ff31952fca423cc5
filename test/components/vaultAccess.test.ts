// VaultAccess in-process under mocks: it alone chooses the host's vault credential (federated,
// SAS in SSM, SAS in user-data), hands SyncHost one value that carries the kind, and keeps the
// URNs its children had before it owned them (aliases), so `pulumi up` replaces nothing.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  KEPT_NAMES,
  principalOfCaller,
  VaultAccess,
  type HostVaultAccess,
  type VaultAccessArgs,
} from "../../components/vaultAccess";

const PROJECT = "cross-cloud-backup";
const STACK = "inproc";
const FAKE_ISSUER = "https://00000000-0000-0000-0000-00000000cccc.tokens.sts.global.api.aws";
const FAKE_EXISTING_ISSUER =
  "https://00000000-0000-0000-0000-00000000dddd.tokens.sts.global.api.aws";
const FAKE_CLIENT_ID = "00000000-0000-0000-0000-00000000bbbb";
const FAKE_TENANT_ID = "00000000-0000-0000-0000-00000000aaaa";
const SAS_URL = "https://vaultab12cd34.blob.core.windows.net/backup?sv=2022-11-02&sig=FAKEsig%3D";
const ENDPOINT = "https://vaultab12cd34.blob.core.windows.net/";
const HOST_IP = "203.0.113.10";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const T = {
  access: "cross-cloud-backup:azure:VaultAccess",
  identity: "cross-cloud-backup:azure:VaultIdentity",
  federation: "aws:iam/outboundWebIdentityFederation:OutboundWebIdentityFederation",
  parameter: "aws:ssm/parameter:Parameter",
  key: "aws:kms/key:Key",
  mi: "azure-native:managedidentity:UserAssignedIdentity",
};
const FEDERATION_INVOKE =
  "aws:iam/getOutboundWebIdentityFederation:getOutboundWebIdentityFederation";

/** A URN as Pulumi forms it: the parent's qualified type, "$", the type (none at the top). */
function urn(type: string, name: string, parentTypes: string[] = []): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${[...parentTypes, type].join("$")}::${name}`;
}

interface Recorded {
  inputs: Record<string, Record<string, unknown>>;
  invokes: string[];
}

async function mock(): Promise<Recorded> {
  const rec: Recorded = { inputs: {}, invokes: [] };
  await pulumi.runtime.setMocks(
    {
      newResource(a) {
        rec.inputs[`${a.type}::${a.name}`] = a.inputs as Record<string, unknown>;
        const extra: Record<string, unknown> =
          a.type === T.federation
            ? { issuerIdentifier: FAKE_ISSUER }
            : a.type === T.mi
              ? { clientId: FAKE_CLIENT_ID, tenantId: FAKE_TENANT_ID, principalId: "p-1" }
              : a.type === T.parameter
                ? { arn: `arn:aws:ssm:eu-west-1:123456789012:parameter${String(a.inputs.name)}` }
                : a.type === T.key
                  ? { arn: `${a.name}-arn` }
                  : {};
        return {
          id: `${a.name}-id`,
          state: { ...a.inputs, name: a.inputs.name ?? a.name, ...extra },
        };
      },
      call(a) {
        rec.invokes.push(a.token);
        if (a.token === FEDERATION_INVOKE) return { issuerIdentifier: FAKE_EXISTING_ISSUER };
        // The deployer is an assumed role: the key policy must name the role, not the session.
        if (a.token === "aws:index/getCallerIdentity:getCallerIdentity")
          return {
            accountId: "123456789012",
            arn: "arn:aws:sts::123456789012:assumed-role/deployer/GitHubActions",
          };
        throw new Error(`unexpected invoke ${a.token}`);
      },
    },
    PROJECT,
    STACK,
    false,
  );
  return rec;
}

function args(over: Partial<VaultAccessArgs> = {}): VaultAccessArgs {
  return {
    credentialMode: "federated",
    credentialDelivery: "ssm",
    outboundFederation: "enable",
    vault: {
      resourceGroupName: "vault-rg",
      resourceGroupId: "vault-rg-id",
      storageAccountId: "vault-account-id",
      containerName: "backup",
      blobEndpoint: ENDPOINT,
    },
    location: "westeurope",
    hostRoleArn: "arn:aws:iam::123456789012:role/sync-identity-role",
    hostIp: HOST_IP,
    ssmParameterName: "/cross-cloud-backup/inproc/vault-sas-url",
    region: "eu-west-1",
    syncMode: "copy",
    ...over,
  };
}

const value = <T>(o: pulumi.Input<T>): Promise<T> =>
  new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));

type Internal = pulumi.Resource & {
  __pulumiType: string;
  __name: string;
  __childResources?: Set<Internal>;
  __aliases: pulumi.Output<string>[];
};

/** The component's resources (children, grandchildren...) by "type::name". */
function tree(r: pulumi.Resource): Map<string, Internal> {
  const all = new Map<string, Internal>();
  const walk = (x: Internal) =>
    x.__childResources?.forEach((c) => {
      all.set(`${c.__pulumiType}::${c.__name}`, c);
      walk(c);
    });
  walk(r as Internal);
  return all;
}

async function aliasesOf(r: Internal): Promise<string[]> {
  return Promise.all(r.__aliases.map((a) => value(a)));
}

const rendered = (h: HostVaultAccess) => value(h.rendered);

describe("VaultAccess (in-process, mocks)", function () {
  it("federated: enables outbound federation and a VaultIdentity trusting the host's role; the host gets ids, a mint permission and waits for the identity", async () => {
    const rec = await mock();
    const access = new VaultAccess("vault-access", args());
    const kids = tree(access);
    expect(access.kind).to.equal("federated");
    expect(access.host.kind).to.equal("federated");
    expect(await rendered(access.host)).to.deep.equal({
      kind: "federated",
      tenantId: FAKE_TENANT_ID,
      clientId: FAKE_CLIENT_ID,
      blobEndpoint: ENDPOINT,
      sasIp: HOST_IP,
    });
    expect(await value(access.identityClientId)).to.equal(FAKE_CLIENT_ID);
    expect(await value(access.ssmParameterName)).to.equal("");
    const statements = (await Promise.all(access.host.statements.map((s) => value(s)))) as {
      Sid: string;
    }[];
    expect(statements.map((s) => s.Sid)).to.deep.equal(["MintVaultToken"]);
    const identity = kids.get(`${T.identity}::${KEPT_NAMES.identity}`)!;
    expect(access.host.bootNeeds).to.deep.equal([identity]);
    expect(rec.inputs[`${T.mi}::vault-identity-mi`]).to.not.equal(undefined);
    const trust =
      rec.inputs[
        "azure-native:managedidentity:FederatedIdentityCredential::vault-identity-aws-role"
      ];
    expect(trust.issuer).to.equal(FAKE_ISSUER);
    expect(trust.subject).to.equal("arn:aws:iam::123456789012:role/sync-identity-role");
    expect(rec.invokes).to.deep.equal([]);
    expect([...kids.keys()].filter((k) => k.startsWith(T.parameter))).to.deep.equal([]);
  });

  it("federated: keeps the federation's and the identity's former URNs (top level), so nothing is replaced", async () => {
    await mock();
    const access = new VaultAccess("vault-access", args());
    const kids = tree(access);
    const federation = kids.get(`${T.federation}::${KEPT_NAMES.federation}`)!;
    const identity = kids.get(`${T.identity}::${KEPT_NAMES.identity}`)!;
    expect(await value(federation.urn)).to.equal(
      urn(T.federation, "outbound-federation", [T.access]),
    );
    expect(await aliasesOf(federation)).to.deep.equal([urn(T.federation, "outbound-federation")]);
    expect(await aliasesOf(identity)).to.deep.equal([urn(T.identity, "vault-identity")]);
    // The identity's own children keep their names; the engine derives their former URNs from
    // the identity's alias (a child inherits its parent's aliases).
    for (const name of [
      "vault-identity-mi",
      "vault-identity-aws-role",
      "vault-identity-data-role",
      "vault-identity-delegator-role",
      "vault-identity-data",
      "vault-identity-delegation",
    ])
      expect(
        [...tree(identity).keys()].some((k) => k.endsWith(`::${name}`)),
        name,
      ).to.equal(true);
  });

  it('federated with outboundFederation "existing": reads the issuer, enables nothing', async () => {
    const rec = await mock();
    const access = new VaultAccess("vault-access", args({ outboundFederation: "existing" }));
    await value(access.identityClientId);
    expect(rec.invokes).to.deep.equal([FEDERATION_INVOKE]);
    expect([...tree(access).keys()].filter((k) => k.startsWith(T.federation))).to.deep.equal([]);
    expect(
      rec.inputs[
        "azure-native:managedidentity:FederatedIdentityCredential::vault-identity-aws-role"
      ].issuer,
    ).to.equal(FAKE_EXISTING_ISSUER);
  });

  it("sas + ssm: the SAS in a SecureString (secret) the host may read, needed before boot; its former URN under SyncHost is kept", async () => {
    const rec = await mock();
    const access = new VaultAccess(
      "vault-access",
      args({ credentialMode: "sas", vault: { ...args().vault, sasUrl: pulumi.secret(SAS_URL) } }),
    );
    expect(access.host.kind).to.equal("ssm");
    expect(await rendered(access.host)).to.deep.equal({ kind: "ssm" });
    const name = "/cross-cloud-backup/inproc/vault-sas-url";
    expect(await value(access.ssmParameterName)).to.equal(name);
    expect(await value(access.identityClientId)).to.equal("");
    const kids = tree(access);
    expect([...kids.keys()]).to.deep.equal([
      `${T.key}::vault-access-parameter-key`,
      `${T.parameter}::sync-host-sas`,
    ]);
    const parameter = kids.get(`${T.parameter}::sync-host-sas`)!;
    const inputs = rec.inputs[`${T.parameter}::sync-host-sas`];
    expect(inputs.type).to.equal("SecureString");
    // Its own key: only the deploying role (resolved from its session) may encrypt, so only it
    // can write the parameter; only the host's role may decrypt, for this parameter, via SSM.
    const key = rec.inputs[`${T.key}::vault-access-parameter-key`];
    expect(inputs.keyId).to.equal("vault-access-parameter-key-arn");
    expect(key.enableKeyRotation).to.equal(true);
    const policy = JSON.parse(key.policy as string) as {
      Statement: { Sid: string; Principal: unknown; Action: unknown; Condition?: unknown }[];
    };
    expect(policy.Statement.map((st) => [st.Sid, st.Principal])).to.deep.equal([
      ["AccountAdministersNotUses", { AWS: "arn:aws:iam::123456789012:root" }],
      ["DeployerWritesTheParameter", { AWS: "arn:aws:iam::123456789012:role/deployer" }],
      ["HostReadsTheParameter", { AWS: "arn:aws:iam::123456789012:role/sync-identity-role" }],
    ]);
    expect(policy.Statement[2].Condition).to.deep.equal({
      StringEquals: {
        "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": `arn:aws:ssm:eu-west-1:123456789012:parameter${name}`,
      },
    });
    expect(inputs.name).to.equal(name);
    // A secret input arrives wrapped with Pulumi's secret signature.
    expect(inputs.value).to.deep.equal({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: SAS_URL,
    });
    expect(access.host.bootNeeds).to.deep.equal([parameter]);
    const [read, deny] = (await Promise.all(access.host.statements.map((s) => value(s)))) as {
      Sid: string;
      Effect: string;
      Action: string;
      Resource: string;
      NotResource?: string;
    }[];
    expect(deny).to.deep.include({
      Sid: "DecryptNoOtherParameterKey",
      Effect: "Deny",
      Action: "kms:Decrypt",
    });
    expect(await value(deny.NotResource!)).to.equal("vault-access-parameter-key-arn");
    expect(read.Sid).to.equal("ReadVaultCredential");
    expect(read.Action).to.equal("ssm:GetParameter");
    expect(await value(read.Resource)).to.equal(
      `arn:aws:ssm:eu-west-1:123456789012:parameter${name}`,
    );
    expect(await aliasesOf(parameter)).to.deep.equal([
      urn(T.parameter, "sync-host-sas", ["cross-cloud-backup:aws:SyncHost"]),
    ]);
    expect(rec.invokes).to.deep.equal(["aws:index/getCallerIdentity:getCallerIdentity"]);
  });

  it("sas + ssm: deployerArn names the parameter's writer (a role with a path, or the CI deploy role while someone else previews)", async () => {
    const rec = await mock();
    const access = new VaultAccess(
      "vault-access",
      args({
        credentialMode: "sas",
        vault: { ...args().vault, sasUrl: pulumi.secret(SAS_URL) },
        deployerArn: "arn:aws:iam::123456789012:role/ci/deploy",
      }),
    );
    // The parameter is registered after its key (it needs the key's ARN).
    await value(access.ssmParameterName);
    const key = rec.inputs[`${T.key}::vault-access-parameter-key`];
    const policy = JSON.parse(await value(key.policy as string)) as {
      Statement: { Sid: string; Principal: unknown }[];
    };
    expect(
      policy.Statement.find((st) => st.Sid === "DeployerWritesTheParameter")!.Principal,
    ).to.deep.equal({
      AWS: "arn:aws:iam::123456789012:role/ci/deploy",
    });
  });

  it("the caller's principal: an assumed role's session stands for its role, a user for itself (no IAM call)", () => {
    expect(
      principalOfCaller("arn:aws:sts::123456789012:assumed-role/deployer/GitHubActions"),
    ).to.equal("arn:aws:iam::123456789012:role/deployer");
    expect(principalOfCaller("arn:aws-us-gov:sts::123456789012:assumed-role/d/s/x")).to.equal(
      "arn:aws-us-gov:iam::123456789012:role/d",
    );
    expect(principalOfCaller("arn:aws:iam::123456789012:user/test")).to.equal(
      "arn:aws:iam::123456789012:user/test",
    );
  });

  it("sas + userData: no resource; the SAS reaches the renderers only as a secret", async () => {
    await mock();
    const access = new VaultAccess(
      "vault-access",
      args({
        credentialMode: "sas",
        credentialDelivery: "userData",
        vault: { ...args().vault, sasUrl: pulumi.secret(SAS_URL) },
      }),
    );
    expect(access.host.kind).to.equal("userData");
    expect(await pulumi.isSecret(access.host.rendered)).to.equal(true);
    expect(await rendered(access.host)).to.deep.equal({ kind: "userData", sasUrl: SAS_URL });
    expect(access.host.statements).to.deep.equal([]);
    expect(access.host.bootNeeds).to.deep.equal([]);
    expect(tree(access).size).to.equal(0);
  });

  it("refuses SAS mode without the vault's SAS, naming the argument", async () => {
    await mock();
    let thrown: unknown;
    try {
      new VaultAccess("vault-access", args({ credentialMode: "sas" }));
    } catch (e) {
      thrown = e;
    }
    expect(pulumi.InputPropertiesError.isInstance(thrown), String(thrown)).to.equal(true);
    const err = thrown as pulumi.InputPropertiesError;
    expect(err.message).to.match(/VaultAccess "vault-access": invalid arguments/);
    expect(err.errors.map((e) => e.propertyPath)).to.deep.equal(["vault.sasUrl"]);
  });
});
