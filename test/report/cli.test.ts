// `npm run report` end to end on a local copy of status/: it reads the status documents and the
// history months of the period, records each input's SHA-256 in the manifest, rebuilds the same
// page from the same inputs, and reads the program's real exports and the real policy pack.
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { main } from "../../cli/report";
import { isUsageError } from "../../cli/common";
import { dirStore, loadStatus } from "../../report/load";
import { runProgram } from "../support/program";
import { policyReport } from "../../scripts/policy-report";
import { healthy, NOW, partialForever, tampered, writeStatusDir, type Scenario } from "./fixtures";

const DAY = 86_400_000;

describe("npm run report", function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ccb-report-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Lays out the scenario's status/, outputs and policy files; returns the arguments. */
  function inputs(s: Scenario, out = "report.html"): string[] {
    writeStatusDir(path.join(dir, "vault"), s);
    writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(s.outputs, null, 2));
    writeFileSync(path.join(dir, "policy.json"), JSON.stringify(s.policy, null, 2));
    return [
      "--stack",
      "prod",
      "--from",
      path.join(dir, "vault"),
      "--outputs",
      path.join(dir, "outputs.json"),
      "--policy",
      path.join(dir, "policy.json"),
      "--now",
      s.now.toISOString(),
      "--out",
      path.join(dir, out),
    ];
  }

  async function report(args: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const code = await main(args, { out: (s) => void (out += s) });
    return { code, out };
  }

  const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

  it("writes the page from a local status/ copy and says how many controls pass", async () => {
    const { code, out } = await report(inputs(healthy()));
    expect(code).to.equal(0);
    expect(out).to.include("13 controls, 12 pass, 0 fail, 1 without evidence");
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    expect(html).to.include('data-control="backupAge" data-verdict="pass"');
  });

  it("lists every input in the manifest with the SHA-256 of its bytes, and rebuilds the same page", async () => {
    const args = inputs(healthy());
    await report(args);
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    const status = path.join(dir, "vault", "status");
    const files = [
      "last-run.json",
      "last-success.json",
      "last-integrity.json",
      "last-drill.json",
      "history/2026-09.jsonl",
      "history/2026-10.jsonl",
      "history/2026-11.jsonl",
    ];
    for (const f of files)
      expect(html, f).to.match(
        new RegExp(`data-input="status/${f}"[^]*?${sha(path.join(status, f))}`),
      );
    expect(html).to.include(sha(path.join(dir, "outputs.json")));
    expect(html).to.include(sha(path.join(dir, "policy.json")));
    // August ended before the period began: not read.
    expect(html).to.not.include('data-input="status/history/2026-08.jsonl"');
    await report([...args.slice(0, -1), path.join(dir, "again.html")]);
    expect(readFileSync(path.join(dir, "again.html"), "utf8")).to.equal(html);
  });

  it("without history, builds the page from the status documents and says what is missing", async () => {
    const args = inputs(healthy());
    rmSync(path.join(dir, "vault", "status", "history"), { recursive: true });
    await report(args);
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    expect(html).to.include('data-control="backupAge" data-verdict="pass"');
    expect(html).to.include('data-control="rpoHeld" data-verdict="no evidence"');
    expect(html).to.include('data-series="backupAge" data-points="1"');
    expect(html).to.include("no history under status/history/");
  });

  it("reads every good line of a month and names the ones it cannot read", async () => {
    const store = path.join(dir, "vault");
    writeStatusDir(store, partialForever());
    const month = path.join(store, "status", "history", "2026-11.jsonl");
    const good = readFileSync(month, "utf8").trim().split("\n").length;
    appendFileSync(
      month,
      '{"kind": "run", "runId": "x"\n{"kind": "backup", "finished": "2026-11-30T00:00:00Z"}\n',
    );
    const period = { from: new Date(NOW.getTime() - 30 * DAY), to: NOW };
    const loaded = await loadStatus(dirStore(store), period);
    expect(loaded.problems).to.deep.equal([
      `status/history/2026-11.jsonl line ${good + 1}: not JSON`,
      `status/history/2026-11.jsonl line ${good + 2}: unknown kind "backup"`,
    ]);
    const november = loaded.records.filter((r) => r.finished.startsWith("2026-11"));
    expect(november).to.have.length(good);
  });

  it("refuses a missing stack, a period it cannot read and a folder without status/", async () => {
    const args = inputs(healthy());
    for (const bad of [
      args.slice(2),
      [...args, "--since", "ninety days"],
      [...args, "--since", "2027-01-01T00:00:00Z"],
      [...args, "--now", "yesterday"],
    ]) {
      const e = await main(bad, { out: () => undefined }).catch((x: unknown) => x);
      expect(isUsageError(e), String(e)).to.equal(true);
    }
    const e = await main(
      ["--stack", "prod", "--from", dir, "--outputs", path.join(dir, "outputs.json")],
      {
        out: () => undefined,
      },
    ).catch((x: unknown) => x as Error);
    expect(String(e)).to.include("holds no status/ folder");
  });

  it("reads the program's real exports and the real policy pack's results", async () => {
    const program = runProgram("prod");
    expect(program.error).to.equal(undefined);
    const printed = Object.fromEntries(
      Object.entries(program.outputs).map(([k, o]) => [k, o.secret ? "[secret]" : o.value]),
    );
    const outcomes = await policyReport("prod");
    // Tampered: its mismatch is listed with a link built from the exported region and log group.
    const args = inputs(tampered());
    writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(printed, null, 2));
    writeFileSync(
      path.join(dir, "policy.json"),
      JSON.stringify({ stack: "prod", outcomes }, null, 2),
    );
    await report(args);
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    const interval = printed.syncIntervalHours as number;
    expect(html).to.include(`data-ref="alarmThreshold" data-value="${interval + 1}"`);
    // The program's immutability state, judged: only Locked passes.
    const worm = printed.vaultImmutabilityState as string;
    expect(html).to.include(
      `data-control="worm" data-verdict="${worm === "Locked" ? "pass" : "fail"}"`,
    );
    // The real pack's storage policies pass over the prod program, so their controls do.
    for (const id of ["softDelete", "sharedKey", "firewall", "auditTrail", "credential"])
      expect(html, id).to.include(`data-control="${id}" data-verdict="pass"`);
    expect(html).to.include(
      `href="https://${printed.syncRegion as string}.console.aws.amazon.com/cloudwatch/home?region=`,
    );
    expect(html).to.not.include("[secret]");
  });
});
