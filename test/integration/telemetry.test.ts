// What every run publishes for the alarms: the rendered engine, real rclone and the emulators,
// with a CloudWatch / CloudWatch Logs stand-in that records each call in the services' own
// formats. A success, a partial and a failed run each publish the right metrics and their summary;
// a publishing failure never changes the outcome of the backup.
import { expect } from "chai";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { startBackup, type Backup } from "../../harness/datapath";
import { stopAll } from "../../harness/emulators";
import { startTelemetryStandIn } from "../../harness/telemetryStandIn";
import { METRICS, logGroupName } from "../../domain/telemetry";

describe("run telemetry: metrics and the run summary to CloudWatch (stand-in)", function () {
  this.timeout(360_000);
  let b: Backup;

  before(async () => {
    b = await startBackup({ azuriteInMemory: true });
    for (let i = 0; i < 3; i++) await b.put(`t/ok-${i}.txt`, `ok ${i}\n`);
  });
  after(async () => {
    await b.stop();
    await stopAll();
  });

  const last = () => {
    const all = b.telemetry!.metrics();
    expect(all.length, "one PutMetricData per run").to.be.at.least(1);
    return all[all.length - 1];
  };

  it("a successful run publishes a heartbeat, its counts and its summary, in the stack's own namespace", async () => {
    b.telemetry!.reset();
    const run = await b.run();
    expect(run.code).to.equal(0);
    const calls = b.telemetry!.calls();
    const put = calls.find((c) => c.action === "PutMetricData")!;
    expect(put.body.Namespace).to.equal("CrossCloudBackup/dev");
    expect(put.body["MetricData.member.1.Dimensions.member.1.Name"]).to.equal("Stack");
    expect(put.body["MetricData.member.1.Dimensions.member.1.Value"]).to.equal("dev");
    expect(last()).to.include({
      [METRICS.heartbeat]: 1,
      [METRICS.runFailed]: 0,
      [METRICS.runPartial]: 0,
      [METRICS.skippedObjects]: 0,
      [METRICS.objectsCopied]: 3,
    });
    // SAS mode: how long the credential has left, for the expiry alarm.
    expect(last()[METRICS.credentialSecondsLeft]).to.be.within(3000, 3700);
    const stream = calls.find((c) => c.action === "CreateLogStream")!;
    expect(stream.body).to.deep.equal({
      logGroupName: logGroupName("dev"),
      logStreamName: run.summary!.runId,
    });
    const events = calls.find((c) => c.action === "PutLogEvents")!.body.logEvents as {
      message: string;
    }[];
    expect(JSON.parse(events[0].message)).to.include({
      runId: run.summary!.runId,
      outcome: "success",
    });
  });

  it("a partial run (an archived object skipped) publishes RunPartial and the skipped count, no heartbeat, and a backup age that keeps growing", async () => {
    await b.source.send(
      new PutObjectCommand({
        Bucket: b.settings.sourceBucket,
        Key: "t/cold.bin",
        Body: "archived\n",
        StorageClass: "GLACIER",
      }),
    );
    const freshAsOf = (await b.run()).summary!.freshAsOf;
    await new Promise((r) => setTimeout(r, 1100));
    const run = await b.run();
    expect(run.code).to.equal(3);
    expect(last()).to.include({
      [METRICS.heartbeat]: 0,
      [METRICS.runFailed]: 0,
      [METRICS.runPartial]: 1,
      [METRICS.skippedObjects]: 1,
      [METRICS.acceptedSkips]: 0,
    });
    // Not fresh: the age counts from the last run that stored everything, not from this one.
    expect(run.summary).to.include({ fresh: false, freshAsOf });
    const age = last()[METRICS.backupAgeSeconds];
    expect(age).to.equal(run.summary!.backupAgeSeconds);
    expect(age).to.be.at.least(Math.round(run.summary!.durationSeconds) + 1);
  });

  it("a failed run publishes RunFailed and no heartbeat", async () => {
    b.setSas(b.sasUrl({ expiresOn: new Date(Date.now() - 3600_000) }));
    try {
      const run = await b.run();
      expect(run.code).to.equal(1);
      expect(last()).to.include({ [METRICS.heartbeat]: 0, [METRICS.runFailed]: 1 });
      expect(last()[METRICS.backupAgeSeconds]).to.be.above(1);
      // Its summary names the errors, every credential redacted, and stays valid JSON.
      const sent = b.telemetry!.calls().filter((c) => c.action === "PutLogEvents");
      const message = (sent.at(-1)!.body.logEvents as { message: string }[])[0].message;
      const summary = JSON.parse(message) as { errors: string[]; outcome: string };
      expect(summary.outcome).to.equal("failure");
      expect(summary.errors.length).to.be.above(0);
      expect(message).to.not.match(/sig=[A-Za-z0-9%]{10,}/);
    } finally {
      b.setSas(b.sasUrl());
    }
  });

  it("a publishing failure never turns a successful backup into a failed one", async () => {
    const down = await startTelemetryStandIn({ failAll: true });
    const up = b.telemetry;
    b.telemetry = down;
    try {
      await b.put("t/new.txt", "new\n");
      const run = await b.run();
      expect(run.code, run.stderr).to.equal(3); // still partial only because of the archived object
      expect(run.summary!.copied).to.equal(1);
      // The metrics and the summary each failed on their own, and the run went on.
      expect(run.stderr).to.match(/metrics not published \(the backup is unaffected\)/);
      expect(run.stderr).to.match(
        /summary not sent to CloudWatch Logs \(the backup is unaffected\)/,
      );
    } finally {
      b.telemetry = up;
      await down.stop();
    }
  });
});
