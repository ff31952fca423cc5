// CloudWatch and CloudWatch Logs stand-in (child process, 127.0.0.1): answers PutMetricData
// (query protocol, form-encoded, XML answer) and CreateLogStream / PutLogEvents (JSON 1.1
// protocol, X-Amz-Target header, JSON answer) the way the services do, requires a SigV4
// Authorization header for the right service, and appends every accepted call as one JSON line
// to the record file, so tests read what a run published. `failAll` answers every call with a
// 500, as an unavailable service would (SSM excepted). It also answers SSM GetParameters (JSON 1.1,
// AmazonSSM.GetParameters) from a JSON file of name -> value, as Parameter Store does: found
// names in Parameters, the others in InvalidParameters, at most 10 names a call. CloudWatch
// speaks two protocols here, as the service does: the engine's botocore (1.29) sends PutMetricData
// over the query protocol; the JavaScript SDK that `npm run status` uses sends DescribeAlarms over
// AWS JSON 1.0 (describeAlarms.ts), answered from an alarms file a test writes.
// Shapes: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
//         https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
//         https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
import * as fs from "node:fs";
import { readConfigArg, serve } from "./common";
import {
  describeAlarms,
  frameworkError,
  JSON_TARGET_PREFIX,
  modelledError,
  type StandInAlarm,
} from "./describeAlarms";

interface TelemetryConfig {
  port: number;
  recordFile: string;
  failAll?: boolean;
  /** SSM parameters (name -> value) as a JSON file, read on every call. */
  ssmParametersFile: string;
  /**
   * Run Command: what GetCommandInvocation answers ({ status, stdout, stderr, pendingPolls }),
   * a JSON file read on every call; pendingPolls answers "InProgress" that many times first.
   */
  runCommandFile: string;
  /** CloudWatch alarms (StandInAlarm[]) as a JSON file, read on every DescribeAlarms. */
  alarmsFile: string;
}

const config = readConfigArg<TelemetryConfig>();

function record(entry: unknown): void {
  fs.appendFileSync(config.recordFile, JSON.stringify(entry) + "\n");
}

