// Microsoft Entra ID stand-in for keyless-access tests (issue #10): one tenant whose
// user-assigned managed identities carry federated identity credentials. The host presents the
// AWS-issued JWT as a client assertion (client_credentials grant) and gets a v1 access token for
// Azure Storage that Azurite's OAuth mode (harness/azuriteOAuth.ts) accepts. The assertion is
// checked like Entra does: its issuer's discovery + JWKS are fetched and the signature verified,
// then issuer/subject/audience are matched against the identity's federated credentials and the
// lifetime checked. The server is harness/servers/entra.ts (sources for every shape are there).
//
// Usage in a test file:
//   const entra = await startEntraStandIn({
//     identities: [{ clientId, principalId, federatedCredentials: [
//       { name: "aws-host", issuer: sts.issuer, subject: roleArn, audiences: [ENTRA_FEDERATION_AUDIENCE] },
//     ] }],
//   });
//   // POST `${entra.authority}/${entra.tenantId}/oauth2/v2.0/token`
//   after(stopAll);
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { EmulatorProcess, freePort } from "./emulators";
import type { LocalTls } from "./localTls";
import type { EntraIdentityConfig, EntraServerConfig } from "./servers/entra";
import { resolveTls, tsServerSpec, type ProcessSpec, type TlsOption } from "./standInProcess";

export type { EntraIdentityConfig, FederatedCredentialConfig } from "./servers/entra";

const SERVER = path.join(__dirname, "servers", "entra.ts");

/** The audience Entra expects in federated assertions (public cloud). */
export const ENTRA_FEDERATION_AUDIENCE = "api://AzureADTokenExchange";
/** The scope a host asks for to reach Blob storage. */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";

export interface EntraStandInOptions {
  /** Default: a random GUID. */
  tenantId?: string;
  identities: EntraIdentityConfig[];
  /** Resources a `<resource>/.default` scope may name. Default: Azure Storage only. */
  resources?: string[];
  /** Default 3599 (what Entra gives client-credential tokens). */
  accessTokenLifetimeSeconds?: number;
  /** Tolerance on the assertion's exp/nbf. Default 300. */
  clockSkewSeconds?: number;
  /** Default ["RS256"]: the algorithm to ask STS for. */
  assertionAlgorithms?: string[];
  /** Default true (HTTPS with the local test CA); false for plain HTTP. */
  tls?: TlsOption;
  /**
   * CA to trust when fetching an https issuer (default: the local test CA, which is what the
   * STS stand-in serves with).
   */
  issuerCaCertPath?: string;
  port?: number;
}

export class EntraStandIn extends EmulatorProcess {
  constructor(
    spec: ProcessSpec,
    port: number,
    dir: string,
    private readonly config: EntraServerConfig,
    readonly tls: LocalTls | undefined,
  ) {
    super(spec, port, dir, true);
  }

  /** Authority host, e.g. https://127.0.0.1:41235 (for https://login.microsoftonline.com). */
  get authority(): string {
    return this.config.publicBaseUrl;
  }

  get tenantId(): string {
    return this.config.tenantId;
  }

  /** POST target for the client-credentials grant. */
  get tokenEndpoint(): string {
    return `${this.authority}/${this.tenantId}/oauth2/v2.0/token`;
  }

  /** v2 discovery document (`/{tenant}/v2.0/.well-known/openid-configuration`). */
  get discoveryUrl(): string {
    return `${this.authority}/${this.tenantId}/v2.0/.well-known/openid-configuration`;
  }

  /** The `iss` of the access tokens it issues (v1, what Azure Storage and Azurite expect). */
  get accessTokenIssuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  get identities(): readonly EntraIdentityConfig[] {
    return this.config.identities;
  }

  /** PEM file to trust; undefined for plain HTTP. */
  get caCertPath(): string | undefined {
    return this.tls?.caCertPath;
  }
}

/**
 * The rules Azure applies when a federated identity credential is created (learn.microsoft.com/
 * entra/workload-id/workload-identity-federation-considerations): at most 20 per identity,
 * exactly one audience, a unique issuer+subject pair, names of 3-120 letters, digits, "-" or
 * "_" starting alphanumeric. A stand-in configured outside them would accept what Azure cannot.
 */
function checkIdentities(identities: EntraIdentityConfig[]): void {
  for (const identity of identities) {
    const fics = identity.federatedCredentials;
    const where = `identity ${identity.clientId}`;
    if (fics.length > 20) {
      throw new Error(`${where}: ${fics.length} federated identity credentials, Azure allows 20`);
    }
    const pairs = new Set<string>();
    for (const fic of fics) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/.test(fic.name)) {
        throw new Error(
          `${where}: federated identity credential name "${fic.name}" is invalid: 3-120 letters, digits, "-" or "_", starting with a letter or digit`,
        );
      }
      if (fic.audiences.length !== 1) {
        throw new Error(
          `${where}: federated identity credential "${fic.name}" must have exactly one audience (Azure's rule), got ${fic.audiences.length}`,
        );
      }
      const pair = `${fic.issuer}\n${fic.subject}`;
      if (pairs.has(pair)) {
        throw new Error(
          `${where}: issuer and subject of "${fic.name}" already exist on another credential of this identity`,
        );
      }
      pairs.add(pair);
    }
  }
}

/** Starts the Entra stand-in and waits until it accepts connections. */
export async function startEntraStandIn(opts: EntraStandInOptions): Promise<EntraStandIn> {
  checkIdentities(opts.identities);
  const port = opts.port ?? (await freePort());
  const tls = resolveTls(opts.tls);
  const config: EntraServerConfig = {
    port,
    tls: tls && { certPath: tls.certPath, keyPath: tls.keyPath },
    publicBaseUrl: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    tenantId: opts.tenantId ?? randomUUID(),
    identities: opts.identities,
    resources: opts.resources ?? ["https://storage.azure.com"],
    accessTokenLifetimeSeconds: opts.accessTokenLifetimeSeconds ?? 3599,
    clockSkewSeconds: opts.clockSkewSeconds ?? 300,
    assertionAlgorithms: opts.assertionAlgorithms ?? ["RS256"],
    issuerCaCertPath: opts.issuerCaCertPath ?? resolveTls(true)?.caCertPath,
  };
  const { spec, dir } = tsServerSpec(`entra stand-in on 127.0.0.1:${port}`, SERVER, config);
  const standIn = new EntraStandIn(spec, port, dir, config, tls);
  await standIn.start();
  return standIn;
}
