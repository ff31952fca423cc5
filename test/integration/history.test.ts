// The vault's history (status/history/<yyyy-mm>.jsonl, ccb/history.py) on the real data path: the
// rendered engine through the host's loader, real rclone 1.60.1, s3rver and Azurite, in SAS mode
// and in federated mode (Azurite in OAuth mode, the user-delegation SAS the host mints). Every
// run, integrity check and drill appends the status document it just wrote, as one line of an
// append blob; the credential the host writes it with cannot delete it or create it again over
// it; and a history the vault refuses never fails a run, nor is made up for later.
import { expect } from "chai";
import { AnonymousCredential, AppendBlobClient, BlobClient, RestError } from "@azure/storage-blob";
import { startBackup, why, type Backup, type SyncRun } from "../../harness/datapath";
import { stopAll } from "../../harness/emulators";
import { STATUS_BLOBS, STATUS_HISTORY, statusHistoryOf } from "../../domain/layout";
import { EXIT_CODES, type HistoryRecord } from "../../domain/runSummary";

type Doc = Record<string, unknown>;

async function statusDoc(b: Backup, name: string): Promise<Doc> {
  return JSON.parse((await b.container.getBlobClient(name).downloadToBuffer()).toString("utf8"));
}

/** Every history blob's name, type and lines (each must end in "\n"), oldest month first. */
async function history(
  b: Backup,
): Promise<{ blobs: { name: string; type?: string }[]; lines: HistoryRecord[] }> {
  const blobs: { name: string; type?: string }[] = [];
  const lines: HistoryRecord[] = [];
  for await (const item of b.container.listBlobsFlat({ prefix: STATUS_HISTORY.folder })) {
    blobs.push({ name: item.name, type: item.properties.blobType });
    const text = (await b.container.getBlobClient(item.name).downloadToBuffer()).toString("utf8");
    expect(text.endsWith("\n"), `${item.name} ends with a newline`).to.equal(true);
    for (const line of text.slice(0, -1).split("\n")) lines.push(JSON.parse(line) as HistoryRecord);
  }
  return { blobs, lines };
}

/** The history lines the given run wrote: its own records, by id. */
const idOf = (r: HistoryRecord): string => ("runId" in r ? r.runId : r.checkId);

/**
 * The SAS-signed URL of the history blob the host appended to in its last run or check, as the
 * counting proxy saw it: the host's own credential (in federated mode the user-delegation SAS it
 * minted; the test never sees it otherwise).
 */
function hostBlobUrl(b: Backup): string {
  const append = b.azureProxy.log.find(
    (l) => l.method === "PUT" && l.url.includes("comp=appendblock"),
  );
  expect(append, "the host appended to the history").to.not.equal(undefined);
  const url = new URL(append!.url, b.azureProxy.endpoint);
  url.searchParams.delete("comp");
  expect(url.searchParams.get("sig"), "the host's request carries its SAS").to.be.a("string");
  return url.toString();
}

async function refusal(op: () => Promise<unknown>): Promise<{ status?: number; code?: string }> {
  try {
    await op();
  } catch (e) {
    if (e instanceof RestError) return { status: e.statusCode, code: e.code };
    throw e;
  }
  return {};
}

/**
 * What the host's credential can do to the history blob it writes. Azure's `w` (which rclone needs
 * for data/) would also let a plain Put Blob replace it: on Azure, versioning keeps the replaced
 * history as a previous version that this credential cannot delete (no `d` in copy mode), and
 * WORM makes that version immutable. Azurite has neither versioning nor immutability, so that
 * case is not asserted here (docs/vault.md).
 */
async function expectHostCannotDeleteOrRecreate(b: Backup): Promise<void> {
  const url = hostBlobUrl(b);
  const before = (await history(b)).lines;
  // Refused for the permission (no `d` in copy mode), not for a malformed or expired SAS.
  expect(await refusal(() => new BlobClient(url).delete())).to.deep.equal({
    status: 403,
    code: "AuthorizationPermissionMismatch",
  });
  // The engine's own create is conditional: an existing history is never started over.
  expect(
    await refusal(() =>
      new AppendBlobClient(url, new AnonymousCredential()).create({
        conditions: { ifNoneMatch: "*" },
      }),
    ),
  ).to.deep.include({ status: 409, code: "BlobAlreadyExists" });
  expect((await history(b)).lines).to.deep.equal(before);
}

