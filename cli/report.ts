// npm run report -- --stack <name> [--from vault|<dir>|<container URL with SAS>|<connection string>]
//                   [--outputs <file>] [--policy <file>] [--since 90d] [--now <ISO time>]
//                   [--out report.html] [--pdf report.pdf]
// Writes the evidence report for an auditor: one self-contained HTML page (and optionally its
// PDF) with every control's verdict and evidence, charts over the period, the exceptions and a
// manifest of the inputs. It reads only what the backup records (the vault's status/ documents
// and history, the stack's outputs, the policy pack's results).
// Exit 0: the report was written (whatever its verdicts); 1: it could not be; 2: usage error.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ContainerClient } from "@azure/storage-blob";
import { output, runCli, stackOutputs, UsageError } from "./common";
import { containerFrom } from "./status";
import { CONTAINER_NAME } from "../domain/layout";
import { redact } from "../domain/redaction";
import { periodStart } from "../report/history";
import {
  containerStore,
  dirStore,
  loadStatus,
  manifestEntry,
  parseOutputs,
  parsePolicy,
  type StatusStore,
} from "../report/load";
import { renderReport } from "../report/render";
import { evaluateControls } from "../report/controls";
import { printToPdf } from "../report/chromium";
import type { ManifestEntry, PolicyResults, ReportOutputs } from "../report/types";

const USAGE = `usage:
  npm run report -- --stack <name> [options]
    --from vault          the vault's status/ with your own Azure sign-in (az login; the default)
    --from <dir>          a local copy of the vault's status/ (offline)
    --from <URL|conn>     a container URL with a read SAS, or a connection string
    --outputs <file>      the stack's outputs as \`pulumi stack output --json\` printed them
                          (default: read them with the pulumi CLI)
    --policy <file>       the policy pack's results (\`npm run policy -- --stack <name> --json\`)
    --since 90d           the period: days (d) or hours (h) back from now, or an ISO time
    --now <ISO time>      judge as of this time (rebuilds an earlier report; default: now)
    --out report.html     where to write the page
    --pdf <file>          also print it to PDF with headless Chromium
options: --help`;

function readInput(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** Where status/ is read from: a folder, a container given on the command line, or the vault. */
async function statusStore(
  from: string,
  outputs: ReportOutputs,
  container: string,
): Promise<StatusStore> {
  if (from === "vault") {
    const endpoint = output(outputs, "vaultBlobEndpoint").replace(/\/?$/, "/");
    const { DefaultAzureCredential } = await import("@azure/identity");
    return containerStore(
      new ContainerClient(
        `${endpoint}${output(outputs, "vaultContainerName")}`,
        new DefaultAzureCredential(),
      ),
    );
  }
  if (/^https?:\/\//.test(from) || /AccountName=|UseDevelopmentStorage=true/i.test(from))
    return containerStore(containerFrom(from, container));
  return dirStore(from);
}

export async function main(
  argv: string[],
  io: { out: (s: string) => void } = { out: (s) => void process.stdout.write(s) },
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stack: { type: "string" },
      from: { type: "string" },
      container: { type: "string" },
      outputs: { type: "string" },
      policy: { type: "string" },
      since: { type: "string" },
      now: { type: "string" },
      out: { type: "string" },
      pdf: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    io.out(USAGE + "\n");
    return 0;
  }
  const stack = values.stack;
  if (stack === undefined || !/^[\w.-]+$/.test(stack))
    throw new UsageError("--stack <name> is required (letters, digits, '.', '_', '-')");
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime()))
    throw new UsageError(`--now must be an ISO time, got "${values.now}"`);
  const since = values.since ?? "90d";
  const from = periodStart(since, now);
  if (from === undefined || from >= now)
    throw new UsageError(
      `--since must be like 90d, 36h or an ISO time before --now, got "${since}"`,
    );
  const period = { from, to: now };

  const manifest: ManifestEntry[] = [];
  let outputs: ReportOutputs;
  if (values.outputs !== undefined) {
    const json = readInput(values.outputs, "--outputs");
    outputs = parseOutputs(json);
    manifest.push(manifestEntry("stack outputs", path.resolve(values.outputs), json));
  } else {
    outputs = parseOutputs(JSON.stringify(stackOutputs(stack)));
    manifest.push(
      manifestEntry(
        "stack outputs",
        `pulumi stack output --json --stack ${stack}`,
        JSON.stringify(outputs),
      ),
    );
  }
  let policy: PolicyResults | undefined;
  if (values.policy !== undefined) {
    const json = readInput(values.policy, "--policy");
    policy = parsePolicy(json);
    manifest.push(manifestEntry("policy pack results", path.resolve(values.policy), json));
  }
  const store = await statusStore(
    values.from ?? "vault",
    outputs,
    values.container ?? CONTAINER_NAME,
  );
  const loaded = await loadStatus(store, period);

  const out = path.resolve(values.out ?? "report.html");
  const command = [
    "npm run report --",
    `--stack ${stack}`,
    `--from ${values.from === undefined || values.from === "vault" ? "vault" : "<the inputs below>"}`,
    values.outputs !== undefined ? "--outputs <stack outputs>" : "",
    values.policy !== undefined ? "--policy <policy pack results>" : "",
    `--since ${since}`,
    `--now ${now.toISOString()}`,
  ]
    .filter((s) => s !== "")
    .join(" ");
  const input = {
    stack,
    now,
    period,
    records: loaded.records,
    outputs,
    policy,
    manifest: [...manifest, ...loaded.manifest],
    inputProblems: loaded.problems,
    command,
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, renderReport(input));
  const controls = evaluateControls(input);
  const n = (v: string) => controls.filter((c) => c.verdict === v).length;
  io.out(
    `${out}: ${controls.length} controls, ${n("pass")} pass, ${n("fail")} fail, ${n("no evidence")} without evidence\n`,
  );
  if (values.pdf !== undefined) {
    const pdf = path.resolve(values.pdf);
    mkdirSync(path.dirname(pdf), { recursive: true });
    printToPdf(out, pdf);
    io.out(`${pdf}\n`);
  }
  return 0;
}

// Errors can quote a request URL: never print a SAS or an account key.
if (require.main === module) runCli("report", main, USAGE, redact);
