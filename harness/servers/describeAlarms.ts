// CloudWatch DescribeAlarms as the JavaScript SDK (@aws-sdk/client-cloudwatch) speaks it: the AWS
// JSON 1.0 protocol, query-compatible (POST /, X-Amz-Target GraniteServiceVersion20100801.<Op>,
// Content-Type application/x-amz-json-1.0, x-amzn-query-mode: true). Errors carry the Smithy
// shape in `__type` and the Query error code in the x-amzn-query-error header ("Code;Sender"),
// which is how the SDK names them (ValidationError -> ValidationException, InvalidNextToken).
// The alarms are what a test put in the alarms file; requests are checked against the API's
// constraints (lengths, ranges, enums, combinations) with the service's messages.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
// https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#aws-protocols-awsquerycompatible-trait
import { randomUUID } from "node:crypto";

export const JSON_TARGET_PREFIX = "GraniteServiceVersion20100801.";

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** An alarm the stand-in holds (times as ISO strings); the rest of MetricAlarm is derived. */
export interface StandInAlarm {
  AlarmName: string;
  StateValue: AlarmStateValue;
  StateReason: string;
  StateUpdatedTimestamp: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  Namespace?: string;
  MetricName?: string;
}

export interface JsonAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const NAMESPACE = "com.amazonaws.cloudwatch";
const ACCOUNT = "123456789012";
const STATES: readonly string[] = ["INSUFFICIENT_DATA", "ALARM", "OK"];
const ALARM_TYPES: readonly string[] = ["CompositeAlarm", "MetricAlarm"];
/** The page size when MaxRecords is not given (the API reference names no default). */
const DEFAULT_MAX_RECORDS = 50;

function answer(status: number, body: unknown, queryError?: string): JsonAnswer {
  return {
    status,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amzn-requestid": randomUUID(),
      ...(queryError ? { "x-amzn-query-error": queryError } : {}),
    },
    body: JSON.stringify(body),
  };
}

/**
 * An error in the protocol's form: its type in __type and, for the query-compatible service, its
 * Query error code in the x-amzn-query-error header ("Code;Sender" or "Code;Receiver").
 */
export function jsonError(
  status: number,
  type: string,
  message: string,
  queryCode?: string,
): JsonAnswer {
  const fault = status >= 500 ? "Receiver" : "Sender";
  return answer(status, { __type: type, message }, queryCode && `${queryCode};${fault}`);
}

/** An error CloudWatch's model declares (the shape name; the Query code it maps to). */
export function modelledError(
  status: number,
  shape: string,
  queryCode: string,
  message: string,
): JsonAnswer {
  return jsonError(status, `${NAMESPACE}#${shape}`, message, queryCode);
}

/** What the service framework answers before the operation runs (body or target unusable). */
export function frameworkError(status: number, type: string, message: string): JsonAnswer {
  return jsonError(status, `com.amazon.coral.service#${type}`, message);
}

/** The input members as the operation's model types them (a wrong type never reaches it). */
const MEMBER_TYPES: Record<string, "string" | "integer" | "string list"> = {
  AlarmNames: "string list",
  AlarmNamePrefix: "string",
  AlarmTypes: "string list",
  ChildrenOfAlarmName: "string",
  ParentsOfAlarmName: "string",
  StateValue: "string",
  ActionPrefix: "string",
  MaxRecords: "integer",
  NextToken: "string",
};

interface Input {
  AlarmNames?: string[];
  AlarmNamePrefix?: string;
  AlarmTypes?: string[];
  ChildrenOfAlarmName?: string;
  ParentsOfAlarmName?: string;
  StateValue?: string;
  ActionPrefix?: string;
  MaxRecords?: number;
  NextToken?: string;
}

function typeProblem(input: Record<string, unknown>): string | undefined {
  for (const [member, kind] of Object.entries(MEMBER_TYPES)) {
    const v = input[member];
    if (v === undefined || v === null) continue;
    const ok =
      kind === "string"
        ? typeof v === "string"
        : kind === "integer"
          ? Number.isInteger(v)
          : Array.isArray(v) && v.every((x) => typeof x === "string");
    if (!ok) return `${member}: expected ${kind === "string list" ? "a list of strings" : kind}`;
  }
  return undefined;
}

/** Coral's constraint messages: "Value 'x' at 'memberPath' failed to satisfy constraint: ...". */
function constraintProblems(input: Input): string[] {
  const problems: string[] = [];
  const shown = (v: unknown) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v));
  const fail = (v: unknown, path: string, rule: string) =>
    problems.push(`Value '${shown(v)}' at '${path}' failed to satisfy constraint: ${rule}`);
  const length = (v: string | undefined, path: string, min: number, max: number) => {
    if (v === undefined) return;
    if (v.length < min) fail(v, path, `Member must have length greater than or equal to ${min}`);
    if (v.length > max) fail(v, path, `Member must have length less than or equal to ${max}`);
  };
  if (input.AlarmNames) {
    if (input.AlarmNames.length > 100)
      fail(input.AlarmNames, "alarmNames", "Member must have length less than or equal to 100");
    input.AlarmNames.forEach((n, i) => length(n, `alarmNames.${i + 1}.member`, 1, 255));
  }
  length(input.AlarmNamePrefix, "alarmNamePrefix", 1, 255);
  length(input.ChildrenOfAlarmName, "childrenOfAlarmName", 1, 255);
  length(input.ParentsOfAlarmName, "parentsOfAlarmName", 1, 255);
  length(input.ActionPrefix, "actionPrefix", 1, 1024);
  input.AlarmTypes?.forEach((t, i) => {
    if (!ALARM_TYPES.includes(t))
      fail(
        t,
        `alarmTypes.${i + 1}.member`,
        `Member must satisfy enum value set: [${ALARM_TYPES.join(", ")}]`,
      );
  });
  if (input.StateValue !== undefined && !STATES.includes(input.StateValue))
    fail(
      input.StateValue,
      "stateValue",
      `Member must satisfy enum value set: [${STATES.join(", ")}]`,
    );
  if (input.MaxRecords !== undefined) {
    if (input.MaxRecords < 1)
      fail(input.MaxRecords, "maxRecords", "Member must have value greater than or equal to 1");
    if (input.MaxRecords > 100)
      fail(input.MaxRecords, "maxRecords", "Member must have value less than or equal to 100");
  }
  return problems;
}

