// What the operator commands (cli/*.ts) share: reading a stack's outputs, usage errors, and the
// entry point that maps errors to exit codes (2: usage, 1: anything else).
import { execFileSync } from "node:child_process";
import type { StackOutputs } from "../domain/outputs";

/** A mistake in the command line: the command prints what to type and exits 2. */
export class UsageError extends Error {}

/**
 * A stack's outputs as `pulumi stack output --json` prints them (secrets as "[secret]"). Partial:
 * a stack last deployed by an older program may lack some; read each one with `output`.
 */
export type Outputs = Partial<StackOutputs>;

/** The stack's outputs, read with the Pulumi CLI (`pulumi stack output --json`). */
export function stackOutputs(stack: string): Outputs {
  try {
    return JSON.parse(
      execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }),
    ) as Outputs;
  } catch (e) {
    throw new Error(
      `cannot read the outputs of stack "${stack}" with the pulumi CLI: ${String(e)}`,
    );
  }
}

/** One output a command needs; missing means the stack predates it (no silent default). */
export function output<K extends keyof StackOutputs>(out: Outputs, key: K): StackOutputs[K] {
  const v = out[key];
  if (v === undefined || v === null)
    throw new Error(
      `the stack has no ${key} output: run pulumi up with this version of the program, which exports it`,
    );
  return v;
}

/** True for errors that are the caller's command line (ours, or node:util parseArgs'). */
export function isUsageError(e: unknown): boolean {
  return (
    e instanceof UsageError ||
    ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ?? false)
  );
}

/**
 * Runs a command's main() as the process: its result is the exit code; a usage error prints the
 * message and `usage`, and exits 2; any other error prints its (redacted) message and exits 1.
 */
export function runCli(
  name: string,
  main: (argv: string[]) => Promise<number>,
  usage: string,
  redact: (s: string) => string = (s) => s,
): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`${name}: ${redact((e as Error).message ?? String(e))}`);
      if (isUsageError(e)) console.error(usage);
      process.exit(isUsageError(e) ? 2 : 1);
    },
  );
}
