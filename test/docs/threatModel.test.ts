// docs/threat-model.md names, for every mitigation, the test or policy that proves it. A name
// that no longer exists (a test renamed or removed, a policy dropped) fails here, so the threat
// model cannot claim a proof the repository does not hold. A test is named by its file and a
// fragment of its title (`test/x.test.ts` "fragment"); an engine test by its file and function
// (`test/engine/test_x.py` `test_name`); a policy of the pack by `policy:name`.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policy/policies";

const ROOT = path.resolve(__dirname, "../..");
const DOC = path.join(ROOT, "docs/threat-model.md");

interface Proof {
  kind: "test" | "engine" | "policy";
  file?: string;
  name: string;
  line: number;
}

/** Every proof the document names, with its line. */
export function proofsOf(text: string): Proof[] {
  const out: Proof[] = [];
  text.split("\n").forEach((l, i) => {
    const line = i + 1;
    for (const m of l.matchAll(/`(test\/[^`]+\.test\.ts)` "([^"]+)"/g))
      out.push({ kind: "test", file: m[1], name: m[2], line });
    for (const m of l.matchAll(/`(test\/engine\/[^`]+\.py)` `(test_\w+)`/g))
      out.push({ kind: "engine", file: m[1], name: m[2], line });
    for (const m of l.matchAll(/`policy:([a-z0-9-]+)`/g))
      out.push({ kind: "policy", name: m[1], line });
  });
  return out;
}

/** The problem with one proof, or undefined when the repository holds it. */
function missing(p: Proof, policyNames: Set<string>): string | undefined {
  const where = `docs/threat-model.md:${p.line}`;
  if (p.kind === "policy")
    return policyNames.has(p.name) ? undefined : `${where}: no policy "${p.name}" in the pack`;
  const file = path.join(ROOT, p.file!);
  if (!fs.existsSync(file)) return `${where}: no file ${p.file}`;
  const src = fs.readFileSync(file, "utf8");
  if (p.kind === "engine")
    return new RegExp(`def ${p.name}\\(`).test(src)
      ? undefined
      : `${where}: no ${p.name} in ${p.file}`;
  // The fragment must be inside a describe/it title (a string literal), not anywhere in the file.
  const titles = [...src.matchAll(/\b(?:describe|it)\(\s*(["'`])((?:\\.|(?!\1).)*)\1/gs)].map(
    (m) => m[2],
  );
  return titles.some((t) => t.includes(p.name))
    ? undefined
    : `${where}: no test titled with "${p.name}" in ${p.file}`;
}

describe("threat model: every mitigation names a proof that exists", function () {
  const text = fs.readFileSync(DOC, "utf8");
  const policyNames = new Set(policies.map((p) => p.name));

  it("names the trust boundaries: operator, CI, host, vault, source, Entra, STS", function () {
    const headings = text
      .split("\n")
      .filter((l) => l.startsWith("## "))
      .map((l) => l.slice(3).toLowerCase());
    for (const b of ["operator", "ci", "host", "vault", "source", "entra", "sts"])
      expect(
        headings.some((h) => h.split(/[^a-z]+/).includes(b)),
        `a "## ..." section for ${b}`,
      ).to.equal(true);
  });

  it("every threat row names at least one test or policy, or says that only a cloud can prove it", function () {
    const rows = text
      .split("\n")
      .map((l, i) => ({ l, line: i + 1 }))
      .filter(({ l }) => /^\| *[STRIDE]{1,3} *\|/.test(l));
    expect(rows.length).to.be.at.least(25);
    for (const { l, line } of rows)
      expect(
        proofsOf(l).length > 0 || /only a cloud/i.test(l),
        `docs/threat-model.md:${line} names no proof`,
      ).to.equal(true);
  });

  it("every named test, engine test and policy exists", function () {
    const proofs = proofsOf(text);
    expect(proofs.length).to.be.at.least(40);
    expect(proofs.map((p) => missing(p, policyNames)).filter(Boolean)).to.deep.equal([]);
  });

  it("every finding of the security review (H1-H3, M1-M7, L1-L8) is answered", function () {
    for (const id of [
      ...[1, 2, 3].map((n) => `H${n}`),
      ...[1, 2, 3, 4, 5, 6, 7].map((n) => `M${n}`),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `L${n}`),
    ])
      expect(text, id).to.match(new RegExp(`\\b${id}\\b`));
  });

  it("a missing test, engine test or policy is caught (the check can fail)", function () {
    const bad = [
      '| T | x | `test/iam/leastPrivilege.test.ts` "no such title anywhere" |',
      "| T | x | `test/engine/test_credentials.py` `test_no_such_function` |",
      "| T | x | `policy:no-such-policy` |",
      '| T | x | `test/no/such.test.ts` "x" |',
    ].join("\n");
    const problems = proofsOf(bad).map((p) => missing(p, policyNames));
    expect(problems).to.have.length(4);
    expect(problems.every(Boolean)).to.equal(true);
  });
});
