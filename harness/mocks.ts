// The one Pulumi mocks module, for the unit tests and `npm run policy`: records every resource and
// invoke the program makes, answers the invokes the program is known to use, and throws on any
// other (a forgotten invoke fails loudly).
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs exactly as the engine would receive them (secrets keep their secret wrapper). */
  inputs: Record<string, unknown>;
}
export interface RecordedInvoke {
  token: string;
  args: Record<string, unknown>;
}

export const FAKE_ACCOUNT = "123456789012";
export const FAKE_EIP = "203.0.113.10";
/** The S3 gateway endpoint's prefix list (AWS's own, per region, e.g. pl-6da54004). */
export const FAKE_S3_PREFIX_LIST = "pl-0fake00000000001";
/** Obviously fake SAS signature; tests look for "sig=" to prove it never leaks. */
export const FAKE_SAS_SIG = "FAKEsignatureFORtests0000000000000000000000%3D";

/** Obviously fake federation identifiers (the issuer's real form is an AWS-hosted URL). */
export const FAKE_ISSUER = "https://00000000-0000-0000-0000-00000000cccc.tokens.sts.global.api.aws";
export const FAKE_EXISTING_ISSUER =
  "https://00000000-0000-0000-0000-00000000dddd.tokens.sts.global.api.aws";
export const FAKE_TENANT_ID = "00000000-0000-0000-0000-00000000aaaa";
export const FAKE_CLIENT_ID = "00000000-0000-0000-0000-00000000bbbb";
export const FAKE_PRINCIPAL_ID = "00000000-0000-0000-0000-00000000eeee";

/** Instance types the mocked region offers nowhere, and in one zone only. */
export const OFFERED_NOWHERE = "c3.large";
export const OFFERED_IN_ONE_ZONE = "t3.micro";

export const resources: RecordedResource[] = [];
export const invokes: RecordedInvoke[] = [];

function typeDefaults(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  switch (type) {
    case "aws:ec2/eip:Eip":
      return { publicIp: FAKE_EIP, allocationId: `eipalloc-${name}` };
    case "aws:ec2/instance:Instance":
      return { privateIp: "10.42.0.10", primaryNetworkInterfaceId: `eni-${name}` };
    case "azure-native:storage:StorageAccount":
      return {
        // Azure reports the account's real name as `name`, as it does for the two below.
        name: inputs.accountName,
        primaryEndpoints: { blob: `https://${String(inputs.accountName)}.blob.core.windows.net/` },
      };
    case "azure-native:storage:BlobContainer":
      return { name: inputs.containerName };
    case "azure-native:privatedns:PrivateZone":
      return { name: inputs.privateZoneName };
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      return { prefixListId: FAKE_S3_PREFIX_LIST };
    case "aws:cloudwatch/logGroup:LogGroup":
      // The real ARN form, so the IAM evaluator can match log-group and log-stream resources.
      return { arn: `arn:aws:logs:eu-west-1:${FAKE_ACCOUNT}:log-group:${String(inputs.name)}` };
    case "aws:iam/outboundWebIdentityFederation:OutboundWebIdentityFederation":
      return { issuerIdentifier: FAKE_ISSUER };
    case "azure-native:managedidentity:UserAssignedIdentity":
      return { clientId: FAKE_CLIENT_ID, principalId: FAKE_PRINCIPAL_ID, tenantId: FAKE_TENANT_ID };
    case "random:index/randomString:RandomString":
      return { result: "abc123def4" };
    default:
      return {};
  }
}

const invokeHandlers: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:ec2/getAmi:getAmi": (args) => ({
    id: "ami-0fake0000000000001",
    name: "debian-12-arm64-20261101-0000",
    architecture: JSON.stringify(args.filters ?? "").includes("x86_64") ? "x86_64" : "arm64",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: FAKE_ACCOUNT,
    arn: `arn:aws:iam::${FAKE_ACCOUNT}:user/test`,
    userId: "AIDAFAKE",
  }),
  "aws:iam/getOutboundWebIdentityFederation:getOutboundWebIdentityFederation": () => ({
    issuerIdentifier: FAKE_EXISTING_ISSUER,
  }),
  // Zones offering a type: all three of eu-west-1's, except two stand-ins for the real cases
  // (a type only some zones offer, one the region does not offer at all).
  "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (args) => {
    const type = (args.filters as { values: string[] }[] | undefined)?.[0]?.values[0] ?? "";
    const locations =
      type === OFFERED_NOWHERE
        ? []
        : type === OFFERED_IN_ONE_ZONE
          ? ["eu-west-1c"]
          : ["eu-west-1b", "eu-west-1a", "eu-west-1c"];
    return { instanceTypes: locations.map(() => type), locations, locationTypes: [] };
  },
  "aws:ec2/getSubnet:getSubnet": (args) => ({
    id: args.id,
    vpcId: "vpc-0fake00000000001",
    availabilityZone: "eu-west-1a",
  }),
  "azure-native:storage:listStorageAccountServiceSAS": (args) => ({
    serviceSasToken:
      `sv=2022-11-02&spr=https&se=${encodeURIComponent(String(args.sharedAccessExpiryTime))}` +
      `&sr=c&sp=${String(args.permissions)}&sip=${(args.iPAddressOrRange as string | undefined) ?? ""}&sig=${FAKE_SAS_SIG}`,
  }),
};

export const mocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs) {
    resources.push({
      type: args.type,
      name: args.name,
      inputs: args.inputs as Record<string, unknown>,
    });
    const inputs = args.inputs as Record<string, unknown>;
    const state: Record<string, unknown> = {
      ...inputs,
      name: inputs.name ?? args.name,
      arn: `arn:aws:mock:${args.type.split(":")[1]}::${FAKE_ACCOUNT}:${args.name}`,
      ...typeDefaults(args.type, args.name, inputs),
    };
    return { id: `${args.name}-id`, state };
  },
  call(args: pulumi.runtime.MockCallArgs) {
    invokes.push({ token: args.token, args: args.inputs as Record<string, unknown> });
    const handler = invokeHandlers[args.token];
    if (!handler) throw new Error(`unexpected invoke ${args.token}: add it to harness/mocks.ts`);
    return handler(args.inputs as Record<string, unknown>);
  },
};
