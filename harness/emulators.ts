// Emulator harness for data-path tests: s3rver (S3) and Azurite (Blob) as child processes on
// 127.0.0.1, on free ports, with temp data dirs. Every started process is tracked so a test
// file can clean up with `after(stopAll)`; a process "exit" hook SIGKILLs anything left over
// (and removes the temp dirs) if a test run dies without cleaning up.
//
// Usage in a test file:
//   let s3: S3Emulator;
//   before(async () => { s3 = await startS3(); });
//   after(stopAll);
//
// Fault tests: `s3.kill()` (SIGKILL by default) and `await s3.restart()` bring the server back on
// the same port with the same data dir; data written before the kill is still there.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type ContainerClient,
  type SasIPRange,
} from "@azure/storage-blob";

const REPO_ROOT = path.resolve(__dirname, "..");
const S3RVER_BIN = path.join(REPO_ROOT, "node_modules", "s3rver", "bin", "s3rver.js");
const AZURITE_BLOB_BIN = path.join(
  REPO_ROOT,
  "node_modules",
  "azurite",
  "dist",
  "src",
  "blob",
  "main.js",
);

/** s3rver accepts exactly this key pair (its DUMMY_ACCOUNT). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_TAIL_CHARS = 16_384;

/** Returns a port that was free a moment ago (the OS picks it; we release it for the child). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not determine a free port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Child environment for emulators and clients: no AWS CA bundle (it breaks plain-http use). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.AWS_CA_BUNDLE;
  return env;
}

interface ProcessSpec {
  label: string;
  nodeArgs: string[];
  script: string;
  args: string[];
  cwd: string;
}

/** One emulator child process; `restart()` replaces the child but keeps port and data dir. */
export class EmulatorProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<void> = Promise.resolve();
  private outputTail = "";
  private stopped = false;

  constructor(
    private readonly spec: ProcessSpec,
    readonly port: number,
    readonly dataDir: string,
    /** Whether stop() removes dataDir (true when the harness created it). */
    private readonly ownsDataDir: boolean,
  ) {}

  /** PID of the current child (changes on restart). */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error(`${this.spec.label} is not running`);
    return this.child.pid;
  }

  /** Whether the current child is still running. */
  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** The last ~16 KiB of the child's stdout and stderr, for failure messages. */
  get output(): string {
    return this.outputTail;
  }

  /** Resolves when the current child has exited. */
  exited(): Promise<void> {
    return this.exitPromise;
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error(`${this.spec.label} was stopped; start a new one`);
    if (this.running) throw new Error(`${this.spec.label} is already running (pid ${this.pid})`);
    const child = spawn(
      process.execPath,
      [...this.spec.nodeArgs, this.spec.script, ...this.spec.args],
      {
        cwd: this.spec.cwd,
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    live.add(this);
    const append = (chunk: Buffer) => {
      this.outputTail = (this.outputTail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    this.exitPromise = new Promise((resolve) => child.once("exit", () => resolve()));

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${this.spec.label} exited during startup (code ${child.exitCode}, signal ${child.signalCode}):\n${this.outputTail}`,
        );
      }
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    child.kill("SIGKILL");
    await this.exitPromise;
    throw new Error(
      `${this.spec.label} did not accept connections on 127.0.0.1:${this.port} within ${STARTUP_TIMEOUT_MS} ms:\n${this.outputTail}`,
    );
  }

  /** Sends a signal to the current child (default SIGKILL: a crash, no cleanup). */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.running) this.child?.kill(signal);
  }

  /** Kills the current child if it still runs, then starts a new one on the same port and dir. */
  async restart(): Promise<this> {
    if (this.running) {
      this.kill("SIGKILL");
      await this.exitPromise;
    }
    await this.start();
    return this;
  }

  /** SIGTERM (SIGKILL after 5 s), wait for exit, remove the data dir if the harness made it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.running) {
      this.child?.kill("SIGTERM");
      const timedOut = await Promise.race([
        this.exitPromise.then(() => false),
        sleep(STOP_TIMEOUT_MS).then(() => true),
      ]);
      if (timedOut) {
        this.child?.kill("SIGKILL");
        await this.exitPromise;
      }
    }
    live.delete(this);
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous last-resort cleanup for the process "exit" hook. */
  killSync(): void {
    if (this.running) this.child?.kill("SIGKILL");
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const live = new Set<EmulatorProcess>();

/** Stops every emulator this process started and has not stopped yet. Use as `after(stopAll)`. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

process.once("exit", () => {
  for (const p of live) p.killSync();
});

export interface StartOptions {
  /** Reuse a port (e.g. to come back where clients expect the server). Default: a free one. */
  port?: number;
  /** Reuse a data dir (it is then not removed by stop()). Default: a new temp dir. */
  dataDir?: string;
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export class S3Emulator extends EmulatorProcess {
  /** Path-style endpoint, e.g. http://127.0.0.1:41234 */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An SDK client for this emulator: path style, us-east-1, s3rver's fixed credentials. */
  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { ...S3RVER_CREDENTIALS },
      // s3rver does not decode aws-chunked bodies: with the SDK's default checksums a stream
      // body would be stored with its chunk framing and checksum trailer (measured)
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  /** Creates a bucket and returns a client for it. */
  async createBucket(bucket: string): Promise<S3Client> {
    const client = this.client();
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return client;
  }

  /**
   * Writes objects straight into s3rver's data dir (`<dataDir>/<bucket>/<key>._S3rver_object`):
   * 2,003 objects take ~0.2 s this way against 5–9 s of PUTs on 2 cores. The ETag is the body's
   * MD5 (single-part), LastModified the file's mtime. Only plain keys (segments of
   * 1–200 bytes, no "." or ".." directories, no "._S3rver_"): others are stored differently.
   */
  seedOnDisk(bucket: string, objects: Iterable<{ key: string; body: string | Buffer }>): number {
    const bucketDir = path.join(this.dataDir, bucket);
    if (!fs.statSync(bucketDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`seedOnDisk: bucket "${bucket}" does not exist; create it first`);
    }
    let count = 0;
    for (const { key, body } of objects) {
      const segments = key.split("/");
      const plain = segments.every(
        (s, i) =>
          Buffer.byteLength(s) <= 200 &&
          !s.includes("._S3rver_") &&
          !s.startsWith("_S3rver_") &&
          (i === segments.length - 1 || (s !== "" && s !== "." && s !== "..")),
      );
      if (!plain || segments[segments.length - 1] === "") {
        throw new Error(`seedOnDisk: key "${key.slice(0, 80)}" is not a plain key; PUT it instead`);
      }
      const file = path.join(bucketDir, ...segments) + "._S3rver_object";
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, body);
      // the ETag s3rver would otherwise compute (and write) on the first listing
      fs.writeFileSync(`${file}.md5`, createHash("md5").update(body).digest("hex"));
      count++;
    }
    return count;
  }
}

export interface S3StartOptions extends StartOptions {
  /**
   * Start node with --openssl-legacy-provider. Unpatched s3rver 3.7.1 needs it to list more than
   * 1,000 keys (its continuation token used DES); the repository's patch removes DES, so the
   * default is false — a test that lists > 1,000 keys then proves the patch.
   */
  legacyOpenssl?: boolean;
}

/** Starts s3rver on 127.0.0.1 (path-style only) and waits until it accepts connections. */
export async function startS3(opts: S3StartOptions = {}): Promise<S3Emulator> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? tempDir("ccb-s3rver-");
  const emulator = new S3Emulator(
    {
      label: `s3rver on 127.0.0.1:${port}`,
      nodeArgs: opts.legacyOpenssl ? ["--openssl-legacy-provider"] : [],
      script: S3RVER_BIN,
      args: [
        "-d",
        dataDir,
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "--silent",
        "--no-vhost-buckets",
      ],
      cwd: dataDir,
    },
    port,
    dataDir,
    opts.dataDir === undefined,
  );
  await emulator.start();
  return emulator;
}

export class AzuriteEmulator extends EmulatorProcess {
  /** e.g. http://127.0.0.1:41235/devstoreaccount1 */
  get blobEndpoint(): string {
    return `http://127.0.0.1:${this.port}/${AZURITE_ACCOUNT}`;
  }

  /** A service client with the account key (full access: for setup and assertions only). */
  serviceClient(): BlobServiceClient {
    return new BlobServiceClient(
      this.blobEndpoint,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    );
  }

  async createContainer(container: string): Promise<ContainerClient> {
    const client = this.serviceClient().getContainerClient(container);
    await client.create();
    return client;
  }

  /** A container SAS URL for this emulator (see containerSas for the options). */
  containerSasUrl(container: string, opts: ContainerSasOptions): string {
    return `${this.blobEndpoint}/${container}?${containerSas(container, opts)}`;
  }
}

export interface AzuriteStartOptions extends StartOptions {
  /** Keep blobs in memory only (faster; data is lost on kill, so not for restart tests). */
  inMemory?: boolean;
}

/**
 * Azurite 3.35 keeps its blob metadata in LokiJS and saves it every 5 s (and on SIGTERM). A
 * SIGKILL therefore loses blobs committed in the last 5 s, which real Azure never does. Fault
 * tests that SIGKILL Azurite and expect earlier blobs to survive must wait this long first.
 */
export const AZURITE_PERSIST_INTERVAL_MS = 5_000;

/** Starts Azurite's blob service only, on 127.0.0.1, and waits until it accepts connections. */
export async function startAzurite(opts: AzuriteStartOptions = {}): Promise<AzuriteEmulator> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? tempDir("ccb-azurite-");
  const args = [
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    // Azurite refuses --location together with --inMemoryPersistence; the (empty) dataDir is
    // then only its working directory
    ...(opts.inMemory ? ["--inMemoryPersistence"] : ["--location", dataDir]),
    "--skipApiVersionCheck",
    "--loose",
    "--silent",
  ];
  const emulator = new AzuriteEmulator(
    {
      label: `azurite-blob on 127.0.0.1:${port}`,
      nodeArgs: [],
      script: AZURITE_BLOB_BIN,
      args,
      cwd: dataDir,
    },
    port,
    dataDir,
    opts.dataDir === undefined,
  );
  await emulator.start();
  return emulator;
}

export interface ContainerSasOptions {
  /** Permission letters in any order, e.g. "racwl" (see components/vaultSas.ts). */
  permissions: string;
  expiresOn: Date;
  startsOn?: Date;
  /** Azurite is plain http, so the emulator SAS must allow http; production asks for https only. */
  protocol?: SASProtocol;
  ipRange?: SasIPRange;
}

/** A container-scoped service SAS (query string without "?") signed with the dev account key. */
export function containerSas(container: string, opts: ContainerSasOptions): string {
  return generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(opts.permissions),
      expiresOn: opts.expiresOn,
      startsOn: opts.startsOn,
      protocol: opts.protocol ?? SASProtocol.HttpsAndHttp,
      ipRange: opts.ipRange,
    },
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  ).toString();
}

