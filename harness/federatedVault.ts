// Federated mode end to end on 127.0.0.1: the STS stand-in (which also signs for s3rver's test
// key pair, so the engine's one botocore credential chain serves S3 and STS alike), the Entra
// stand-in with one managed identity trusting exactly the host role, and Azurite in OAuth mode
// with the backup container. What the rendered engine needs to use them: its federation.json
// access and the environment that trusts the local CA.
import { randomUUID } from "node:crypto";
import { startAzuriteOAuth, type AzuriteOAuthEmulator } from "./azuriteOAuth";
import { S3RVER_CREDENTIALS } from "./emulators";
import { ENTRA_FEDERATION_AUDIENCE, startEntraStandIn, type EntraStandIn } from "./entraStandIn";
import { startStsStandIn, type StsStandIn } from "./stsStandIn";
import type { VaultAccess } from "../userdata";

/** The host's role in the tests (obviously fake account). */
export const TEST_HOST_ROLE = "arn:aws:iam::111122223333:role/ccb-sync-host";

export interface FederatedVault {
  sts: StsStandIn;
  entra: EntraStandIn;
  azurite: AzuriteOAuthEmulator;
  clientId: string;
  /** What SyncHost would render into federation.json, pointed at the stand-ins. */
  access(overrides?: {
    sasSeconds?: number;
    renewBelowSeconds?: number;
    sasIp?: string;
    retryDelaysSeconds?: number[];
  }): Extract<VaultAccess, { kind: "federated" }>;
  /** Environment for the engine and rclone: trust the stand-ins' local CA. */
  env: Record<string, string>;
}

export async function startFederatedVault(
  opts: {
    region?: string;
    container?: string;
    /** The role the identity's federated credential trusts (default: the test host's). */
    subject?: string;
    /** false: the AWS account has not enabled outbound identity federation. */
    federationEnabled?: boolean;
    /** Let the test's own SDK client (newer x-ms-version) read the vault. */
    skipApiVersionCheck?: boolean;
  } = {},
): Promise<FederatedVault> {
  const region = opts.region ?? "eu-west-1";
  const [sts, azurite] = await Promise.all([
    startStsStandIn({
      region,
      accounts: [{ ...S3RVER_CREDENTIALS, roleArn: TEST_HOST_ROLE }],
      federationEnabled: opts.federationEnabled ?? true,
    }),
    startAzuriteOAuth({ inMemory: true, skipApiVersionCheck: opts.skipApiVersionCheck }),
  ]);
  const clientId = randomUUID();
  const entra = await startEntraStandIn({
    identities: [
      {
        clientId,
        principalId: randomUUID(),
        federatedCredentials: [
          {
            name: "aws-sync-host",
            issuer: sts.issuer,
            subject: opts.subject ?? TEST_HOST_ROLE,
            audiences: [ENTRA_FEDERATION_AUDIENCE],
          },
        ],
      },
    ],
  });
  await azurite.createContainer(opts.container ?? "backup");
  return {
    sts,
    entra,
    azurite,
    clientId,
    access: (overrides = {}) => ({
      kind: "federated",
      tenantId: entra.tenantId,
      clientId,
      blobEndpoint: azurite.blobEndpoint,
      authority: entra.authority,
      stsEndpoint: sts.endpoint,
      // Azurite (patched) checks sip against the client's address, as Azure does.
      sasIp: "127.0.0.1",
      retryDelaysSeconds: [0.2, 0.2],
      ...overrides,
    }),
    env: { SSL_CERT_FILE: azurite.caCertPath },
  };
}
