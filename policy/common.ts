// Helpers the policy areas share: reading IAM policy documents as the engine hands them over
// (a JSON string or an object), walking every string in a resource's properties, and finding
// which resource another one refers to in a stack validation.
import type { PolicyResource } from "@pulumi/policy";

export interface IamStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of an IAM policy document given as a JSON string or an object. */
export function statementsOf(doc: unknown): IamStatement[] {
  let parsed: unknown = doc;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch {
      // Not JSON: nothing this pack can read. IAM itself refuses such a document.
      return [];
    }
  }
  if (typeof parsed !== "object" || parsed === null) return [];
  const st = (parsed as { Statement?: unknown }).Statement;
  if (st === undefined) return [];
  return (Array.isArray(st) ? st : [st]) as IamStatement[];
}

/** A string-or-list IAM field as a list. */
export function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** An IAM action pattern ("s3:Get*", "*") as a case-insensitive regular expression. */
export function actionPattern(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}

/** True when an IAM action (possibly a pattern) grants `action`. */
export function grants(pattern: string, action: string): boolean {
  return actionPattern(pattern).test(action);
}

/** Every string in a value, with its property path ("a.b[0].c"). */
export function* strings(value: unknown, path = ""): Generator<[string, string]> {
  if (typeof value === "string") {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(value[i], `${path}[${i}]`);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      yield* strings(v, path === "" ? k : `${path}.${k}`);
  }
}

/**
 * True when `from` takes `prop` from `target`: through the engine's property dependencies, or,
 * where those are not given, when the property's string names the target by one of `names`.
 */
export function refersTo(
  from: PolicyResource,
  prop: string,
  target: PolicyResource,
  names: (string | undefined)[],
): boolean {
  if ((from.propertyDependencies[prop] ?? []).includes(target)) return true;
  const value: unknown = from.props[prop];
  if (typeof value !== "string") return false;
  return names.some((n) => n !== undefined && n !== "" && value.includes(n));
}
