// What the unit tests import to run the program under mocks: the runner and its mocks live in
// harness/ (shared with `npm run policy`); the assertion helpers over what it recorded are here.
import type { ProgramResult } from "../../harness/program";
import type { RecordedResource } from "../../harness/mocks";

export { runProgram, type ProgramResult } from "../../harness/program";
export { ROOT, stackConfig } from "../../harness/stack";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** True when a recorded input value is a Pulumi secret. */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && SECRET_SIG in v;
}

/** The plain value of a recorded input, unwrapping a secret. */
export function plain<T = unknown>(v: unknown): T {
  return (isSecretInput(v) ? (v as { value: unknown }).value : v) as T;
}

export function ofType(r: ProgramResult, type: string): RecordedResource[] {
  return r.resources.filter((x) => x.type === type);
}

export function one(r: ProgramResult, type: string): RecordedResource {
  const all = ofType(r, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}
