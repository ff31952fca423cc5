// The restore's name check (domain/blobNames.ts keyProblem and restoresExactly) against the
// engine's own (ccb/names.py key_problem and restores_exactly, unpacked from the bundle and run by
// the host's Python): a restore accepts exactly the blob names the engine could have written.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unpackEngine } from "../../harness/engine";
import { blobName, keyProblem, restoresExactly } from "../../domain/blobNames";

const PYTHON = "/usr/bin/python3";

const KEYS = [
  "plain.txt",
  "a/b/c/deep.txt",
  "trailing-dot.",
  "..dots..",
  "back\\slash",
  "win\\..\\..\\escaped.txt",
  "tab\tkey",
  "nul\u0000",
  "del\u007f",
  "",
  "dir/",
  "/lead",
  "a//b",
  "line\nbreak",
  "cr\rx",
  ".",
  "..",
  "../../escaped.txt",
  "a/./b",
  "fullwidth\uff0e",
  "mid\uff0emid",
  "sp\u2420ace",
  "quote\u201b",
  "slash\uff0fname",
  "repl\ufffd",
  "zürich/über-ü.txt",
];

const NAMES = [
  ...KEYS.map(blobName),
  ".\uff0e/.\uff0e/escaped.txt",
  "\uff0e",
  "..\\..\\raw.txt",
  "a\uff0e\uff0e/b",
  "x//y",
  "",
  "ctl\u0001raw",
  "\u2409tab",
  "win\uff3c..\uff3cok.txt",
];

function python(
  keys: string[],
  names: string[],
): { problems: (string | null)[]; exact: (string | null)[] } {
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
      'print(json.dumps({"problems": [engine.key_problem(k) for k in data["keys"]],',
      '                  "exact": [engine.restores_exactly(n) for n in data["names"]]}))',
    ].join("\n");
    const r = spawnSync(PYTHON, ["-I", "-c", runner, dir, input], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as { problems: (string | null)[]; exact: (string | null)[] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("restore: the blob names a restore accepts are the engine's, rule for rule", () => {
  it("keyProblem and restoresExactly agree with the engine's key_problem and restores_exactly", () => {
    const py = python(KEYS, NAMES);
    expect(KEYS.map((k) => keyProblem(k) ?? null)).to.deep.equal(py.problems);
    expect(NAMES.map((n) => restoresExactly(n) ?? null)).to.deep.equal(py.exact);
  });

  it("a name that decodes to '..' segments, or holds a raw backslash, is not one the engine writes", () => {
    expect(restoresExactly(".\uff0e/.\uff0e/escaped.txt")).to.equal(undefined);
    expect(restoresExactly("..\\..\\raw.txt")).to.equal(undefined);
    // The engine's own name for a key with backslashes: accepted, decoded exactly.
    expect(restoresExactly("win\uff3c..\uff3cok.txt")).to.equal("win\\..\\ok.txt");
    expect(restoresExactly("seg\uff0e/inner.txt")).to.equal("seg./inner.txt");
  });
});
