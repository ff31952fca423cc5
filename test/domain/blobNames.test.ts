// The blob-name encoding and decoding (domain/blobNames.ts) against the engine's own
// (the engine's ccb/names.py decode_blob_name, unpacked from the bundle, run by the host's Python) over
// one corpus: one definition of the encoding, two implementations that must agree exactly.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unpackEngine } from "../../harness/engine";
import { blobName, decodeBlobName, encodeSegment } from "../../domain/blobNames";

const PYTHON = "/usr/bin/python3";

/** Keys the engine stores (key_problem is None) and blob names as rclone could write them. */
const CORPUS = [
  "plain.txt",
  "a/b/c/deep.txt",
  "trailing-dot.",
  "seg./inner.",
  "..dots..",
  "back\\slash",
  "\\\\double\\",
  "ctl\u0001char",
  "tab\tkey",
  "nul\u0000",
  "esc\u001b[0m",
  "del\u007f",
  "unit\u001f",
  "café",
  "cafe\u0301",
  "zürich/über-ü.txt",
  "emoji-😀/𝄞",
  "plus+sign 100%.txt",
  "space name/file with spaces.txt",
  "k".repeat(1000),
  "ä".repeat(300),
  "dot-in.middle/x",
  "sp\u2420ace-symbol",
  "fullwidth\uff0emid",
  "quote\u201b",
  "a./b./c.",
];

/** Runs the engine's functions (unpacked from its bundle) over the corpus: [blob_name(k), decode_blob_name(x)]. */
function pythonNames(keys: string[], names: string[]): { encoded: string[]; decoded: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-names-"));
  try {
    unpackEngine(dir);
    const input = path.join(dir, "input.json");
    fs.writeFileSync(input, JSON.stringify({ keys, names }));
    const runner = [
      "import json, sys",
      "sys.path.insert(0, sys.argv[1])",
      "from ccb import names as engine",
      'data = json.load(open(sys.argv[2], encoding="utf-8"))',
      'print(json.dumps({"encoded": [engine.blob_name(k) for k in data["keys"]],',
      '                  "decoded": [engine.decode_blob_name(n) for n in data["names"]]}))',
    ].join("\n");
    const r = spawnSync(PYTHON, ["-I", "-c", runner, dir, input], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as { encoded: string[]; decoded: string[] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("blob names: decoding gives back exactly what the engine encoded", () => {
  // Names as the engine writes them, plus raw names containing every encoding character in every
  // position (decode must agree on them too, even where the engine would never produce them).
  const rawNames = [
    ...CORPUS.map(blobName),
    "\u2400\u2401\u241f\u2420\u2421",
    "x\uff0e/\uff0e/\uff0e\uff0e",
    "\uff3c\uff3c/\uff0e",
    "mid\uff0eend",
    "",
    "/",
    "a//b",
  ];

  it("TypeScript and Python agree on encoding and decoding, name for name", () => {
    const py = pythonNames(CORPUS, rawNames);
    expect(CORPUS.map(blobName)).to.deep.equal(py.encoded);
    expect(rawNames.map(decodeBlobName)).to.deep.equal(py.decoded);
  });

  it("decoding a stored name gives back the key, whatever rclone encoded", () => {
    for (const k of CORPUS) expect(decodeBlobName(blobName(k)), JSON.stringify(k)).to.equal(k);
    expect(blobName("trailing-dot.")).to.equal("trailing-dot\uff0e");
    expect(blobName("back\\slash")).to.equal("back\uff3cslash");
    expect(encodeSegment("tab\tkey")).to.equal("tab\u2409key");
    expect(decodeBlobName("a\uff0e/b")).to.equal("a./b");
  });
});
