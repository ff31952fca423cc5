// Launch plumbing for the TypeScript stand-in servers in harness/servers/: each runs as a child
// node process with tsx's loader, reads a JSON config file from its own temp dir, and is tracked
// by harness/emulators.ts like the emulators (stopped by PID via stopAll, temp dir removed).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { EmulatorProcess } from "./emulators";
import { localTls, type LocalTls } from "./localTls";

export type ProcessSpec = ConstructorParameters<typeof EmulatorProcess>[0];

/** tsx's ESM loader by absolute URL, so the child's cwd (a temp dir) does not matter. */
const TSX_LOADER = pathToFileURL(require.resolve("tsx")).href;

/**
 * Writes `config` to `<new temp dir>/config.json` and returns the child spec and the dir. The
 * caller passes the dir to EmulatorProcess as an owned data dir, so stop() removes it.
 */
export function tsServerSpec(
  label: string,
  serverFile: string,
  config: unknown,
): { spec: ProcessSpec; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-standin-"));
  const configPath = path.join(dir, "config.json");
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  return {
    spec: {
      label,
      nodeArgs: ["--import", TSX_LOADER],
      script: serverFile,
      args: [configPath],
      cwd: dir,
    },
    dir,
  };
}

/** `true` (the default) means the process-wide local CA; `false` plain HTTP. */
export type TlsOption = boolean | LocalTls;

export function resolveTls(option: TlsOption | undefined): LocalTls | undefined {
  if (option === false) return undefined;
  return option === undefined || option === true ? localTls() : option;
}
