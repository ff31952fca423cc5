// npm run status -- --stack <name> | --from <container URL with SAS | connection string>
//                   | --log-group <name> --region <region>
// Prints the backup's state (the last run, the last success and the backup's age, skipped
// objects, the credential, the last integrity check and restore drill), judged against the
// schedule, from the vault's status/ documents or from the run log group in CloudWatch Logs;
// with --stack, also the state of each of the stack's CloudWatch alarms (DescribeAlarms).
// Exit 0: all well; 1: something needs attention (an alarm in ALARM included); 2: usage error.
import { parseArgs } from "node:util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { output, runCli, stackOutputs, UsageError, type Outputs } from "./common";
import { redact } from "../restore/vault";
import { ContainerClient, BlobServiceClient } from "@azure/storage-blob";
import { STATUS_BLOBS, CONTAINER_NAME } from "../domain/layout";
import type { DrillResult, IntegrityResult, RunSummary } from "../domain/runSummary";
import { formatStatus, statusReport, type StatusLine, type StatusReport } from "../ops/status";
import { alarmBanner, alarmLines, describeStackAlarms, type StackAlarms } from "../ops/alarmStatus";
import { splitAlarmNames } from "../domain/outputs";
import { staleAfterDays, type CheckSchedule } from "../domain/modes";
import { latestFromLogs, type LatestResults } from "../ops/logStatus";

const USAGE = `usage:
  npm run status -- --stack <name> [--logs]   read the stack's outputs (pulumi CLI), then the vault
                                              with your own Azure sign-in (az login; no keys); if
                                              the vault cannot be read from here (its firewall),
                                              or with --logs, the run log group in CloudWatch Logs
  npm run status -- --from <URL|conn string>  a container URL with SAS, or a connection string
                    [--container backup]
  npm run status -- --log-group <name> --region <region>   CloudWatch Logs only
  with --from or --log-group: [--interval-hours 4] [--sas-expiry <ISO time>]
  with --stack, also each of the stack's CloudWatch alarms (its alarmNames output): its state
  (OK, ALARM, INSUFFICIENT_DATA), reason, since when, and whether it notifies alarmTopicArn
options: --json (machine-readable), --help
exit: 0 all well; 1 something needs attention (a line marked '!', an alarm in ALARM);
      2 usage error`;

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

/** The four documents from the vault's status/. */
async function latestFromVault(c: ContainerClient): Promise<LatestResults> {
  const [lastRun, lastSuccess, lastIntegrity, lastDrill] = await Promise.all([
    readJson<RunSummary>(c, STATUS_BLOBS.lastRun),
    readJson<RunSummary>(c, STATUS_BLOBS.lastSuccess),
    readJson<IntegrityResult>(c, STATUS_BLOBS.lastIntegrity),
    readJson<DrillResult>(c, STATUS_BLOBS.lastDrill),
  ]);
  return { lastRun, lastSuccess, lastIntegrity, lastDrill };
}

/** What the status is judged against. */
interface Schedule {
  intervalHours: number;
  sasExpiry?: string;
  integrityMaxAgeDays?: number;
  drillMaxAgeDays?: number;
}

/** Where the stack's alarms are (--stack only): the exported names and topic. */
interface AlarmSource {
  region: string;
  topicArn: string;
  /** Undefined for a stack deployed before alarmNames was exported. */
  names?: string[];
}

interface Source extends Schedule {
  /** Where the documents come from (printed first). */
  label: string;
  read: () => Promise<LatestResults>;
  /** Read when `read` fails (the stack's log group when the vault refuses this network). */
  fallback?: Source;
  alarms?: AlarmSource;
}

/** Days after which a check's result is stale; a check that is "off" runs on demand only. */
function maxAgeDays(schedule: CheckSchedule): number {
  return staleAfterDays(schedule) ?? Infinity;
}

/** What `status --stack` takes from the stack's outputs: where to read, and the schedule. */
export interface StackStatus {
  /** The vault's container, read with your own Entra sign-in. */
  containerUrl: string;
  /** The run log group and its region (CloudWatch Logs: the fallback, or --logs). */
  logGroup: string;
  region: string;
  schedule: Schedule;
  alarms: AlarmSource;
}

/** Reads `status --stack`'s outputs (exactly what the program exports; tests feed them). */
export function statusFromOutputs(out: Outputs): StackStatus {
  const endpoint = output(out, "vaultBlobEndpoint").replace(/\/?$/, "/");
  return {
    containerUrl: `${endpoint}${output(out, "vaultContainerName")}`,
    logGroup: output(out, "runLogGroup"),
    region: output(out, "syncRegion"),
    schedule: {
      intervalHours: output(out, "syncIntervalHours"),
      sasExpiry: output(out, "vaultSasExpiry") || undefined,
      integrityMaxAgeDays: maxAgeDays(output(out, "integrityCheck")),
      drillMaxAgeDays: maxAgeDays(output(out, "restoreDrill")),
    },
    alarms: {
      region: output(out, "syncRegion"),
      topicArn: output(out, "alarmTopicArn"),
      // Optional: an older stack still gets its documents' status, and a line saying why its
      // alarms are not shown.
      names: out.alarmNames === undefined ? undefined : splitAlarmNames(out.alarmNames),
    },
  };
}

