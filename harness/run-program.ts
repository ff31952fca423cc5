// Child-process entry: runs index.ts once under the shared mocks with a stack's config and
// writes what was recorded as JSON to $PROGRAM_RESULT. One program run per process, because
// setMocks is global and module caching means a second import would not re-run the program.
import { writeFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { invokes, mocks, resources } from "./mocks";

async function main(): Promise<void> {
  const out = process.env.PROGRAM_RESULT!;
  // A rule checked inside an apply (e.g. on a lookup's result) fails a resource's registration:
  // Pulumi reports it as the run's error, and the outputs that depend on it never resolve. Keep
  // what the runtime prints, and if the program ends without a result, record that as the error.
  let printed = "";
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    printed += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  let finished = false;
  process.prependListener("unhandledRejection", (e) => {
    if (finished) return;
    finished = true;
    writeFileSync(
      out,
      JSON.stringify({ error: e instanceof Error ? e.message : String(e), resources, invokes }),
    );
    process.exit(0);
  });
  process.on("exit", () => {
    if (finished) return;
    const error =
      /(?:InputPropertiesError|Error)[^\n]*/.exec(printed)?.[0] ?? "the program did not finish";
    writeFileSync(out, JSON.stringify({ error, resources, invokes }));
    process.exitCode = 0;
  });
  const stack = process.env.PROGRAM_STACK ?? "dev";
  await pulumi.runtime.setMocks(
    mocks,
    "cross-cloud-backup",
    stack,
    process.env.PROGRAM_PREVIEW === "1",
  );
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
    const exported = require("../index") as Record<string, unknown>;
    const outputs: Record<string, { secret: boolean; value: unknown }> = {};
    for (const [k, v] of Object.entries(exported)) {
      const o = pulumi.output(v) as pulumi.Output<unknown>;
      // In a preview an output may be unknown: its apply never runs.
      const known = await (o as unknown as { isKnown: Promise<boolean> }).isKnown;
      outputs[k] = {
        secret: await pulumi.isSecret(o),
        value: known
          ? await new Promise<unknown>((resolve) => o.apply((x) => resolve(x)))
          : "<unknown>",
      };
    }
    await pulumi.runtime.disconnect();
    finished = true;
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
    finished = true;
    writeFileSync(out, JSON.stringify({ error: (e as Error).message, resources, invokes }));
  }
}

void main();
