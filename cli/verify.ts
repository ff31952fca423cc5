// npm run verify -- --stack <name> [--drill]
// Runs the host's integrity check (or, with --drill, its restore drill) now, through SSM Run
// Command with the stack's verify document (it can run nothing else), waits for it and prints the
// result. Needs what the stack's operatorPolicyArn grants: ssm:SendCommand of that document to
// the host, and ssm:GetCommandInvocation. Exit 0: the vault matches (the restore verified);
// 4: mismatches; 1: the check could not run; 2: usage error.
import { parseArgs } from "node:util";
import { output, runCli, stackOutputs, UsageError, type Outputs } from "./common";
import {
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  type GetCommandInvocationCommandOutput,
} from "@aws-sdk/client-ssm";
import type { DrillResult, IntegrityResult } from "../domain/runSummary";
import { EXIT_CODES } from "../domain/runSummary";
import type { CheckKind } from "../userdata/schedule";

const USAGE = `usage:
  npm run verify -- --stack <name> [--drill]
  npm run verify -- --instance-id <i-...> --region <region> --document <name> [--drill]
Runs the host's integrity check (--drill: its restore drill) now through SSM Run Command, with
the stack's verify document (output verifyDocumentName), and prints the result.
Options: --timeout-minutes <n> (60), --json, --help`;

const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut", "Cancelling"]);

/** The integrity rotation in words: what share of the vault was read back, within what, since when. */
export function coverage(r: IntegrityResult): string {
  const pct = `${(Math.floor(r.coveredFraction * 1000) / 10).toFixed(1)}%`;
  return r.coveredSince
    ? `${pct} of the vault read back within the last ${r.coverageDays} days (rotation since ${r.coveredSince}; this check read (${r.readFrom}, ${r.readUpTo}])`
    : `no blob read back in a completed rotation yet (every blob is read within ${r.coverageDays} days)`;
}

export function describeResult(kind: CheckKind, r: IntegrityResult | DrillResult): string {
  const lines = [
    `${kind === "integrity" ? "integrity check" : "restore drill"} ${r.checkId}: ${r.outcome}`,
  ];
  if (r.kind === "integrity")
    lines.push(
      `  ${r.present} present, ${r.pending} pending, ${r.missing} missing, ${r.sizeMismatch} of another size, ${r.etagMismatch} holding another ETag, ${r.unrecorded} without a content record`,
      `  ${r.sampled} read back from the vault (${r.sampledBytes} bytes): ${r.sampleMismatch} with other bytes than recorded, ${r.sampleUnverified} with nothing to verify against`,
      `  ${coverage(r)}`,
    );
  else
    lines.push(
      `  ${r.restored} restored and verified as a restore verifies (${r.restoredBytes} bytes), ${r.sourceCompared} of them also identical to the source, ${r.sourceGone + r.sourceChanged} no longer in the source as backed up`,
    );
  if (r.error) lines.push(`  error: ${r.error}`);
  for (const m of r.mismatches) lines.push(`  MISMATCH ${JSON.stringify(m.key)}: ${m.reason}`);
  if (r.mismatchCount > r.mismatches.length)
    lines.push(
      `  ... ${r.mismatchCount - r.mismatches.length} more (mismatches.jsonl.gz on the host)`,
    );
  return lines.join("\n") + "\n";
}

export interface VerifyTarget {
  instanceId: string;
  region: string;
  /** The stack's verify document (never AWS-RunShellScript). */
  documentName: string;
}

/** The host `verify --stack` asks, its SSM client's region and the document, from the outputs. */
export function verifyTargetFromOutputs(out: Outputs): VerifyTarget {
  return {
    instanceId: output(out, "syncHostInstanceId"),
    region: output(out, "syncRegion"),
    documentName: output(out, "verifyDocumentName"),
  };
}

