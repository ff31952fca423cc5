// Runs the real rclone binary for data-path tests: spawn with an environment, capture stdout,
// stderr and the exit code, kill on timeout. Never throws on a non-zero exit: tests assert on it.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const RCLONE_BIN = process.env.RCLONE_BIN ?? "/usr/bin/rclone";

export interface RcloneResult {
  /** Exit code, or null when killed by a signal (e.g. on timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface RcloneOptions {
  /** Merged over process.env; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  /**
   * Config file to use. Default: an empty temp file, so a developer's own rclone.conf can never
   * leak into a test (remotes then come from RCLONE_CONFIG_* variables only).
   */
  configPath?: string;
  timeoutMs?: number;
  cwd?: string;
}

let emptyConfig: string | undefined;
function emptyConfigPath(): string {
  if (emptyConfig === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-rclone-conf-"));
    emptyConfig = path.join(dir, "rclone.conf");
    fs.writeFileSync(emptyConfig, "");
    const dirToRemove = dir;
    process.once("exit", () => fs.rmSync(dirToRemove, { recursive: true, force: true }));
  }
  return emptyConfig;
}

export function runRclone(args: string[], opts: RcloneOptions = {}): Promise<RcloneResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // AWS_CA_BUNDLE (set in this environment) breaks rclone's S3 backend: LoadCustomCABundleError
    AWS_CA_BUNDLE: undefined,
    RCLONE_CONFIG: opts.configPath ?? emptyConfigPath(),
    ...opts.env,
  };
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(RCLONE_BIN, args, {
      env,
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => stdout.push(c));
    child.stderr.on("data", (c: Buffer) => stderr.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

/** Describes a result for assertion messages. */
export function describeRun(args: string[], r: RcloneResult): string {
  return `rclone ${args.join(" ")} exited ${r.code}${r.timedOut ? " (timed out)" : ""}\nstderr:\n${r.stderr.slice(-4000)}`;
}
