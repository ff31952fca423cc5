// Renders a bootstrap template (a JSON policy or role document with ${Name} placeholders) with
// the values of one stack, and refuses a missing or unknown placeholder, so a document is never
// applied half-filled. CLI: npx tsx bootstrap/render.ts <file> Name=value ...
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** The placeholders the templates use. */
export const PLACEHOLDERS = [
  "AccountId",
  "Repo",
  "Stack",
  "StateBucket",
  "StateKeyArn",
  "SourceBucket",
  "SubscriptionId",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Substitutes every ${Name}; throws on a placeholder without a value or one it does not know. */
export function render(template: string, values: Partial<Record<Placeholder, string>>): string {
  return template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name))
      throw new Error(
        `unknown placeholder \${${name}}: expected one of ${PLACEHOLDERS.join(", ")}`,
      );
    const v = values[name as Placeholder];
    if (v === undefined || v === "") throw new Error(`placeholder \${${name}} has no value`);
    return v;
  });
}

/** Reads and renders a file under bootstrap/. */
export function renderFile(file: string, values: Partial<Record<Placeholder, string>>): string {
  return render(readFileSync(path.resolve(__dirname, file), "utf8"), values);
}

if (require.main === module) {
  const [file, ...pairs] = process.argv.slice(2);
  if (!file) {
    process.stderr.write(
      "usage: npx tsx bootstrap/render.ts <file under bootstrap/> Name=value ...\n",
    );
    process.exit(2);
  }
  const values: Record<string, string> = Object.fromEntries(
    pairs.map((p): [string, string] => {
      const i = p.indexOf("=");
      return [p.slice(0, i), p.slice(i + 1)];
    }),
  );
  process.stdout.write(render(readFileSync(path.resolve(file), "utf8"), values));
}
