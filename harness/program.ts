// Runs the Pulumi program under mocks with a stack's real config file (plus overrides) in a
// child process, and returns what it recorded. Results are cached per (stack, overrides). Shared
// by the unit tests (through test/support/program.ts) and `npm run policy`.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { RecordedInvoke, RecordedResource } from "./mocks";
import { ROOT, stackConfig } from "./stack";

export interface ProgramResult {
  error?: string;
  resources: RecordedResource[];
  invokes: RecordedInvoke[];
  outputs: Record<string, { secret: boolean; value: unknown }>;
  /** "type::name" of every resource created with `protect: true`. */
  protectedResources: string[];
  /** Resources registered with retainOnDelete ("type::name"). */
  retainedResources: string[];
  /** Aliases ("type::name" -> ["<alias name> under <parent URN>"]). */
  aliases: Record<string, string[]>;
  /** Explicit dependsOn of each resource ("type::name" -> ["type::name", ...]). */
  dependsOn: Record<string, string[]>;
}

const cache = new Map<string, ProgramResult>();

/**
 * A folder shared by the processes of one test run (mocha's parallel workers), set by the run's
 * global setup (test/support/fixtures.ts): each (stack, overrides) is then run once per test run,
 * not once per worker. Unset (a single process, `npm run policy`), the in-memory cache alone.
 */
export const PROGRAM_CACHE_ENV = "CCB_PROGRAM_CACHE";
const WAIT_FOR_OTHER_MS = 180_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The result another process of this run computed or is computing, or undefined (then ours). */
function sharedResult(file: string): ProgramResult | undefined {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as ProgramResult;
  try {
    closeSync(openSync(`${file}.lock`, "wx"));
    return undefined; // ours to compute
  } catch {
    // another worker is running this very program: wait for its result
  }
  const deadline = Date.now() + WAIT_FOR_OTHER_MS;
  while (Date.now() < deadline) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as ProgramResult;
    sleepSync(200);
  }
  throw new Error(`runProgram: no result in ${file} after ${WAIT_FOR_OTHER_MS} ms`);
}

/**
 * Run index.ts for `stack`. `overrides` maps bare keys of our namespace (or full "ns:key" keys)
 * to values; `undefined` removes a key. `preview`: run as `pulumi preview` does (isDryRun).
 */
export function runProgram(
  stack: string,
  overrides: Record<string, unknown> = {},
  opts: { preview?: boolean } = {},
): ProgramResult {
  const preview = opts.preview === true;
  // undefined (a removed key) and the AWS region from the environment are part of the key
  const cacheKey = JSON.stringify(
    [stack, overrides, process.env.AWS_REGION ?? null, ...(preview ? ["preview"] : [])],
    (_, v: unknown) => (v === undefined ? "<removed>" : v),
  );
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const shared = process.env[PROGRAM_CACHE_ENV];
  const sharedFile = shared
    ? path.join(shared, `${createHash("sha256").update(cacheKey).digest("hex")}.json`)
    : undefined;
  const other = sharedFile ? sharedResult(sharedFile) : undefined;
  if (other) {
    cache.set(cacheKey, other);
    return other;
  }
  const config = stackConfig(stack);
  for (const [k, v] of Object.entries(overrides)) {
    const full = k.includes(":") ? k : `cross-cloud-backup:${k}`;
    if (v === undefined) delete config[full];
    else config[full] = typeof v === "string" ? v : JSON.stringify(v);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "ccb-program-"));
  const resultFile = path.join(dir, "result.json");
  try {
    try {
      execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "run-program.ts")], {
        cwd: ROOT,
        env: {
          ...process.env,
          PULUMI_CONFIG: JSON.stringify(config),
          PROGRAM_RESULT: resultFile,
          PROGRAM_STACK: stack,
          PROGRAM_PREVIEW: preview ? "1" : "",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      // A failed program (e.g. a rule checked on a lookup's result) exits non-zero after
      // recording its error; anything else is a harness failure.
      if (!existsSync(resultFile)) throw e;
    }
    const text = readFileSync(resultFile, "utf8");
    const result = JSON.parse(text) as ProgramResult;
    cache.set(cacheKey, result);
    if (sharedFile) {
      writeFileSync(`${sharedFile}.tmp`, text);
      renameSync(`${sharedFile}.tmp`, sharedFile);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