/**
 * Environment overrides that point the production rclone remotes `source` (s3) and `vault`
 * (azureblob) at the emulators without editing the rendered config file. rclone reads
 * RCLONE_CONFIG_<REMOTE>_<OPTION> before the config file, so these win over
 * `[source] type = s3, provider = AWS, env_auth = true, region = eu-west-1` and
 * `[vault] type = azureblob, sas_url = https://...` (verified with rclone 1.60.1 in
 * test/emulators/rclone-env.test.ts). What each override is for:
 *
 * - SOURCE_PROVIDER=Other + SOURCE_FORCE_PATH_STYLE=true: provider AWS forces virtual-host
 *   addressing (bucket.127.0.0.1 cannot resolve). "Other" also switches off three AWS quirks,
 *   so they are switched back on to keep the production request pattern:
 *   SOURCE_LIST_VERSION=2 (ListObjectsV2 with continuation tokens),
 *   SOURCE_LIST_URL_ENCODE=true (encoding-type=url listings) and
 *   SOURCE_USE_MULTIPART_ETAG=true (verify multipart uploads' "md5-N" ETags).
 * - SOURCE_ENV_AUTH=false + SOURCE_ACCESS_KEY_ID / SOURCE_SECRET_ACCESS_KEY: s3rver's fixed
 *   keys instead of the instance profile (there is no IMDS here).
 * - SOURCE_REGION=us-east-1: s3rver only knows us-east-1.
 * - VAULT_SAS_URL=http://127.0.0.1:PORT/devstoreaccount1/<container>?<sas>: rclone 1.60.1 takes
 *   the scheme, host and account from the SAS URL as given (an IP host means path-style
 *   account), so no endpoint/use_emulator override is needed; the SAS must allow http.
 * - AWS_CA_BUNDLE is removed (undefined): it makes rclone's S3 backend fail with
 *   LoadCustomCABundleError. Node's spawn drops undefined values, so spread this into an env.
 * - *_TYPE are repeated so the remotes also work with no config file at all.
 */
