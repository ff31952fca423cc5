// The engine's modules as the host gets them, for tests and the bench that call its functions
// directly: unpacked from the very bundle the loader runs (userdata/engineBundle.ts), into a
// folder that goes on PYTHONPATH.
import * as fs from "node:fs";
import * as path from "node:path";
import { engineBundle } from "../userdata/engineBundle";

/**
 * Writes the bundle's modules under `dir` (dir/ccb/*.py); returns `dir` for PYTHONPATH. Another
 * bundle's text (e.g. the previous release's, harness/previousEngine.ts) unpacks the same way.
 */
export function unpackEngine(dir: string, bundleText: string = engineBundle().text): string {
  const bundle = JSON.parse(bundleText) as {
    modules: Record<string, string>;
    packages: string[];
  };
  for (const [name, source] of Object.entries(bundle.modules)) {
    const parts = name.split(".");
    const file = bundle.packages.includes(name)
      ? path.join(dir, ...parts, "__init__.py")
      : path.join(dir, ...parts) + ".py";
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, source);
  }
  return dir;
}
