// The fault matrix (docs/fault-matrix.md): every way a run can end, on the real data path (the
// loader, the engine bundle, rclone, the emulators, the CloudWatch stand-in). Each scenario
// asserts the outcome, the summary the run left, the metrics it published and that nothing
// in the vault was lost; each ends with a run that recovers on its own.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  BUCKET_OWNER,
  startBackup,
  verifyVault,
  why,
  type Backup,
  type SyncRun,
} from "../../harness/datapath";
import { s3Error } from "../../harness/countingProxy";
import { METRICS } from "../../domain/telemetry";
import type { RunSummary } from "../../domain/runSummary";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (cond()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** The metrics of the last PutMetricData call. */
function lastMetrics(b: Backup): Record<string, number> {
  const all = b.telemetry!.metrics();
  expect(all.length, "the run published its metrics").to.be.at.least(1);
  return all[all.length - 1];
}

async function statusBlob(b: Backup): Promise<RunSummary> {
  const body = await b.container.getBlobClient("status/last-run.json").downloadToBuffer();
  return JSON.parse(body.toString("utf8")) as RunSummary;
}

/** A failed run that recorded itself: summary, RunFailed, no heartbeat, the age published. */
function expectRecordedFailure(b: Backup, r: SyncRun, error: RegExp): RunSummary {
  expect(r.code, why(r)).to.equal(1);
  const s = r.summary!;
  expect(s, "a summary").to.not.equal(undefined);
  expect(s.outcome).to.equal("failure");
  expect(s.fresh).to.equal(false);
  expect(s.errors.join("\n"), why(r)).to.match(error);
  const m = lastMetrics(b);
  expect(m).to.include({ [METRICS.runFailed]: 1, [METRICS.heartbeat]: 0 });
  expect(m[METRICS.backupAgeSeconds], "the backup's age, whatever the outcome").to.equal(
    s.backupAgeSeconds,
  );
  expect(b.scratch(), "no listing, plan or batch file left behind").to.deep.equal([]);
  return s;
}

async function expectNothingLost(b: Backup): Promise<void> {
  const v = await verifyVault(b);
  expect(v.mismatches, "every source object is in the vault, byte for byte").to.deep.equal([]);
}

function seed(b: Backup, n: number, prefix: string): void {
  b.s3.seedOnDisk(
    b.settings.sourceBucket,
    Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}.txt`, body: `object ${i}\n` })),
  );
}

describe("fault matrix: every ending of a run is recorded", function () {
  this.timeout(300_000);

  describe("a run that is stopped or killed", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      seed(b, 1500, "bulk/");
    });
    after(async () => b?.stop());
    beforeEach(() => b.telemetry!.reset());

    it("SIGTERM while listing the source: interrupted, recorded, the vault's status updated", async () => {
      b.s3Proxy.stall = (method, url) => method === "GET" && /list-type=2/.test(url);
      try {
        const { pid, done } = b.start();
        await until("the source listing", () => b.s3Proxy.log.some((l) => l.kind === "LIST"));
        await sleep(300);
        process.kill(pid, "SIGTERM");
        const s = expectRecordedFailure(b, await done, /^stopped by SIGTERM/m);
        expect(s.ending).to.equal("interrupted");
        expect(s.sourceDropPercent, "no drop: the listing never finished").to.equal(null);
        expect(lastMetrics(b)).to.not.have.property(METRICS.sourceDropPercent);
        // The source never answered, yet the vault says so: no stale success is left there.
        expect(await statusBlob(b)).to.include({ runId: s.runId, outcome: "failure" });
      } finally {
        b.s3Proxy.stall = undefined;
      }
    });

    it("SIGINT while copying: interrupted, rclone stopped with it, and the next run copies everything", async () => {
      const { pid, done } = b.start();
      await until("a batch", () => b.scratch().some((f) => f.endsWith("batch.lst")));
      process.kill(pid, "SIGINT");
      const s = expectRecordedFailure(b, await done, /^stopped by SIGINT/m);
      expect(s.ending).to.equal("interrupted");
      expect(s.sourceObjects).to.equal(1500);
    });

    it("killed for memory mid-copy: ExecStopPost records it (killed, RunKilled), then the next run finishes", async () => {
      // systemd gives ExecStart and ExecStopPost the same INVOCATION_ID: the recorder finds the
      // very run it killed, whatever else (a check) made a folder since.
      const invocation = { INVOCATION_ID: "0123456789abcdef0123456789abcdef" };
      const { pid, done } = b.start(150_000, [], invocation);
      await until("a batch", () => b.scratch().some((f) => f.endsWith("batch.lst")));
      const before = fs.readFileSync(path.join(b.stateDir, "last-run.json"), "utf8");
      process.kill(-pid, "SIGKILL"); // the whole group, as systemd's OOM kill of the cgroup
      const killed = await done;
      expect(killed.code).to.equal(null);
      expect(fs.readFileSync(path.join(b.stateDir, "last-run.json"), "utf8")).to.equal(before);
      b.telemetry!.reset();
      // What systemd runs after any ending, with what it knows about it.
      // A check that started meanwhile (it waited for the lock) has its own folder, newer.
      const check = await b.verify();
      expect(check.result, why(check)).to.not.equal(undefined);
      b.telemetry!.reset();
      const post = await b.start(60_000, ["--record-ending"], {
        ...invocation,
        SERVICE_RESULT: "oom-kill",
        EXIT_CODE: "killed",
        EXIT_STATUS: "KILL",
      }).done;
      expect(post.code, why(post)).to.equal(0);
      const s = expectRecordedFailure(
        b,
        { ...post, code: 1 },
        /killed for memory .*SERVICE_RESULT=oom-kill, EXIT_CODE=killed, EXIT_STATUS=KILL/,
      );
      expect(s.ending).to.equal("killed");
      expect(lastMetrics(b)).to.include({ [METRICS.runKilled]: 1 });
      expect(await statusBlob(b)).to.include({ runId: s.runId, ending: "killed" });
      // Run again, it finds the run recorded and does nothing more.
      b.telemetry!.reset();
      const again = await b.start(60_000, ["--record-ending"], { SERVICE_RESULT: "oom-kill" }).done;
      expect(again.code).to.equal(0);
      expect(b.telemetry!.metrics()).to.deep.equal([]);
      // A run that ended on its own is never recorded twice.
      const ok = await b.run();
      expect(ok.code, why(ok)).to.equal(0);
      expect(ok.summary).to.include({ sourceObjects: 1500, fresh: true, ending: "finished" });
      b.telemetry!.reset();
      await b.start(60_000, ["--record-ending"], { SERVICE_RESULT: "exit-code" }).done;
      expect(b.telemetry!.metrics()).to.deep.equal([]);
      const blobs = await b.blobNames("data/");
      expect(blobs).to.have.length(1500);
    });
  });

  describe("a service failing", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      for (let i = 0; i < 12; i++) await b.put(`svc/${i}.txt`, `service ${i}\n`);
      const first = await b.run();
      expect(first.code, why(first)).to.equal(0);
    });
    after(async () => b?.stop());
    beforeEach(async () => {
      b.telemetry!.reset();
      await b.put(`svc/new-${Date.now()}.txt`, "a change to back up\n");
    });
    afterEach(() => {
      b.s3Proxy.intercept = undefined;
      b.azureProxy.intercept = undefined;
      b.s3Proxy.stall = undefined;
    });

    it("an Azure 503 storm: the run fails and says so; the next run converges", async () => {
      b.azureProxy.intercept = () => ({
        status: 503,
        headers: { "x-ms-error-code": "ServerBusy" },
        body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>`,
      });
      const s = expectRecordedFailure(b, await b.run(), /503|ServerBusy|busy/i);
      expect(s.copied).to.equal(0);
      b.azureProxy.intercept = undefined;
      const ok = await b.run();
      expect(ok.code, why(ok)).to.equal(0);
      await expectNothingLost(b);
    });

    it("S3 SlowDown on every listing: the run fails naming it, and still updates the vault's status", async () => {
      b.s3Proxy.intercept = (method, url) =>
        method === "GET" && /list-type=2/.test(url)
          ? s3Error(method, 503, "SlowDown", "Please reduce your request rate.")
          : undefined;
      const s = expectRecordedFailure(b, await b.run(), /SlowDown|reduce your request rate/);
      expect(await statusBlob(b)).to.include({ runId: s.runId, outcome: "failure" });
    });

    it("clock skew: S3 refuses every request; nothing is marked unreadable, the run fails naming the clock", async () => {
      b.s3Proxy.intercept = (method) =>
        s3Error(
          method,
          403,
          "RequestTimeTooSkewed",
          "The difference between the request time and the current time is too large.",
        );
      const s = expectRecordedFailure(b, await b.run(), /RequestTimeTooSkewed|too large|403/);
      expect(s.skippedCount).to.equal(0);
      const unreadable = path.join(b.stateDir, "unreadable.tsv");
      expect(fs.existsSync(unreadable) ? fs.readFileSync(unreadable, "utf8") : "").to.equal("");
    });

    it("the bucket re-created by another account: the engine names the owner on every request, S3 refuses, the run fails naming it", async () => {
      // S3 answers a request whose ExpectedBucketOwner is not the bucket's owner with 403.
      let owner = BUCKET_OWNER;
      const lists: (string | undefined)[] = [];
      b.s3Proxy.intercept = (method, url, headers) => {
        const expected = headers["x-amz-expected-bucket-owner"] as string | undefined;
        if (/list-type=2/.test(url)) lists.push(expected);
        return expected !== undefined && expected !== owner
          ? s3Error(method, 403, "AccessDenied", "Access Denied")
          : undefined;
      };
      const ok = await b.run();
      expect(ok.code, why(ok)).to.equal(0);
      expect(lists.length).to.be.at.least(1);
      expect(lists, "every listing names the owner").to.deep.equal(lists.map(() => BUCKET_OWNER));
      b.telemetry!.reset();
      owner = "999988887777"; // deleted, and re-created under the same name by another account
      const s = expectRecordedFailure(
        b,
        await b.run(),
        /not allowed to list the source bucket .* \(AccessDenied\): .*not owned by account 123456789012 \(ExpectedBucketOwner/,
      );
      expect(s.copied).to.equal(0);
      expect(await statusBlob(b)).to.include({ runId: s.runId, outcome: "failure" });
    });

    it("the vault's firewall closed: the run fails naming it, its summary stays on the host and in CloudWatch", async () => {
      b.azureProxy.intercept = () => ({
        status: 403,
        headers: { "x-ms-error-code": "AuthorizationFailure" },
        body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.</Message></Error>`,
      });
      const r = await b.run();
      const s = expectRecordedFailure(b, r, /AuthorizationFailure|not authorized|403/);
      expect(r.stderr).to.match(/vault unreachable: run summary kept on the host only/);
      const logged = b.telemetry!.calls().filter((c) => c.action === "PutLogEvents");
      expect(logged.length, "the summary reached CloudWatch Logs").to.equal(1);
      expect(s.copied).to.equal(0);
    });

    it("SSM down (the SAS cannot be read): the run fails before any transfer, naming SSM", async () => {
      const r = await b.start(150_000, [], { FAKE_SSM_DOWN: "1" }).done;
      const s = expectRecordedFailure(b, r, /SSM|ssm|Could not connect/);
      expect(s.copied).to.equal(0);
      expect(r.s3.GET, "no object read").to.equal(0);
    });

    it("CloudWatch down: the backup succeeds, and says its metrics were not published", async () => {
      const up = b.telemetry!;
      const { startTelemetryStandIn } = await import("../../harness/telemetryStandIn");
      const down = await startTelemetryStandIn({ failAll: true });
      b.telemetry = down;
      try {
        down.setSsmParameters(b.engineParameters);
        const r = await b.run();
        expect(r.code, why(r)).to.equal(0);
        expect(r.summary).to.include({ outcome: "success", fresh: true });
        expect(r.stderr).to.match(/metrics not published \(the backup is unaffected\)/);
      } finally {
        b.telemetry = up;
        await down.stop();
      }
      await expectNothingLost(b);
    });

    it("a stalled GET: its batch is recorded as stalled, every other object is copied, and the next run starts after it", async () => {
      for (let i = 0; i < 6; i++) await b.put(`svc/more-${i}.txt`, `more ${i}\n`);
      await b.put("svc/stuck.bin", Buffer.alloc(4096, 7));
      b.s3Proxy.stall = (method, url) => method === "GET" && url.includes("/svc/stuck.bin");
      const r = await b.start(150_000, [], { CCB_STALL_SECONDS: "4" }).done;
      const s = expectRecordedFailure(
        b,
        r,
        /a batch of \d+ objects from .* stalled \(copy stopped: no progress for 4 seconds\)/,
      );
      expect(s.copyDeferred, "only the stuck object is left").to.equal(1);
      expect(s.copied, "the rest of its batch was copied and counted").to.be.at.least(7);
      const cursor = JSON.parse(
        fs.readFileSync(path.join(b.stateDir, "copy-cursor.json"), "utf8"),
      ) as { after: string };
      expect(cursor.after, "the next run starts after the stalled batch").to.be.a("string");
      b.s3Proxy.stall = undefined;
      const ok = await b.run();
      expect(ok.code, why(ok)).to.equal(0);
      expect(ok.stderr).to.include("from after");
      expect(fs.existsSync(path.join(b.stateDir, "copy-cursor.json"))).to.equal(false);
      await expectNothingLost(b);
    });
  });

  describe("a full state volume (a tmpfs as the state directory)", () => {
    let b: Backup;
    const filler = () => path.join(b.stateDir, "filler");
    const fill = () => {
      const free = fs.statfsSync(b.stateDir);
      execFileSync("fallocate", ["-l", String(free.bavail * free.bsize), filler()]);
    };
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      seed(b, 1500, "disk/");
    });
    after(async () => {
      try {
        execFileSync("umount", ["-l", b.stateDir]);
      } catch {
        // not mounted
      }
      await b?.stop();
    });
    beforeEach(() => b.telemetry!.reset());

    it("too little room to list: the run fails before listing, naming the shortfall", async () => {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=40m", "tmpfs", b.stateDir]);
      const s = expectRecordedFailure(
        b,
        await b.run(),
        /the state volume \(.*\) has \d+\.\d MiB free; a run over 0 objects needs about 64\.0 MiB .*: \d+\.\d MiB short\. Grow the root volume \(stack config rootVolumeGb\)/,
      );
      expect(s.sourceObjects).to.equal(0);
      expect(await statusBlob(b)).to.include({ runId: s.runId, outcome: "failure" });
      execFileSync("umount", [b.stateDir]);
    });

    it("the disk fills while listing: recorded, its scratch removed, and the next run succeeds", async () => {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=80m", "tmpfs", b.stateDir]);
      b.s3Proxy.stall = (method, url) => {
        if (method === "GET" && /list-type=2/.test(url) && !fs.existsSync(filler())) fill();
        return false;
      };
      const r = await b.run();
      b.s3Proxy.stall = undefined;
      const s = expectRecordedFailure(b, r, /the state volume is full \(No space left on device/);
      expect(s.copied).to.equal(0);
      fs.rmSync(filler());
      const ok = await b.run();
      expect(ok.code, why(ok)).to.equal(0);
      expect(ok.summary).to.include({ copied: 1500, fresh: true });
    });

    it("the disk fills while copying: the run records itself, and the next run converges", async () => {
      seed(b, 1200, "disk2/");
      const { done } = b.start();
      await until("a batch", () => b.scratch().some((f) => f.endsWith("batch.lst")));
      fill();
      const r = await done;
      // rclone cannot write its log and says nothing: the run names the full disk, not 1,000
      // objects "reported nothing for".
      const s = expectRecordedFailure(b, r, /the state volume is full \(No space left on device/);
      expect(s.errorCount, why(r)).to.equal(1);
      fs.rmSync(filler());
      const ok = await b.run();
      expect(ok.code, why(ok)).to.equal(0);
      await expectNothingLost(b);
    });
  });

  describe("the source shrinks, or holds what cannot be copied", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true, overrides: { acceptedSkips: ["*/"] } });
      seed(b, 200, "shrink/");
    });
    after(async () => b?.stop());
    beforeEach(() => b.telemetry!.reset());

    it("a folder marker on the acknowledged list: counted apart, the run is fresh", async () => {
      await b.put("shrink/folder/", "");
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({
        outcome: "success",
        fresh: true,
        acceptedSkips: 1,
        skippedCount: 0,
      });
      expect(lastMetrics(b)).to.include({
        [METRICS.heartbeat]: 1,
        [METRICS.acceptedSkips]: 1,
        [METRICS.skippedObjects]: 0,
      });
      expect(r.summary!.backupAgeSeconds).to.be.below(r.summary!.durationSeconds + 2);
    });

    it("a new skip not on the list (an archived object): partial, not fresh, and the age keeps growing", async () => {
      const before = (await b.run()).summary!;
      await b.source.send(
        new PutObjectCommand({
          Bucket: b.settings.sourceBucket,
          Key: "shrink/cold.bin",
          Body: "archived\n",
          StorageClass: "DEEP_ARCHIVE",
        }),
      );
      await sleep(1100);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(3);
      expect(r.summary).to.include({ fresh: false, freshAsOf: before.freshAsOf, skippedCount: 1 });
      expect(r.summary!.skipped[0].key).to.equal("shrink/cold.bin");
      expect(lastMetrics(b)).to.include({ [METRICS.heartbeat]: 0, [METRICS.skippedObjects]: 1 });
      expect(r.summary!.backupAgeSeconds).to.be.above(r.summary!.durationSeconds + 1);
      await b.remove("shrink/cold.bin");
    });

    it("a 99% drop of the source: SourceDropPercent says so; copy mode deletes nothing", async () => {
      const ok = await b.run();
      expect(ok.summary!.fresh, why(ok)).to.equal(true);
      for (let i = 2; i < 200; i++) await b.remove(`shrink/${i}.txt`);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary!.sourceDropPercent).to.be.at.least(98.5);
      expect(lastMetrics(b)[METRICS.sourceDropPercent]).to.equal(r.summary!.sourceDropPercent);
      expect(r.stderr).to.match(/the source shrank by 9\d\.\d+% since the last fresh run/);
      const blobs = await b.blobNames("data/");
      expect(blobs, "copy mode keeps every blob").to.have.length(200);
    });

    it("an empty source: SourceDropPercent is 100, and the vault keeps everything", async () => {
      for (const k of await b.sourceKeys()) await b.remove(k);
      const r = await b.run();
      expect(r.code, why(r)).to.equal(0);
      expect(r.summary).to.include({ sourceObjects: 0, sourceDropPercent: 100 });
      expect(lastMetrics(b)[METRICS.sourceDropPercent]).to.equal(100);
      const blobs = await b.blobNames("data/");
      expect(blobs).to.have.length(200);
    });
  });

  describe("a first copy longer than a run may last", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      seed(b, 2500, "first/");
    });
    after(async () => b?.stop());

    it("each run copies within its time and leaves a partial summary; the next continues where it stopped", async () => {
      // No copy time at all: each run still copies one batch (1,000 objects), then stops.
      const env = { CCB_COPY_SECONDS: "0" };
      const copied: number[] = [];
      for (let i = 0; i < 3; i++) {
        b.telemetry!.reset();
        const r = await b.start(150_000, [], env).done;
        const s = r.summary!;
        copied.push(s.copied);
        expect(s.copyDeferred + s.copied, why(r)).to.equal(2500 - 1000 * i);
        expect(r.code, why(r)).to.equal(s.copyDeferred ? 3 : 0);
        expect(s.fresh).to.equal(s.copyDeferred === 0);
        expect(lastMetrics(b)[METRICS.heartbeat]).to.equal(s.copyDeferred ? 0 : 1);
      }
      expect(copied).to.deep.equal([1000, 1000, 500]);
      await expectNothingLost(b);
    });
  });
});

// The set of objects S3 refused lives on disk, sorted like the listings (ccb/unreadable.py):
// planning a run over 1M of them (a synthetic listing: every object refused a minute ago) holds
// no more memory than over 10k. Real engine modules, no emulator (a million PUTs would take hours).
describe("fault matrix: 1M unreadable objects (synthetic listing)", function () {
  this.timeout(300_000);
  const PLAN = String.raw`
import json, os, resource, sys, tempfile, time
from ccb import names, plan
from ccb.base import tsv
from ccb.ledger import Ledger
from ccb.march import rows, sort_file
from ccb.unreadable import Unreadable
n = int(sys.argv[1]); now = int(time.time()); d = tempfile.mkdtemp(prefix="ccb-unreadable-")
state, run = os.path.join(d, "state"), os.path.join(d, "run"); os.makedirs(state); os.makedirs(run)
src, known = os.path.join(run, "source.tsv"), os.path.join(state, "unreadable.tsv")
with open(src, "w") as s, open(known, "w") as k:
    for i in range(n):
        rel = "sse-c/%09d.bin" % i
        name = json.dumps(names.blob_name(rel))
        s.write(tsv(name, 100, 1000, "etag%d" % i, json.dumps(rel), ""))
        k.write(tsv(name, json.dumps(rel), 100, 1000, "etag%d" % i, now - 60, json.dumps("unreadable in S3: SSECustomer key required")))
sort_file(src, run); sort_file(known, run)
vault = os.path.join(run, "vault.tsv"); open(vault, "w").close()
files = {f: plan.open_plan(os.path.join(run, f + plan.PLAN_SUFFIX), "w") for f in plan.PLAN_FILES}
u = Unreadable(state, run)
with Ledger(os.path.join(run, "skipped.jsonl.gz")) as skipped:
    counts = plan.diff(rows(src), rows(vault), files, skipped, u, now)
for f in files.values(): f.close()
u.planned = True
u.save()
kept = sum(1 for _ in open(known))
print(json.dumps({"deferred": counts["deferred"], "skipped": skipped.count, "copy": sum(1 for _ in plan.open_plan(os.path.join(run, "copy" + plan.PLAN_SUFFIX))), "kept": kept, "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;
  const plan = (n: number) =>
    JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", PLAN, String(n)], {
        env: { ...process.env, PYTHONPATH: path.join(__dirname, "../../userdata/engine") },
        encoding: "utf8",
      }),
    ) as { deferred: number; skipped: number; copy: number; kept: number; maxRssKiB: number };

  it("plans a run over 1M objects S3 refused in flat memory, and keeps every one of them", () => {
    const small = plan(10_000);
    const large = plan(1_000_000);
    console.log(
      `      peak RSS planning 10k unreadable: ${(small.maxRssKiB / 1024).toFixed(1)} MiB; 1M: ${(large.maxRssKiB / 1024).toFixed(1)} MiB`,
    );
    for (const [r, n] of [
      [small, 10_000],
      [large, 1_000_000],
    ] as const)
      expect(r).to.deep.include({ deferred: n, skipped: n, copy: 0, kept: n });
    // Flat: a hundred times the objects, within a few MiB (the old in-memory set took ~1 GB).
    expect(large.maxRssKiB - small.maxRssKiB).to.be.below(16 * 1024);
  });
});
