// Pulumi.yaml is the contract users read (and the CLI uses to inject defaults); config/schema.ts
// is what the program enforces; the README table is what people look up. Keep all three in step.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as prettier from "prettier";
import { parse } from "yaml";
import {
  CONFIG_KEYS,
  NAMESPACE,
  parseConfig,
  pulumiYamlConfig,
  type RawConfig,
} from "../../config";
import {
  extractConfigTable,
  pulumiYamlIsCurrent,
  renderPulumiYaml,
  renderConfigTable,
  TABLE_END,
  TABLE_START,
} from "../../scripts/config-table";

const ROOT = path.resolve(__dirname, "..", "..");

interface Declaration {
  type?: string;
  description?: string;
  default?: unknown;
}

const projectText = readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
const project = parse(projectText) as { name: string; config: Record<string, Declaration> };
const declared = project.config;

/** A config value as the Pulumi CLI hands it to the program: strings as-is, the rest as JSON. */
function asRaw(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Every declared default, as the CLI injects them into a stack's config. */
function rawDefaults(): RawConfig {
  const raw: RawConfig = {};
  for (const [k, d] of Object.entries(declared)) if ("default" in d) raw[k] = asRaw(d.default);
  return raw;
}

function stackFile(stack: string): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  return doc.config ?? {};
}

describe("Pulumi.yaml", () => {
  it("is the cross-cloud-backup project", () => {
    expect(project.name).to.equal(NAMESPACE);
  });

  it("declares exactly the schema's keys, types, defaults and descriptions (generated from config/schema.ts)", () => {
    expect(declared, "run: npx tsx scripts/config-table.ts --write").to.deep.equal(
      pulumiYamlConfig(),
    );
    expect(Object.keys(declared)).to.deep.equal(CONFIG_KEYS);
  });

  it("the staleness check fails when a description, default or key drifts", () => {
    expect(pulumiYamlIsCurrent(projectText)).to.equal(true);
    const drifted = [
      projectText.replace("default: t4g.micro", "default: t4g.small"),
      projectText.replace(/description: Hours between sync runs[^\n]*/, "description: Hours."),
      projectText.replace("  deleteLock:\n", "  deleteLockk:\n"),
    ];
    for (const text of drifted) {
      expect(text).to.not.equal(projectText);
      expect(pulumiYamlIsCurrent(text)).to.equal(false);
      // --write repairs it, keeping the file's comments.
      const repaired = renderPulumiYaml(text);
      expect(pulumiYamlIsCurrent(repaired)).to.equal(true);
      expect(repaired).to.include("# Every key the program reads");
    }
  });

  it("describes every key", () => {
    for (const [key, d] of Object.entries(declared)) {
      expect(d.description, `description of ${key}`).to.be.a("string").and.not.match(/^\s*$/);
    }
  });

  it("has no default for sourceBucket (it is required)", () => {
    expect(declared.sourceBucket).to.not.have.property("default");
  });

  it("gives every other key a default", () => {
    const missing = Object.keys(declared).filter(
      (k) => k !== "sourceBucket" && !("default" in declared[k]),
    );
    expect(missing).to.deep.equal([]);
  });

  it("has defaults that pass parseConfig (all defaults + sourceBucket)", () => {
    const cfg = parseConfig({ ...rawDefaults(), sourceBucket: "example-app-data" }, "eu-west-1");
    // The injected defaults mean the same as leaving the keys unset.
    expect(cfg).to.deep.equal(parseConfig({ sourceBucket: "example-app-data" }, "eu-west-1"));
  });

  it("lets azure-native:location choose the vault's region over the injected defaults", () => {
    const raw = { ...rawDefaults(), sourceBucket: "example-app-data" };
    expect(parseConfig(raw, "eu-west-1", "northeurope").azureLocation).to.equal("northeurope");
  });

  for (const stack of ["dev", "prod"]) {
    describe(`Pulumi.${stack}.yaml`, () => {
      const config = stackFile(stack);
      const ours = Object.entries(config)
        .filter(([k]) => k.startsWith(`${NAMESPACE}:`))
        .map(([k, v]) => [k.slice(NAMESPACE.length + 1), v] as const);

      it(`uses only keys declared in Pulumi.yaml`, () => {
        expect(ours).to.not.be.empty;
        expect(ours.map(([k]) => k).filter((k) => !(k in declared))).to.deep.equal([]);
      });

      it("parses with parseConfig (over the injected defaults)", () => {
        const raw: RawConfig = rawDefaults();
        for (const [k, v] of ours) raw[k] = asRaw(v);
        const region = config["aws:region"];
        expect(region, "aws:region").to.be.a("string");
        const location = config["azure-native:location"] as string | undefined;
        expect(() => parseConfig(raw, region as string, location)).to.not.throw();
      });
    });
  }
});

describe("README config reference", () => {
  const table = renderConfigTable(projectText);

  it("renders one row per declared key, with its type, default and description", () => {
    const rows = table.trimEnd().split("\n").slice(2);
    expect(rows).to.have.lengthOf(Object.keys(declared).length);
    expect(table).to.match(/\| `cross-cloud-backup:sourceBucket` +\| string +\| \*\*required\*\* /);
    expect(table).to.match(/\| `cross-cloud-backup:syncIntervalHours` +\| integer +\| `4` +\| /);
    expect(table).to.match(/\| `cross-cloud-backup:allowedIps` +\| array of string +\| `\[\]` /);
    expect(table).to.include(declared.sasRotationDays.description);
  });

  it("renders the table exactly as prettier formats it (prettier --write keeps it in sync)", async () => {
    const options = await prettier.resolveConfig(path.join(ROOT, "README.md"));
    const formatted = await prettier.format(table, { ...options, parser: "markdown" });
    expect(formatted).to.equal(table);
  });

  it("README.md's block between the markers equals the rendered table", function () {
    const readmePath = path.join(ROOT, "README.md");
    if (!existsSync(readmePath)) this.skip();
    const current = extractConfigTable(readFileSync(readmePath, "utf8"));
    expect(current, `README.md must contain ${TABLE_START} ... ${TABLE_END}`).to.be.a("string");
    expect(current, "run: npx tsx scripts/config-table.ts --write").to.equal(table);
  });
});
