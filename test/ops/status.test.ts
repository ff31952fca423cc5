// `npm run status`'s judgement, on states built here: what is late, failed, expiring, stale or
// mismatched is marked for attention, and a healthy backup is reported as such.
import { expect } from "chai";
import { formatStatus, statusReport, type StatusInput } from "../../ops/status";
import type { DrillResult, IntegrityResult, RunSummary } from "../../domain/runSummary";

const NOW = new Date("2026-11-25T12:00:00Z");

function run(over: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: "20261125T100000.000000000Z",
    started: "2026-11-25T10:00:00Z",
    finished: "2026-11-25T10:00:30Z",
    durationSeconds: 30,
    outcome: "success",
    exitCode: 0,
    ending: "finished",
    fresh: true,
    freshAsOf: "2026-11-25T10:00:00Z",
    backupAgeSeconds: 30,
    mode: "copy",
    source: "s3://example-bucket/",
    destination: "backup/data/",
    sourceObjects: 10,
    sourceBytes: 2048,
    sourceDropPercent: 0,
    vaultObjects: 10,
    vaultOnly: 0,
    unchanged: 7,
    new: 3,
    changed: 0,
    copied: 3,
    bytesCopied: 1536,
    bytesChanged: 1536,
    sealed: 3,
    adopted: 0,
    adoptedByRead: 0,
    hashedBytes: 1536,
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
    ...over,
  };
}

function integrity(over: Partial<IntegrityResult> = {}): IntegrityResult {
  return {
    checkId: "20261122T033000.000000000Z",
    kind: "integrity",
    started: "2026-11-22T03:30:00Z",
    finished: "2026-11-22T03:31:00Z",
    durationSeconds: 60,
    outcome: "match",
    source: "s3://example-bucket/",
    destination: "backup/data/",
    backupSince: "2026-11-22T00:00:00Z",
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
    readFrom: "2026-11-15T03:30:00Z",
    readUpTo: "2026-11-22T03:30:00Z",
    coveredFraction: 0.019178,
    coveredSince: "2026-11-15T03:30:00Z",
    mismatchCount: 0,
    mismatches: [],
    error: null,
    ...over,
  };
}

function drill(over: Partial<DrillResult> = {}): DrillResult {
  return {
    checkId: "20261101T043000.000000000Z",
    kind: "drill",
    started: "2026-11-01T04:30:00Z",
    finished: "2026-11-01T04:31:00Z",
    durationSeconds: 60,
    outcome: "match",
    source: "s3://example-bucket/",
    destination: "backup/data/",
    vaultObjects: 10,
    restored: 9,
    restoredBytes: 3 * 1024 * 1024,
    sourceCompared: 9,
    sourceGone: 1,
    sourceChanged: 0,
    tooLarge: 0,
    mismatchCount: 0,
    mismatches: [],
    error: null,
    ...over,
  };
}

const healthy = (): StatusInput => ({
  lastRun: run(),
  lastSuccess: run(),
  lastIntegrity: integrity(),
  lastDrill: drill(),
  intervalHours: 4,
  now: NOW,
});

const attention = (input: StatusInput) =>
  statusReport(input)
    .lines.filter((l) => l.verdict === "attention")
    .map((l) => l.label);

