// Azurite's blob service in OAuth mode (`--oauth basic`), which needs HTTPS: it accepts bearer
// tokens and serves Get User Delegation Key, so the keyless path (Entra token -> user delegation
// key -> user-delegation SAS for rclone) can run locally. Same lifecycle as harness/emulators.ts
// (child process on 127.0.0.1, tracked, stopped by PID via stopAll, temp dir removed).
//
// What Azurite 3.35's OAuth "basic" level checks on a bearer token
// (dist/src/blob/authentication/BlobTokenAuthenticator.js): iat/nbf/exp present, now within
// [nbf, exp], `iss` starting with https://sts.windows.net/ (or the other clouds' STS hosts),
// `aud` https://storage.azure.com[/] or https://<account>.blob.core.windows.net[/] (or the
// storage app id). It does NOT verify the signature and does NOT enforce RBAC: any well-formed
// token for the right audience may do anything. Get User Delegation Key requires a bearer token
// and reads `oid` and `tid` from it (ServiceHandler.getUserDelegationKey).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  SASProtocol,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from "@azure/storage-blob";
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  EmulatorProcess,
  freePort,
  type StartOptions,
} from "./emulators";
import { localTls, request, type HttpResult, type LocalTls } from "./localTls";

const AZURITE_BLOB_BIN = path.join(
  __dirname,
  "..",
  "node_modules",
  "azurite",
  "dist",
  "src",
  "blob",
  "main.js",
);

/**
 * The newest x-ms-version Azurite 3.35 accepts (its BLOB_API_VERSION; the SDK's default,
 * 2026-04-06, is refused). It also selects the user-delegation SAS layout Azurite verifies.
 */
export const AZURITE_OAUTH_API_VERSION = "2025-11-05";

export class AzuriteOAuthEmulator extends EmulatorProcess {
  constructor(
    spec: ConstructorParameters<typeof EmulatorProcess>[0],
    port: number,
    dataDir: string,
    ownsDataDir: boolean,
    /** The certificate Azurite serves; clients trust `tls.caCertPath`. */
    readonly tls: LocalTls,
  ) {
    super(spec, port, dataDir, ownsDataDir);
  }

  /** e.g. https://127.0.0.1:41236/devstoreaccount1 */
  get blobEndpoint(): string {
    return `https://127.0.0.1:${this.port}/${AZURITE_ACCOUNT}`;
  }

  /** The one PEM file a client must trust (Python cafile, SSL_CERT_FILE for rclone, Node `ca`). */
  get caCertPath(): string {
    return this.tls.caCertPath;
  }

  /**
   * An account SAS signed with the well-known dev key (full access, for setup and assertions
   * only; it bypasses OAuth entirely).
   */
  adminSas(expiresOn = new Date(Date.now() + 3_600_000)): string {
    return generateAccountSASQueryParameters(
      {
        version: AZURITE_OAUTH_API_VERSION,
        expiresOn,
        permissions: AccountSASPermissions.parse("rwdlacup"),
        resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
        services: AccountSASServices.parse("b").toString(),
        protocol: SASProtocol.Https,
      },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
  }

  /**
   * A request to `${blobEndpoint}${pathAndQuery}` trusting the local CA, with x-ms-version and
   * x-ms-date set unless given. Never throws on an HTTP error status.
   */
  request(
    method: string,
    pathAndQuery: string,
    opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
  ): Promise<HttpResult> {
    return request(`${this.blobEndpoint}${pathAndQuery}`, {
      method,
      headers: {
        "x-ms-version": AZURITE_OAUTH_API_VERSION,
        "x-ms-date": new Date().toUTCString(),
        ...opts.headers,
      },
      body: opts.body,
    });
  }

  /** Creates a container with the admin SAS; throws unless Azurite answers 201. */
  async createContainer(container: string): Promise<void> {
    const res = await this.request("PUT", `/${container}?restype=container&${this.adminSas()}`);
    if (res.status !== 201) {
      throw new Error(`create container ${container}: HTTP ${res.status}\n${res.body}`);
    }
  }
}

export interface AzuriteOAuthStartOptions extends StartOptions {
  /** Keep blobs in memory only. */
  inMemory?: boolean;
  /** Certificate to serve. Default: the process-wide local test CA (harness/localTls.ts). */
  tls?: LocalTls;
  /**
   * Azurite's --loose (ignore unsupported headers/parameters instead of refusing them).
   * Default false, so requests the real service would reject are not silently accepted.
   */
  loose?: boolean;
  /**
   * Azurite's --skipApiVersionCheck, as plain Azurite runs: the tests' own SDK client (whose
   * default x-ms-version Azurite 3.35 does not know) reads the vault. The host's calls send a
   * version Azurite accepts either way.
   */
  skipApiVersionCheck?: boolean;
}

/**
 * Starts Azurite's blob service with `--oauth basic` over HTTPS on 127.0.0.1 and waits until it
 * accepts connections. The API version check stays on (no --skipApiVersionCheck).
 */
export async function startAzuriteOAuth(
  opts: AzuriteOAuthStartOptions = {},
): Promise<AzuriteOAuthEmulator> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "ccb-azurite-oauth-"));
  const tls = opts.tls ?? localTls();
  const args = [
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    ...(opts.inMemory ? ["--inMemoryPersistence"] : ["--location", dataDir]),
    "--oauth",
    "basic",
    "--cert",
    tls.certPath,
    "--key",
    tls.keyPath,
    ...(opts.loose ? ["--loose"] : []),
    ...(opts.skipApiVersionCheck ? ["--skipApiVersionCheck"] : []),
    "--silent",
    // Azurite 3.35 otherwise tries to send telemetry to Application Insights
    "--disableTelemetry",
  ];
  const emulator = new AzuriteOAuthEmulator(
    {
      label: `azurite-blob (oauth, https) on 127.0.0.1:${port}`,
      nodeArgs: [],
      script: AZURITE_BLOB_BIN,
      args,
      cwd: dataDir,
    },
    port,
    dataDir,
    opts.dataDir === undefined,
    tls,
  );
  await emulator.start();
  return emulator;
}
