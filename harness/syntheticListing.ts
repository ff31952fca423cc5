// Starts the synthetic listing server (harness/servers/syntheticListing.ts: an S3 bucket and an
// Azure vault container of N generated objects on one 127.0.0.1 port, stopped by PID like the
// emulators) and runs the engine's listing and planning against it (harness/listing-bench.py):
// the engine is configured as on a host, by settings.json (the dev stack's, pointed at this
// server) and the environment, with obviously fake credentials. Nothing here reaches AWS or Azure.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderEngineSettings } from "../userdata/engineSettings";
import { EmulatorProcess, freePort } from "./emulators";
import { sampleGroupRss, type RssPeak } from "./rss";
import type { SyntheticConfig, SyntheticCounts } from "./servers/syntheticListing";
import { stackSettings } from "./stack";
import { tsServerSpec } from "./standInProcess";

export type { SyntheticCounts };

const SERVER = path.join(__dirname, "servers", "syntheticListing.ts");
const DRIVER = path.join(__dirname, "listing-bench.py");

export interface SyntheticListingOptions {
  objects: number;
  seed?: number;
  /** Percent of the objects overwritten in S3 since the vault copied them (new ETag). */
  changedPercent?: number;
  /** Percent of the objects the vault does not hold. */
  missingPercent?: number;
  /** Fraction of S3 listings answered 503 SlowDown, of Azure listings 503 ServerBusy. */
  s3ListFailFraction?: number;
  azureListFailFraction?: number;
  /** The bucket's owning account (x-amz-expected-bucket-owner is checked against it). */
  bucketOwner?: string;
}

/** An obviously fake key pair: the server checks the SigV4 header's shape, never its signature. */
export const FAKE_AWS_CREDENTIALS = {
  accessKeyId: "AKIAFAKESYNTHETIC000",
  secretAccessKey: "fake-synthetic-secret-not-a-real-key",
} as const;

