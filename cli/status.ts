// npm run status -- --stack <name> | --from <container URL with SAS | connection string>
// Prints the backup's state from the vault's status/ documents (the last run, the last success,
// the last integrity check), judged against the schedule. Exit 0: all well; 1: something needs
// attention; 2: usage error.
import { parseArgs } from "node:util";
import { runCli, stackOutputs, UsageError } from "./common";
import { redact } from "../restore/vault";
import { ContainerClient, BlobServiceClient } from "@azure/storage-blob";
import { STATUS_BLOBS, CONTAINER_NAME } from "../domain/layout";
import type { DrillResult, IntegrityResult, RunSummary } from "../domain/runSummary";
import { formatStatus, statusReport } from "../ops/status";

const USAGE = `usage:
  npm run status -- --stack <name>            read the stack's outputs (pulumi CLI) and the vault
                                              with your own Azure sign-in (az login; no keys)
  npm run status -- --from <URL|conn string>  a container URL with SAS, or a connection string
                    [--container backup] [--interval-hours 4] [--sas-expiry <ISO time>]
options: --json (machine-readable), --help`;

/** A check's result is stale after its schedule's period plus a day. */
const MAX_AGE_DAYS: Record<string, number | undefined> = {
  daily: 2,
  weekly: 8,
  monthly: 32,
  off: undefined,
};

function positiveInt(flag: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  if (!/^[1-9]\d*$/.test(v))
    throw new UsageError(`${flag} must be a whole number of hours, got "${v}"`);
  return Number(v);
}

/** A container client for a SAS URL or a connection string (never printed: it holds a secret). */
export function containerFrom(from: string, container: string): ContainerClient {
  if (/^https?:\/\//.test(from)) {
    const u = new URL(from);
    if (!u.searchParams.has("sig"))
      throw new UsageError("--from URL has no SAS (sig=); use --stack to sign in with Entra ID");
    return new ContainerClient(from);
  }
  if (/AccountName=|UseDevelopmentStorage=true/i.test(from))
    return BlobServiceClient.fromConnectionString(from).getContainerClient(container);
  throw new UsageError("--from must be a container URL with SAS or a storage connection string");
}

async function readJson<T>(c: ContainerClient, name: string): Promise<T | undefined> {
  const blob = c.getBlobClient(name);
  try {
    return JSON.parse((await blob.downloadToBuffer()).toString("utf8")) as T;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

async function fromStack(stack: string): Promise<{
  container: ContainerClient;
  intervalHours: number;
  sasExpiry?: string;
  integrityMaxAgeDays?: number;
  drillMaxAgeDays?: number;
}> {
  const out = stackOutputs(stack);
  const { DefaultAzureCredential } = await import("@azure/identity");
  const endpoint = out.vaultBlobEndpoint.replace(/\/?$/, "/");
  return {
    container: new ContainerClient(
      `${endpoint}${out.vaultContainerName}`,
      new DefaultAzureCredential(),
    ),
    intervalHours: Number(/every (\d+) hours/.exec(out.syncSchedule)?.[1] ?? 4),
    sasExpiry: out.vaultSasExpiry || undefined,
    integrityMaxAgeDays: MAX_AGE_DAYS[out.integrityCheck ?? "weekly"],
    drillMaxAgeDays: MAX_AGE_DAYS[out.restoreDrill ?? "monthly"],
  };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stack: { type: "string" },
      from: { type: "string" },
      container: { type: "string" },
      "interval-hours": { type: "string" },
      "sas-expiry": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.stack === undefined) === (values.from === undefined))
    throw new UsageError("give exactly one of --stack <name> or --from <URL|connection string>");
  if (values["sas-expiry"] !== undefined && Number.isNaN(Date.parse(values["sas-expiry"])))
    throw new UsageError(`--sas-expiry must be an ISO time, got "${values["sas-expiry"]}"`);
  const source = values.stack
    ? await fromStack(values.stack)
    : {
        container: containerFrom(values.from!, values.container ?? CONTAINER_NAME),
        intervalHours: positiveInt("--interval-hours", values["interval-hours"], 4),
        sasExpiry: values["sas-expiry"],
        integrityMaxAgeDays: MAX_AGE_DAYS.weekly,
        drillMaxAgeDays: MAX_AGE_DAYS.monthly,
      };
  const c = source.container;
  const [lastRun, lastSuccess, lastIntegrity, lastDrill] = await Promise.all([
    readJson<RunSummary>(c, STATUS_BLOBS.lastRun),
    readJson<RunSummary>(c, STATUS_BLOBS.lastSuccess),
    readJson<IntegrityResult>(c, STATUS_BLOBS.lastIntegrity),
    readJson<DrillResult>(c, STATUS_BLOBS.lastDrill),
  ]);
  const report = statusReport({
    lastRun,
    lastSuccess,
    lastIntegrity,
    lastDrill,
    intervalHours: source.intervalHours,
    sasExpiry: source.sasExpiry,
    integrityMaxAgeDays: source.integrityMaxAgeDays,
    drillMaxAgeDays: source.drillMaxAgeDays,
    now: new Date(),
  });
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : formatStatus(report));
  return report.verdict === "ok" ? 0 : 1;
}

// Errors can quote a request URL: never print a SAS or an account key.
if (require.main === module) runCli("status", main, USAGE, redact);
