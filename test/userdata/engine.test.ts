// The sync engine's pure parts (the package userdata/engine/ccb), called in the modules unpacked
// from the bundle the host runs, with the host's Python. The data path tests (test/integration)
// run the whole engine through the loader; test/engine/ holds the engine's own unit tests.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unpackEngine } from "../../harness/engine";

const PYTHON = "/usr/bin/python3";
let dir: string;

/** Runs `code` with the engine's modules imported (names, runs, base, federation, results);
 * returns what it prints as JSON. */
function py(code: string): unknown {
  const prelude = [
    "import json, sys",
    "sys.path.insert(0, sys.argv[1])",
    "from ccb import base, federation, names, results, runs",
  ].join("\n");
  const r = spawnSync(PYTHON, ["-I", "-c", `${prelude}\n${code}`, dir], { encoding: "utf8" });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout);
}

describe("sync engine: pure parts (modules unpacked from the bundle, Debian's python3)", () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-engine-"));
    unpackEngine(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names every key rclone cannot address or restore exactly, with the rule it breaks", () => {
    const keys = [
      "dir-marker/",
      "a//b.txt",
      "/leading.txt",
      "dot/./seg",
      "up/../x",
      "line\nbreak",
      "cr\rkey",
      "fullwidth\uff0e",
      "control-picture\u2401",
      "quote\u201bx",
      "",
    ];
    const got = py(`print(json.dumps([names.key_problem(k) for k in ${JSON.stringify(keys)}]))`);
    const problems = got as (string | null)[];
    expect(problems.every((p) => typeof p === "string" && p.length > 10)).to.equal(true);
    expect(problems[0]).to.match(/ends in '\/'/);
    expect(problems[1]).to.match(/empty path segment/);
    expect(problems[2]).to.match(/empty path segment/);
    expect(problems[3]).to.match(/'\.' or '\.\.'/);
    expect(problems[5]).to.match(/line break/);
    expect(problems[7]).to.match(/encode names/);
  });

  it("accepts the keys rclone round-trips: dots, backslashes, control characters, unicode twins", () => {
    const keys = [
      "trailing-dot.",
      "seg./x.",
      "back\\slash",
      "ctl\u0001char",
      "tab\tkey",
      "del\u007f",
      "café",
      "cafe\u0301",
      "x".repeat(1000),
      "a/b/c",
    ];
    const got = py(
      `ks = ${JSON.stringify(keys)}\nprint(json.dumps([[names.key_problem(k), names.blob_name(k), names.decode_blob_name(names.blob_name(k))] for k in ks]))`,
    ) as [string | null, string, string][];
    got.forEach(([problem, , back], i) => {
      expect(problem, keys[i]).to.equal(null);
      expect(back, "decode(encode(key)) is the key").to.equal(keys[i]);
    });
    // rclone's azureblob encoding, as measured against Azurite with rclone 1.60.1
    expect(got[0][1]).to.equal("trailing-dot\uff0e");
    expect(got[1][1]).to.equal("seg\uff0e/x\uff0e");
    expect(got[2][1]).to.equal("back\uff3cslash");
    expect(got[3][1]).to.equal("ctl\u2401char");
    expect(got[4][1]).to.equal("tab\u2409key");
    expect(got[5][1]).to.equal("del\u2421");
    expect(got[6][1]).to.not.equal(got[7][1]);
  });

  it("gives two runs that read the same clock value separate run folders", () => {
    const got = py(
      [
        "import os, tempfile",
        "runs.time.time_ns = lambda: 1764086400123456789",
        "d = tempfile.mkdtemp()",
        "ids = [runs.new_run_dir(d) for _ in range(3)]",
        "print(json.dumps({'ids': ids, 'dirs': sorted(os.listdir(d))}))",
      ].join("\n"),
    ) as { ids: string[]; dirs: string[] };
    expect(got.ids).to.deep.equal([
      "20251125T160000.123456789Z",
      "20251125T160000.123456789Z-1",
      "20251125T160000.123456789Z-2",
    ]);
    expect(got.dirs).to.deep.equal([...got.ids].sort());
  });

  it("redacts SAS and SigV4 secrets from any message", () => {
    const msg =
      'Put "https://acct.blob.core.windows.net/backup/data/x?se=2026-11-26T00%3A00%3A00Z&sig=FAKEsignatureForTests%3D&sp=racwl&sv=2022-11-02": dial tcp: connection refused; X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIAFAKE';
    const got = py(`print(json.dumps(base.redact(${JSON.stringify(msg)})))`) as string;
    expect(got).to.not.match(/FAKEsignatureForTests|abcdef0123|AKIAFAKE/);
    expect(got).to.include("sig=REDACTED");
    expect(got).to.include("connection refused");
  });

  it("redacts inside JSON without breaking it, and leaves words that merely end in a SAS field alone", () => {
    const got = py(
      [
        `doc = json.dumps({"error": 'Put "https://a.blob.core.windows.net/backup/x?se=2026-01-01&sig=FAKEsig0000%3D": refused', "key": "house=1&rose=2"})`,
        "out = base.redact(doc)",
        "print(json.dumps({'out': out, 'parsed': json.loads(out)}))",
      ].join("\n"),
    ) as { out: string; parsed: Record<string, string> };
    expect(got.out).to.not.include("FAKEsig0000");
    expect(got.parsed.error).to.equal(
      'Put "https://a.blob.core.windows.net/backup/x?se=REDACTED&sig=REDACTED": refused',
    );
    expect(got.parsed.key).to.equal("house=1&rose=2");
  });

  it("redacts tokens (JWTs) and user-delegation key ids, as federated mode handles them", () => {
    // Obviously fake, JWT-shaped (header.payload.signature, base64url).
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmYWtlLXJvbGUifQ.ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Rz";
    const msg = `Entra said: bad assertion ${jwt}; url ?skoid=00000000-0000-0000-0000-0000000000aa&sktid=t&ske=x&sig=abc`;
    const got = py(`print(json.dumps(base.redact(${JSON.stringify(msg)})))`) as string;
    expect(got).to.not.include("eyJ");
    expect(got).to.not.include("ZmFrZS1zaWduYXR1cmU");
    expect(got).to.include("REDACTED-JWT");
    expect(got).to.include("skoid=REDACTED");
    expect(got).to.include("Entra said: bad assertion");
  });

  it("retries only what waiting can fix: transient errors and grants still propagating", () => {
    const got = py(
      [
        "out = {}",
        "for s, d in [(503, ''), (429, ''), (401, 'AADSTS700213: No matching federated identity record'), (401, 'AADSTS70021: No matching'), (400, 'AADSTS700016: Application not found'), (401, 'AADSTS700024: expired')]:",
        "    out['%d %s' % (s, d[:12])] = federation.transient(s) or bool(federation.ENTRA_RETRY.search(d))",
        "print(json.dumps(out))",
      ].join("\n"),
    );
    expect(got).to.deep.equal({
      "503 ": true,
      "429 ": true,
      "401 AADSTS700213": true,
      "401 AADSTS70021:": true,
      "400 AADSTS700016": false,
      "401 AADSTS700024": false,
    });
  });

  it("keeps the run summary's keys in step with domain/runSummary.ts", async () => {
    const { RUN_SUMMARY_KEYS } = await import("../../domain/runSummary");
    const got = py("print(json.dumps(list(results.RunSummary(runId='r', started='s').to_dict())))");
    expect(got).to.deep.equal([...RUN_SUMMARY_KEYS]);
  });

  it("exits with the codes domain/runSummary.ts documents", async () => {
    const { EXIT_CODES } = await import("../../domain/runSummary");
    const got = py(
      "print(json.dumps({o: results.exit_code(o) for o in ('success', 'failure', 'partial', 'mismatch')} | {k: results.EXIT[k] for k in ('usage', 'overlap')}))",
    );
    expect(got).to.deep.equal(EXIT_CODES);
  });
});
