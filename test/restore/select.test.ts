// Which copy a restore reads carries what its verdict needs: the blob's Content-MD5 and its raw
// content record, for current blobs, older versions (--at) and mirror mode's archive/ copies.
// Azurite lists no versions, so the listing here is a stand-in for the container.
import { expect } from "chai";
import type { BlobItem, ContainerClient } from "@azure/storage-blob";
import { CONTENT_RECORD } from "../../domain/contentRecord";
import { selectObjects } from "../../restore/restore";
import { parseInstant } from "../../restore/timeline";

const md5 = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const at = (iso: string) => parseInstant(iso)!;

/** A container whose listings answer with `items` (under the prefix asked for). */
function listing(items: BlobItem[]): ContainerClient {
  return {
    listBlobsFlat: (opts: { prefix?: string } = {}) =>
      (async function* () {
        for (const i of items)
          if (i.name.startsWith(opts.prefix ?? "")) yield await Promise.resolve(i);
      })(),
  } as unknown as ContainerClient;
}

function item(
  name: string,
  o: {
    versionId?: string;
    current?: boolean;
    modified: string;
    md5?: string;
    metadata?: Record<string, string>;
  },
): BlobItem {
  return {
    name,
    deleted: false,
    snapshot: "",
    versionId: o.versionId,
    isCurrentVersion: o.current,
    properties: {
      lastModified: new Date(o.modified),
      etag: `"${name}-${o.versionId ?? "x"}"`,
      contentLength: 3,
      contentMD5: o.md5 === undefined ? undefined : md5(o.md5),
    },
    metadata: o.metadata,
  };
}

describe("restore: the chosen copy carries its Content-MD5 and content record", () => {
  const [M1, M2, M3] = ["1".repeat(32), "2".repeat(32), "3".repeat(32)];
  const items = [
    item("data/k.txt", {
      versionId: "2026-11-01T00:00:00.0000000Z",
      modified: "2026-11-01T00:00:00Z",
      md5: M1,
      metadata: { [CONTENT_RECORD]: "record-1" },
    }),
    item("data/k.txt", {
      versionId: "2026-11-10T00:00:00.0000000Z",
      current: true,
      modified: "2026-11-10T00:00:00Z",
      md5: M2,
      // Azure compares metadata names without regard to case.
      metadata: { CcbSource: "record-2", mtime: "2026-11-09T00:00:00Z" },
    }),
    item("archive/20261105T000000.000000000Z/gone.txt", {
      modified: "2026-11-05T00:00:00Z",
      md5: M3,
      metadata: { [CONTENT_RECORD]: "record-3", mtime: "2026-10-01T00:00:00Z" },
    }),
    item("data/old-engine.txt", {
      versionId: "2026-11-01T00:00:00.0000000Z",
      current: true,
      modified: "2026-11-01T00:00:00Z",
    }),
  ];

  it("an older version (--at) and an archive/ copy", async () => {
    const sel = await selectObjects(listing(items), { at: at("2026-11-03T00:00:00Z") });
    const byKey = Object.fromEntries(sel.chosen.map((c) => [c.key, c]));
    expect(byKey["k.txt"]).to.include({
      versionId: "2026-11-01T00:00:00.0000000Z",
      contentMD5: M1,
      record: "record-1",
      from: "version",
    });
    expect(byKey["gone.txt"]).to.include({ contentMD5: M3, record: "record-3", from: "archive" });
    expect(byKey["old-engine.txt"]).to.include({ contentMD5: undefined, record: undefined });
  });

  it("the current version, and the current blobs without --at", async () => {
    const later = await selectObjects(listing(items), { at: at("2026-11-20T00:00:00Z") });
    expect(later.chosen.find((c) => c.key === "k.txt")).to.include({
      contentMD5: M2,
      record: "record-2",
      from: "current",
    });
    const now = await selectObjects(listing(items.filter((i) => i.isCurrentVersion)), {});
    expect(now.chosen.map((c) => [c.key, c.contentMD5, c.record])).to.deep.equal([
      ["k.txt", M2, "record-2"],
      ["old-engine.txt", undefined, undefined],
    ]);
    // The record is not user metadata: only s3metadata comes back as x-amz-meta-*.
    expect(now.chosen[0].headers.metadata).to.deep.equal({});
  });
});

describe("restore: a blob name the engine could never have written is refused and named, never selected", () => {
  const planted = [
    "data/.\uff0e/.\uff0e/escaped.txt", // decodes to ../../escaped.txt
    "data/..\\..\\raw-backslash.txt", // a raw backslash: the engine writes U+FF3C
    "data/x//y", // an empty segment
  ];
  const ok = ["data/ok.txt", "data/win\uff3c..\uff3cok.txt", "data/seg\uff0e/inner.txt"];
  const items = [...planted, ...ok].map((n) =>
    item(n, { current: true, modified: "2026-11-01T00:00:00Z" }),
  );

  it("current blobs: only names that round-trip through the engine's key rules are chosen", async () => {
    const sel = await selectObjects(listing(items), {});
    expect(sel.chosen.map((c) => c.key).sort()).to.deep.equal(
      ["ok.txt", "win\\..\\ok.txt", "seg./inner.txt"].sort(),
    );
    expect(sel.refusedNames.map((r) => r.blob)).to.deep.equal([...planted].sort());
    const why = Object.fromEntries(sel.refusedNames.map((r) => [r.blob, r.reason]));
    expect(why[planted[0]]).to.equal(
      `not a name the backup engine writes: it decodes to the key "../../escaped.txt" (the key has a '.' or '..' path segment); refused, nothing restored from it`,
    );
    expect(why[planted[1]]).to.match(
      /decodes to the key "\.\.\\\\\.\.\\\\raw-backslash\.txt" \(the engine stores that key as "data\/\.\.\uff3c\.\.\uff3craw-backslash\.txt"\)/,
    );
  });

  it("--at: versions and archive/ copies with such names are refused too; --prefix limits what is named", async () => {
    const withArchive = [
      ...items,
      item("archive/20261105T000000.000000000Z/.\uff0e/escaped.txt", {
        modified: "2026-11-05T00:00:00Z",
      }),
    ];
    const sel = await selectObjects(listing(withArchive), { at: at("2026-11-20T00:00:00Z") });
    expect(sel.refusedNames.map((r) => r.blob)).to.deep.equal(
      [...planted, "archive/20261105T000000.000000000Z/.\uff0e/escaped.txt"].sort(),
    );
    expect(sel.chosen.map((c) => c.key)).not.to.include("../escaped.txt");
    const only = await selectObjects(listing(items), { prefix: "ok" });
    expect(only.chosen.map((c) => c.key)).to.deep.equal(["ok.txt"]);
    expect(only.refusedNames).to.deep.equal([]);
  });
});
