// The history's names (domain/layout.ts): one blob per UTC month, under status/, named so that a
// listing of status/history/ is in time order.
import { expect } from "chai";
import {
  STATUS_BLOBS,
  STATUS_HISTORY,
  VAULT_FOLDERS,
  statusHistory,
  statusHistoryOf,
} from "../../domain/layout";
import type { HistoryRecord } from "../../domain/runSummary";

describe("the vault's history layout", () => {
  it("names one blob per UTC month under status/, apart from the status blobs", () => {
    expect(statusHistory("2026-05")).to.equal("status/history/2026-05.jsonl");
    expect(STATUS_HISTORY.folder.startsWith(VAULT_FOLDERS.status)).to.equal(true);
    for (const blob of Object.values(STATUS_BLOBS))
      expect(blob.startsWith(STATUS_HISTORY.folder), blob).to.equal(false);
  });

  it("puts a record in the month of its end, in UTC", () => {
    expect(statusHistoryOf("2026-05-31T23:59:59Z")).to.equal("status/history/2026-05.jsonl");
    expect(statusHistoryOf("2026-06-01T00:00:00Z")).to.equal("status/history/2026-06.jsonl");
  });

  it("sorts months in time order by name (what a listing returns)", () => {
    const months = ["2026-10", "2025-12", "2026-02", "2026-01"];
    expect(months.map(statusHistory).sort()).to.deep.equal(
      ["2025-12", "2026-01", "2026-02", "2026-10"].map(statusHistory),
    );
  });

  it("has a kind for every record type (HistoryRecord), and no other", () => {
    // A Record over the union's kinds: tsc refuses a missing or an extra one.
    const kinds: Record<HistoryRecord["kind"], true> = { run: true, integrity: true, drill: true };
    expect([...STATUS_HISTORY.kinds].sort()).to.deep.equal(Object.keys(kinds).sort());
  });

  it("refuses anything but a yyyy-mm month", () => {
    for (const bad of ["2026-5", "2026-13", "2026-00", "26-05", "2026-05/../x", ""])
      expect(() => statusHistory(bad), bad).to.throw(/is not a UTC month like 2026-05/);
  });
});
