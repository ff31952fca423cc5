// Runs the Pulumi program under mocks with a stack's real config file (plus overrides) in a
// child process, and returns what it recorded. Results are cached per (stack, overrides). Shared
// by the unit tests (through test/support/program.ts) and `npm run policy`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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
 * Run index.ts for `stack`. `overrides` maps bare keys of our namespace (or full "ns:key" keys)
 * to values; `undefined` removes a key.
 */
export function runProgram(stack: string, overrides: Record<string, unknown> = {}): ProgramResult {
  // undefined (a removed key) and the AWS region from the environment are part of the key
  const cacheKey = JSON.stringify(
    [stack, overrides, process.env.AWS_REGION ?? null],
    (_, v: unknown) => (v === undefined ? "<removed>" : v),
  );
  const hit = cache.get(cacheKey);
  if (hit) return hit;
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
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      // A failed program (e.g. a rule checked on a lookup's result) exits non-zero after
      // recording its error; anything else is a harness failure.
      if (!existsSync(resultFile)) throw e;
    }
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as ProgramResult;
    cache.set(cacheKey, result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
