// AWS STS stand-in for keyless-access tests (issue #10): a regional STS endpoint that answers
// GetWebIdentityToken (IAM outbound identity federation) with a JWT signed by a key generated at
// start, and the account's OIDC issuer (discovery + JWKS) that Entra fetches to verify it.
// The server is harness/servers/sts.ts (child process, 127.0.0.1, HTTPS with the local test CA
// by default); see that file for the sources of every modelled shape.
//
// Usage in a test file:
//   const sts = await startStsStandIn({ accounts: [{ accessKeyId, secretAccessKey, roleArn }] });
//   // sts.endpoint, sts.region, sts.issuer, sts.caCertPath
//   after(stopAll);
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { EmulatorProcess, freePort } from "./emulators";
import type { LocalTls } from "./localTls";
import type { StsAccountConfig, StsServerConfig } from "./servers/sts";
import { resolveTls, tsServerSpec, type ProcessSpec, type TlsOption } from "./standInProcess";

export type { StsAccountConfig } from "./servers/sts";

const SERVER = path.join(__dirname, "servers", "sts.ts");

export interface StsStandInOptions {
  /** The one region this endpoint serves (credential scopes must name it). Default eu-west-1. */
  region?: string;
  /** Known credentials; each maps to the role ARN that becomes the token's subject. */
  accounts: StsAccountConfig[];
  /** Default true (HTTPS with the local test CA); false for plain HTTP. */
  tls?: TlsOption;
  /** false: every call fails with OutboundWebIdentityFederationDisabledException. Default true. */
  federationEnabled?: boolean;
  port?: number;
}

export class StsStandIn extends EmulatorProcess {
  constructor(
    spec: ProcessSpec,
    port: number,
    dir: string,
    private readonly config: StsServerConfig,
    /** The CA that clients must trust, or undefined when serving plain HTTP. */
    readonly tls: LocalTls | undefined,
  ) {
    super(spec, port, dir, true);
  }

  /** Regional endpoint to POST query-protocol requests to, e.g. https://127.0.0.1:41234 */
  get endpoint(): string {
    return this.config.publicBaseUrl;
  }

  get region(): string {
    return this.config.region;
  }

  /** The account's issuer URL (the token's `iss`; no trailing slash, like AWS's). */
  get issuer(): string {
    return this.config.publicBaseUrl + this.config.issuerPath;
  }

  get discoveryUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`;
  }

  get jwksUrl(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  /** PEM file to trust (Python cafile, SSL_CERT_FILE, Node `ca`); undefined for plain HTTP. */
  get caCertPath(): string | undefined {
    return this.tls?.caCertPath;
  }
}

/** Starts the STS stand-in and waits until it accepts connections. */
export async function startStsStandIn(opts: StsStandInOptions): Promise<StsStandIn> {
  if (opts.accounts.length === 0) throw new Error("startStsStandIn: accounts must not be empty");
  const port = opts.port ?? (await freePort());
  const tls = resolveTls(opts.tls);
  const config: StsServerConfig = {
    port,
    tls: tls && { certPath: tls.certPath, keyPath: tls.keyPath },
    region: opts.region ?? "eu-west-1",
    publicBaseUrl: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    // AWS issuers are https://<uuid>.tokens.sts.global.api.aws; here the uuid is a path segment
    issuerPath: `/issuer/${randomUUID()}`,
    accounts: opts.accounts,
    federationEnabled: opts.federationEnabled ?? true,
  };
  const { spec, dir } = tsServerSpec(`sts stand-in on 127.0.0.1:${port}`, SERVER, config);
  const standIn = new StsStandIn(spec, port, dir, config, tls);
  await standIn.start();
  return standIn;
}
