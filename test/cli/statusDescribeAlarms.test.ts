// The CloudWatch stand-in `npm run status` reads alarms from speaks DescribeAlarms the way the
// pinned @aws-sdk/client-cloudwatch does (AWS JSON 1.0, query-compatible) and checks requests as
// the service does: constraint violations are ValidationError, a foreign NextToken is
// InvalidNextToken, a body that is not the operation's input never reaches it. The engine's
// PutMetricData (botocore 1.29, query protocol) keeps working on the same server.
import { execFile } from "node:child_process";
import { expect } from "chai";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type DescribeAlarmsCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { stopAll } from "../../harness/emulators";
import {
  startTelemetryStandIn,
  type StandInAlarm,
  type TelemetryStandIn,
} from "../../harness/telemetryStandIn";

/** Obviously fake keys: the stand-in checks the signature's form, not the secret. */
const FAKE = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-secret-for-tests" };
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alarms";

function alarm(name: string, state: StandInAlarm["StateValue"], at: string): StandInAlarm {
  return {
    AlarmName: name,
    StateValue: state,
    StateReason: `${name} is ${state}`,
    StateUpdatedTimestamp: at,
    AlarmActions: [TOPIC],
  };
}

/** The error a DescribeAlarms call fails with (the test fails if it succeeds). */
async function rejection(
  client: CloudWatchClient,
  input: DescribeAlarmsCommandInput,
): Promise<Error & Record<string, any>> {
  try {
    await client.send(new DescribeAlarmsCommand(input));
  } catch (e) {
    return e as Error & Record<string, any>;
  }
  throw new Error(`DescribeAlarms ${JSON.stringify(input)} succeeded`);
}