export function emulatorRemoteEnv(
  s3: { endpoint: string },
  azurite: { blobEndpoint: string },
  sas: { container: string; sas: string },
): Record<string, string | undefined> {
  return { ...s3RemoteEnv(s3), ...vaultRemoteEnv(azurite, sas) };
}

/** The `source` half of emulatorRemoteEnv (S3-only tests). */
export function s3RemoteEnv(s3: { endpoint: string }): Record<string, string | undefined> {
  return {
    AWS_CA_BUNDLE: undefined,
    RCLONE_CONFIG_SOURCE_TYPE: "s3",
    RCLONE_CONFIG_SOURCE_PROVIDER: "Other",
    RCLONE_CONFIG_SOURCE_ENDPOINT: s3.endpoint,
    RCLONE_CONFIG_SOURCE_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_SOURCE_REGION: "us-east-1",
    RCLONE_CONFIG_SOURCE_ENV_AUTH: "false",
    RCLONE_CONFIG_SOURCE_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    RCLONE_CONFIG_SOURCE_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    RCLONE_CONFIG_SOURCE_LIST_VERSION: "2",
    RCLONE_CONFIG_SOURCE_LIST_URL_ENCODE: "true",
    RCLONE_CONFIG_SOURCE_USE_MULTIPART_ETAG: "true",
  };
}

/** The `vault` half of emulatorRemoteEnv (Azure-only tests); `sas` without the leading "?". */
export function vaultRemoteEnv(
  azurite: { blobEndpoint: string },
  sas: { container: string; sas: string },
): Record<string, string | undefined> {
  return {
    RCLONE_CONFIG_VAULT_TYPE: "azureblob",
    RCLONE_CONFIG_VAULT_SAS_URL: `${azurite.blobEndpoint}/${sas.container}?${sas.sas}`,
  };
}
