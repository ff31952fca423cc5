// Drives the real data path: the sync script, rclone config and flags that userdata/ renders for
// a stack, run with the real rclone against s3rver and Azurite on 127.0.0.1. Only endpoints and
// credentials are overridden, through environment variables; paths come from the same
// STATE_DIRECTORY / CREDENTIALS_DIRECTORY variables systemd sets on the host.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type ContainerClient,
} from "@azure/storage-blob";
import { sasPermissions } from "../components/vaultSas";
import type { DrillResult, IntegrityResult, RunSummary } from "../domain/runSummary";
import { stackSettings } from "./stack";
import { renderHostArtifacts, type SyncSettings, type VaultAccess } from "../userdata";
import type { AzuriteOAuthEmulator } from "./azuriteOAuth";
import { startFederatedVault, type FederatedVault } from "./federatedVault";
import { startTelemetryStandIn, type TelemetryStandIn } from "./telemetryStandIn";
import { startCountingProxy, type CountingProxy } from "./countingProxy";
import { runRclone, type RcloneResult } from "./rclone";
import { sampleGroupRss, type RssPeak } from "./rss";
import { acceptedSkip } from "./acceptedSkip";
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  AzuriteEmulator,
  containerSas,
  emulatorRemoteEnv,
  S3RVER_CREDENTIALS,
  startAzurite,
  startS3,
  type S3Emulator,
} from "./emulators";

export interface SyncRun {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** $STATE_DIRECTORY/last-run.json after the run (undefined if none was written). */
  summary?: RunSummary;
  s3: CountingProxy["counts"];
  azure: CountingProxy["counts"];
  /** Peak memory of the run's whole process tree (sampled). */
  rss: RssPeak;
}

/** Diagnostics for a failed expectation on a run: exit code, the end of stderr, the summary. */
export function why(r: SyncRun): string {
  return `exit ${r.code}\nstderr:\n${r.stderr.slice(-3000)}\nsummary: ${JSON.stringify(r.summary)}`;
}

export interface BackupOptions {
  stack?: string;
  /** Stack config overrides (bare keys), e.g. { syncMode: "mirror", maxDeletes: 2 }. */
  overrides?: Record<string, unknown>;
  bucket?: string;
  /** Keep Azurite's blobs in memory (faster); not for tests that restart Azurite. */
  azuriteInMemory?: boolean;
  /**
   * Federated mode (the stacks' default): the host mints its own SAS through the STS and Entra
   * stand-ins from Azurite in OAuth mode. Otherwise the SAS mode with a SAS handed over.
   */
  federated?: boolean;
}

const FAKE_AWS_CLI = `#!/usr/bin/env bash
# Stand-in for the AWS CLI on the host: answers only the SSM call the sync script makes.
echo "$*" >>"$FAKE_SSM_VALUE_FILE.calls"
if [ -n "\${FAKE_SSM_DOWN:-}" ]; then
  echo "Could not connect to the endpoint URL: \"https://ssm.$FAKE_SSM_REGION.amazonaws.com/\"" >&2
  exit 255
fi
# The engine asks for the type and the value; the previous release (harness/previousEngine.ts)
# asked for the value only.
call="ssm get-parameter --region $FAKE_SSM_REGION --name $FAKE_SSM_NAME --with-decryption --query"
case "$*" in
  "$call Parameter.[Type,Value] --output text") with_type=1 ;;
  "$call Parameter.Value --output text") with_type="" ;;
  *)
    echo "fake aws: unexpected call: aws $*" >&2
    exit 254
    ;;
esac
if [ ! -s "$FAKE_SSM_VALUE_FILE" ]; then
  echo "An error occurred (ParameterNotFound) when calling the GetParameter operation" >&2
  exit 254
fi
if [ -n "$with_type" ]; then
  printf '%s\t%s\n' "\${FAKE_SSM_TYPE:-SecureString}" "$(cat "$FAKE_SSM_VALUE_FILE")"
else
  cat "$FAKE_SSM_VALUE_FILE"
fi
`;

/**
 * Stand-in for the host's apt-get: the engine asks it (`apt-get -s upgrade`) for pending security
 * updates at the start of a run. One pending, the way Debian's apt prints it.
 */
