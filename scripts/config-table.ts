// Generates Pulumi.yaml's config block from the config schema (config/schema.ts), and the
// README's config reference table from Pulumi.yaml, so the three cannot drift apart.
//   npx tsx scripts/config-table.ts --write   rewrite Pulumi.yaml's config block and README's table
//   npx tsx scripts/config-table.ts --check   exit 1 when either is stale
// test/config/pulumiYaml.test.ts asserts both are current.
import { isDeepStrictEqual } from "node:util";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, parseDocument } from "yaml";
import { pulumiYamlConfig } from "../config/schema";

export const TABLE_START = "<!-- config-table:start -->";
export const TABLE_END = "<!-- config-table:end -->";

interface Declaration {
  type?: string;
  items?: { type?: string };
  description?: string;
  default?: unknown;
}

/** Escape a value for a markdown table cell: pipes would end the cell, newlines the row. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function renderDefault(d: Declaration): string {
  if (!("default" in d)) return "**required**";
  const v = d.default;
  return cell(`\`${typeof v === "string" && v !== "" ? v : JSON.stringify(v)}\``);
}

/**
 * The markdown table (key | type | default | description) of every config key declared in
 * Pulumi.yaml, in declaration order. Formatted the way prettier prints it, so `prettier --write`
 * on README.md leaves it unchanged.
 */
export function renderConfigTable(pulumiYamlText: string): string {
  const doc = parse(pulumiYamlText) as { name: string; config?: Record<string, Declaration> };
  const rows = Object.entries(doc.config ?? {}).map(([key, d]) => [
    `\`${doc.name}:${key}\``,
    cell(d.type === "array" && d.items?.type ? `array of ${d.items.type}` : (d.type ?? "")),
    renderDefault(d),
    cell(d.description ?? ""),
  ]);
  const header = ["Key", "Type", "Default", "Description"];
  // Columns padded to their widest cell, as prettier aligns markdown tables.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const rule = `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n") + "\n";
}

/** Pulumi.yaml with its config block replaced by the schema's declarations (comments kept). */
export function renderPulumiYaml(pulumiYamlText: string): string {
  const doc = parseDocument(pulumiYamlText);
  doc.set("config", doc.createNode(pulumiYamlConfig()));
  return doc.toString({ lineWidth: 0 });
}

/** True when Pulumi.yaml declares exactly the schema's keys, types, defaults and descriptions. */
export function pulumiYamlIsCurrent(pulumiYamlText: string): boolean {
  const doc = parse(pulumiYamlText) as { config?: unknown };
  return isDeepStrictEqual(doc.config, pulumiYamlConfig());
}

/** The text between the markers (exclusive), or undefined when README has no markers. */
export function extractConfigTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme
    .slice(start + TABLE_START.length, end)
    .replace(/^\n+/, "")
    .replace(/\n*$/, "\n");
}

/** README with the block between the markers replaced by `table`. */
export function replaceConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`README.md has no "${TABLE_START}" ... "${TABLE_END}" block`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n${readme.slice(end)}`;
}

function main(argv: string[]): number {
  const root = path.resolve(__dirname, "..");
  const readmePath = path.join(root, "README.md");
  const yamlPath = path.join(root, "Pulumi.yaml");
  const mode = argv.find((a) => a === "--write" || a === "--check");
  let yamlText = readFileSync(yamlPath, "utf8");
  if (mode === "--write" && !pulumiYamlIsCurrent(yamlText)) {
    yamlText = renderPulumiYaml(yamlText);
    writeFileSync(yamlPath, yamlText);
  }
  if (mode === "--check" && !pulumiYamlIsCurrent(yamlText)) {
    console.error(
      "Pulumi.yaml's config block is stale: run npx tsx scripts/config-table.ts --write",
    );
    return 1;
  }
  const table = renderConfigTable(yamlText);
  if (mode === undefined) {
    process.stdout.write(table);
    return 0;
  }
  const readme = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : undefined;
  const current = readme === undefined ? undefined : extractConfigTable(readme);
  if (readme === undefined || current === undefined) {
    console.error(`README.md needs a "${TABLE_START}" ... "${TABLE_END}" block`);
    return 1;
  }
  if (mode === "--write") {
    const updated = replaceConfigTable(readme, table);
    if (updated !== readme) writeFileSync(readmePath, updated);
    return 0;
  }
  if (current !== table) {
    console.error("README.md config table is stale: run npx tsx scripts/config-table.ts --write");
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