serve({ port: config.port }, (req, body) => {
  const auth = String(req.headers.authorization ?? "");
  const target = String(req.headers["x-amz-target"] ?? "");
  const service = target.startsWith("Logs_20140328.")
    ? "logs"
    : target.startsWith("AmazonSSM.")
      ? "ssm"
      : "monitoring";
  const signed = new RegExp(
    `^AWS4-HMAC-SHA256 Credential=[^/]+/\\d{8}/[a-z0-9-]+/${service}/aws4_request`,
  ).test(auth);
  // CloudWatch over JSON answers in JSON, whatever is wrong with the request.
  if (!signed && target.startsWith(JSON_TARGET_PREFIX))
    return Promise.resolve(
      frameworkError(403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
    );
  if (!signed)
    return Promise.resolve({
      status: 403,
      headers: { "content-type": "text/xml" },
      body: "<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error></ErrorResponse>",
    });
  if (target === "AmazonSSM.SendCommand" || target === "AmazonSSM.GetCommandInvocation")
    return Promise.resolve(runCommand(target, body));
  if (service === "ssm") return Promise.resolve(getParameters(target, body));
  if (target.startsWith(JSON_TARGET_PREFIX))
    return Promise.resolve(cloudWatchJson(req, target.slice(JSON_TARGET_PREFIX.length), body));
  if (config.failAll)
    return Promise.resolve({
      status: 500,
      headers: { "content-type": "text/xml" },
      body: "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>stand-in unavailable</Message></Error></ErrorResponse>",
    });
  if (service === "logs") {
    const action = target.slice("Logs_20140328.".length);
    if (action === "DescribeLogStreams" || action === "GetLogEvents")
      return Promise.resolve(readLogs(action, JSON.parse(body.toString("utf8")) as LogsQuery));
    record({ service, action, body: JSON.parse(body.toString("utf8")) as unknown });
    const answer = action === "PutLogEvents" ? { nextSequenceToken: "1" } : {};
    return Promise.resolve({
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify(answer),
    });
  }
  const form = Object.fromEntries(new URLSearchParams(body.toString("utf8")));
  if (form.Action !== "PutMetricData")
    return Promise.resolve({
      status: 400,
      headers: { "content-type": "text/xml" },
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${form.Action}</Message></Error></ErrorResponse>`,
    });
  record({ service, action: form.Action, body: form });
  return Promise.resolve({
    status: 200,
    headers: { "content-type": "text/xml" },
    body: '<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></PutMetricDataResponse>',
  });
});

/** CloudWatch over AWS JSON 1.0 (the JavaScript SDK): DescribeAlarms. */
function cloudWatchJson(
  req: { headers: Record<string, string | string[] | undefined> },
  operation: string,
  body: Buffer,
): { status: number; headers: Record<string, string>; body: string } {
  if (config.failAll)
    return modelledError(
      500,
      "InternalServiceFault",
      "InternalServiceError",
      "stand-in unavailable",
    );
  if (operation !== "DescribeAlarms")
    return frameworkError(400, "UnknownOperationException", `${operation} is not answered here`);
  const region =
    /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization))?.[1] ?? "";
  const alarms = fs.existsSync(config.alarmsFile)
    ? (JSON.parse(fs.readFileSync(config.alarmsFile, "utf8")) as StandInAlarm[])
    : [];
  const out = describeAlarms(body, alarms, region);
  // Recorded as sent (an object, or the raw text of a body that is not one).
  let input: unknown = body.toString("utf8");
  try {
    const parsed: unknown = JSON.parse(input as string);
    if (typeof parsed === "object" && parsed !== null) input = parsed;
  } catch {
    // kept as text
  }
  record({
    service: "monitoring",
    action: operation,
    body: input,
    contentType: req.headers["content-type"],
    queryMode: req.headers["x-amzn-query-mode"],
    status: out.status,
  });
  return out;
}

/** A JSON 1.1 protocol answer (SSM, CloudWatch Logs). */
function json(
  status: number,
  answer: unknown,
): { status: number; headers: Record<string, string>; body: string } {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.1" },
    body: JSON.stringify(answer),
  };
}

interface LogsQuery {
  logGroupName?: string;
  logStreamName?: string;
  orderBy?: string;
  descending?: boolean;
  limit?: number;
}

/** DescribeLogStreams and GetLogEvents, answered from the events PutLogEvents recorded. */
function readLogs(
  action: string,
  q: LogsQuery,
): { status: number; headers: Record<string, string>; body: string } {
  const recorded = fs.existsSync(config.recordFile)
    ? fs
        .readFileSync(config.recordFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map(
          (l) =>
            JSON.parse(l) as {
              action: string;
              body: {
                logGroupName?: string;
                logStreamName?: string;
                logEvents?: { timestamp: number; message: string }[];
              };
            },
        )
    : [];
  const puts = recorded.filter(
    (c) => c.action === "PutLogEvents" && c.body.logGroupName === q.logGroupName,
  );
  if (puts.length === 0 && !recorded.some((c) => c.body.logGroupName === q.logGroupName))
    return json(400, {
      __type: "ResourceNotFoundException",
      message: "The specified log group does not exist.",
    });
  const streams = new Map<string, { timestamp: number; message: string }[]>();
  for (const p of puts) {
    const events = streams.get(p.body.logStreamName!) ?? [];
    events.push(...(p.body.logEvents ?? []));
    streams.set(p.body.logStreamName!, events);
  }
  if (action === "GetLogEvents") {
    const events = (streams.get(q.logStreamName ?? "") ?? []).map((e) => ({
      ...e,
      ingestionTime: e.timestamp,
    }));
    return json(200, {
      events: events.slice(0, q.limit ?? 10_000),
      nextForwardToken: "f/0",
      nextBackwardToken: "b/0",
    });
  }
  const list = [...streams.entries()].map(([name, events]) => ({
    logStreamName: name,
    creationTime: events[0].timestamp,
    firstEventTimestamp: events[0].timestamp,
    lastEventTimestamp: events[events.length - 1].timestamp,
  }));
  const by = (s: (typeof list)[number]) =>
    q.orderBy === "LastEventTime" ? s.lastEventTimestamp : s.logStreamName;
  list.sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0));
  if (q.descending) list.reverse();
  return json(200, { logStreams: list.slice(0, q.limit ?? 50) });
}

let polls = 0;

/** SendCommand and GetCommandInvocation, answered from the run-command file. */
function runCommand(
  target: string,
  body: Buffer,
): { status: number; headers: Record<string, string>; body: string } {
  const input = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  const action = target.slice("AmazonSSM.".length);
  record({ service: "ssm", action, body: input });
  const planned = JSON.parse(fs.readFileSync(config.runCommandFile, "utf8")) as {
    status: string;
    stdout: string;
    stderr: string;
    pendingPolls: number;
  };
  if (action === "SendCommand") {
    polls = 0;
    return json(200, {
      Command: {
        CommandId: "0b1c2d3e-0000-4000-8000-00000000c0de",
        DocumentName: input.DocumentName,
        InstanceIds: input.InstanceIds,
        Status: "Pending",
      },
    });
  }
  // The first call after SendCommand: the invocation is not registered yet, as happens on AWS.
  if (polls++ === 0)
    return json(400, { __type: "InvocationDoesNotExist", message: "invocation does not exist" });
  if (polls <= planned.pendingPolls + 1)
    return json(200, { Status: "InProgress", StatusDetails: "InProgress" });
  return json(200, {
    CommandId: input.CommandId,
    InstanceId: input.InstanceId,
    Status: planned.status,
    StatusDetails: planned.status,
    ResponseCode: planned.status === "Success" ? 0 : 1,
    StandardOutputContent: planned.stdout,
    StandardErrorContent: planned.stderr,
  });
}

function getParameters(
  target: string,
  body: Buffer,
): { status: number; headers: Record<string, string>; body: string } {
  if (target !== "AmazonSSM.GetParameters")
    return json(400, { __type: "UnknownOperationException", message: target });
  const { Names } = JSON.parse(body.toString("utf8")) as { Names?: unknown };
  if (!Array.isArray(Names) || Names.length < 1 || Names.length > 10)
    return json(400, {
      __type: "ValidationException",
      message:
        "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10",
    });
  record({ service: "ssm", action: "GetParameters", body: { Names } });
  const stored = fs.existsSync(config.ssmParametersFile)
    ? (JSON.parse(fs.readFileSync(config.ssmParametersFile, "utf8")) as Record<string, string>)
    : {};
  const names = Names as string[];
  return json(200, {
    Parameters: names
      .filter((n) => n in stored)
      .map((n) => ({ Name: n, Type: "String", Value: stored[n], Version: 1, DataType: "text" })),
    InvalidParameters: names.filter((n) => !(n in stored)),
  });
}
