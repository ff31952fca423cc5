// Point-in-time selection (restore/timeline.ts) on List Blobs answers shaped as Azure documents
// them for include=versions,deleted (versionId, isCurrentVersion, deleted, properties), and on
// mirror mode's archive/ copies. Azurite has no versioning, so these shapes are built here.
import { expect } from "chai";
import {
  formatInstant,
  parseInstant,
  pickAt,
  segmentFromArchive,
  segmentsFromVersions,
  type ListedBlob,
} from "../../restore/timeline";

const T = (iso: string) => {
  const t = parseInstant(iso);
  if (t === undefined) throw new Error(`bad time ${iso}`);
  return t;
};

/** A version as List Blobs returns it: versionId = its creation time, 7 fractional digits. */
function version(versionId: string, opts: Partial<ListedBlob> = {}): ListedBlob {
  return {
    name: "data/report.csv",
    versionId,
    isCurrentVersion: false,
    deleted: false,
    properties: { lastModified: new Date(versionId), contentLength: 10 },
    ...opts,
  };
}

const V1 = "2026-11-01T10:00:00.1234567Z";
const V2 = "2026-11-05T10:00:00.7654321Z";
const V3 = "2026-11-09T10:00:00.0000001Z";

describe("restore: point-in-time selection", () => {
  describe("blob versions", () => {
    const live = [version(V1), version(V2), version(V3, { isCurrentVersion: true })];

    it("T before the first version: the object did not exist yet", () => {
      const pick = pickAt(segmentsFromVersions(live), T("2026-10-31T00:00:00Z"));
      expect(pick.kind).to.equal("absent");
      expect(pick.kind === "absent" && pick.reason).to.match(/not in the vault yet/);
    });

    it("T between two versions: the older one", () => {
      const pick = pickAt(segmentsFromVersions(live), T("2026-11-05T09:59:59Z"));
      expect(pick.kind === "restore" && pick.segment.versionId).to.equal(V1);
    });

    it("T exactly at a version's timestamp (to the 100 ns): that version; a tick before: the previous", () => {
      const at = pickAt(segmentsFromVersions(live), T(V2));
      expect(at.kind === "restore" && at.segment.versionId).to.equal(V2);
      const before = pickAt(segmentsFromVersions(live), T("2026-11-05T10:00:00.7654320Z"));
      expect(before.kind === "restore" && before.segment.versionId).to.equal(V1);
    });

    it("T after the last write: the current version, listed in any order", () => {
      const pick = pickAt(segmentsFromVersions([...live].reverse()), T("2030-01-01T00:00:00Z"));
      expect(pick.kind === "restore" && pick.segment.versionId).to.equal(V3);
      expect(pick.kind === "restore" && pick.note).to.equal(undefined);
    });

    it("after a deletion recorded by a soft-deleted base blob: absent; before it: the last version", () => {
      const items = [
        version(V1),
        version(V2),
        {
          name: "data/report.csv",
          deleted: true,
          properties: { lastModified: new Date(V2), deletedOn: new Date("2026-11-07T00:00:00Z") },
        },
      ];
      const after = pickAt(segmentsFromVersions(items), T("2026-11-08T00:00:00Z"));
      expect(after.kind).to.equal("absent");
      expect(after.kind === "absent" && after.reason).to.match(/deleted before/);
      const before = pickAt(segmentsFromVersions(items), T("2026-11-06T00:00:00Z"));
      expect(before.kind === "restore" && before.segment.versionId).to.equal(V2);
    });

    it("a blob deleted at an unrecorded time (versions only): its last version, with a note", () => {
      const items = [version(V1), version(V2)];
      const pick = pickAt(segmentsFromVersions(items), T("2026-12-01T00:00:00Z"));
      expect(pick.kind).to.equal("restore");
      expect(pick.kind === "restore" && pick.segment.versionId).to.equal(V2);
      expect(pick.kind === "restore" && pick.note).to.match(/does not record/);
    });

    it("a deletion shown by mirror mode's archive copy: absent after it", () => {
      const items = [version(V1), version(V2)];
      const archived: ListedBlob = {
        name: "archive/20261106T000000.000000000Z/report.csv",
        properties: { lastModified: new Date("2026-11-06T00:00:05Z") },
        metadata: { mtime: "2026-11-04T00:00:00.000000000Z" },
      };
      const segs = [...segmentsFromVersions(items), segmentFromArchive(archived)];
      expect(pickAt(segs, T("2026-11-07T00:00:00Z")).kind).to.equal("absent");
      const before = pickAt(segs, T("2026-11-05T12:00:00Z"));
      expect(before.kind === "restore" && before.segment.versionId).to.equal(V2);
    });

    it("the copy for T is a soft-deleted version: reported as unavailable, not skipped", () => {
      const items = [version(V1, { deleted: true }), version(V2, { isCurrentVersion: true })];
      const pick = pickAt(segmentsFromVersions(items), T("2026-11-02T00:00:00Z"));
      expect(pick.kind).to.equal("unavailable");
      expect(pick.kind === "unavailable" && pick.reason).to.match(/soft-deleted.*undelete/);
    });
  });

  describe("without versioning (current blob) and mirror mode's archive/", () => {
    const current: ListedBlob = {
      name: "data/report.csv",
      properties: { lastModified: new Date("2026-11-10T00:00:00Z") },
      metadata: { mtime: "2026-11-09T23:00:00.000000000Z" },
    };
    const replaced: ListedBlob = {
      name: "archive/20261110T000000.000000000Z/report.csv",
      properties: { lastModified: new Date("2026-11-10T00:00:00Z") },
      metadata: { mtime: "2026-11-02T00:00:00.000000000Z" },
    };

    it("T after the current blob was written: the current blob", () => {
      const segs = [...segmentsFromVersions([current]), segmentFromArchive(replaced)];
      const pick = pickAt(segs, T("2026-11-11T00:00:00Z"));
      expect(pick.kind === "restore" && pick.segment.blob).to.equal("data/report.csv");
    });

    it("T before an overwrite: the archived copy", () => {
      const segs = [...segmentsFromVersions([current]), segmentFromArchive(replaced)];
      const pick = pickAt(segs, T("2026-11-05T00:00:00Z"));
      expect(pick.kind === "restore" && pick.segment.blob).to.equal(replaced.name);
    });

    it("T before the archived copy's source time: not there yet", () => {
      const segs = [segmentFromArchive(replaced)];
      expect(pickAt(segs, T("2026-11-01T00:00:00Z")).kind).to.equal("absent");
      expect(pickAt(segs, T("2026-11-10T00:00:00Z")).kind, "archived at that instant").to.equal(
        "absent",
      );
    });
  });

  it("parses version ids, run ids and offsets exactly, and rejects other text", () => {
    expect(formatInstant(T("20261125T160000.123456789Z"))).to.equal(
      "2026-11-25T16:00:00.123456789Z",
    );
    expect(T("2026-11-25T16:00:00+00:00")).to.equal(T("2026-11-25T16:00:00Z"));
    expect(T("2026-11-25T16:00:00.5Z") - T("2026-11-25T16:00:00Z")).to.equal(500_000_000n);
    for (const bad of [
      "2026-11-25",
      "2026-02-30T00:00:00Z",
      "2026-11-25T16:00:00+02:00",
      "now",
      "2026-11-25T10:30:75Z",
      "2026-11-25T10:61:00Z",
    ])
      expect(parseInstant(bad), bad).to.equal(undefined);
  });
});
