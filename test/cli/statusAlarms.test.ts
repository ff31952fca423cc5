// `npm run status -- --stack <name>` shows the stack's CloudWatch alarms: the real command, run
// as a process against the CloudWatch / CloudWatch Logs stand-in on 127.0.0.1, with the outputs
// the program really exports (under mocks) printed by a stand-in `pulumi stack output --json`.
// The run log group holds a healthy backup's documents, so what the alarms are in decides the
// verdict and the exit code.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { ofType, runProgram, type ProgramResult } from "../support/program";
import { stopAll } from "../../harness/emulators";
import {
  startTelemetryStandIn,
  type AlarmStateValue,
  type StandInAlarm,
  type TelemetryStandIn,
} from "../../harness/telemetryStandIn";
import { splitAlarmNames } from "../../domain/outputs";
import type { DrillResult, IntegrityResult, RunSummary } from "../../domain/runSummary";

const ROOT = path.resolve(__dirname, "..", "..");
/** Obviously fake keys: the stand-in checks the signature's form, not the secret. */
const FAKE_KEYS = {
  AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
  AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
};

/** The exports as `pulumi stack output --json` prints them (secrets as "[secret]"). */
function asPrinted(r: ProgramResult): Record<string, unknown> {
  expect(r.error).to.equal(undefined);
  return Object.fromEntries(
    Object.entries(r.outputs).map(([k, o]) => [k, o.secret ? "[secret]" : o.value]),
  );
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const HOUR = 3600_000;

/** A healthy backup's documents: a fresh run, a matching integrity check and drill. */
function healthyDocuments(): [RunSummary, IntegrityResult, DrillResult] {
  const run: RunSummary = {
    runId: "20261125T100000.000000000Z",
    started: iso(HOUR),
    finished: iso(HOUR - 30_000),
    durationSeconds: 30,
    outcome: "success",
    exitCode: 0,
    ending: "finished",
    fresh: true,
    freshAsOf: iso(HOUR),
    backupAgeSeconds: 30,
    mode: "copy",
    source: "s3://example-app-data-dev/",
    destination: "backup/data/",
    sourceObjects: 10,
    sourceBytes: 2048,
    sourceDropPercent: 0,
    vaultObjects: 10,
    vaultOnly: 0,
    unchanged: 10,
    new: 0,
    changed: 0,
    copied: 0,
    bytesCopied: 0,
    bytesChanged: 0,
    sealed: 0,
    adopted: 0,
    adoptedByRead: 0,
    hashedBytes: 0,
    refreshed: 0,
    adoptDeferred: 0,
    archived: 0,
    deleted: 0,
    vanished: 0,
    retried: 0,
    copyDeferred: 0,
    acceptedSkips: 0,
    skippedCount: 0,
    skipped: [],
    errorCount: 0,
    errors: [],
    pendingSecurityUpdates: 0,
    pendingSecurityPackages: [],
  };
  const check = {
    started: iso(24 * HOUR),
    finished: iso(24 * HOUR - 60_000),
    durationSeconds: 60,
    outcome: "match" as const,
    source: "s3://example-app-data-dev/",
    destination: "backup/data/",
    mismatchCount: 0,
    mismatches: [],
    error: null,
  };
  const integrity: IntegrityResult = {
    ...check,
    checkId: "20261124T033000.000000000Z",
    kind: "integrity",
    backupSince: iso(25 * HOUR),
    sourceObjects: 10,
    sourceBytes: 2048,
    vaultObjects: 10,
    present: 10,
    pending: 0,
    unstorable: 0,
    unreadable: 0,
    missing: 0,
    sizeMismatch: 0,
    etagMismatch: 0,
    unrecorded: 0,
    unrecordedVaultOnly: 0,
    sampled: 10,
    sampledBytes: 2048,
    sampleMismatch: 0,
    sampleUnverified: 0,
    coverageDays: 365,
    readFrom: iso(8 * 24 * HOUR),
    readUpTo: iso(24 * HOUR),
    coveredFraction: 0.02,
    coveredSince: iso(8 * 24 * HOUR),
  };
  const drill: DrillResult = {
    ...check,
    checkId: "20261124T043000.000000000Z",
    kind: "drill",
    vaultObjects: 10,
    restored: 9,
    restoredBytes: 4096,
    sourceCompared: 9,
    sourceGone: 0,
    sourceChanged: 0,
    tooLarge: 0,
  };
  return [run, integrity, drill];
}

describe("npm run status --stack: the stack's CloudWatch alarms (DescribeAlarms stand-in)", function () {
  this.timeout(300_000);
  let cw: TelemetryStandIn;
  let program: ProgramResult;
  let outputs: Record<string, unknown>;
  let names: string[];
  let topic: string;
  let bin: string;

  before(async () => {
    program = runProgram("dev");
    outputs = asPrinted(program);
    names = splitAlarmNames(outputs.alarmNames as string);
    topic = outputs.alarmTopicArn as string;
    cw = await startTelemetryStandIn();
    // The run log group (what `--logs` reads) with a healthy backup's documents.
    const logs = new CloudWatchLogsClient({
      region: "eu-west-1",
      endpoint: cw.endpoint,
      credentials: { accessKeyId: FAKE_KEYS.AWS_ACCESS_KEY_ID, secretAccessKey: "fake" },
    });
    for (const [i, doc] of healthyDocuments().entries()) {
      const stream = `stream-${i}`;
      const logGroupName = outputs.runLogGroup as string;
      await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: stream }));
      await logs.send(
        new PutLogEventsCommand({
          logGroupName,
          logStreamName: stream,
          logEvents: [{ timestamp: Date.now() - 1000 * (3 - i), message: JSON.stringify(doc) }],
        }),
      );
    }
    // A stand-in pulumi CLI: prints the stack's outputs for exactly the command status runs.
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-pulumi-"));
    writeOutputs(outputs);
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      `#!/bin/sh\n[ "$*" = "stack output --json --stack dev" ] || { echo "unexpected: $*" >&2; exit 9; }\ncat "${bin}/outputs.json"\n`,
      { mode: 0o755 },
    );
  });
  after(async () => {
    await stopAll();
    if (bin) fs.rmSync(bin, { recursive: true, force: true });
  });

  function writeOutputs(out: Record<string, unknown>): void {
    fs.writeFileSync(path.join(bin, "outputs.json"), JSON.stringify(out));
  }

  /** Every exported alarm, OK and notifying the topic, except as `states` and `over` say. */
  function alarms(
    states: Record<string, AlarmStateValue> = {},
    over: Record<string, Partial<StandInAlarm>> = {},
  ): StandInAlarm[] {
    return names.map((n) => ({
      AlarmName: n,
      StateValue: states[n] ?? "OK",
      StateReason: `reason for ${n}`,
      StateUpdatedTimestamp: "2026-11-25T09:00:00.000Z",
      AlarmActions: [topic],
      OKActions: [topic],
      ...over[n],
    }));
  }
  const setAlarms = (...args: Parameters<typeof alarms>) => cw.setAlarms(alarms(...args));

  function status(
    args: string[] = [],
    env: Record<string, string> = {},
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "cli/status.ts", "--stack", "dev", "--logs", ...args],
        {
          cwd: ROOT,
          encoding: "utf8",
          env: {
            ...process.env,
            ...cw.env,
            ...FAKE_KEYS,
            AWS_CONFIG_FILE: "/dev/null",
            AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            PATH: `${bin}:${process.env.PATH ?? ""}`,
            ...env,
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
      ),
    );
  }

  /** The DescribeAlarms calls the stand-in answered (the record also holds the run log group). */
  const describeCalls = () => cw.calls().filter((c) => c.action === "DescribeAlarms");

  /** The status line of one alarm: its "!" mark and its text. */
  function line(stdout: string, name: string): string {
    const found = stdout.split("\n").filter((l) => l.slice(2).startsWith(`${name} `));
    expect(found, `${name} in:\n${stdout}`).to.have.length(1);
    return found[0];
  }

  it("all OK: lists every exported alarm with its state, reason and since when, and the topic it notifies; exit 0", async () => {
    expect(names)
      .to.include("backup-alarms-missed-backup")
      .and.include("backup-alarms-host-unhealthy");
    // Every alarm the program declares is exported, and nothing else.
    expect([...names].sort()).to.deep.equal(
      ofType(program, "aws:cloudwatch/metricAlarm:MetricAlarm")
        .map((a) => a.name)
        .sort(),
    );
    expect(names.length).to.be.at.least(10);
    setAlarms();
    const earlier = describeCalls().length;
    const r = await status();
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^from CloudWatch Logs \/cross-cloud-backup\/dev \(eu-west-1\)\n\n/);
    expect(r.stdout).to.match(new RegExp(`^ {2}alarm topic +${topic} \\(every alarm`, "m"));
    for (const n of names)
      expect(line(r.stdout, n)).to.match(
        new RegExp(`^ {2}${n} +OK since 2026-11-25T09:00:00\\.000Z \\(.* ago\\): reason for ${n}$`),
      );
    expect(r.stdout).to.not.include("ALARM");
    expect(r.stdout).to.match(/OK: the backup is current and verified\.\n$/);
    // It asked CloudWatch for exactly the exported names, over the SDK's JSON 1.0 protocol.
    const asked = describeCalls().slice(earlier);
    expect(asked).to.have.length(1);
    expect(asked[0].body.AlarmNames).to.deep.equal(names);
    expect(asked[0].body).to.not.have.property("AlarmNamePrefix");
    expect(asked[0]).to.include({
      contentType: "application/x-amz-json-1.0",
      queryMode: "true",
      status: 200,
    });
  });

  it("an alarm in ALARM is named at the top, marked '!', and the command exits 1", async () => {
    setAlarms(
      { "backup-alarms-missed-backup": "ALARM" },
      {
        "backup-alarms-missed-backup": {
          StateReason: "Threshold Crossed: 5 datapoints were greater than the threshold (18000.0).",
          StateUpdatedTimestamp: "2026-11-25T11:00:00.000Z",
        },
      },
    );
    const r = await status();
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const [from, banner] = r.stdout.split("\n");
    expect(from).to.match(/^from CloudWatch Logs/);
    expect(banner).to.equal(
      `ALARM: 1 of the stack's ${names.length} alarms is in ALARM: backup-alarms-missed-backup (since 2026-11-25T11:00:00.000Z). README, Alarms, has a runbook for each.`,
    );
    expect(line(r.stdout, "backup-alarms-missed-backup")).to.match(
      /^! backup-alarms-missed-backup +ALARM since 2026-11-25T11:00:00\.000Z \(.*\): Threshold Crossed: 5 datapoints/,
    );
    expect(line(r.stdout, "backup-alarms-failed-run")).to.match(/^ {2}\S+ +OK since/);
    expect(r.stdout).to.match(/ATTENTION: see the lines marked '!'/);
  });

  it("INSUFFICIENT_DATA is shown as it is, without attention (a new alarm, or one between runs); exit 0", async () => {
    setAlarms({
      "backup-alarms-skipped-objects": "INSUFFICIENT_DATA",
      "backup-alarms-integrity-overdue": "INSUFFICIENT_DATA",
    });
    const r = await status();
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    for (const n of ["backup-alarms-skipped-objects", "backup-alarms-integrity-overdue"])
      expect(line(r.stdout, n)).to.match(new RegExp(`^ {2}${n} +INSUFFICIENT_DATA since `));
    expect(r.stdout.split("\n")[1]).to.equal("");
  });

  it("--json carries every alarm's state, reason, since and actions, and the attention verdict", async () => {
    setAlarms({
      "backup-alarms-failed-run": "ALARM",
      "backup-alarms-overrun": "INSUFFICIENT_DATA",
    });
    const r = await status(["--json"]);
    expect(r.code, r.stderr).to.equal(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.verdict).to.equal("attention");
    expect(doc.alarms).to.include({ region: "eu-west-1", topicArn: topic });
    expect(doc.alarms.missing).to.deep.equal([]);
    const states = Object.fromEntries(
      (doc.alarms.alarms as { name: string; state: string }[]).map((a) => [a.name, a.state]),
    );
    expect(Object.keys(states)).to.deep.equal(names);
    expect(states["backup-alarms-failed-run"]).to.equal("ALARM");
    expect(states["backup-alarms-overrun"]).to.equal("INSUFFICIENT_DATA");
    expect(states["backup-alarms-missed-backup"]).to.equal("OK");
    const failed = (doc.alarms.alarms as Record<string, unknown>[]).find(
      (a) => a.name === "backup-alarms-failed-run",
    );
    expect(failed).to.deep.equal({
      name: "backup-alarms-failed-run",
      state: "ALARM",
      reason: "reason for backup-alarms-failed-run",
      since: "2026-11-25T09:00:00.000Z",
      actionsEnabled: true,
      alarmActions: [topic],
      okActions: [topic],
    });
    const marked = (doc.lines as { label: string; verdict: string }[]).filter(
      (l) => l.verdict === "attention",
    );
    expect(marked.map((l) => l.label)).to.deep.equal(["backup-alarms-failed-run"]);
  });

  it("an exported alarm CloudWatch does not have, or one that notifies nobody, needs attention", async () => {
    cw.setAlarms(
      alarms({}, { "backup-alarms-overrun": { ActionsEnabled: false } }).filter(
        (a) => a.AlarmName !== "backup-alarms-run-killed",
      ),
    );
    const r = await status();
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(line(r.stdout, "backup-alarms-run-killed")).to.match(
      /^! backup-alarms-run-killed +NOT FOUND in CloudWatch .*run pulumi up$/,
    );
    expect(line(r.stdout, "backup-alarms-overrun")).to.match(
      /^! backup-alarms-overrun +OK since .*; actions disabled: it notifies nobody$/,
    );
    setAlarms({}, { "backup-alarms-overrun": { AlarmActions: [] } });
    expect(line((await status()).stdout, "backup-alarms-overrun")).to.match(
      /^! .*does not notify the alarm topic \(notifies: nobody\)$/,
    );
  });

  it("CloudWatch failing to answer DescribeAlarms is a line of its own; the documents are still shown; exit 1", async () => {
    setAlarms();
    const down = await startTelemetryStandIn({ failAll: true });
    try {
      const r = await status([], { AWS_ENDPOINT_URL_CLOUDWATCH: down.endpoint });
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(
        /^! alarms +could not be read from CloudWatch \(eu-west-1\): stand-in unavailable$/m,
      );
      expect(r.stdout).to.match(/^ {2}last run +\S+ success/m);
      expect(r.stdout).to.not.match(/^.{2}backup-alarms-/m);
    } finally {
      await down.stop();
    }
  });

  it("a stack deployed before alarmNames was exported still gets its status, and is told to run pulumi up", async () => {
    setAlarms();
    const older = { ...outputs };
    delete older.alarmNames;
    writeOutputs(older);
    try {
      const earlier = describeCalls().length;
      const r = await status();
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(
        /^! alarms +the stack has no alarmNames output: run pulumi up with this program$/m,
      );
      expect(r.stdout).to.match(/^ {2}last run +\S+ success/m);
      expect(describeCalls()).to.have.length(earlier);
    } finally {
      writeOutputs(outputs);
    }
  });
});
