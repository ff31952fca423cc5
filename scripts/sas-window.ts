// Which stacks the scheduled workflow renews (.github/workflows/scheduled.yml): those with
// credentialMode "sas" whose SAS rotation window starts today, by the rule the program signs the
// SAS with (domain/sasWindow.ts). Prints them as a JSON array on stdout (the job's output) and one
// line per stack on stderr (the job's log).
//   npx tsx scripts/sas-window.ts              the stacks due today
//   npx tsx scripts/sas-window.ts --all        every SAS stack (the workflow run by hand)
//   npx tsx scripts/sas-window.ts --now <ISO>  as of another time
import { parseArgs } from "node:util";
import { NAMESPACE, SCHEMA } from "../config/schema";
import { stackConfig, stackNames } from "../config/stackFile";
import type { CredentialMode } from "../domain/credentials";
import { sasRenewalDue, sasWindow } from "../domain/sasWindow";

export interface StackRenewal {
  stack: string;
  mode: CredentialMode;
  rotationDays: number;
  /** The current window's SAS (start, expiry). */
  window: { start: string; expiry: string };
  /** True on the first day of the window. */
  firstDay: boolean;
}

/** A stack's credential mode and SAS window, read with the config schema's rules and defaults. */
export function stackRenewal(
  stack: string,
  config: Record<string, string>,
  now: Date,
): StackRenewal {
  const fail = (key: string, issues: { message: string }[]) =>
    new Error(
      `Pulumi.${stack}.yaml: ${NAMESPACE}:${key}: ${issues.map((i) => i.message).join("; ")}`,
    );
  const mode = SCHEMA.credentialMode.schema.safeParse(config[`${NAMESPACE}:credentialMode`]);
  if (!mode.success) throw fail("credentialMode", mode.error.issues);
  const days = SCHEMA.sasRotationDays.schema.safeParse(config[`${NAMESPACE}:sasRotationDays`]);
  if (!days.success) throw fail("sasRotationDays", days.error.issues);
  return {
    stack,
    mode: mode.data,
    rotationDays: days.data,
    window: sasWindow(now, days.data),
    firstDay: sasRenewalDue(now, days.data),
  };
}

/** The SAS stacks to renew: those on the first day of their window, or every one with `all`. */
export function renewalsDue(renewals: StackRenewal[], all: boolean): string[] {
  return renewals.filter((r) => r.mode === "sas" && (all || r.firstDay)).map((r) => r.stack);
}

function describe(r: StackRenewal, due: boolean): string {
  if (r.mode !== "sas") return `${r.stack}: credentialMode ${r.mode}, no SAS to renew`;
  return `${r.stack}: ${r.rotationDays}-day SAS windows; this one started ${r.window.start}, its SAS expires ${r.window.expiry}; ${due ? "renew now" : "nothing to do"}`;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { all: { type: "boolean", default: false }, now: { type: "string" } },
    strict: true,
  });
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime()))
    throw new Error(`--now "${values.now}" is not a date (e.g. 2026-12-01T00:30:00Z)`);
  const renewals = stackNames().map((s) => stackRenewal(s, stackConfig(s), now));
  const due = renewalsDue(renewals, values.all);
  for (const r of renewals) console.error(describe(r, due.includes(r.stack)));
  console.log(JSON.stringify(due));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  }
}