export class SyntheticListing extends EmulatorProcess {
  constructor(
    spec: ConstructorParameters<typeof EmulatorProcess>[0],
    dir: string,
    readonly config: SyntheticConfig,
  ) {
    super(spec, config.port, dir, true);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get containerUrl(): string {
    return `${this.endpoint}/${this.config.account}/${this.config.container}`;
  }

  /** A container SAS URL the server accepts (its signature is fake and never verified). */
  sasUrl(expiresOn = new Date(Date.now() + 6 * 3600_000)): string {
    const se = encodeURIComponent(expiresOn.toISOString().replace(/\.\d{3}Z$/, "Z"));
    return `${this.containerUrl}?sv=2021-08-06&spr=https%2Chttp&se=${se}&sr=c&sp=racwl&sig=FAKEsyntheticSignature0000%3D`;
  }

  private async admin<T>(endpoint: string, method = "GET"): Promise<T> {
    const r = await fetch(`${this.endpoint}/__synthetic/${endpoint}`, { method });
    if (!r.ok) throw new Error(`synthetic listing: ${endpoint}: HTTP ${r.status}`);
    return (await r.json()) as T;
  }

  /** Requests by kind since the start or the last reset(), and the server's CPU seconds. */
  counts(): Promise<SyntheticCounts> {
    return this.admin<SyntheticCounts>("counts");
  }

  async reset(): Promise<void> {
    await this.admin("reset", "POST");
  }

  /** The size of the change set: objects with a new ETag, and objects the vault lacks. */
  changes(): Promise<{ changed: number; missing: number }> {
    return this.admin("changes");
  }

  /** The status/ blobs written to the vault (name -> body). */
  statusBlobs(): Promise<Record<string, string>> {
    return this.admin("status");
  }

  /** settings.json for the engine: the dev stack's, with this server's bucket and container. */
  engineSettings(): string {
    const s = stackSettings("dev", { credentialMode: "sas" });
    return renderEngineSettings({
      ...s,
      sourceBucket: this.config.bucket,
      sourceRegion: this.config.region,
      sourceBucketOwner: this.config.bucketOwner ?? "",
      containerName: this.config.container,
      vaultContainerUrl: this.containerUrl,
    });
  }

  /** The engine's environment on a host, pointed at this server (settings.json in credentialsDir). */
  engineEnv(stateDir: string, credentialsDir: string): NodeJS.ProcessEnv {
    fs.mkdirSync(credentialsDir, { recursive: true });
    fs.writeFileSync(path.join(credentialsDir, "settings.json"), this.engineSettings(), {
      mode: 0o600,
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STATE_DIRECTORY: stateDir,
      CREDENTIALS_DIRECTORY: credentialsDir,
      AWS_ENDPOINT_URL_S3: this.endpoint,
      AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      // SAS mode: the engine's own vault requests take the SAS from here when no SSM read happened
      RCLONE_CONFIG_VAULT_SAS_URL: this.sasUrl(),
    };
    for (const k of ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_DEFAULT_PROFILE"])
      delete env[k];
    return env;
  }
}

export async function startSyntheticListing(
  opts: SyntheticListingOptions,
): Promise<SyntheticListing> {
  const port = await freePort();
  const config: SyntheticConfig = {
    port,
    objects: opts.objects,
    seed: opts.seed ?? 1,
    changedPercent: opts.changedPercent ?? 0,
    missingPercent: opts.missingPercent ?? 0,
    bucket: "example-app-data-synthetic",
    region: "eu-west-1",
    bucketOwner: opts.bucketOwner,
    account: "syntheticvault",
    container: "backup",
    s3ListFailFraction: opts.s3ListFailFraction ?? 0,
    azureListFailFraction: opts.azureListFailFraction ?? 0,
  };
  const { spec, dir } = tsServerSpec(
    `synthetic listing (${opts.objects} objects) on 127.0.0.1:${port}`,
    SERVER,
    config,
  );
  const server = new SyntheticListing(spec, dir, config);
  await server.start();
  return server;
}

/** What one listing-and-planning run reported (harness/listing-bench.py), plus what we sampled. */
export interface ListingRun {
  wallSeconds: number;
  cpuSeconds: number;
  runDir: string;
  counts: {
    sourceObjects: number;
    sourceBytes: number;
    vaultObjects: number;
    unchanged: number;
    new: number;
    changed: number;
    vaultOnly: number;
    bytesChanged: number;
  };
  plan: Record<string, { path: string; lines: number }>;
  skipped: { count: number; first: unknown[] };
  errors: { count: number; first: unknown[] };
  engine: {
    s3ListWorkers: number | null;
    vaultListWorkers: number | null;
    /** What sort(1) compressed its temporary runs with (older engines: gzip). */
    sortCompressor?: string;
  };
  maxRssMiB: { engine: number; largestChild: number };
  /** The keys the plan copies (with `copyKeys`). */
  copyKeys?: string[];
  /** The driver process's whole life, as seen from here (Python start-up included). */
  processSeconds: number;
  /** Peak RSS of the driver's process group (the engine, its vault lister, sort, gzip). */
  rss: RssPeak;
  /** Largest total size of the files under the state directory's runs/, sampled. */
  peakScratchBytes: number;
  stderr: string;
}

/** Total size of the files under `dir` (0 when it does not exist yet). */
export function folderBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    try {
      total += fs.statSync(path.join(e.parentPath, e.name)).size;
    } catch {
      // removed between the listing and the stat (sort's temporary files come and go)
    }
  }
  return total;
}

/**
 * Runs the engine's listing and planning once against `server`, in its own process group, with a
 * fresh state directory under `workDir`; samples the group's RSS (every 50 ms) and the run
 * folders' size (every `scratchEveryMs`). Rejects when the driver fails.
 */
export async function runListing(
  server: SyntheticListing,
  engineDir: string,
  workDir: string,
  opts: {
    timeoutMs?: number;
    scratchEveryMs?: number;
    copyKeys?: boolean;
    lastListing?: number;
  } = {},
): Promise<ListingRun> {
  const stateDir = fs.mkdtempSync(path.join(workDir, "state-"));
  // A host past its first run knows how many objects it listed last time (freshness.json): what
  // makes the engine list a large vault by folder in parallel (ccb/vaultlist.py).
  if (opts.lastListing)
    fs.writeFileSync(
      path.join(stateDir, "freshness.json"),
      JSON.stringify({ sourceObjects: opts.lastListing }),
    );
  const env = server.engineEnv(stateDir, path.join(stateDir, "credentials"));
  const runs = path.join(stateDir, "runs");
  const started = Date.now();
  const args = ["-I", DRIVER, engineDir, ...(opts.copyKeys ? ["--copy-keys"] : [])];
  const child = spawn("/usr/bin/python3", args, {
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const rss = sampleGroupRss(child.pid!);
  let peakScratchBytes = 0;
  const scratch = setInterval(() => {
    peakScratchBytes = Math.max(peakScratchBytes, folderBytes(runs));
  }, opts.scratchEveryMs ?? 100);
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, opts.timeoutMs ?? 3600_000);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  clearTimeout(timer);
  clearInterval(scratch);
  const peak = rss.stop();
  const stderr = Buffer.concat(err).toString("utf8");
  if (code !== 0) throw new Error(`listing run failed (exit ${code}):\n${stderr.slice(-4000)}`);
  const report = JSON.parse(Buffer.concat(out).toString("utf8")) as Omit<
    ListingRun,
    "processSeconds" | "rss" | "peakScratchBytes" | "stderr"
  >;
  return {
    ...report,
    processSeconds: (Date.now() - started) / 1000,
    rss: peak,
    peakScratchBytes: Math.max(peakScratchBytes, folderBytes(runs)),
    stderr,
  };
}

/** A temp work dir for listing runs (the caller removes it). */
export function listingWorkDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ccb-listing-"));
}
