// The layers: domain/ holds the rules and vocabulary with no Pulumi; components and renderers
// take plain values (never config); config/ is the only adapter from stack config.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}
function imports(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:from|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
}

describe("layering", () => {
  it("finds the modules it checks (so the checks below cannot pass vacuously)", () => {
    expect(sources("components")).to.include("components/azureBackupVault.ts");
    expect(sources("userdata")).to.include("userdata/settings.ts");
    expect(sources("domain")).to.include("domain/vault.ts");
    expect(imports("config/index.ts")).to.include("../domain/vault");
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
});
