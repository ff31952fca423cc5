// The stack's CloudWatch alarms for `npm run status`: each one's state (OK, ALARM,
// INSUFFICIENT_DATA), why, since when, and whom it notifies. DescribeAlarms is asked for exactly
// the names the stack exports (alarmNames), never a name prefix, which another stack's alarms
// could share. Reading is `describeStackAlarms`; judging and wording are pure (`alarmLines`).
import {
  paginateDescribeAlarms,
  type CloudWatchClient,
  type CompositeAlarm,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import type { StatusLine } from "./status";

export interface AlarmState {
  name: string;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
  reason: string;
  /** When the alarm entered this state (ISO), as CloudWatch reports it. */
  since?: string;
  actionsEnabled: boolean;
  /** Who is told when it fires, and when it clears. */
  alarmActions: string[];
  okActions: string[];
}

export interface StackAlarms {
  region: string;
  /** The exported alarm topic: every alarm should notify it. */
  topicArn: string;
  /** The exported names, in order; `missing` are those CloudWatch does not know. */
  names: string[];
  alarms: AlarmState[];
  missing: string[];
}

/** DescribeAlarms takes at most 100 names a call. */
const NAMES_PER_CALL = 100;

function stateOf(a: MetricAlarm | CompositeAlarm): AlarmState {
  const since = a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp;
  return {
    name: a.AlarmName ?? "",
    state: a.StateValue ?? "INSUFFICIENT_DATA",
    reason: a.StateReason ?? "",
    since: since?.toISOString(),
    actionsEnabled: a.ActionsEnabled ?? true,
    alarmActions: a.AlarmActions ?? [],
    okActions: a.OKActions ?? [],
  };
}

/** The named alarms' states (both alarm types, every page), and the names CloudWatch lacks. */
export async function describeStackAlarms(
  client: CloudWatchClient,
  names: string[],
): Promise<{ alarms: AlarmState[]; missing: string[] }> {
  const found = new Map<string, AlarmState>();
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    const pages = paginateDescribeAlarms(
      { client, pageSize: NAMES_PER_CALL },
      {
        AlarmNames: names.slice(i, i + NAMES_PER_CALL),
        AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
      },
    );
    for await (const page of pages)
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])
        found.set(a.AlarmName ?? "", stateOf(a));
  }
  return {
    alarms: names.flatMap((n) => found.get(n) ?? []),
    missing: names.filter((n) => !found.has(n)),
  };
}

function ago(since: string, now: Date): string {
  const h = (now.getTime() - Date.parse(since)) / 3600_000;
  return h < 48 ? `${h.toFixed(1)} h ago` : `${(h / 24).toFixed(1)} days ago`;
}

/**
 * One status line for the topic, then one per exported alarm, labelled with its name. An alarm in
 * ALARM, one CloudWatch does not have, or one that would tell nobody (actions disabled, or not
 * the stack's topic) needs attention. INSUFFICIENT_DATA is shown as it is: new alarms and those
 * that keep their state between runs sit there without anything being wrong.
 */
export function alarmLines(s: StackAlarms, now: Date): StatusLine[] {
  const lines: StatusLine[] = [
    {
      label: "alarm topic",
      value: `${s.topicArn} (every alarm below notifies it; alarmEmails subscribes e-mail to it)`,
      verdict: "ok",
    },
  ];
  const byName = new Map(s.alarms.map((a) => [a.name, a]));
  for (const name of s.names) {
    const a = byName.get(name);
    if (!a) {
      lines.push({
        label: name,
        value: "NOT FOUND in CloudWatch (deleted outside Pulumi?): run pulumi up",
        verdict: "attention",
      });
      continue;
    }
    const since = a.since ? ` since ${a.since} (${ago(a.since, now)})` : "";
    const problems: string[] = [];
    if (!a.actionsEnabled) problems.push("actions disabled: it notifies nobody");
    else if (!a.alarmActions.includes(s.topicArn))
      problems.push(
        `does not notify the alarm topic (notifies: ${a.alarmActions.join(", ") || "nobody"})`,
      );
    lines.push({
      label: name,
      value: `${a.state}${since}: ${a.reason || "no reason given"}${problems.length ? `; ${problems.join("; ")}` : ""}`,
      verdict: a.state === "ALARM" || problems.length > 0 ? "attention" : "ok",
    });
  }
  return lines;
}

/** The line printed first when any alarm fires; undefined when none does. */
export function alarmBanner(s: StackAlarms): string | undefined {
  const firing = s.alarms.filter((a) => a.state === "ALARM");
  if (firing.length === 0) return undefined;
  const names = firing.map((a) => `${a.name}${a.since ? ` (since ${a.since})` : ""}`);
  return `ALARM: ${firing.length} of the stack's ${s.names.length} alarms ${firing.length === 1 ? "is" : "are"} in ALARM: ${names.join(", ")}. README, Alarms, has a runbook for each.`;
}
