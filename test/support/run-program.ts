// Child-process entry: runs index.ts once under the shared mocks with a stack's config and
// writes what was recorded as JSON to $PROGRAM_RESULT. One program run per process, because
// setMocks is global and module caching means a second import would not re-run the program.
import { writeFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { invokes, mocks, resources } from "./mocks";

async function main(): Promise<void> {
  const out = process.env.PROGRAM_RESULT!;
  const stack = process.env.PROGRAM_STACK ?? "dev";
  await pulumi.runtime.setMocks(mocks, "cross-cloud-backup", stack, false);
  // Resource options are not part of what the mocks see: record `protect` and explicit
  // `dependsOn` (as "type::name") at registration.
  const protectedResources: string[] = [];
  const retainedResources: string[] = [];
  /** Aliases by resource ("type::name" -> ["<alias name> under <parent URN>"]). */
  const aliases: Record<string, string[]> = {};
  const dependsOn: Record<string, string[]> = {};
  const label = (r: unknown) => {
    const x = r as { __pulumiType?: string; __name?: string };
    return `${x.__pulumiType}::${x.__name}`;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeResource = require("@pulumi/pulumi/runtime/resource") as {
    registerResource: (...args: unknown[]) => unknown;
  };
  const register = runtimeResource.registerResource;
  runtimeResource.registerResource = (...args: unknown[]) => {
    const [, , type, name, , , , , opts] = args as [unknown, unknown, string, string, ...unknown[]];
    const o = opts as
      { protect?: boolean; retainOnDelete?: boolean; dependsOn?: unknown } | undefined;
    if (o?.protect === true) protectedResources.push(`${type}::${name}`);
    if (o?.retainOnDelete === true) retainedResources.push(`${type}::${name}`);
    const as = (opts as { aliases?: { name?: string; parent?: unknown }[] } | undefined)?.aliases;
    for (const a of as ?? []) {
      const key = `${type}::${name}`;
      pulumi.output(a.parent as pulumi.Input<string>).apply((parent) => {
        (aliases[key] ??= []).push(`${a.name} under ${String(parent)}`);
      });
    }
    if (Array.isArray(o?.dependsOn)) dependsOn[`${type}::${name}`] = o.dependsOn.map(label);
    return register(...args);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require("../../index") as Record<string, unknown>;
    const outputs: Record<string, { secret: boolean; value: unknown }> = {};
    for (const [k, v] of Object.entries(exported)) {
      const o = pulumi.output(v) as pulumi.Output<unknown>;
      outputs[k] = {
        secret: await pulumi.isSecret(o),
        value: await new Promise<unknown>((resolve) => o.apply((x) => resolve(x))),
      };
    }
    await pulumi.runtime.disconnect();
    writeFileSync(
      out,
      JSON.stringify({
        resources,
        invokes,
        outputs,
        protectedResources,
        retainedResources,
        aliases,
        dependsOn,
      }),
    );
  } catch (e) {
    writeFileSync(out, JSON.stringify({ error: (e as Error).message, resources, invokes }));
  }
}

void main();
