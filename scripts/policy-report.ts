// `npm run policy -- --stack <dev|prod>`: runs the program under mocks with the stack's config
// (harness/program.ts), hands every recorded resource and the stack's outputs to the policy
// pack in-process, with the stack's policy config (policy/config.<stack>.json, the file the
// workflows pass to `pulumi preview --policy-pack-config`), prints a report per policy (with
// --json, the results as JSON for `npm run report -- --policy`) and exits non-zero on a mandatory
// violation.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { blocks, evaluate, type LocalResource, type PolicyConfigFile } from "../policy/local";
import type { PolicyOutcome } from "../policy/local";
import { runProgram, type ProgramResult } from "../harness/program";
import { ROOT } from "../harness/stack";

const PROJECT = "cross-cloud-backup";
/** The runtime's marker for a secret value (sdk/nodejs/runtime/rpc.ts specialSigKey/specialSecretSig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value with its secrets unwrapped, as @pulumi/policy hands properties to a policy. */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  if (o[SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

function urnOf(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

/**
 * The recorded program as the engine would show it to the pack: every resource with its inputs,
 * its `protect` option and its property dependencies, plus the root stack resource carrying the
 * outputs. The mocks give resource N the id "N-id" and an ARN ending ":N"; a property that
 * contains one of those was computed from N (what the engine tracks as a property dependency).
 */
export function policyResources(result: ProgramResult, stack: string): LocalResource[] {
  const refs = result.resources.map((r) => ({
    urn: urnOf(stack, r.type, r.name),
    pattern: new RegExp(`(?:${escape(`${r.name}-id`)}|${escape(`:${r.name}`)})(?![\\w-])`),
  }));
  const protectedSet = new Set(result.protectedResources ?? []);
  const resources: LocalResource[] = result.resources.map((r) => {
    const props = unwrapSecrets(r.inputs) as Record<string, unknown>;
    const urn = urnOf(stack, r.type, r.name);
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(props)) {
      const text = JSON.stringify(v) ?? "";
      const deps = refs.filter((x) => x.urn !== urn && x.pattern.test(text)).map((x) => x.urn);
      if (deps.length > 0) propertyDependencies[k] = deps;
    }
    const explicit = (result.dependsOn?.[`${r.type}::${r.name}`] ?? []).map((label) => {
      const [type, name] = label.split("::");
      return urnOf(stack, type, name);
    });
    return {
      type: r.type,
      name: r.name,
      urn,
      props,
      protect: protectedSet.has(`${r.type}::${r.name}`),
      propertyDependencies,
      dependencies: [...new Set([...Object.values(propertyDependencies).flat(), ...explicit])],
    };
  });
  const outputs = Object.fromEntries(
    Object.entries(result.outputs ?? {}).map(([k, o]) => [k, o.value]),
  );
  resources.push({
    type: "pulumi:pulumi:Stack",
    name: `${PROJECT}-${stack}`,
    urn: urnOf(stack, "pulumi:pulumi:Stack", `${PROJECT}-${stack}`),
    props: outputs,
  });
  return resources;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The stack's policy config file, as the workflows pass it to the CLI. */
export function stackPolicyConfig(stack: string): PolicyConfigFile {
  return JSON.parse(
    readFileSync(path.join(ROOT, "policy", `config.${stack}.json`), "utf8"),
  ) as PolicyConfigFile;
}

/** Runs the pack over the stack's program (config overrides as in runProgram). */
export async function policyReport(
  stack: string,
  overrides: Record<string, unknown> = {},
  config: PolicyConfigFile = stackPolicyConfig(stack),
): Promise<PolicyOutcome[]> {
  const result = runProgram(stack, overrides);
  if (result.error !== undefined) throw new Error(`the program failed: ${result.error}`);
  return evaluate(policyResources(result, stack), config);
}

/** One line per policy, then each violation under it. */
export function formatReport(stack: string, outcomes: PolicyOutcome[]): string {
  const lines = [`policy pack over stack "${stack}" (mocks): ${outcomes.length} policies`];
  const width = Math.max(...outcomes.map((o) => o.policy.length));
  for (const o of outcomes) {
    const status = o.violations.length === 0 ? "pass" : `${o.violations.length} violation(s)`;
    lines.push(`  ${o.policy.padEnd(width)}  ${o.level.padEnd(9)}  ${status}`);
    for (const v of o.violations) lines.push(`      ${v.urn ?? "(stack)"}: ${v.message}`);
  }
  const failed = outcomes.filter((o) => o.violations.length > 0);
  lines.push(
    failed.length === 0
      ? "all policies pass"
      : `${failed.length} policy(ies) violated; ${blocks(outcomes) ? "a mandatory one blocks the update" : "advisory only"}`,
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { stack: { type: "string" }, json: { type: "boolean" } },
    strict: true,
  });
  const stack = values.stack;
  if (stack === undefined || !/^[\w.-]+$/.test(stack))
    throw new Error("usage: npm run policy -- --stack <dev|prod> [--json]");
  const outcomes = await policyReport(stack);
  // --json: the results as data, for the evidence report (npm run report -- --policy <file>).
  console.log(
    values.json ? JSON.stringify({ stack, outcomes }, null, 2) : formatReport(stack, outcomes),
  );
  if (blocks(outcomes)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  });
}