const FAKE_APT_GET = `#!/bin/sh
echo "Inst libssl3 [3.0.15-1~deb12u1] (3.0.16-1~deb12u1 Debian:12.10/stable, Debian-Security:12/stable-security [amd64])"
`;

export class Backup {
  /** Where runs publish their metrics and summary (CloudWatch / Logs stand-in). */
  telemetry?: TelemetryStandIn;
  readonly workDir: string;
  readonly stateDir: string;
  readonly credentialsDir: string;
  /** The loader (the host's entry point, from user-data). */
  readonly scriptPath: string;
  /** The engine's SSM parameters (name -> value), as SyncHost creates them. */
  readonly engineParameters: Record<string, string>;
  private readonly ssmValueFile: string;
  private readonly fakeBin: string;

  constructor(
    readonly settings: SyncSettings,
    readonly s3: S3Emulator,
    readonly azurite: AzuriteEmulator | AzuriteOAuthEmulator,
    readonly s3Proxy: CountingProxy,
    readonly azureProxy: CountingProxy,
    readonly source: S3Client,
    readonly container: ContainerClient,
    /** Federated mode: the stand-ins the host signs in through. */
    readonly federation?: FederatedVault,
  ) {
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-datapath-"));
    this.stateDir = path.join(this.workDir, "state");
    this.credentialsDir = path.join(this.workDir, "credentials");
    this.fakeBin = path.join(this.workDir, "bin");
    this.scriptPath = path.join(this.workDir, "cross-cloud-backup-sync");
    this.ssmValueFile = path.join(this.workDir, "ssm-value");
    for (const d of [this.stateDir, this.credentialsDir, this.fakeBin])
      fs.mkdirSync(d, { recursive: true });
    // The SAS only matters for rendering in userData mode; its value is overridden by env below.
    let access: VaultAccess;
    if (settings.credential === "federated") {
      if (!federation) throw new Error("Backup: federated settings need the federation stand-ins");
      // The engine and rclone reach Azurite through the counting proxy (plain HTTP on
      // 127.0.0.1; the proxy speaks HTTPS to Azurite, which requires it for bearer tokens).
      access = {
        ...federation.access(),
        blobEndpoint: `http://127.0.0.1:${azureProxy.port}/${AZURITE_ACCOUNT}`,
      };
    } else if (settings.credential === "userData") {
      access = { kind: "userData", sasUrl: "https://placeholder.invalid/backup?sv=fake" };
    } else {
      access = { kind: "ssm" };
    }
    const artifacts = renderHostArtifacts(settings, access);
    if (artifacts.federationConfig !== undefined)
      fs.writeFileSync(
        path.join(this.credentialsDir, "federation.json"),
        artifacts.federationConfig,
        {
          mode: 0o600,
        },
      );
    fs.writeFileSync(path.join(this.credentialsDir, "rclone.conf"), artifacts.rcloneConfig, {
      mode: 0o600,
    });
    fs.writeFileSync(path.join(this.credentialsDir, "settings.json"), artifacts.engineSettings, {
      mode: 0o600,
    });
    // The host's entry point is the loader: it reads the engine from SSM (the stand-in, which
    // start() stocks with the engine's parameters) and runs it only if its SHA-256 matches.
    fs.writeFileSync(this.scriptPath, artifacts.loader, { mode: 0o755 });
    this.engineParameters = Object.fromEntries(
      artifacts.engine.parameters.map((p) => [p.name, p.value]),
    );
    fs.writeFileSync(path.join(this.fakeBin, "aws"), FAKE_AWS_CLI, { mode: 0o755 });
    fs.writeFileSync(path.join(this.fakeBin, "apt-get"), FAKE_APT_GET, { mode: 0o755 });
    if (!federation) this.setSas(this.sasUrl());
    else fs.writeFileSync(this.ssmValueFile, "");
  }