describe("the vault's history: one append-only line per run, integrity check and drill", function () {
  this.timeout(300_000);

  describe("SAS mode", () => {
    let b: Backup;
    // What the vault's status blobs held right after each run or check, with its kind.
    const written: HistoryRecord[] = [];

    async function record(r: SyncRun, kind: HistoryRecord["kind"], blob: string): Promise<Doc> {
      const doc = await statusDoc(b, blob);
      written.push({ kind, ...doc } as HistoryRecord);
      expect(r.stderr, "the journal's headline says the record was appended").to.include(
        '"historyWritten": true',
      );
      return doc;
    }

    before(async () => {
      b = await startBackup({ azuriteInMemory: true });
      for (let i = 0; i < 3; i++) await b.put(`reports/r${i}.csv`, `report ${i}\n`.repeat(i + 1));
    });
    after(async () => {
      await b?.stop();
      await stopAll();
    });

    it("after two runs, a check and a drill, the month's append blob holds their four status documents, in order", async () => {
      const first = await b.run();
      expect(first.code, why(first)).to.equal(EXIT_CODES.success);
      await record(first, "run", STATUS_BLOBS.lastRun);
      // The month's first record: Append Block (404), then Put Blob of an empty append blob
      // (If-None-Match: *), then Append Block; both status blobs come first.
      const writes = b.azureProxy.log
        .filter((l) => l.method === "PUT")
        .map((l) => new URL(l.url, "http://x"))
        .map(
          (u) => `${u.pathname.replace(/^.*\/backup\//, "")} ${u.searchParams.get("comp") ?? ""}`,
        );
      const month = statusHistoryOf(written[0].finished);
      expect(writes.slice(-5)).to.deep.equal([
        `${STATUS_BLOBS.lastRun} `,
        `${STATUS_BLOBS.lastSuccess} `,
        `${month} appendblock`,
        `${month} `,
        `${month} appendblock`,
      ]);

      await b.put("reports/r3.csv", "a new report\n");
      const second = await b.run();
      expect(second.code, why(second)).to.equal(EXIT_CODES.success);
      expect(second.summary?.copied).to.equal(1);
      await record(second, "run", STATUS_BLOBS.lastRun);
      // From then on one request per record: the Append Block.
      expect(
        b.azureProxy.log.filter((l) => l.url.includes(STATUS_HISTORY.folder)).map((l) => l.method),
      ).to.deep.equal(["PUT"]);

      const v = await b.verify();
      expect(v.code, why(v)).to.equal(EXIT_CODES.success);
      await record(v, "integrity", STATUS_BLOBS.lastIntegrity);
      const d = await b.drill();
      expect(d.code, why(d)).to.equal(EXIT_CODES.success);
      await record(d, "drill", STATUS_BLOBS.lastDrill);

      const h = await history(b);
      expect(h.lines.map((l) => l.kind)).to.deep.equal(["run", "run", "integrity", "drill"]);
      expect(h.lines).to.deep.equal(written);
      expect(h.lines.map(idOf)).to.deep.equal([
        first.summary!.runId,
        second.summary!.runId,
        v.result!.checkId,
        d.result!.checkId,
      ]);
      // One append blob per UTC month of a record's end (one, unless the test crossed a month).
      const months = [...new Set(written.map((w) => statusHistoryOf(w.finished)))];
      expect(h.blobs).to.deep.equal(months.map((name) => ({ name, type: "AppendBlob" })));
      expect((await b.container.getBlobClient(months[0]).getProperties()).contentType).to.equal(
        "application/x-ndjson",
      );
    });

    it("the SAS the host writes with cannot delete the history or create it again over it", async () => {
      await expectHostCannotDeleteOrRecreate(b);
    });

    it("an append the vault refuses does not fail the run, and the next run appends only its own record", async () => {
      const before = (await history(b)).lines;
      b.azureProxy.intercept = (method, url) =>
        method === "PUT" && url.includes("comp=appendblock")
          ? {
              status: 403,
              headers: { "x-ms-error-code": "AuthorizationPermissionMismatch" },
              body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code></Error>',
            }
          : undefined;
      let refused: SyncRun;
      try {
        refused = await b.run();
      } finally {
        b.azureProxy.intercept = undefined;
      }
      expect(refused.code, why(refused)).to.equal(EXIT_CODES.success);
      expect(refused.summary?.outcome).to.equal("success");
      expect((await statusDoc(b, STATUS_BLOBS.lastRun)).runId).to.equal(refused.summary!.runId);
      expect(refused.stderr).to.match(
        /could not append the run record to the vault's history status\/history\/\d{4}-\d{2}\.jsonl \(AuthorizationPermissionMismatch \(HTTP 403\)\)/,
      );
      expect(refused.stderr).to.include('"historyWritten": false');
      expect((await history(b)).lines).to.deep.equal(before);

      const next = await b.run();
      expect(next.code, why(next)).to.equal(EXIT_CODES.success);
      const after = (await history(b)).lines;
      expect(after.slice(0, -1)).to.deep.equal(before);
      expect(after.map(idOf)).to.not.include(refused.summary!.runId);
      expect(after.at(-1)).to.deep.equal({
        kind: "run",
        ...(await statusDoc(b, STATUS_BLOBS.lastRun)),
      });
      expect(idOf(after.at(-1)!)).to.equal(next.summary!.runId);
    });
  });

  describe("federated mode (user-delegation SAS from Azurite in OAuth mode)", () => {
    let b: Backup;
    before(async () => {
      b = await startBackup({ federated: true });
      await b.put("reports/r0.csv", "report 0\n");
    });
    after(async () => {
      await b?.stop();
      await stopAll();
    });

    it("a run and a check append their status documents with the SAS the host minted", async () => {
      const run = await b.run();
      expect(run.code, why(run)).to.equal(EXIT_CODES.success);
      const runDoc = await statusDoc(b, STATUS_BLOBS.lastRun);
      const v = await b.verify();
      expect(v.code, why(v)).to.equal(EXIT_CODES.success);
      const checkDoc = await statusDoc(b, STATUS_BLOBS.lastIntegrity);
      const h = await history(b);
      expect(h.lines).to.deep.equal([{ kind: "run", ...runDoc }, checkDoc]);
      expect(h.blobs.every((x) => x.type === "AppendBlob")).to.equal(true);
      expect(hostBlobUrl(b)).to.include("skoid="); // a user-delegation SAS, not a key's
    });

    it("the identity's SAS cannot delete the history or create it again over it", async () => {
      await expectHostCannotDeleteOrRecreate(b);
    });
  });
});