/** Tokens this process handed out: the page they continue, for the query they belong to. */
const tokens = new Map<string, { query: string; offset: number }>();

function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** The MetricAlarm the service returns for a held alarm (timestamps as epoch seconds). */
function metricAlarm(a: StandInAlarm, region: string): Record<string, unknown> {
  const updated = epochSeconds(a.StateUpdatedTimestamp);
  return {
    AlarmName: a.AlarmName,
    AlarmArn: `arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${a.AlarmName}`,
    ...(a.AlarmDescription !== undefined ? { AlarmDescription: a.AlarmDescription } : {}),
    AlarmConfigurationUpdatedTimestamp: updated,
    ActionsEnabled: a.ActionsEnabled ?? true,
    OKActions: a.OKActions ?? [],
    AlarmActions: a.AlarmActions ?? [],
    InsufficientDataActions: a.InsufficientDataActions ?? [],
    StateValue: a.StateValue,
    StateReason: a.StateReason,
    StateUpdatedTimestamp: updated,
    StateTransitionedTimestamp: updated,
    MetricName: a.MetricName ?? "BackupAgeSeconds",
    Namespace: a.Namespace ?? "CrossCloudBackup/stand-in",
    Statistic: "Maximum",
    Dimensions: [],
    Period: 3600,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    TreatMissingData: "notBreaching",
  };
}

/**
 * Answers one DescribeAlarms request body from `alarms`, in `region` (the request's credential
 * scope). Metric alarms only: the stand-in holds no composite alarms, so CompositeAlarms is empty.
 */
export function describeAlarms(body: Buffer, alarms: StandInAlarm[], region: string): JsonAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return frameworkError(400, "SerializationException", "Request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return frameworkError(400, "SerializationException", "Request body must be a JSON object");
  const badType = typeProblem(parsed as Record<string, unknown>);
  if (badType) return frameworkError(400, "SerializationException", badType);
  const input = parsed as Input;

  const problems = constraintProblems(input);
  if (problems.length > 0)
    return modelledError(
      400,
      "ValidationException",
      "ValidationError",
      `${problems.length} validation error${problems.length > 1 ? "s" : ""} detected: ${problems.join("; ")}`,
    );
  // The reference: with ChildrenOfAlarmName or ParentsOfAlarmName "you cannot specify any other
  // parameters in the request except for MaxRecords and NextToken ... you receive a validation
  // error". AlarmNamePrefix and AlarmNames exclude each other too; the reference names no error
  // for that, so this answers the model's InvalidParameterCombination.
  const relatives = input.ChildrenOfAlarmName ?? input.ParentsOfAlarmName;
  if (relatives !== undefined) {
    const others = Object.keys(input).filter(
      (k) => !["MaxRecords", "NextToken"].includes(k) && input[k as keyof Input] !== undefined,
    );
    if (others.length > 1)
      return modelledError(
        400,
        "ValidationException",
        "ValidationError",
        "ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other parameters except MaxRecords and NextToken",
      );
  }
  if (input.AlarmNames !== undefined && input.AlarmNamePrefix !== undefined)
    return modelledError(
      400,
      "InvalidParameterCombinationException",
      "InvalidParameterCombination",
      "AlarmNamePrefix and AlarmNames cannot both be specified",
    );

  const query = JSON.stringify({ ...input, NextToken: undefined, MaxRecords: undefined });
  let offset = 0;
  if (input.NextToken !== undefined) {
    const t = tokens.get(input.NextToken);
    if (!t || t.query !== query)
      return modelledError(400, "InvalidNextToken", "InvalidNextToken", "Invalid NextToken");
    offset = t.offset;
  }
  const types = input.AlarmTypes ?? ["MetricAlarm"];
  const matching =
    relatives !== undefined || !types.includes("MetricAlarm")
      ? [] // a metric alarm has neither children nor parents here: no composite alarms held
      : alarms
          .filter((a) => input.AlarmNames === undefined || input.AlarmNames.includes(a.AlarmName))
          .filter(
            (a) =>
              input.AlarmNamePrefix === undefined || a.AlarmName.startsWith(input.AlarmNamePrefix),
          )
          .filter((a) => input.StateValue === undefined || a.StateValue === input.StateValue)
          .filter(
            (a) =>
              input.ActionPrefix === undefined ||
              [
                ...(a.AlarmActions ?? []),
                ...(a.OKActions ?? []),
                ...(a.InsufficientDataActions ?? []),
              ].some((x) => x.startsWith(input.ActionPrefix!)),
          )
          .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0));
  const size = input.MaxRecords ?? DEFAULT_MAX_RECORDS;
  const page = matching.slice(offset, offset + size);
  let next: string | undefined;
  if (offset + size < matching.length) {
    next = randomUUID();
    tokens.set(next, { query, offset: offset + size });
  }
  return answer(200, {
    ...(input.AlarmTypes?.includes("CompositeAlarm") ? { CompositeAlarms: [] } : {}),
    MetricAlarms: page.map((a) => metricAlarm(a, region)),
    ...(next ? { NextToken: next } : {}),
  });
}
