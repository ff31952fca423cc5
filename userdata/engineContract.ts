// The engine's contract.py, generated from domain/: the names the program and the engine share
// (metrics, status blobs, vault folders, exit codes, result keys, SAS permissions, redaction and
// the settings' rules). `npm run gen:contract` writes it; test/userdata/contract.test.ts fails
// when the committed file differs from what this renders.
import * as path from "node:path";
import { SAS_PERMISSIONS } from "../domain/credentials";
import { ENGINE_SETTINGS } from "../domain/engineSettings";
import { STATUS_BLOBS, STATUS_HISTORY, VAULT_FOLDERS } from "../domain/layout";
import {
  CONTENT_RECORD,
  CONTENT_RECORD_FORMAT,
  CONTENT_RECORD_KEYS,
  S3_METADATA,
  S3_METADATA_BASE64,
} from "../domain/contentRecord";
import { REDACTIONS } from "../domain/redaction";
import {
  DRILL_RESULT_KEYS,
  EXIT_CODES,
  INTEGRITY_RESULT_KEYS,
  RUN_SUMMARY_KEYS,
} from "../domain/runSummary";
import { METRICS } from "../domain/telemetry";

export const ENGINE_CONTRACT_PATH = path.join(__dirname, "engine", "ccb", "contract.py");

/**
 * A value as a read-only Python literal: objects become MappingProxyType, arrays tuples, so no
 * module of the engine can change a shared name at run time.
 */
function py(value: unknown, indent = 0): string {
  const pad = " ".repeat(indent + 4);
  const end = " ".repeat(indent);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (Array.isArray(value))
    return `(\n${value.map((v) => `${pad}${py(v, indent + 4)},`).join("\n")}\n${end})`;
  if (value !== null && typeof value === "object")
    return `MappingProxyType({\n${Object.entries(value)
      .map(([k, v]) => `${pad}${JSON.stringify(k)}: ${py(v, indent + 4)},`)
      .join("\n")}\n${end}})`;
  throw new Error(`engine contract: ${JSON.stringify(value)} has no Python literal here`);
}

export function renderEngineContract(): string {
  const redactions = REDACTIONS.map((r) => [r.pattern, r.replacement.replace(/\$(\d)/g, "\\$1")]);
  const entries: [string, string, unknown][] = [
    ["METRICS", "CloudWatch metric names (domain/telemetry.ts METRICS).", METRICS],
    ["STATUS_BLOBS", "What the host publishes under status/ (domain/layout.ts).", STATUS_BLOBS],
    [
      "STATUS_HISTORY",
      "The history under status/: one append blob per UTC month, one line per record (domain/layout.ts).",
      STATUS_HISTORY,
    ],
    ["VAULT_FOLDERS", "The vault's folders (domain/layout.ts).", VAULT_FOLDERS],
    ["EXIT_CODES", "The engine's exit codes (domain/runSummary.ts).", EXIT_CODES],
    ["RUN_SUMMARY_KEYS", "The run summary's keys, in order.", RUN_SUMMARY_KEYS],
    [
      "INTEGRITY_RESULT_KEYS",
      "The integrity check's result keys, in order.",
      INTEGRITY_RESULT_KEYS,
    ],
    ["DRILL_RESULT_KEYS", "The restore drill's result keys, in order.", DRILL_RESULT_KEYS],
    ["SAS_PERMISSIONS", "The vault SAS's permissions per sync mode.", SAS_PERMISSIONS],
    [
      "REDACTIONS",
      "(pattern, replacement) pairs, applied case-insensitively (domain/redaction.ts).",
      redactions,
    ],
    [
      "CONTENT_RECORD",
      "The blob metadata name of the content record (domain/contentRecord.ts).",
      CONTENT_RECORD,
    ],
    ["CONTENT_RECORD_FORMAT", "The content record's format.", CONTENT_RECORD_FORMAT],
    ["CONTENT_RECORD_KEYS", "The content record's keys.", CONTENT_RECORD_KEYS],
    ["S3_METADATA", "The blob metadata name of the source's user metadata.", S3_METADATA],
    ["S3_METADATA_BASE64", "The prefix of its base64 form.", S3_METADATA_BASE64],
    ["SETTINGS", "settings.json: each setting's rule (domain/engineSettings.ts).", ENGINE_SETTINGS],
  ];
  return [
    "# GENERATED FROM domain/ BY userdata/engineContract.ts: DO NOT EDIT.",
    "# Regenerate with `npm run gen:contract`; test/userdata/contract.test.ts fails when it is stale.",
    '"""The names the engine shares with the program, generated from domain/."""',
    "",
    "from types import MappingProxyType",
    "",
    ...entries.flatMap(([name, doc, value]) => [`# ${doc}`, `${name} = ${py(value)}`, ""]),
  ].join("\n");
}