describe("status report", () => {
  it("reports a current, verified backup as OK", () => {
    const r = statusReport(healthy());
    expect(r.verdict).to.equal("ok");
    const text = formatStatus(r);
    expect(text).to.include(
      "2.0 h: every change listed at 2026-11-25T10:00:00Z is stored (schedule: every 4 h; late after 5 h)",
    );
    expect(text).to.include("federated: no stored credential");
    expect(text).to.include(
      "10 present, 0 pending, 10 read back and checked against their content record, 1.9% of the vault read within 365 days",
    );
    expect(text).to.include(
      "9 objects (3.0 MiB) restored and verified as a restore verifies, 9 also identical to the source, 1 no longer in the source as backed up",
    );
    expect(text).to.match(/OK: the backup is current and verified/);
  });

  it("shows how far a copy spread over several runs has got, and how many runs it still needs", () => {
    const firstCopy = run({
      outcome: "partial",
      sourceObjects: 50_000_000,
      vaultObjects: 10_000_000,
      unchanged: 10_000_000,
      new: 40_000_000,
      copied: 6_000_000,
      copyDeferred: 34_000_000,
      durationSeconds: 20 * 3600,
    });
    const r = statusReport({ ...healthy(), lastRun: firstCopy });
    const line = r.lines.find((l) => l.label === "copy in progress");
    expect(line?.value).to.equal(
      "16,000,000 of 50,000,000 source objects are in the vault (32.0%), 34,000,000 left for the next runs, which start where this one stopped; the last run copied 6,000,000 in 20.0 h: about 6 more run(s) at that rate",
    );
    expect(statusReport(healthy()).lines.map((l) => l.label)).not.to.include("copy in progress");
    const stuck = statusReport({ ...healthy(), lastRun: { ...firstCopy, copied: 0 } });
    expect(stuck.lines.find((l) => l.label === "copy in progress")?.value).to.match(
      /the last run copied none of them$/,
    );
    expect(attention({ ...healthy(), lastRun: firstCopy })).not.to.include("copy in progress");
    expect(attention({ ...healthy(), lastRun: { ...firstCopy, copied: 0 } })).to.include(
      "copy in progress",
    );
  });

  it("marks a backup older than the interval plus an hour as late, for every interval", () => {
    for (const interval of [1, 4, 12, 24]) {
      const at = (h: number) =>
        new Date(Date.parse("2026-11-25T10:00:00Z") - h * 3600_000).toISOString();
      const late = {
        ...healthy(),
        intervalHours: interval,
        lastRun: run({ freshAsOf: at(interval - 1) }),
      };
      expect(attention(late), `${interval} h, on time`).to.deep.equal([]);
      late.lastRun = run({ freshAsOf: at(interval) });
      expect(attention(late), `${interval} h, late`).to.deep.equal(["backup age"]);
      expect(formatStatus(statusReport(late))).to.include("LATE");
    }
  });

  it("judges freshness, not the last success: partial runs that skip an object keep aging", () => {
    const stale = {
      ...healthy(),
      // The last run succeeded in copying but skipped an object not on the acknowledged list:
      // the newest fresh listing is a day old.
      lastRun: run({
        outcome: "partial",
        fresh: false,
        freshAsOf: "2026-11-24T10:00:00Z",
        skippedCount: 1,
        skipped: [{ key: "k", reason: "unreadable in S3: AccessDenied" }],
        acceptedSkips: 2,
      }),
    };
    expect(attention(stale)).to.deep.equal(["backup age", "skipped objects"]);
    const text = formatStatus(statusReport(stale));
    expect(text).to.include("26.0 h: every change listed at 2026-11-24T10:00:00Z is stored");
    expect(text).to.include("(and 2 on the acknowledged list, acceptedSkips)");
    // A summary from an engine before freshness: the last success's start stands in.
    const old = run();
    delete (old as Partial<RunSummary>).freshAsOf;
    expect(
      attention({
        ...healthy(),
        lastRun: old,
        lastSuccess: run({ started: "2026-11-20T10:00:00Z" }),
      }),
    ).to.deep.equal(["backup age"]);
    expect(
      attention({ ...healthy(), lastRun: run({ freshAsOf: null, fresh: false }) }),
    ).to.deep.equal(["backup age"]);
  });

  it("marks a failed last run, its errors and skipped objects", () => {
    const failed = {
      ...healthy(),
      lastRun: run({ outcome: "failure", errorCount: 1, errors: ["cannot reach the vault"] }),
    };
    expect(attention(failed)).to.deep.equal(["last run", "errors"]);
    const partial = {
      ...healthy(),
      lastRun: run({
        outcome: "partial",
        skippedCount: 2,
        skipped: [{ key: "cold/a.bin", reason: "storage class GLACIER" }],
      }),
    };
    expect(attention(partial)).to.deep.equal(["skipped objects"]);
    expect(formatStatus(statusReport(partial))).to.include(
      '2 ("cold/a.bin": storage class GLACIER)',
    );
  });

  it("shows the host's pending security updates from the last run, and marks apt failing to tell", () => {
    const line = (over: Partial<RunSummary>) => {
      const r = statusReport({ ...healthy(), lastRun: run(over) });
      return { r, l: r.lines.find((x) => x.label === "security updates") };
    };
    expect(line({}).l).to.deep.include({ value: "none pending", verdict: "ok" });
    const some = line({
      pendingSecurityUpdates: 3,
      pendingSecurityPackages: ["libc6", "libssl3"],
    });
    expect(some.l?.value).to.equal(
      "3 pending (libc6, libssl3, ...); unattended-upgrades installs them daily",
    );
    expect(formatStatus(some.r)).to.match(/^ {2}security updates +3 pending \(libc6, libssl3/m);
    expect(some.r.verdict).to.equal("ok");
    const unknown = line({ pendingSecurityUpdates: null });
    expect(unknown.l?.value).to.match(/^unknown: apt-get -s upgrade failed/);
    expect(
      attention({ ...healthy(), lastRun: run({ pendingSecurityUpdates: null }) }),
    ).to.deep.equal(["security updates"]);
    // a summary from an engine older than the count shows no line at all
    const old = run();
    delete (old as Partial<RunSummary>).pendingSecurityUpdates;
    expect(statusReport({ ...healthy(), lastRun: old }).lines.map((l) => l.label)).not.to.include(
      "security updates",
    );
  });

  it("marks a SAS that expires within the warning window, not one that does not", () => {
    expect(attention({ ...healthy(), sasExpiry: "2026-12-20T00:00:00Z" })).to.deep.equal([]);
    const soon = { ...healthy(), sasExpiry: "2026-11-28T00:00:00Z", sasWarningDays: 7 };
    expect(attention(soon)).to.deep.equal(["credential"]);
    expect(formatStatus(statusReport(soon))).to.include("run pulumi up to renew it");
  });

  it("marks an integrity mismatch, a failed check, a stale check and no check at all", () => {
    const mismatch = {
      ...healthy(),
      lastIntegrity: integrity({
        outcome: "mismatch",
        mismatchCount: 1,
        mismatches: [{ key: "a.txt", reason: "missing from the vault" }],
      }),
    };
    expect(attention(mismatch)).to.deep.equal(["last integrity check"]);
    expect(formatStatus(statusReport(mismatch))).to.include('"a.txt": missing from the vault');
    const failed = {
      ...healthy(),
      lastIntegrity: integrity({ outcome: "failure", error: "boom" }),
    };
    expect(formatStatus(statusReport(failed))).to.include("could not finish: boom");
    expect(attention({ ...healthy(), integrityMaxAgeDays: 2 })).to.deep.equal([
      "last integrity check",
    ]);
    expect(attention({ ...healthy(), lastIntegrity: undefined })).to.deep.equal([
      "last integrity check",
    ]);
    expect(attention({ ...healthy(), lastRun: undefined, lastSuccess: undefined })).to.deep.equal([
      "last run",
      "backup age",
      "last success",
    ]);
  });

  it("marks a restore drill that failed, found a difference, is stale or never ran", () => {
    const differ = {
      ...healthy(),
      lastDrill: drill({
        outcome: "mismatch",
        mismatchCount: 1,
        mismatches: [{ key: "a.txt", reason: "the restored copy differs from the source object" }],
      }),
    };
    expect(attention(differ)).to.deep.equal(["last restore drill"]);
    expect(formatStatus(statusReport(differ))).to.include('1 differ ("a.txt": the restored copy');
    expect(attention({ ...healthy(), drillMaxAgeDays: 10 })).to.deep.equal(["last restore drill"]);
    expect(attention({ ...healthy(), lastDrill: undefined })).to.deep.equal(["last restore drill"]);
    expect(
      formatStatus(
        statusReport({ ...healthy(), lastDrill: drill({ outcome: "failure", error: "x" }) }),
      ),
    ).to.include("could not finish: x");
  });
});