  /** A SAS for the emulator with exactly the permissions the program requests for this mode. */
  // In federated mode the host has none; the SAS (signed with the emulator's key, through the
  // proxy) is then only for reading the vault as an operator or a test would.
  sasUrl(opts: { permissions?: string; expiresOn?: Date } = {}): string {
    const permissions = opts.permissions ?? sasPermissions(this.settings.syncMode);
    const expiresOn = opts.expiresOn ?? new Date(Date.now() + 3600_000);
    if (!(this.azurite instanceof AzuriteEmulator))
      return `http://127.0.0.1:${this.azureProxy.port}/${AZURITE_ACCOUNT}/${this.settings.containerName}?${containerSas(this.settings.containerName, { permissions, expiresOn })}`;
    const direct = this.azurite.containerSasUrl(this.settings.containerName, {
      permissions,
      expiresOn,
    });
    return direct.replace(`127.0.0.1:${this.azurite.port}`, `127.0.0.1:${this.azureProxy.port}`);
  }

  /**
   * Keys whose bodies the last run read from S3 (object GETs seen by the counting proxy), once
   * each: a copied object is read twice, by rclone's copy and by the engine's hash (seal.py).
   */
  objectGetKeys(): string[] {
    const prefix = `/${this.settings.sourceBucket}/`;
    const keys = this.s3Proxy.log
      .filter((l) => l.kind === "GET")
      .map((l) => decodeURIComponent(new URL(l.url, "http://x").pathname.slice(prefix.length)));
    return [...new Set(keys)].sort();
  }

  /** Every call the sync script made to the (stand-in) AWS CLI, oldest first. */
  awsCliCalls(): string[] {
    const f = `${this.ssmValueFile}.calls`;
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n") : [];
  }

  /** Put a SAS URL where the host would find it (the SSM parameter, or the env override). */
  setSas(url: string): void {
    fs.writeFileSync(this.ssmValueFile, url);
  }

  env(): Record<string, string | undefined> {
    const sasUrl = fs.readFileSync(this.ssmValueFile, "utf8");
    const remote = emulatorRemoteEnv(
      { endpoint: this.s3Proxy.endpoint },
      { blobEndpoint: "unused" },
      { container: this.settings.containerName, sas: "unused" },
    );
    // With SSM delivery the script itself must resolve the SAS (through the fake CLI).
    remote.RCLONE_CONFIG_VAULT_SAS_URL =
      this.settings.credential === "userData" ? sasUrl : undefined;
    // Federated: the engine's HTTPS calls (STS, Entra) trust the stand-ins' local CA.
    if (this.federation) Object.assign(remote, this.federation.env);
    if (this.telemetry) Object.assign(remote, this.telemetry.env);
    return {
      ...remote,
      // The engine lists the source with botocore: the same endpoint and test credentials.
      AWS_ENDPOINT_URL_S3: this.s3Proxy.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      STATE_DIRECTORY: this.stateDir,
      CREDENTIALS_DIRECTORY: this.credentialsDir,
      PATH: `${this.fakeBin}:${process.env.PATH ?? ""}`,
      FAKE_SSM_NAME: this.settings.ssmParameterName,
      FAKE_SSM_REGION: this.settings.sourceRegion,
      FAKE_SSM_VALUE_FILE: this.ssmValueFile,
    };
  }