export async function main(
  argv: string[],
  opts: { pollMs?: number; write?: (s: string) => void } = {},
): Promise<number> {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stack: { type: "string" },
      "instance-id": { type: "string" },
      region: { type: "string" },
      document: { type: "string" },
      drill: { type: "boolean" },
      "timeout-minutes": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    write(USAGE + "\n");
    return 0;
  }
  if ((values.stack === undefined) === (values["instance-id"] === undefined))
    throw new UsageError("give exactly one of --stack <name> or --instance-id <i-...>");
  if (values["instance-id"] !== undefined && !/^i-[0-9a-f]{8,17}$/.test(values["instance-id"]))
    throw new UsageError(
      `--instance-id must look like i-0123456789abcdef0, got "${values["instance-id"]}"`,
    );
  if (values["instance-id"] !== undefined && values.region === undefined)
    throw new UsageError("--instance-id needs --region <region>");
  if (values["instance-id"] !== undefined && values.document === undefined)
    throw new UsageError(
      "--instance-id needs --document <name>: the stack's verify document (output verifyDocumentName)",
    );
  if (values.stack !== undefined && values.document !== undefined)
    throw new UsageError("--document goes with --instance-id; --stack reads it from the outputs");
  if (values.document !== undefined && !/^[a-zA-Z0-9_.-]{3,128}$/.test(values.document))
    throw new UsageError(`--document must be an SSM document name, got "${values.document}"`);
  if (values.document !== undefined && /^(aws|amazon)/i.test(values.document))
    throw new UsageError(
      `--document must be the stack's verify document (output verifyDocumentName), not the AWS-owned "${values.document}"`,
    );
  const minutes = values["timeout-minutes"] ?? "60";
  if (!/^[1-9]\d*$/.test(minutes) || Number(minutes) > 2880)
    throw new UsageError(`--timeout-minutes must be 1-2880, got "${minutes}"`);
  const kind: CheckKind = values.drill ? "drill" : "integrity";
  const target: VerifyTarget = values.stack
    ? verifyTargetFromOutputs(stackOutputs(values.stack))
    : {
        instanceId: values["instance-id"]!,
        region: values.region!,
        documentName: values.document!,
      };

  const ssm = new SSMClient({ region: target.region });
  const sent = await ssm.send(
    new SendCommandCommand({
      InstanceIds: [target.instanceId],
      DocumentName: target.documentName,
      Comment: `cross-cloud-backup: ${kind} on demand`,
      // The document's only inputs: which check (SSM refuses any other value) and its timeout.
      Parameters: { check: [kind], executionTimeout: [String(Number(minutes) * 60)] },
      TimeoutSeconds: 600,
    }),
  );
  const commandId = sent.Command!.CommandId!;
  process.stderr.write(`${kind} started on ${target.instanceId} (command ${commandId})...\n`);
  const deadline = Date.now() + Number(minutes) * 60_000 + 120_000;
  let got: GetCommandInvocationCommandOutput | undefined;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 5000));
    try {
      got = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: target.instanceId }),
      );
    } catch (e) {
      // Registered a moment after SendCommand returns.
      if ((e as { name?: string }).name === "InvocationDoesNotExist") continue;
      throw e;
    }
    if (TERMINAL.has(got.Status ?? "")) break;
  }
  if (!got || !TERMINAL.has(got.Status ?? ""))
    throw new Error(`no result from the host within ${minutes} minutes (command ${commandId})`);
  let result: IntegrityResult | DrillResult;
  try {
    result = JSON.parse(got.StandardOutputContent ?? "") as IntegrityResult | DrillResult;
  } catch {
    throw new Error(
      `the host did not return a result (status ${got.Status}): ${(got.StandardErrorContent ?? "").slice(0, 2000)}`,
    );
  }
  write(values.json ? JSON.stringify(result, null, 2) + "\n" : describeResult(kind, result));
  return result.outcome === "match"
    ? EXIT_CODES.success
    : result.outcome === "mismatch"
      ? EXIT_CODES.mismatch
      : EXIT_CODES.failure;
}

if (require.main === module) runCli("verify", main, USAGE);
