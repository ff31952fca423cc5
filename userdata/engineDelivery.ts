import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { stableGzip } from "./gzip";
import { engineBundle } from "./engineBundle";
import { APP } from "./settings";

/**
 * SSM Parameter Store's standard tier holds values of up to 4 KB at no charge; chunks stay a
 * little under it.
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
 */
export const ENGINE_CHUNK_CHARS = 4000;
/** GetParameters reads at most 10 names in one call; the loader reads them in such batches. */
export const GET_PARAMETERS_BATCH = 10;
/**
 * The most parameters an engine may use: three GetParameters calls on a host's first run (later
 * runs use the checked copy it keeps). The engine package with its docstrings needs about 16;
 * standard parameters are free (10,000 per account and region).
 */
export const MAX_ENGINE_CHUNKS = 30;

export interface EngineDelivery {
  /** The engine bundle (engineBundle.ts): what the host runs, the same for every stack. */
  bundle: string;
  /** SHA-256 (hex) of the bundle's UTF-8 bytes: the loader runs nothing else. */
  sha256: string;
  /** The SSM parameters that carry it, in order: gzip, base64, cut into chunks. */
  parameters: { name: string; value: string }[];
}

/** The SSM parameter names' common prefix for a stack's engine. */
export function engineParameterPrefix(stack: string): string {
  return `/${APP}/${stack}/engine/`;
}

/** How the engine reaches a stack's host: SSM parameters, pinned by SHA-256 in the loader. */
export function engineDelivery(stack: string): EngineDelivery {
  return packEngine(engineBundle().text, stack);
}

/** A bundle cut into a stack's engine parameters. */
export function packEngine(bundle: string, stack: string): EngineDelivery {
  const bytes = Buffer.from(bundle, "utf8");
  // The same engine always gives the same parameter values, on any machine.
  const packed = stableGzip(bytes).toString("base64");
  const count = Math.ceil(packed.length / ENGINE_CHUNK_CHARS);
  if (count > MAX_ENGINE_CHUNKS)
    throw new Error(
      `the sync engine needs ${count} SSM parameters of ${ENGINE_CHUNK_CHARS} characters, over the ${MAX_ENGINE_CHUNKS} the loader reads`,
    );
  const prefix = engineParameterPrefix(stack);
  return {
    bundle,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    parameters: Array.from({ length: count }, (_, i) => ({
      name: `${prefix}${i}`,
      value: packed.slice(i * ENGINE_CHUNK_CHARS, (i + 1) * ENGINE_CHUNK_CHARS),
    })),
  };
}

const LOADER_BODY = readFileSync(path.join(__dirname, "loader.py"), "utf8");

/** The host's entry point (user-data): fetches the engine, checks its SHA-256, runs it. */
export function renderLoader(region: string, delivery: EngineDelivery): string {
  const header = {
    region,
    sha256: delivery.sha256,
    parameters: delivery.parameters.map((p) => p.name),
  };
  return [
    "#!/usr/bin/python3 -I",
    "# cross-cloud-backup: the sync host's entry point. Rendered by userdata/engineDelivery.ts;",
    "# the commented source is userdata/loader.py in the cross-cloud-backup repository.",
    "",
    `LOADER = ${JSON.stringify(header, null, 1)}`,
    "",
    LOADER_BODY,
  ].join("\n");
}
