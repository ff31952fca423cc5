// The SSM Command document `npm run verify` sends instead of AWS-RunShellScript: it can only start
// the host's integrity check or restore drill and print that check's result. Its one input that
// reaches the shell is `check`, which SSM refuses unless it is one of VERIFY_CHECKS
// (allowedValues), and which the script maps to a unit again (anything else exits 2). Rendered
// here as a plain object; components/operatorAccess.ts creates the document from it.
// https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-syntax-data-elements-parameters.html
import { CHECKS, type CheckKind } from "./schedule";
import { STATE_DIR } from "./settings";

/** The values the document's `check` parameter allows (SSM enforces them before the host runs). */
export const VERIFY_CHECKS = ["integrity", "drill"] as const satisfies readonly CheckKind[];

/** Run Command's own range for a step's timeout: 1 second to 48 hours. */
export const VERIFY_TIMEOUT_PATTERN =
  "^([1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[01][0-9]{3}|172[0-7][0-9]{2}|172800)$";

/** Where a check leaves its result (DynamicUser units keep their state under /var/lib/private). */
export function resultFile(kind: CheckKind): string {
  return `${STATE_DIR.replace("/var/lib/", "/var/lib/private/")}/last-${kind}.json`;
}

/**
 * The script the host runs (Run Command joins the lines): map `check` to its unit, note the time,
 * start the unit (systemctl waits for a oneshot), then print its result only if that check started
 * after the request (an older result would pass for a check that never ran), trimmed below Run
 * Command's 24,000-character output limit.
 */
export function verifyDocumentCommands(): string[] {
  const print = [
    "import json, sys",
    "d = json.load(open(sys.argv[1]))",
    "if d['started'] < sys.argv[2]:",
    "    sys.exit('the %s did not run: the last result started at %s, before this request (%s); see journalctl -u %s' % (sys.argv[3], d['started'], sys.argv[2], sys.argv[4]))",
    "d['mismatches'] = [{'key': m['key'][:200], 'reason': m['reason'][:300]} for m in d['mismatches'][:20]]",
    "print(json.dumps(d, ensure_ascii=False))",
  ].join("\n");
  const branch = (kind: CheckKind) =>
    `  ${kind}) unit=${CHECKS[kind].unit}.service; file=${resultFile(kind)}; what=${kind === "integrity" ? "check" : "drill"} ;;`;
  return [
    'check="{{ check }}"',
    'case "$check" in',
    ...VERIFY_CHECKS.map(branch),
    `  *) echo "unknown check \\"$check\\": ${VERIFY_CHECKS.join(" or ")}" >&2; exit 2 ;;`,
    "esac",
    't0="$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    'systemctl start "$unit" || true',
    `python3 -c "${print}" "$file" "$t0" "$what" "$unit"`,
  ];
}

/** The document's content (schema 2.2, JSON). */
export function renderVerifyDocument(): Record<string, unknown> {
  return {
    schemaVersion: "2.2",
    description:
      "cross-cloud-backup: run the sync host's integrity check or restore drill now and print its result. Takes no commands.",
    parameters: {
      check: {
        type: "String",
        description:
          "Which check to run: integrity (the integrity check) or drill (the restore drill).",
        allowedValues: [...VERIFY_CHECKS],
      },
      executionTimeout: {
        type: "String",
        description: "Seconds the check may take (1-172800).",
        default: "3600",
        allowedPattern: VERIFY_TIMEOUT_PATTERN,
      },
    },
    mainSteps: [
      {
        action: "aws:runShellScript",
        name: "runCheck",
        precondition: { StringEquals: ["platformType", "Linux"] },
        inputs: { timeoutSeconds: "{{ executionTimeout }}", runCommand: verifyDocumentCommands() },
      },
    ],
  };
}
