// The backup's state from CloudWatch Logs: every run, integrity check and restore drill sends its
// result (redacted) to the stack's log group, one stream per run id, so `npm run status` can
// work from AWS alone, where the vault's firewall does not admit the operator's address.
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { DrillResult, IntegrityResult, RunSummary } from "../domain/runSummary";

export interface LatestResults {
  lastRun?: RunSummary;
  lastSuccess?: RunSummary;
  lastIntegrity?: IntegrityResult;
  lastDrill?: DrillResult;
}

type Document = RunSummary | IntegrityResult | DrillResult;

/** Sorts one result into the latest-results slots it fills (newest first: first one wins). */
function place(out: LatestResults, d: Document): void {
  if ("kind" in d && d.kind === "integrity") out.lastIntegrity ??= d;
  else if ("kind" in d && d.kind === "drill") out.lastDrill ??= d;
  else if ("runId" in d) {
    out.lastRun ??= d;
    if (d.outcome !== "failure") out.lastSuccess ??= d;
  }
}

/**
 * The newest run summary, success, integrity result and drill result in the log group, reading
 * streams newest first (at most `maxStreams`; a run's stream holds its one document).
 */
export async function latestFromLogs(
  client: CloudWatchLogsClient,
  logGroupName: string,
  maxStreams = 200,
): Promise<LatestResults> {
  const out: LatestResults = {};
  let token: string | undefined;
  let read = 0;
  do {
    const page = await client.send(
      new DescribeLogStreamsCommand({
        logGroupName,
        orderBy: "LastEventTime",
        descending: true,
        limit: 50,
        nextToken: token,
      }),
    );
    for (const s of page.logStreams ?? []) {
      if (read++ >= maxStreams) return out;
      const events = await client.send(
        new GetLogEventsCommand({
          logGroupName,
          logStreamName: s.logStreamName,
          startFromHead: true,
          limit: 5,
        }),
      );
      for (const e of events.events ?? []) {
        try {
          place(out, JSON.parse(e.message ?? "") as Document);
        } catch {
          // not one of the engine's documents
        }
      }
      if (out.lastRun && out.lastSuccess && out.lastIntegrity && out.lastDrill) return out;
    }
    token = page.nextToken;
  } while (token);
  return out;
}
