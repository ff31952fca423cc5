// The harness's reading of acceptedSkips (verifyVault, the restore rehearsal) must be the
// engine's: Python's fnmatch.fnmatchcase, run here on the same pairs.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { acceptedSkip } from "../../harness/acceptedSkip";

const PATTERNS = ["*/", "archived/*", "logs/2019-??.gz", "a[bc]d", "x[!y]z", "lit.(+)$^{}|", "*"];
const KEYS = [
  "photos/",
  "a/b/c/",
  "photos/cat.jpg",
  "archived/x/y.bin",
  "Archived/x",
  "logs/2019-01.gz",
  "logs/2019-1.gz",
  "abd",
  "acd",
  "aed",
  "xaz",
  "xyz",
  "lit.(+)$^{}|",
  "litX(+)$^{}|",
  "",
  "zoë/日本/",
];

describe("harness acceptedSkip", () => {
  it("matches exactly as the engine's fnmatch.fnmatchcase does", () => {
    const pairs = PATTERNS.flatMap((p) => KEYS.map((k) => [p, k]));
    const python = JSON.parse(
      execFileSync(
        "/usr/bin/python3",
        [
          "-c",
          "import fnmatch, json, sys; print(json.dumps([fnmatch.fnmatchcase(k, p) for p, k in json.load(sys.stdin)]))",
        ],
        { input: JSON.stringify(pairs), encoding: "utf8" },
      ),
    ) as boolean[];
    const ours = pairs.map(([p, k]) => acceptedSkip([p])(k));
    expect(ours).to.deep.equal(python);
    expect(python.filter(Boolean).length, "the corpus matches something").to.be.above(10);
  });
});
