// The rules every workflow and the shared composite action follow, as a function that returns
// the broken ones, so the tests can show each rule catching a broken file.
import { parse } from "yaml";

/** Names and inputs that carry a long-lived cloud credential. None may appear. */
export const STATIC_CREDENTIALS =
  /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|aws-secret-access-key|aws-access-key-id|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|ARM_ACCESS_KEY|AZURE_STORAGE_KEY|AZURE_CREDENTIALS|client-secret|ARM_CLIENT_CERTIFICATE/i;

const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+\.\d+\.\d+\s*$/;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

/** Every `uses:` line is a local action or pinned to a full commit SHA with its version. */
function pinningProblems(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(?:-\s+)?uses:\s*(.+)$/.exec(line);
    if (!m) continue;
    const ref = m[1].trim();
    if (ref.startsWith("./")) continue;
    if (!PINNED.test(ref))
      out.push(`uses "${ref}" is not pinned to a 40-hex SHA with a # vX.Y.Z comment`);
  }
  return out;
}

/** Keys and strings anywhere in the document that name a static credential. */
function credentialProblems(doc: unknown, path = ""): string[] {
  if (typeof doc === "string")
    return STATIC_CREDENTIALS.test(doc) ? [`${path} refers to a static credential: ${doc}`] : [];
  if (Array.isArray(doc)) return doc.flatMap((x, i) => credentialProblems(x, `${path}[${i}]`));
  if (typeof doc !== "object" || doc === null) return [];
  return Object.entries(doc as Record<string, unknown>).flatMap(([k, v]) => [
    ...(STATIC_CREDENTIALS.test(k) || k === "creds" ? [`${path}.${k} is a static credential`] : []),
    ...credentialProblems(v, `${path}.${k}`),
  ]);
}

function stepProblems(steps: Step[], where: string): string[] {
  const out: string[] = [];
  for (const [i, s] of steps.entries()) {
    // Expressions expand before the shell runs: untrusted text would become code. Pass via env.
    if (typeof s.run === "string" && s.run.includes("${{"))
      out.push(`${where} step ${i}: run uses a \${{ }} expression; pass it through env`);
  }
  return out;
}

/** Problems with a workflow file. */
export function workflowProblems(text: string): string[] {
  const doc = parse(text) as {
    permissions?: unknown;
    jobs?: Record<string, { permissions?: unknown; steps?: Step[]; uses?: string }>;
  };
  const out = [...pinningProblems(text), ...credentialProblems(doc)];
  if (doc.permissions === undefined) out.push("the workflow sets no default permissions");
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    if (typeof job.permissions !== "object" || job.permissions === null)
      out.push(`job ${name} declares no permissions block`);
    out.push(...stepProblems(job.steps ?? [], `job ${name}`));
  }
  return out;
}

/** Problems with a composite action. */
export function actionProblems(text: string): string[] {
  const doc = parse(text) as { runs?: { steps?: Step[] } };
  return [
    ...pinningProblems(text),
    ...credentialProblems(doc),
    ...stepProblems(doc.runs?.steps ?? [], "action"),
  ];
}