  /** This process's environment with env() and `extra` applied (undefined removes a key). */
  processEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries({ ...this.env(), ...extra })) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** Start one run of the host's entry point (the loader, then the engine bundle); resolves when it exits. */
  start(
    timeoutMs = 150_000,
    args: string[] = [],
    extraEnv: Record<string, string | undefined> = {},
  ): { pid: number; done: Promise<SyncRun> } {
    this.s3Proxy.reset();
    this.azureProxy.reset();
    // Without the stand-in the loader would look for the engine in a real AWS account.
    if (!this.telemetry) throw new Error("Backup.start: no AWS stand-in (telemetry) is running");
    this.telemetry.setSsmParameters(this.engineParameters);
    const env = this.processEnv(extraEnv);
    const started = Date.now();
    // Own process group, so a hung run can be stopped with everything it started.
    // Run as the host does: the script's own interpreter line (Debian's /usr/bin/python3).
    const child = spawn(this.scriptPath, args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const sampler = sampleGroupRss(child.pid!);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const done = new Promise<SyncRun>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        const rss = sampler.stop();
        if (timedOut) err.push(Buffer.from(`\n[test harness] run killed after ${timeoutMs} ms\n`));
        const summaryFile = path.join(this.stateDir, "last-run.json");
        resolve({
          code,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          durationMs: Date.now() - started,
          summary: fs.existsSync(summaryFile)
            ? (JSON.parse(fs.readFileSync(summaryFile, "utf8")) as RunSummary)
            : undefined,
          s3: { ...this.s3Proxy.counts },
          azure: { ...this.azureProxy.counts },
          rss,
        });
      });
    });
    return { pid: child.pid!, done };
  }

  run(): Promise<SyncRun> {
    return this.start().done;
  }

  /** One integrity check (the host's `cross-cloud-backup-sync --verify`), and its result. */
  verify(): Promise<SyncRun & { result?: IntegrityResult }> {
    return this.check<IntegrityResult>("--verify", "last-integrity.json");
  }

  /** One restore drill (the host's `cross-cloud-backup-sync --drill`), and its result. */
  drill(): Promise<SyncRun & { result?: DrillResult }> {
    return this.check<DrillResult>("--drill", "last-drill.json");
  }

  private async check<T>(flag: string, resultFile: string): Promise<SyncRun & { result?: T }> {
    const file = path.join(this.stateDir, resultFile);
    fs.rmSync(file, { force: true });
    const run = await this.start(150_000, [flag]).done;
    return {
      ...run,
      result: fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as T) : undefined,
    };
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    const data = typeof body === "string" ? Buffer.from(body) : body;
    await this.source.send(
      new PutObjectCommand({
        Bucket: this.settings.sourceBucket,
        Key: key,
        Body: data,
        ContentLength: data.length,
      }),
    );
  }

  /**
   * PutObject with SSE-KMS. Its ETag (returned) is not the MD5 of the body, as on S3: the
   * patched emulator gives it a new random one for every write.
   */
  async putKms(key: string, body: string | Buffer): Promise<string> {
    const data = typeof body === "string" ? Buffer.from(body) : body;
    const out = await this.source.send(
      new PutObjectCommand({
        Bucket: this.settings.sourceBucket,
        Key: key,
        Body: data,
        ContentLength: data.length,
        ServerSideEncryption: "aws:kms",
      }),
    );
    return out.ETag!;
  }

  /**
   * Upload as a multipart object: `body` cut into parts of `partSize` bytes, or the given parts
   * (S3 wants every part but the last to be at least 5 MiB; the emulator does not check). With
   * the patched emulator, as on S3, the ETag (returned) is "<md5 of the parts' md5s>-<parts>" and
   * LastModified is when the upload started.
   */
  async putMultipart(
    key: string,
    body: Buffer | Buffer[],
    partSize = 5 * 1024 * 1024,
  ): Promise<string> {
    const Bucket = this.settings.sourceBucket;
    const chunks: Buffer[] = [];
    if (Array.isArray(body)) chunks.push(...body);
    else {
      for (let i = 0; i < body.length; i += partSize) chunks.push(body.subarray(i, i + partSize));
    }
    if (chunks.length === 0) throw new Error(`putMultipart ${key}: no parts`);
    const { UploadId } = await this.source.send(
      new CreateMultipartUploadCommand({ Bucket, Key: key }),
    );
    const parts: { ETag?: string; PartNumber: number }[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const n = i + 1;
      const r = await this.source.send(
        new UploadPartCommand({
          Bucket,
          Key: key,
          UploadId,
          PartNumber: n,
          Body: chunk,
          ContentLength: chunk.length,
        }),
      );
      parts.push({ ETag: r.ETag, PartNumber: n });
    }
    const done = await this.source.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return done.ETag!;
  }

  async remove(key: string): Promise<void> {
    await this.source.send(
      new DeleteObjectCommand({ Bucket: this.settings.sourceBucket, Key: key }),
    );
  }

  /** MD5 and size of every source object, read through the S3 API. */
  async sourceObjects(): Promise<Map<string, { size: number; md5: string }>> {
    const out = new Map<string, { size: number; md5: string }>();
    for (const key of await this.sourceKeys()) {
      const body = await this.sourceBody(key);
      out.set(key, { size: body.length, md5: createHash("md5").update(body).digest("hex") });
    }
    return out;
  }

  /** The full content of one source object, read through the S3 API. */
  async sourceBody(key: string, bucket = this.settings.sourceBucket): Promise<Buffer> {
    const got = await this.source.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  }

  /** Keys of the source objects (or of another bucket of the emulator), without reading them. */
  async sourceKeys(bucket = this.settings.sourceBucket): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.source.send(
        new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  /**
   * Make source objects look older: s3rver reports a file's mtime as LastModified. Lets a test
   * model objects written long before a run without waiting (the script re-copies anything
   * modified within a safety margin before the previous run).
   */
  backdate(keys: Iterable<string>, when: Date = new Date(Date.now() - 86_400_000)): void {
    for (const key of keys) {
      fs.utimesSync(this.objectFile(key), when, when);
    }
  }

  /** s3rver's file for a source object; its mtime is the object's LastModified. */
  objectFile(key: string): string {
    return (
      path.join(this.s3.dataDir, this.settings.sourceBucket, ...key.split("/")) + "._S3rver_object"
    );
  }

  /** MD5 and size of every blob under data/ (the live backup), by source-relative key. */
  async vaultObjects(): Promise<Map<string, { size: number; md5: string }>> {
    const out = new Map<string, { size: number; md5: string }>();
    for await (const b of this.container.listBlobsFlat({ prefix: "data/" })) {
      const body = await this.container.getBlobClient(b.name).downloadToBuffer();
      out.set(b.name.slice("data/".length), {
        size: body.length,
        md5: createHash("md5").update(body).digest("hex"),
      });
    }
    return out;
  }

  /** Names of every blob in the container with the given prefix. */
  /** Listings, plans and rclone's batch files in any run folder (none may outlive its run). */
  scratch(): string[] {
    const runs = path.join(this.stateDir, "runs");
    if (!fs.existsSync(runs)) return [];
    return fs
      .readdirSync(runs)
      .flatMap((d) => fs.readdirSync(path.join(runs, d)).map((f) => `${d}/${f}`))
      .filter((f) => /\.(tsv|lst)$|\/batch\./.test(f));
  }

  async blobNames(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const b of this.container.listBlobsFlat({ prefix })) names.push(b.name);
    return names.sort();
  }

  /**
   * Copies the vault's data/ back into a new bucket with rclone (the same config and encoding
   * the engine uses), the way a restore reads it. Proves names come back exactly.
   */
  async rcloneRestore(targetBucket: string): Promise<RcloneResult> {
    await this.s3.client().send(new CreateBucketCommand({ Bucket: targetBucket }));
    const env: Record<string, string | undefined> = {
      ...this.env(),
      RCLONE_CONFIG_VAULT_SAS_URL: this.sasUrl(),
    };
    return runRclone(
      [
        "copy",
        `vault:${this.settings.containerName}/data`,
        `source:${targetBucket}`,
        "--no-unicode-normalization",
        "--use-server-modtime",
      ],
      { env, configPath: path.join(this.credentialsDir, "rclone.conf") },
    );
  }

  /** Keys and MD5s of every object in a bucket of the S3 emulator. */
  async bucketObjects(bucket: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const key of await this.sourceKeys(bucket)) {
      const body = await this.sourceBody(key, bucket);
      out.set(key, createHash("md5").update(body).digest("hex"));
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all([this.s3Proxy.stop(), this.azureProxy.stop()]);
    await Promise.all([
      this.s3.stop(),
      this.azurite.stop(),
      this.telemetry?.stop(),
      this.federation?.sts.stop(),
      this.federation?.entra.stop(),
    ]);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/**
 * Compare every source object with its copy under data/ in the vault: same size and the same
 * SHA-256 of the full content (read through both APIs). Returns the keys that differ. A key on
 * the stack's acknowledged skip list (acceptedSkips) that the vault does not hold is counted in
 * `accepted`, not as a mismatch.
 */
export async function verifyVault(
  b: Backup,
  progress?: (done: number, total: number) => void,
): Promise<{ checked: number; bytes: number; mismatches: string[]; accepted: string[] }> {
  const keys = await b.sourceKeys();
  const accept = acceptedSkip(b.settings.acceptedSkips);
  const mismatches: string[] = [];
  const accepted: string[] = [];
  let bytes = 0;
  for (const [i, key] of keys.entries()) {
    const src = await b.sourceBody(key);
    bytes += src.length;
    const blob = b.container.getBlobClient(`data/${key}`);
    const stored = await blob.exists();
    if (!stored && accept(key)) {
      accepted.push(key);
    } else if (!stored) {
      mismatches.push(`${key}: missing in the vault`);
    } else {
      const dst = await blob.downloadToBuffer();
      const h = (x: Buffer) => createHash("sha256").update(x).digest("hex");
      if (dst.length !== src.length)
        mismatches.push(`${key}: ${dst.length} bytes in the vault, ${src.length} in S3`);
      else if (h(dst) !== h(src)) mismatches.push(`${key}: content differs`);
    }
    progress?.(i + 1, keys.length);
  }
  return { checked: keys.length - accepted.length, bytes, mismatches, accepted };
}

/** The account that owns the emulator's buckets (the stacks' account in the Pulumi mocks too). */
export const BUCKET_OWNER = "123456789012";

/** Emulators, proxies, an empty source bucket and vault container, and the rendered artifacts. */
export async function startBackup(opts: BackupOptions = {}): Promise<Backup> {
  const stack = opts.stack ?? "dev";
  // The SAS paths run against plain Azurite; federated runs need the STS and Entra stand-ins
  // and Azurite in OAuth mode (see test/integration/federated.test.ts).
  const base = stackSettings(stack, {
    credentialMode: opts.federated ? "federated" : "sas",
    ...opts.overrides,
  });
  // As SyncHost renders it: the bucket's owner is the stack's own account unless configured.
  const settings: SyncSettings = {
    ...base,
    sourceBucket: opts.bucket ?? base.sourceBucket,
    sourceBucketOwner: base.sourceBucketOwner || BUCKET_OWNER,
  };
  if (settings.credential === "federated") {
    const [s3, federation] = await Promise.all([
      startS3(),
      startFederatedVault({
        region: settings.sourceRegion,
        container: settings.containerName,
        skipApiVersionCheck: true,
      }),
    ]);
    const azurite = federation.azurite;
    const [s3Proxy, azureProxy] = await Promise.all([
      startCountingProxy("s3", s3.port),
      startCountingProxy("azure", azurite.port, { caCertPath: azurite.caCertPath }),
    ]);
    const source = await s3.createBucket(settings.sourceBucket);
    // The test's own view of the vault, with the emulator's well-known key, through the proxy.
    const container = new BlobServiceClient(
      `http://127.0.0.1:${azureProxy.port}/${AZURITE_ACCOUNT}`,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).getContainerClient(settings.containerName);
    settings.vaultContainerUrl ||= `http://127.0.0.1:${azureProxy.port}/${AZURITE_ACCOUNT}/${settings.containerName}`;
    const b = new Backup(settings, s3, azurite, s3Proxy, azureProxy, source, container, federation);
    b.telemetry = await startTelemetryStandIn();
    return b;
  }
  const [s3, azurite] = await Promise.all([
    startS3(),
    startAzurite({ inMemory: opts.azuriteInMemory }),
  ]);
  const [s3Proxy, azureProxy] = await Promise.all([
    startCountingProxy("s3", s3.port),
    startCountingProxy("azure", azurite.port),
  ]);
  const source = await s3.createBucket(settings.sourceBucket);
  const container = await azurite.createContainer(settings.containerName);
  // As SyncHost renders it: the vault container's URL, here through the counting proxy.
  settings.vaultContainerUrl ||= `http://127.0.0.1:${azureProxy.port}/${AZURITE_ACCOUNT}/${settings.containerName}`;
  const b = new Backup(settings, s3, azurite, s3Proxy, azureProxy, source, container);
  b.telemetry = await startTelemetryStandIn();
  return b;
}
