// Restore's verdict on bytes read back (domain/verdict.ts) against the cases the engine's copy
// (ccb/verdict.py) is tested with: a drill or check passes only where a restore would.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { contentVerdict, parseRecord } from "../../domain/verdict";
import type { BlobFacts, ReadFacts } from "../../domain/verdict";
import { VERDICTS } from "../../domain/contentRecord";

const cases = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "fixtures", "verification-cases.json"), "utf8"),
) as { name: string; blob: BlobFacts; read: ReadFacts; verdict: string }[];

describe("content verdict (shared cases with the engine)", () => {
  it("covers every verdict", () => {
    expect(new Set(cases.map((c) => c.verdict))).to.deep.equal(new Set(VERDICTS));
  });
  for (const c of cases)
    it(c.name, () => {
      const got = contentVerdict(c.blob, c.read);
      expect(got.verdict, got.reason).to.equal(c.verdict);
      expect(got.reason).to.be.a("string").and.not.be.empty;
    });
  it("reads a record the engine encoded (sorted keys, URL-encoded JSON)", () => {
    const raw = encodeURIComponent(
      JSON.stringify({
        engine: "dev",
        etag: "e-2",
        format: 1,
        md5: "0".repeat(32),
        meta: 0,
        mtime: 5,
        size: 3,
        sse: "none",
      }),
    );
    const r = parseRecord(raw);
    expect("record" in r && r.record.etag).to.equal("e-2");
  });
});