describe("CloudWatch stand-in: DescribeAlarms over the SDK's protocol, PutMetricData over query", function () {
  this.timeout(120_000);
  let cw: TelemetryStandIn;
  let client: CloudWatchClient;

  before(async () => {
    cw = await startTelemetryStandIn();
    client = new CloudWatchClient({
      region: "eu-west-1",
      endpoint: cw.endpoint,
      credentials: FAKE,
      maxAttempts: 1,
    });
    cw.setAlarms([
      alarm("stack-b-overrun", "OK", "2026-11-25T09:00:00.000Z"),
      alarm("stack-a-missed-backup", "ALARM", "2026-11-25T11:30:00.250Z"),
      alarm("stack-a-failed-run", "INSUFFICIENT_DATA", "2026-11-24T08:00:00.000Z"),
      alarm("stack-a-overrun", "OK", "2026-11-25T10:00:00.000Z"),
    ]);
  });
  after(stopAll);

  it("answers the named alarms, sorted by name, with their state, reason, time and actions", async () => {
    const out = await client.send(
      new DescribeAlarmsCommand({
        AlarmNames: ["stack-a-overrun", "stack-a-missed-backup", "no-such-alarm"],
      }),
    );
    expect(out.$metadata.httpStatusCode).to.equal(200);
    expect(out.MetricAlarms!.map((a) => a.AlarmName)).to.deep.equal([
      "stack-a-missed-backup",
      "stack-a-overrun",
    ]);
    const missed = out.MetricAlarms![0];
    expect(missed).to.include({
      StateValue: "ALARM",
      StateReason: "stack-a-missed-backup is ALARM",
      AlarmArn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:stack-a-missed-backup",
      ActionsEnabled: true,
    });
    // Epoch seconds on the wire, with milliseconds; the SDK makes Dates of them.
    expect(missed.StateUpdatedTimestamp!.toISOString()).to.equal("2026-11-25T11:30:00.250Z");
    expect(missed.AlarmActions).to.deep.equal([TOPIC]);
    expect(out.NextToken).to.equal(undefined);
    const sent = cw.calls().filter((c) => c.action === "DescribeAlarms");
    expect(sent[sent.length - 1]).to.include({
      contentType: "application/x-amz-json-1.0",
      queryMode: "true",
    });
  });

  it("filters by name prefix and state, and pages with MaxRecords and the NextToken it issued", async () => {
    const alarming = await client.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: "stack-a-", StateValue: "ALARM" }),
    );
    expect(alarming.MetricAlarms!.map((a) => a.AlarmName)).to.deep.equal(["stack-a-missed-backup"]);
    const first = await client.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: "stack-a-", MaxRecords: 2 }),
    );
    expect(first.MetricAlarms!.map((a) => a.AlarmName)).to.deep.equal([
      "stack-a-failed-run",
      "stack-a-missed-backup",
    ]);
    expect(first.NextToken).to.be.a("string");
    const second = await client.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: "stack-a-",
        MaxRecords: 2,
        NextToken: first.NextToken,
      }),
    );
    expect(second.MetricAlarms!.map((a) => a.AlarmName)).to.deep.equal(["stack-a-overrun"]);
    expect(second.NextToken).to.equal(undefined);
    // A token belongs to its query: another prefix with it is refused.
    const foreign = await rejection(client, {
      AlarmNamePrefix: "stack-b-",
      NextToken: first.NextToken,
    });
    expect(foreign.name).to.equal("InvalidNextToken");
  });

  it("rejects constraint violations as CloudWatch does: ValidationError, 400, each violation named", async () => {
    const zero = await rejection(client, { MaxRecords: 0 });
    expect(zero.name).to.equal("ValidationException");
    expect(zero.$metadata.httpStatusCode).to.equal(400);
    expect(zero.$fault).to.equal("client");
    // The query-compatible error code, as the Query protocol named it.
    expect(zero.Error).to.include({ Code: "ValidationError", Type: "Sender" });
    expect(zero.message).to.equal(
      "1 validation error detected: Value '0' at 'maxRecords' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    const two = await rejection(client, {
      StateValue: "BROKEN" as "OK",
      MaxRecords: 101,
    });
    expect(two.name).to.equal("ValidationException");
    expect(two.message).to.equal(
      "2 validation errors detected: Value 'BROKEN' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]; Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    const names = await rejection(client, {
      AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`),
    });
    expect(names.message).to.match(
      /^1 validation error detected: Value '\[a0, .*\]' at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100$/,
    );
    const empty = await rejection(client, { AlarmNamePrefix: "" });
    expect(empty.message).to.include(
      "at 'alarmNamePrefix' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const both = await rejection(client, { AlarmNames: ["x"], AlarmNamePrefix: "x" });
    expect(both.name).to.equal("InvalidParameterCombinationException");
    expect(both.Error).to.include({ Code: "InvalidParameterCombination" });
    const token = await rejection(client, { NextToken: "not-a-token-it-issued" });
    expect(token.name).to.equal("InvalidNextToken");
    expect(token.$metadata.httpStatusCode).to.equal(400);
  });

  it("refuses a body that is not DescribeAlarms' input, an unsigned request and an operation it does not serve", async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(cw.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": "GraniteServiceVersion20100801.DescribeAlarms",
          "x-amzn-query-mode": "true",
          // the form of a SigV4 header for CloudWatch (the stand-in checks the scope, not the MAC)
          authorization:
            "AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/20261125/eu-west-1/monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
          ...headers,
        },
        body,
      });
    const notJson = await post("AlarmNames=x");
    expect(notJson.status).to.equal(400);
    expect(notJson.headers.get("content-type")).to.equal("application/x-amz-json-1.0");
    expect(((await notJson.json()) as { __type: string }).__type).to.equal(
      "com.amazon.coral.service#SerializationException",
    );
    const wrongType = await post(JSON.stringify({ AlarmNames: "stack-a-overrun" }));
    expect(wrongType.status).to.equal(400);
    expect(await wrongType.json()).to.deep.equal({
      __type: "com.amazon.coral.service#SerializationException",
      message: "AlarmNames: expected a list of strings",
    });
    const fine = await post(JSON.stringify({ AlarmNames: ["stack-a-overrun"] }));
    expect(fine.status).to.equal(200);
    expect(((await fine.json()) as { MetricAlarms: unknown[] }).MetricAlarms).to.have.length(1);

    const unsigned = await post("{}", { authorization: "" });
    expect(unsigned.status).to.equal(403);
    expect(((await unsigned.json()) as { __type: string }).__type).to.equal(
      "com.amazon.coral.service#MissingAuthenticationTokenException",
    );
    const logsScope = await post("{}", {
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/20261125/eu-west-1/logs/aws4_request, SignedHeaders=host, Signature=00",
    });
    expect(logsScope.status).to.equal(403);

    const other = await client
      .send(
        new GetMetricDataCommand({
          MetricDataQueries: [],
          StartTime: new Date(),
          EndTime: new Date(),
        }),
      )
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(other?.name).to.equal("UnknownOperationException");
  });

  it("keeps answering the engine's PutMetricData (botocore 1.29, query protocol) and records it", async () => {
    const before = cw.metrics().length;
    const script = [
      "import sys, botocore.session",
      "c = botocore.session.get_session().create_client('cloudwatch', region_name='eu-west-1',",
      "    endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])",
      "c.put_metric_data(Namespace='CrossCloudBackup/dev', MetricData=[{'MetricName': 'Heartbeat',",
      "    'Value': 1, 'Unit': 'Count', 'Dimensions': [{'Name': 'Stack', 'Value': 'dev'}]}])",
      "import botocore; print(botocore.__version__)",
    ].join("\n");
    const version = await new Promise<string>((resolve, reject) =>
      execFile(
        "/usr/bin/python3",
        ["-c", script, cw.endpoint, FAKE.accessKeyId, FAKE.secretAccessKey],
        { env: { PATH: process.env.PATH ?? "", AWS_CONFIG_FILE: "/dev/null" } },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout.trim())),
      ),
    );
    expect(version).to.match(/^1\.29\./);
    const metrics = cw.metrics();
    expect(metrics).to.have.length(before + 1);
    expect(metrics[metrics.length - 1]).to.deep.equal({ Heartbeat: 1 });
    // and DescribeAlarms still answers on the same server
    const out = await client.send(new DescribeAlarmsCommand({ StateValue: "ALARM" }));
    expect(out.MetricAlarms!.map((a) => a.AlarmName)).to.deep.equal(["stack-a-missed-backup"]);
  });
});
