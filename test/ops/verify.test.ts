// npm run verify: the host's integrity check or restore drill on demand through SSM Run Command,
// against a stand-in that answers SendCommand and GetCommandInvocation in the service's format
// (including the moment the invocation does not exist yet). It sends the stack's verify document
// with one allowed value, never a command. What it cannot prove: that SSM enforces the document's
// allowedValues and that the host's agent runs it (the document's script is run here on a real
// result file, with its parameter substituted as SSM does).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTelemetryStandIn, type TelemetryStandIn } from "../../harness/telemetryStandIn";
import { main } from "../../cli/verify";
import { isUsageError } from "../../cli/common";
import {
  renderVerifyDocument,
  VERIFY_CHECKS,
  VERIFY_TIMEOUT_PATTERN,
} from "../../userdata/verifyDocument";
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

  const DOCUMENT = "cross-cloud-backup-dev-verify";
  const TARGET = ["--instance-id", "i-0123456789abcdef0", "--region", "eu-west-1"];
  const verify = async (...args: string[]) => {
    let out = "";
    const code = await main(args, { pollMs: 10, write: (s) => (out += s) });
    return { code, out };
  };

  it("starts the check on the host, waits for it, prints its mismatches and exits 4", async () => {
    aws.reset();
    aws.setRunCommand({ status: "Success", stdout: JSON.stringify(RESULT), pendingPolls: 2 });
    const r = await verify(...TARGET, "--document", DOCUMENT);
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
    // The stack's document with its two parameters, and nothing else: no commands, no script.
    const sent = calls[0].body;
    expect(Object.keys(sent).sort()).to.deep.equal(
      ["Comment", "DocumentName", "InstanceIds", "Parameters", "TimeoutSeconds"].sort(),
    );
    expect(sent.DocumentName).to.equal(DOCUMENT);
    expect(sent.InstanceIds).to.deep.equal(["i-0123456789abcdef0"]);
    expect(sent.Parameters).to.deep.equal({ check: ["integrity"], executionTimeout: ["3600"] });
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
    const r = await verify(...TARGET, "--document", DOCUMENT, "--drill", "--timeout-minutes", "5");
    expect(r.code).to.equal(0);
    expect(r.out).to.match(
      /restore drill \S+: match\n {2}20 restored and verified as a restore verifies \(\d+ bytes\), \d+ of them also identical to the source/,
    );
    const sent = aws.calls().find((c) => c.action === "SendCommand")!.body as {
      DocumentName: string;
      Parameters: Record<string, string[]>;
    };
    expect(sent.DocumentName).to.equal(DOCUMENT);
    expect(sent.Parameters).to.deep.equal({ check: ["drill"], executionTimeout: ["300"] });
  });

  it("fails with the host's error output when the command returns no result", async () => {
    aws.setRunCommand({ status: "Failed", stdout: "", stderr: "No such file or directory" });
    let err: Error | undefined;
    try {
      await verify(...TARGET, "--document", DOCUMENT);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal(
      "the host did not return a result (status Failed): No such file or directory",
    );
  });

  it("rejects unknown flags and incomplete targets with a usage error, sending nothing", async () => {
    aws.reset();
    for (const args of [
      ["--bogus"],
      [],
      ["--instance-id", "i-0123456789abcdef0"],
      ["--instance-id", "web-1", "--region", "eu-west-1", "--document", DOCUMENT],
      ["--stack", "dev", "--timeout-minutes", "0"],
      // the document is the stack's: never missing, never an AWS-owned one, never with --stack
      [...TARGET],
      [...TARGET, "--document", "AWS-RunShellScript"],
      [...TARGET, "--document", "doc;rm -rf /"],
      ["--stack", "dev", "--document", DOCUMENT],
    ]) {
      let err: Error | undefined;
      try {
        await verify(...args);
      } catch (e) {
        err = e as Error;
      }
      expect(isUsageError(err), `${args.join(" ")}: ${err?.message}`).to.equal(true);
    }
    expect(aws.calls()).to.deep.equal([]);
  });

  it("the document takes only an allowed check and a bounded timeout, and runs a fixed script", () => {
    const doc = renderVerifyDocument() as {
      schemaVersion: string;
      parameters: Record<string, { allowedValues?: string[]; allowedPattern?: string }>;
      mainSteps: { action: string; inputs: { timeoutSeconds: string; runCommand: string[] } }[];
    };
    expect(doc.schemaVersion).to.equal("2.2");
    expect(Object.keys(doc.parameters).sort()).to.deep.equal(["check", "executionTimeout"]);
    expect(doc.parameters.check.allowedValues).to.deep.equal(["integrity", "drill"]);
    expect(doc.mainSteps).to.have.length(1);
    expect(doc.mainSteps[0].action).to.equal("aws:runShellScript");
    // the timeout reaches the step's timeout only, never the shell
    expect(doc.mainSteps[0].inputs.timeoutSeconds).to.equal("{{ executionTimeout }}");
    const script = doc.mainSteps[0].inputs.runCommand.join("\n");
    expect([...script.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1])).to.deep.equal(["check"]);
    const pattern = new RegExp(VERIFY_TIMEOUT_PATTERN);
    for (const ok of ["1", "3600", "172800"]) expect(ok).to.match(pattern);
    for (const bad of ["0", "172801", "3600; id", "", "-1"]) expect(bad).not.to.match(pattern);
  });

  it("the document's script starts the chosen unit, prints a trimmed result, and refuses a result older than the request", () => {
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
      fs.writeFileSync(
        path.join(dir, "last-drill.json"),
        JSON.stringify({ ...many, kind: "drill" }),
      );
      // the document's script as SSM runs it (the parameter substituted), with a stand-in for
      // systemctl that records what it was asked, and the state files' folder moved here
      const commands = (
        renderVerifyDocument() as { mainSteps: { inputs: { runCommand: string[] } }[] }
      ).mainSteps[0].inputs.runCommand;
      const script = (check: string) =>
        commands
          .join("\n")
          .replaceAll("{{ check }}", check)
          .replaceAll("/var/lib/private/cross-cloud-backup/", `${dir}/`);
      expect(script("integrity")).to.include(file);
      const bin = path.join(dir, "bin");
      const started = path.join(dir, "started");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$@" >> ${started}\n`, {
        mode: 0o755,
      });
      const run = (check: string) => {
        fs.rmSync(started, { force: true });
        const r = spawnSync("bash", ["-c", script(check)], {
          encoding: "utf8",
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        });
        const units = fs.existsSync(started) ? fs.readFileSync(started, "utf8") : "";
        return { ...r, units };
      };
      const fresh = run("integrity");
      expect(fresh.status, fresh.stderr).to.equal(0);
      expect(fresh.units).to.equal("start cross-cloud-backup-verify.service\n");
      const got = JSON.parse(fresh.stdout) as IntegrityResult;
      expect(got.mismatches).to.have.length(20);
      expect(got.mismatchCount).to.equal(100);
      const drill = run("drill");
      expect(drill.status, drill.stderr).to.equal(0);
      expect(drill.units).to.equal("start cross-cloud-backup-drill.service\n");
      expect((JSON.parse(drill.stdout) as { kind: string }).kind).to.equal("drill");
      // any other value (SSM's allowedValues refuse it first) starts nothing
      for (const bad of ["bogus", "integrity; id", ""]) {
        const r = run(bad);
        expect(r.status, bad).to.equal(2);
        expect(r.units, bad).to.equal("");
        expect(r.stdout, bad).to.equal("");
      }
      expect(VERIFY_CHECKS).to.deep.equal(["integrity", "drill"]);
      fs.writeFileSync(file, JSON.stringify({ ...many, started: "2020-01-01T00:00:00Z" }));
      const stale = run("integrity");
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
