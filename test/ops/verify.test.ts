// npm run verify: the host's integrity check or restore drill on demand through SSM Run Command,
// against a stand-in that answers SendCommand and GetCommandInvocation in the service's format
// (including the moment the invocation does not exist yet). What it cannot prove: that the host's
// SSM agent runs the command (the shell it sends is run here on a real result file instead).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTelemetryStandIn, type TelemetryStandIn } from "../../harness/telemetryStandIn";
import { hostCommands, main } from "../../cli/verify";
import type { IntegrityResult } from "../../domain/runSummary";

const RESULT: IntegrityResult = {
  checkId: "20261125T033000.000000000Z",
  kind: "integrity",
  started: "2026-11-25T03:30:00Z",
  finished: "2026-11-25T03:31:00Z",
  durationSeconds: 60,
  outcome: "mismatch",
  source: "s3://example-bucket/",
  destination: "backup/data/",
  backupSince: "2026-11-25T00:00:00Z",
  sourceObjects: 3,
  sourceBytes: 30,
  vaultObjects: 2,
  present: 2,
  pending: 0,
  unstorable: 0,
  unreadable: 0,
  missing: 1,
  sizeMismatch: 0,
  etagMismatch: 0,
  unrecorded: 0,
  unrecordedVaultOnly: 0,
  sampled: 2,
  sampledBytes: 20,
  sampleMismatch: 0,
  sampleUnverified: 0,
  coverageDays: 365,
  readFrom: "2026-11-15T03:30:00Z",
  readUpTo: "2026-11-22T03:30:00Z",
  coveredFraction: 0.019178,
  coveredSince: "2026-11-15T03:30:00Z",
  mismatchCount: 1,
  mismatches: [{ key: "gone.txt", reason: "missing from the vault" }],
  error: null,
};

describe("npm run verify (SSM Run Command stand-in)", function () {
  this.timeout(120_000);
  let aws: TelemetryStandIn;
  const saved: Record<string, string | undefined> = {};
  const env = (): Record<string, string> => ({
    AWS_ENDPOINT_URL_SSM: aws.endpoint,
    AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
    AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  });

  before(async () => {
    aws = await startTelemetryStandIn();
    for (const [k, v] of Object.entries(env())) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await aws.stop();
  });

  const verify = async (...args: string[]) => {
    let out = "";
    const code = await main(args, { pollMs: 10, write: (s) => (out += s) });
    return { code, out };
  };

  it("starts the check on the host, waits for it, prints its mismatches and exits 4", async () => {
    aws.reset();
    aws.setRunCommand({ status: "Success", stdout: JSON.stringify(RESULT), pendingPolls: 2 });
    const r = await verify("--instance-id", "i-0123456789abcdef0", "--region", "eu-west-1");
    expect(r.code).to.equal(4);
    expect(r.out).to.include("integrity check 20261125T033000.000000000Z: mismatch");
    expect(r.out).to.include('MISMATCH "gone.txt": missing from the vault');
    const calls = aws.calls().filter((c) => c.service === "ssm");
    expect(calls.map((c) => c.action)).to.deep.equal([
      "SendCommand",
      "GetCommandInvocation", // not registered yet
      "GetCommandInvocation", // InProgress
      "GetCommandInvocation", // InProgress
      "GetCommandInvocation",
    ]);
    const sent = calls[0].body as {
      DocumentName: string;
      InstanceIds: string[];
      Parameters: { commands: string[] };
    };
    expect(sent.DocumentName).to.equal("AWS-RunShellScript");
    expect(sent.InstanceIds).to.deep.equal(["i-0123456789abcdef0"]);
    expect(sent.Parameters.commands).to.deep.equal(hostCommands("integrity"));
    expect(sent.Parameters.commands[1]).to.equal(
      "systemctl start cross-cloud-backup-verify.service || true",
    );
  });

  it("--drill runs the restore drill's unit; a match exits 0", async () => {
    aws.reset();
    aws.setRunCommand({
      status: "Success",
      stdout: JSON.stringify({
        ...RESULT,
        kind: "drill",
        outcome: "match",
        restored: 20,
        restoredBytes: 2048,
        sourceCompared: 20,
        sourceGone: 0,
        sourceChanged: 0,
        mismatchCount: 0,
        mismatches: [],
      }),
    });
    const r = await verify(
      "--instance-id",
      "i-0123456789abcdef0",
      "--region",
      "eu-west-1",
      "--drill",
    );
    expect(r.code).to.equal(0);
    expect(r.out).to.match(
      /restore drill \S+: match\n {2}20 restored and verified as a restore verifies \(\d+ bytes\), \d+ of them also identical to the source/,
    );
    const sent = aws.calls().find((c) => c.action === "SendCommand")!.body as {
      Parameters: { commands: string[] };
    };
    expect(sent.Parameters.commands[1]).to.equal(
      "systemctl start cross-cloud-backup-drill.service || true",
    );
  });

  it("fails with the host's error output when the command returns no result", async () => {
    aws.setRunCommand({ status: "Failed", stdout: "", stderr: "No such file or directory" });
    let err: Error | undefined;
    try {
      await verify("--instance-id", "i-0123456789abcdef0", "--region", "eu-west-1");
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal(
      "the host did not return a result (status Failed): No such file or directory",
    );
  });

  it("rejects unknown flags and incomplete targets with a usage error", async () => {
    for (const args of [
      ["--bogus"],
      [],
      ["--instance-id", "i-0123456789abcdef0"],
      ["--instance-id", "web-1", "--region", "eu-west-1"],
      ["--stack", "dev", "--timeout-minutes", "0"],
    ]) {
      let err: Error | undefined;
      try {
        await verify(...args);
      } catch (e) {
        err = e as Error;
      }
      expect(err, args.join(" ")).to.be.instanceOf(Error);
    }
  });

  it("the script it sends prints a trimmed result, and refuses a result older than the request", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-verify-"));
    try {
      const many = {
        ...RESULT,
        started: new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, "Z"),
        mismatchCount: 100,
        mismatches: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, reason: "missing" })),
      };
      const file = path.join(dir, "last-integrity.json");
      fs.writeFileSync(file, JSON.stringify(many));
      // the host's script, with a stand-in for systemctl and the state file's path
      const script = hostCommands("integrity")
        .map((l) => l.replace("/var/lib/private/cross-cloud-backup/last-integrity.json", file))
        .join("\n");
      expect(script).to.include(file);
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "systemctl"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const run = () =>
        spawnSync("bash", ["-c", script], {
          encoding: "utf8",
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        });
      const fresh = run();
      expect(fresh.status, fresh.stderr).to.equal(0);
      const got = JSON.parse(fresh.stdout) as IntegrityResult;
      expect(got.mismatches).to.have.length(20);
      expect(got.mismatchCount).to.equal(100);
      fs.writeFileSync(file, JSON.stringify({ ...many, started: "2020-01-01T00:00:00Z" }));
      const stale = run();
      expect(stale.status).to.equal(1);
      expect(stale.stdout).to.equal("");
      expect(stale.stderr).to.match(
        /^the check did not run: the last result started at 2020-01-01T00:00:00Z, before this request/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
