// The engine as one artifact: every module of the Python package userdata/engine/ccb in one
// JSON document, the same for every stack (the stack's settings travel apart, settings.json).
// The loader checks its SHA-256 and serves its modules from memory (loader.py), so the host runs
// exactly the bytes that were checked.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

export const ENGINE_PACKAGE = "ccb";
export const ENGINE_PACKAGE_DIR = path.join(__dirname, "engine", ENGINE_PACKAGE);
/** The module whose main(argv) the loader calls. */
export const ENGINE_ENTRY = `${ENGINE_PACKAGE}.cli`;

export interface EngineModule {
  /** Dotted module name, e.g. "ccb.backup" ("ccb" is the package's __init__.py). */
  name: string;
  sha256: string;
  bytes: number;
}

export interface EngineBundle {
  /** The bundle document (UTF-8 JSON): what the loader checks and runs. */
  text: string;
  sha256: string;
  modules: EngineModule[];
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** Builds the bundle from the package's source files (sorted, so it is reproducible). */
export function buildEngineBundle(dir: string = ENGINE_PACKAGE_DIR): EngineBundle {
  const entries = readdirSync(dir);
  // Only modules travel: anything else (a subpackage, a data file) would be missing on the host
  // while the unit tests, which import the folder, still saw it.
  const stray = entries.filter((f) => !f.endsWith(".py") && f !== "__pycache__");
  if (stray.length)
    throw new Error(
      `the engine package holds ${stray.join(", ")}: only modules (*.py) are bundled`,
    );
  const files = entries.filter((f) => f.endsWith(".py")).sort();
  const sources: Record<string, string> = {};
  for (const f of files) {
    const name =
      f === "__init__.py" ? ENGINE_PACKAGE : `${ENGINE_PACKAGE}.${f.slice(0, -".py".length)}`;
    sources[name] = readFileSync(path.join(dir, f), "utf8");
  }
  const names = Object.keys(sources).sort();
  const text =
    JSON.stringify({
      format: 1,
      entry: ENGINE_ENTRY,
      packages: [ENGINE_PACKAGE],
      modules: Object.fromEntries(names.map((n) => [n, sources[n]])),
    }) + "\n";
  return {
    text,
    sha256: sha256(text),
    modules: names.map((name) => ({
      name,
      sha256: sha256(sources[name]),
      bytes: Buffer.byteLength(sources[name]),
    })),
  };
}

let cached: EngineBundle | undefined;
/** The engine bundle every stack deploys. */
export function engineBundle(): EngineBundle {
  cached ??= buildEngineBundle();
  return cached;
}
