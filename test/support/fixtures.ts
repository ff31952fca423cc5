// mocha's global fixtures (loaded by .mocharc.json; they run once, in the main process, before
// the parallel workers start): a folder in which the workers share the Pulumi program's results
// (harness/program.ts), so each stack configuration runs once per test run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROGRAM_CACHE_ENV } from "../../harness/program";

let dir: string | undefined;

export function mochaGlobalSetup(): void {
  dir = mkdtempSync(path.join(tmpdir(), "ccb-programs-"));
  process.env[PROGRAM_CACHE_ENV] = dir;
}

export function mochaGlobalTeardown(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  delete process.env[PROGRAM_CACHE_ENV];
}
