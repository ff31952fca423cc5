// One redaction for everything that prints: the operator commands' redact() (domain/redaction.ts)
// against the cases the engine's redact() is tested with (test/engine/test_redaction.py).
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { redact } from "../../domain/redaction";
import { redact as restoreRedact } from "../../restore/vault";

const CASES = JSON.parse(
  readFileSync(path.join(__dirname, "..", "fixtures", "redaction-cases.json"), "utf8"),
) as { in: string; out: string }[];

describe("redaction: one list of patterns for the engine and the commands", () => {
  it("redacts exactly as the shared cases say", () => {
    expect(CASES.length).to.be.greaterThan(5);
    for (const c of CASES) expect(redact(c.in), c.in).to.equal(c.out);
  });
  it("is the function restore and status print through", () => {
    expect(restoreRedact).to.equal(redact);
  });
});
