// Runs the pack's policies in-process, without the Pulumi CLI or the analyzer server: the same
// arguments the server builds (type, props, urn, options, getConfig), the same enforcement-level
// rules for a policy config file, and the violations collected per policy. Used by the tests and
// by `npm run policy`; the CLI itself loads index.ts.
import type {
  EnforcementLevel,
  Policies,
  PolicyConfigSchema,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { DEFAULT_ENFORCEMENT, policies as packPolicies } from "./policies";

/** A resource as the engine presents it to a policy (secrets already unwrapped). */
export interface LocalResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  protect?: boolean;
  parent?: string;
  /** URNs of the resources each property was computed from. */
  propertyDependencies?: Record<string, string[]>;
  /** URNs of every resource this one depends on. */
  dependencies?: string[];
}

/** A `--policy-pack-config` file: "all" and per-policy levels, per-policy properties. */
export type PolicyConfigFile = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  message: string;
  urn?: string;
}

export interface PolicyOutcome {
  policy: string;
  level: EnforcementLevel;
  violations: Violation[];
}

/**
 * The level a policy runs at: its own entry in the config, else the config's "all", else the
 * policy's own level, else the pack's.
 */
export function enforcementLevel(
  policy: { name: string; enforcementLevel?: EnforcementLevel },
  config: PolicyConfigFile,
): EnforcementLevel {
  const own = config[policy.name];
  const ownLevel = typeof own === "string" ? own : own?.enforcementLevel;
  const all = config.all;
  return (
    ownLevel ??
    (typeof all === "string" ? all : undefined) ??
    policy.enforcementLevel ??
    DEFAULT_ENFORCEMENT
  );
}

/** The policy's config as getConfig returns it: schema defaults, then the file's properties. */
export function policyConfig(
  policy: { name: string; configSchema?: PolicyConfigSchema },
  config: PolicyConfigFile,
): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [k, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    const d = (schema as { default?: unknown }).default;
    if (d !== undefined) defaults[k] = d;
  }
  const own = config[policy.name];
  const props: Record<string, unknown> = typeof own === "object" ? { ...own } : {};
  delete props.enforcementLevel;
  return { ...defaults, ...props };
}

function options(r: LocalResource): PolicyResourceOptions {
  return {
    protect: r.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: r.parent,
  };
}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function isTypeOf(type: string, resourceClass: unknown): boolean {
  return (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

/** The arguments validateResource receives for `r`, with `config` behind getConfig. */
export function resourceArgs(
  r: LocalResource,
  config: Record<string, unknown> = {},
): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.props,
    urn: r.urn,
    name: r.name,
    opts: options(r),
    stackTags: new Map(),
    isType: (c) => isTypeOf(r.type, c),
    asType: ((c: unknown) =>
      isTypeOf(r.type, c) ? r.props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** The arguments validateStack receives, with parents and dependencies linked as objects. */
export function stackArgs(
  resources: LocalResource[],
  config: Record<string, unknown> = {},
): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>();
  const linked: PolicyResource[] = resources.map((r) => {
    const p: PolicyResource = {
      type: r.type,
      props: r.props,
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (c) => isTypeOf(r.type, c),
      asType: ((c: unknown) =>
        isTypeOf(r.type, c) ? r.props : undefined) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, p);
    return p;
  });
  const resolve = (urns: string[] | undefined) =>
    (urns ?? []).map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
  resources.forEach((r, i) => {
    linked[i].parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    linked[i].dependencies = resolve(r.dependencies);
    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {}))
      linked[i].propertyDependencies[k] = resolve(urns);
  });
  return {
    resources: linked,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** Runs every enabled policy over the resources (and the stack) and collects the violations. */
export async function evaluate(
  resources: LocalResource[],
  config: PolicyConfigFile = {},
  policies: Policies = packPolicies,
): Promise<PolicyOutcome[]> {
  const outcomes: PolicyOutcome[] = [];
  for (const p of policies) {
    const level = enforcementLevel(p, config);
    if (level === "disabled") continue;
    const outcome: PolicyOutcome = { policy: p.name, level, violations: [] };
    outcomes.push(outcome);
    const cfg = policyConfig(p, config);
    const run = async (
      urn: string | undefined,
      validate: (report: (message: string, urn?: string) => void) => unknown,
    ) => {
      try {
        await validate((message, at) =>
          outcome.violations.push({ policy: p.name, level, message, urn: at ?? urn }),
        );
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
      }
    };
    if ("validateStack" in p) {
      await run(undefined, (report) => p.validateStack(stackArgs(resources, cfg), report));
    } else if (p.validateResource !== undefined) {
      const validations = Array.isArray(p.validateResource)
        ? p.validateResource
        : [p.validateResource];
      // The engine analyzes each resource's inputs; the root stack's are empty (its outputs
      // reach validateStack only).
      for (const r of resources.filter((x) => x.type !== "pulumi:pulumi:Stack"))
        for (const v of validations) await run(r.urn, (report) => v(resourceArgs(r, cfg), report));
    }
  }
  return outcomes;
}

/** True when any mandatory policy reported a violation (the CLI would fail the update). */
export function blocks(outcomes: PolicyOutcome[]): boolean {
  return outcomes.some((o) => o.level === "mandatory" && o.violations.length > 0);
}
