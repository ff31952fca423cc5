// The previous release's engine (test/fixtures/previous-engine: its bundle, byte for byte), run
// against a harness backup with the same emulators, rclone config and environment: what a vault
// written before content records looks like, for the upgrade tests and the bench.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Backup } from "./datapath";
import { unpackEngine } from "./engine";

export const PREVIOUS_ENGINE = path.join(
  __dirname,
  "..",
  "test",
  "fixtures",
  "previous-engine",
  "bundle-0cac4a2.json",
);

/** The settings the previous engine (0cac4a2) knows; it refuses any other. */
const PREVIOUS_ENGINE_SETTINGS = [
  "sourceBucket",
  "sourcePrefix",
  "sourceRegion",
  "containerName",
  "syncMode",
  "maxDeletes",
  "maxDeletePercent",
  "credential",
  "ssmParameterName",
  "stack",
  "metricsNamespace",
  "logGroup",
  "integritySampleObjects",
  "restoreDrillObjects",
];

/** The command and environment that run one backup with the previous engine. Its settings
 * leave out the keys this release added (it refuses settings it does not know). */
export function previousEngineCommand(b: Backup): { argv: string[]; env: NodeJS.ProcessEnv } {
  const text = fs.readFileSync(PREVIOUS_ENGINE, "utf8");
  const { entry } = JSON.parse(text) as { entry: string };
  const dir = unpackEngine(path.join(b.workDir, "previous-engine"), text);
  const creds = path.join(b.workDir, "previous-credentials");
  fs.mkdirSync(creds, { recursive: true });
  for (const f of fs.readdirSync(b.credentialsDir))
    fs.copyFileSync(path.join(b.credentialsDir, f), path.join(creds, f));
  const settings = JSON.parse(fs.readFileSync(path.join(creds, "settings.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const known = Object.fromEntries(
    Object.entries(settings).filter(([k]) => PREVIOUS_ENGINE_SETTINGS.includes(k)),
  );
  fs.writeFileSync(path.join(creds, "settings.json"), JSON.stringify(known));
  return {
    argv: ["/usr/bin/python3", "-c", `import sys; from ${entry} import main; sys.exit(main([]))`],
    env: b.processEnv({ PYTHONPATH: dir, CREDENTIALS_DIRECTORY: creds }),
  };
}

/** One backup run by the previous engine. Asynchronous: the emulators' counting proxies run in
 * this process. */
export function runPreviousEngine(b: Backup): Promise<{ code: number | null; stderr: string }> {
  const { argv, env } = previousEngineCommand(b);
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "ignore", "pipe"] });
  const err: Buffer[] = [];
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}