function logsSource(group: string, region: string): Pick<Source, "label" | "read"> {
  return {
    label: `CloudWatch Logs ${group} (${region})`,
    read: () => latestFromLogs(new CloudWatchLogsClient({ region }), group),
  };
}

async function fromStack(stack: string, logsOnly: boolean): Promise<Source> {
  const { containerUrl, logGroup, region, schedule, alarms } = statusFromOutputs(
    stackOutputs(stack),
  );
  const logs = { ...logsSource(logGroup, region), ...schedule, alarms };
  if (logsOnly) return logs;
  const { DefaultAzureCredential } = await import("@azure/identity");
  const container = new ContainerClient(containerUrl, new DefaultAzureCredential());
  return {
    label: `the vault's status/ (${containerUrl})`,
    read: () => latestFromVault(container),
    fallback: logs,
    ...schedule,
    alarms,
  };
}

/** The alarms' states and their status lines; a failure to read them is itself a line. */
async function readAlarms(
  source: AlarmSource | undefined,
): Promise<{ stack?: StackAlarms; lines: StatusLine[] }> {
  if (!source) return { lines: [] };
  const line = (value: string): StatusLine => ({ label: "alarms", value, verdict: "attention" });
  if (source.names === undefined)
    return {
      lines: [line("the stack has no alarmNames output: run pulumi up with this program")],
    };
  try {
    const found = await describeStackAlarms(
      new CloudWatchClient({ region: source.region }),
      source.names,
    );
    const stack = { ...source, names: source.names, ...found };
    return { stack, lines: alarmLines(stack, new Date()) };
  } catch (e) {
    return {
      lines: [
        line(
          `could not be read from CloudWatch (${source.region}): ${redact((e as Error).message)}`,
        ),
      ],
    };
  }
}

/** The documents, from the source or, when it cannot be read, its fallback. */
async function readDocuments(
  source: Source,
  io: { err: (s: string) => void },
): Promise<{ latest: LatestResults; from: string }> {
  try {
    return { latest: await source.read(), from: source.label };
  } catch (e) {
    if (!source.fallback) throw e;
    io.err(
      `status: ${source.label} could not be read (${redact((e as Error).message)}); reading ${source.fallback.label} instead\n`,
    );
    return { latest: await source.fallback.read(), from: source.fallback.label };
  }
}

export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  },
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stack: { type: "string" },
      logs: { type: "boolean" },
      from: { type: "string" },
      container: { type: "string" },
      "log-group": { type: "string" },
      region: { type: "string" },
      "interval-hours": { type: "string" },
      "sas-expiry": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    io.out(USAGE + "\n");
    return 0;
  }
  const given = [values.stack, values.from, values["log-group"]].filter((v) => v !== undefined);
  if (given.length !== 1)
    throw new UsageError(
      "give exactly one of --stack <name>, --from <URL|connection string> or --log-group <name>",
    );
  if (values["log-group"] !== undefined && values.region === undefined)
    throw new UsageError("--log-group needs --region <region>");
  if (values.logs && values.stack === undefined)
    throw new UsageError("--logs goes with --stack (use --log-group <name> --region <region>)");
  if (values["sas-expiry"] !== undefined && Number.isNaN(Date.parse(values["sas-expiry"])))
    throw new UsageError(`--sas-expiry must be an ISO time, got "${values["sas-expiry"]}"`);
  const schedule: Schedule = {
    intervalHours: positiveInt("--interval-hours", values["interval-hours"], 4),
    sasExpiry: values["sas-expiry"],
    integrityMaxAgeDays: maxAgeDays("weekly"),
    drillMaxAgeDays: maxAgeDays("monthly"),
  };
  let source: Source;
  if (values.stack) source = await fromStack(values.stack, values.logs === true);
  else if (values.from) {
    const c = containerFrom(values.from, values.container ?? CONTAINER_NAME);
    source = {
      label: "the vault's status/",
      read: () => latestFromVault(c),
      ...schedule,
    };
  } else source = { ...logsSource(values["log-group"]!, values.region!), ...schedule };

  const [{ latest, from }, alarms] = await Promise.all([
    readDocuments(source, io),
    readAlarms(source.alarms),
  ]);
  const documents = statusReport({
    ...latest,
    intervalHours: source.intervalHours,
    sasExpiry: source.sasExpiry,
    integrityMaxAgeDays: source.integrityMaxAgeDays,
    drillMaxAgeDays: source.drillMaxAgeDays,
    now: new Date(),
  });
  // One report: an alarm that needs attention makes the verdict (and the exit code) attention.
  const lines = [...documents.lines, ...alarms.lines];
  const report: StatusReport = {
    lines,
    verdict: lines.some((l) => l.verdict === "attention") ? "attention" : "ok",
  };
  const banner = alarms.stack && alarmBanner(alarms.stack);
  io.out(
    values.json
      ? JSON.stringify({ from, ...report, alarms: alarms.stack }, null, 2) + "\n"
      : `from ${from}\n${banner ? `${banner}\n` : ""}\n${formatStatus(report)}`,
  );
  return report.verdict === "ok" ? 0 : 1;
}

// Errors can quote a request URL: never print a SAS or an account key.
if (require.main === module) runCli("status", main, USAGE, redact);
