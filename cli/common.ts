// What the operator commands (cli/*.ts) share: reading a stack's outputs, usage errors, and the
// entry point that maps errors to exit codes (2: usage, 1: anything else).
import { execFileSync } from "node:child_process";

/** A mistake in the command line: the command prints what to type and exits 2. */
export class UsageError extends Error {}

/** The stack's outputs, read with the Pulumi CLI (`pulumi stack output --json`). */
export function stackOutputs(stack: string): Record<string, string> {
  try {
    return JSON.parse(
      execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }),
    ) as Record<string, string>;
  } catch (e) {
    throw new Error(
      `cannot read the outputs of stack "${stack}" with the pulumi CLI: ${String(e)}`,
    );
  }
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
