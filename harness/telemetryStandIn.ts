// Starts the CloudWatch / CloudWatch Logs stand-in (harness/servers/telemetry.ts) and reads what
// the engine published: one metrics call and the log stream + event per run. Tests also set the
// CloudWatch alarms it describes (DescribeAlarms), in whatever state they need.
import * as fs from "node:fs";
import * as path from "node:path";
import { EmulatorProcess, freePort } from "./emulators";
import { tsServerSpec } from "./standInProcess";
import type { StandInAlarm } from "./servers/describeAlarms";

export type { AlarmStateValue, StandInAlarm } from "./servers/describeAlarms";

const SERVER = path.join(__dirname, "servers", "telemetry.ts");

export interface TelemetryCall {
  service: "monitoring" | "logs" | "ssm";
  action: string;
  body: Record<string, unknown>;
  /** CloudWatch over JSON 1.0 (DescribeAlarms): the request's protocol headers and the status. */
  contentType?: string;
  queryMode?: string;
  status?: number;
}

export class TelemetryStandIn extends EmulatorProcess {
  constructor(
    spec: ConstructorParameters<typeof EmulatorProcess>[0],
    port: number,
    dir: string,
    private readonly recordFile: string,
    private readonly ssmParametersFile: string,
    private readonly runCommandFile: string,
    private readonly alarmsFile: string,
  ) {
    super(spec, port, dir, true);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The environment that points the engine's CloudWatch and Logs clients here. */
  get env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_CLOUDWATCH: this.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: this.endpoint,
      AWS_ENDPOINT_URL_SSM: this.endpoint,
    };
  }

  /** What a Run Command invocation ends with (after `pendingPolls` "InProgress" answers). */
  setRunCommand(outcome: {
    status: string;
    stdout: string;
    stderr?: string;
    pendingPolls?: number;
  }): void {
    fs.writeFileSync(
      this.runCommandFile,
      JSON.stringify({ stderr: "", pendingPolls: 0, ...outcome }),
    );
  }

  /** The alarms DescribeAlarms answers from now on (their states, reasons and actions). */
  setAlarms(alarms: StandInAlarm[]): void {
    fs.writeFileSync(this.alarmsFile, JSON.stringify(alarms));
  }

  /** What GetParameters answers from now on (name -> value). */
  setSsmParameters(parameters: Record<string, string>): void {
    fs.writeFileSync(this.ssmParametersFile, JSON.stringify(parameters));
  }

  calls(): TelemetryCall[] {
    if (!fs.existsSync(this.recordFile)) return [];
    return fs
      .readFileSync(this.recordFile, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TelemetryCall);
  }

  /** The metrics of every PutMetricData call, as name -> value, oldest call first. */
  metrics(): Record<string, number>[] {
    return this.calls()
      .filter((c) => c.action === "PutMetricData")
      .map((c) => {
        const out: Record<string, number> = {};
        for (let i = 1; c.body[`MetricData.member.${i}.MetricName`] !== undefined; i++)
          out[c.body[`MetricData.member.${i}.MetricName`] as string] = Number(
            c.body[`MetricData.member.${i}.Value`],
          );
        return out;
      });
  }

  reset(): void {
    fs.rmSync(this.recordFile, { force: true });
  }
}

export async function startTelemetryStandIn(
  opts: { failAll?: boolean } = {},
): Promise<TelemetryStandIn> {
  const port = await freePort();
  const config = {
    port,
    recordFile: "",
    ssmParametersFile: "",
    runCommandFile: "",
    alarmsFile: "",
    failAll: opts.failAll ?? false,
  };
  const { spec, dir } = tsServerSpec(`telemetry stand-in on 127.0.0.1:${port}`, SERVER, config);
  config.recordFile = path.join(dir, "calls.jsonl");
  config.ssmParametersFile = path.join(dir, "ssm-parameters.json");
  config.runCommandFile = path.join(dir, "run-command.json");
  config.alarmsFile = path.join(dir, "alarms.json");
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  const standIn = new TelemetryStandIn(
    spec,
    port,
    dir,
    config.recordFile,
    config.ssmParametersFile,
    config.runCommandFile,
    config.alarmsFile,
  );
  await standIn.start();
  return standIn;
}
