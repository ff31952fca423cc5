// The layers: domain/ holds the rules and vocabulary with no Pulumi; components and renderers
// take plain values (never config); config/ is the only adapter from stack config. The operator
// commands and their libraries (cli/, restore/, ops/) and the scripts never lean on the test
// harness, and the harness never reaches into them: the harness stands in for the clouds, it is
// not part of the product, and a command that worked only beside it would not work on a host.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}
/** Module specifiers of static imports, re-exports, `import "x"`, `import("x")` and `require("x")`. */
function imports(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:\bfrom|\bimport|\brequire\()\s*\(?\s*["']([^"']+)["']/g)].map(
    (m) => m[1],
  );
}
/** A relative specifier as a path from the repository root ("harness/datapath"); else undefined. */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
}
const under = (p: string, dirs: readonly string[]) => dirs.some((d) => p.startsWith(d));

/** The operator commands, their libraries, and the scripts. */
const OPERATOR = ["cli/", "restore/", "ops/", "scripts/"] as const;
/** Stand-ins for the clouds, shared by the tests, the demo and the bench. */
const HARNESS = ["harness/", "test/support/"] as const;
/** The scripts that run on the harness's stand-ins by design, and why. */
const RUNS_ON_THE_HARNESS: Record<string, string> = {
  "scripts/demo.ts": "the local demo runs the backup on the emulators",
  "scripts/bench.ts": "the benchmark counts the engine's requests on the emulators",
  "scripts/policy-report.ts": "runs the program under the harness's Pulumi mocks, as the tests do",
};

/** The imports of `file` (given as `specs`) that cross between the operator code and the harness. */
function crossings(file: string, specs: string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const to = target(file, spec);
    if (to === undefined) continue;
    // The scripts that run on the harness may import harness/, never test/.
    const crosses =
      (under(file, OPERATOR) &&
        (to.startsWith("test/") || (under(to, HARNESS) && !(file in RUNS_ON_THE_HARNESS)))) ||
      (under(file, HARNESS) && under(to, OPERATOR));
    if (crosses) out.push(`${file} imports ${to}`);
  }
  return out;
}

describe("layering", () => {
  it("finds the modules it checks (so the checks below cannot pass vacuously)", () => {
    expect(sources("components")).to.include("components/azureBackupVault.ts");
    expect(sources("userdata")).to.include("userdata/settings.ts");
    expect(sources("domain")).to.include("domain/vault.ts");
    expect(imports("config/index.ts")).to.include("../domain/vault");
    expect(sources("harness")).to.include("harness/rehearsal.ts");
    expect(sources("test/support")).to.include("test/support/program.ts");
    for (const dir of OPERATOR) expect(sources(dir), dir).to.not.be.empty;
    expect(imports("scripts/demo.ts").map((s) => target("scripts/demo.ts", s))).to.include(
      "harness/rehearsal",
    );
  });

  for (const dir of ["components", "userdata", "domain"]) {
    it(`${dir}/ never imports the config adapter`, () => {
      const offenders = sources(dir).filter((f) =>
        imports(f).some((i) => /(^|\/)config(\/|$)/.test(i)),
      );
      expect(offenders).to.deep.equal([]);
    });
  }

  it("domain/ imports nothing from Pulumi", () => {
    const offenders = sources("domain").filter((f) =>
      imports(f).some((i) => i.startsWith("@pulumi/")),
    );
    expect(offenders).to.deep.equal([]);
  });

  for (const dir of OPERATOR) {
    const except = dir === "scripts/" ? " (except the demo, the bench and the policy report)" : "";
    it(`${dir} never imports harness/ or test/${except}`, () => {
      expect(sources(dir.slice(0, -1)).flatMap((f) => crossings(f, imports(f)))).to.deep.equal([]);
    });
  }

  for (const dir of HARNESS) {
    it(`${dir} never imports cli/, restore/, ops/ or scripts/`, () => {
      expect(sources(dir.slice(0, -1)).flatMap((f) => crossings(f, imports(f)))).to.deep.equal([]);
    });
  }

  it("nothing outside test/ imports test/", () => {
    const dirs = ["config", "domain", "components", "userdata", "cli", "restore", "ops"];
    const files = [...["scripts", "harness", ...dirs].flatMap(sources), "index.ts", "stack.ts"];
    const offenders = files.flatMap((f) =>
      imports(f)
        .map((s) => target(f, s))
        .filter((t) => t?.startsWith("test/"))
        .map((t) => `${f} imports ${t}`),
    );
    expect(offenders).to.deep.equal([]);
  });

  it("the scripts allowed onto the harness exist (the exceptions cannot go stale)", () => {
    for (const f of Object.keys(RUNS_ON_THE_HARNESS)) expect(sources("scripts")).to.include(f);
  });

  it("catches a crossing in either direction, and lets the demo and the tests use the harness", () => {
    expect(crossings("restore/restore.ts", ["../harness/datapath"])).to.deep.equal([
      "restore/restore.ts imports harness/datapath",
    ]);
    expect(crossings("cli/status.ts", ["../test/support/program"])).to.have.length(1);
    expect(crossings("scripts/cost-model.ts", ["../harness/stack"])).to.have.length(1);
    expect(crossings("ops/status.ts", ["../test/userdata/engine.test"])).to.have.length(1);
    expect(crossings("harness/rehearsal.ts", ["../restore/names"])).to.have.length(1);
    expect(crossings("harness/servers/sts.ts", ["../../cli/common"])).to.have.length(1);
    expect(crossings("test/support/program.ts", ["../../scripts/bench"])).to.have.length(1);
    expect(crossings("scripts/policy-report.ts", ["../test/support/program"])).to.have.length(1);
    expect(crossings("scripts/demo.ts", ["../harness/rehearsal"])).to.deep.equal([]);
    expect(crossings("test/restore/cli.test.ts", ["../../harness/rehearsal"])).to.deep.equal([]);
    expect(crossings("harness/datapath.ts", ["../domain/layout", "./emulators"])).to.deep.equal([]);
  });
});
