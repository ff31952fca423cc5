// npm run restore -- --from <vault> --to <s3://bucket/prefix | directory> [options]
// Brings objects back from the vault with their exact keys, now or as at a time, verified, and
// never into the source bucket unless asked twice. The work is in restore/; this file parses
// flags and prints. Exit 0: all restored (unverified objects named); 1: failure or refusal;
// 2: usage; 3: some keys reported instead of restored; 4: an object refused by its verdict (a
// mismatch with its content record, or unverified with --strict).
import { parseArgs } from "node:util";
import { isUsageError, output, stackOutputs, UsageError, type Outputs } from "./common";
import type { ContainerClient } from "@azure/storage-blob";
import {
  checkSafety,
  formatPoints,
  formatReport,
  restore,
  restorePoints,
  RESTORE_EXIT,
  RestoreRefused,
  type RestoreReport,
} from "../restore/restore";
import { DirTarget, parseS3Target, S3Target, s3Client, type Target } from "../restore/target";
import { parseInstant, type Instant } from "../restore/timeline";
import {
  describeVault,
  lastRunSummary,
  openVault,
  parseS3Url,
  redact,
  vaultSourceFrom,
  type VaultSource,
} from "../restore/vault";

export const USAGE = `usage: npm run restore -- <vault> (--to <target> | --in-place | --list-points) [options]

the vault (read only):
  --stack <name>             the stack's outputs (pulumi CLI), signed in as you (Entra ID: az login)
  --account <name>           https://<name>.blob.core.windows.net, signed in as you (Entra ID)
  --from <URL | string>      https://<account>.blob.core.windows.net[/<container>] without SAS: as you;
                             a container URL with SAS, or a connection string (emulators, tests)
  --container <name>         the vault's container (default: backup, or the one in --from)

where to write:
  --to s3://<bucket>/[prefix]  an S3 bucket and prefix (AWS credential chain; AWS_ENDPOINT_URL_S3)
  --to <directory>             a local directory (content only; no content type or metadata)
  --in-place                   back into the source bucket: shows a dry run, and writes only with
                               --yes-overwrite-source as well
  --source-bucket <name>       the bucket the backup reads, which a restore never writes into
                               (default: the stack's sourceBucket output). An S3 restore with
                               --from or --account needs it: the vault's status/ is written by
                               the sync host and is not trusted to name it

what to restore:
  --prefix <key prefix>      only keys starting with this (relative to the backed-up prefix)
  --at <ISO time>            each object as the vault held it then, e.g. 2026-11-25T16:00:00Z
  --list-points              show the runs and the time range --at can ask for, and exit

how:
  --dry-run                  list what would be restored (counts, bytes) and write nothing
  --overwrite                replace objects that differ in the target (never by default)
  --strict                   refuse objects the vault cannot verify (no content record and no
                             matching Content-MD5, or a record that contradicts its blob) instead
                             of restoring them and naming them as unverified (exit 4)
  --accept-mismatch          restore objects whose bytes differ from their content record (they
                             are refused by default, exit 4), and name them
  --region <aws region>      the target bucket's region (default: AWS_REGION)
  --concurrency <n>          objects copied at once (default 8)
  --json                     print the report as JSON on stdout
  --help

Keys come back exactly as they were in S3, relative to the backed-up prefix: to get the original
keys in another bucket, give that prefix in --to. Every object is read in full and its size and
MD5 checked against the content record the engine wrote on its blob before it is committed:
verified, unverified (restored and named; --strict refuses) or mismatch (refused and named;
--accept-mismatch restores). A rerun resumes.

exit codes: 0 restored (unverified objects named), 1 failure or refusal, 2 usage, 3 some keys
reported instead of restored, 4 an object refused by its verdict.`;

export interface StackVault {
  source: VaultSource;
  sourceBucket?: string;
}

/** The vault `restore --stack` reads (as you, with Entra ID) and the source bucket it protects. */
export function vaultFromOutputs(out: Outputs, container?: string): StackVault {
  return {
    source: {
      kind: "entra",
      accountUrl: output(out, "vaultBlobEndpoint").replace(/\/$/, ""),
      container: container ?? output(out, "vaultContainerName"),
    },
    sourceBucket: output(out, "sourceBucket") || undefined,
  };
}

const OPTIONS = {
  stack: { type: "string" },
  account: { type: "string" },
  from: { type: "string" },
  container: { type: "string" },
  to: { type: "string" },
  "in-place": { type: "boolean" },
  "yes-overwrite-source": { type: "boolean" },
  "source-bucket": { type: "string" },
  prefix: { type: "string" },
  at: { type: "string" },
  "list-points": { type: "boolean" },
  "dry-run": { type: "boolean" },
  overwrite: { type: "boolean" },
  strict: { type: "boolean" },
  "accept-mismatch": { type: "boolean" },
  region: { type: "string" },
  concurrency: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/** The command line, checked as far as it can be without the network. */
export interface RestoreFlags {
  /** The flags as given. */
  values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
  at?: Instant;
  concurrency: number;
}

/**
 * The source bucket of an S3 restore comes from the operator (--source-bucket) or the stack's
 * outputs, never only from status/last-run.json: the sync host writes that blob, and a host that
 * named another bucket there would turn off the refusal to write into the real source.
 */
const SOURCE_BUCKET_NEEDED =
  "an S3 restore must know the source bucket it may never write into: pass --source-bucket <name> (the bucket the backup reads) or use --stack <name>; the vault's status/last-run.json is written by the sync host and is not trusted to name it";

/** Parses and checks the flags; throws UsageError (or parseArgs' error) with what to type. */
export function parseRestoreFlags(argv: string[]): RestoreFlags {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: OPTIONS,
  });
  if (v.help) return { values: v, concurrency: 8 };
  const vaultFlags = [v.stack, v.account, v.from].filter((x) => x !== undefined).length;
  if (vaultFlags !== 1)
    throw new UsageError("say where the vault is with exactly one of --stack, --account or --from");
  const modes = [v.to !== undefined || v["in-place"], v["list-points"]].filter(Boolean).length;
  if (modes !== 1)
    throw new UsageError(
      "say what to do: --to <s3://bucket/prefix | directory>, --in-place, or --list-points",
    );
  if (v["yes-overwrite-source"] && !v["in-place"])
    throw new UsageError("--yes-overwrite-source only confirms --in-place");
  if (v.strict && v["accept-mismatch"])
    throw new UsageError(
      "--strict (refuse what cannot be verified) and --accept-mismatch (restore what is known to differ) contradict each other: give one",
    );
  const at = v.at === undefined ? undefined : parseInstant(v.at);
  if (v.at !== undefined && at === undefined)
    throw new UsageError(
      `--at must be an ISO time in UTC, e.g. 2026-11-25T16:00:00Z; got "${v.at}"`,
    );
  if (at !== undefined && at > BigInt(Date.now()) * 1_000_000n)
    throw new UsageError(`--at ${v.at} is in the future`);
  const concurrency = v.concurrency === undefined ? 8 : Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError(
      `--concurrency must be a whole number from 1 to 64; got "${v.concurrency}"`,
    );

  // Check --to before anything touches the network.
  if (v.to !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(v.to)) {
    if (!/^s3:\/\//.test(v.to) || !parseS3Target(v.to))
      throw new UsageError(
        `--to must be s3://<bucket>/[prefix] or a local directory; got "${v.to}"`,
      );
  } else if (v["in-place"] && v.to !== undefined)
    throw new UsageError(`--to must be s3://<bucket>/[prefix] with --in-place; got "${v.to}"`);
  const toS3 = v["in-place"] === true || (v.to !== undefined && /^s3:\/\//.test(v.to));
  if (toS3 && v.stack === undefined && v["source-bucket"] === undefined)
    throw new UsageError(SOURCE_BUCKET_NEEDED);
  return { values: v, at, concurrency };
}

export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const { values: v, at, concurrency } = parseRestoreFlags(argv);
  if (v.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }

  let stackVault: StackVault | undefined;
  let source: VaultSource;
  try {
    stackVault = v.stack ? vaultFromOutputs(stackOutputs(v.stack), v.container) : undefined;
    source = stackVault?.source ?? vaultSourceFrom(v.from, v.account, v.container);
  } catch (e) {
    if (v.stack) throw e;
    throw new UsageError((e as Error).message);
  }
  const container: ContainerClient = await openVault(source);

  if (v["list-points"]) {
    const points = await restorePoints(container, v.prefix);
    io.out(v.json ? `${JSON.stringify(points, null, 2)}\n` : `${formatPoints(points)}\n`);
    return 0;
  }

  // The source bucket: given, or from the stack. The run summary the host publishes only adds
  // buckets to refuse (and, in place, the prefix), never decides alone (SOURCE_BUCKET_NEEDED).
  const summary = await lastRunSummary(container).catch(() => undefined);
  const summarySource = summary ? parseS3Url(summary.source) : undefined;
  const sourceBucket = v["source-bucket"] ?? stackVault?.sourceBucket;
  // A mistyped --source-bucket must not switch off the refusal for the bucket the vault names.
  const otherSourceBuckets = [stackVault?.sourceBucket, summarySource?.bucket].filter(
    (b): b is string => b !== undefined && b !== sourceBucket,
  );

  let target: Target;
  if ((v["in-place"] || /^s3:\/\//.test(v.to!)) && !sourceBucket)
    throw new UsageError(`${SOURCE_BUCKET_NEEDED} (the stack has no sourceBucket output)`);
  if (v["in-place"]) {
    if (!sourceBucket) throw new UsageError(SOURCE_BUCKET_NEEDED);
    // The summary's prefix only when it names the same bucket (and the dry run shows it first).
    const prefix = summarySource?.bucket === sourceBucket ? summarySource.prefix : "";
    const to = v.to ?? `s3://${sourceBucket}/${prefix}`;
    const s3 = parseS3Target(to);
    if (!s3)
      throw new UsageError(`--to must be s3://<bucket>/[prefix] with --in-place; got "${to}"`);
    target = new S3Target(s3Client({ region: v.region }), s3.bucket, s3.prefix);
  } else if (/^s3:\/\//.test(v.to!)) {
    const s3 = parseS3Target(v.to!);
    if (!s3) throw new UsageError(`--to "${v.to}" is not s3://<bucket>/[prefix]`);
    target = new S3Target(s3Client({ region: v.region }), s3.bucket, s3.prefix);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v.to!)) {
    throw new UsageError(`--to must be s3://<bucket>/[prefix] or a local directory; got "${v.to}"`);
  } else {
    target = new DirTarget(v.to!);
  }

  const confirmed = v["yes-overwrite-source"] === true;
  try {
    checkSafety({
      target,
      sourceBucket,
      otherSourceBuckets,
      inPlace: v["in-place"],
      confirmed,
      dryRun: v["dry-run"] || (v["in-place"] && !confirmed),
    });
  } catch (e) {
    if (e instanceof RestoreRefused) {
      io.err(`restore: refused: ${e.message}\n`);
      return RESTORE_EXIT.failure;
    }
    throw e;
  }
  io.err(
    `restore: from ${describeVault(container)} into ${target.label}${v.at ? ` as at ${v.at}` : ""}\n`,
  );
  const common = {
    container,
    target,
    prefix: v.prefix,
    at,
    overwrite: v.overwrite,
    strict: v.strict,
    acceptMismatch: v["accept-mismatch"],
    sourceBucket,
    otherSourceBuckets,
    inPlace: v["in-place"],
    concurrency,
    progress: (line: string) => io.err(`${line}\n`),
  };
  const print = (r: RestoreReport) =>
    io.out(v.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatReport(r)}\n`);

  if (v["in-place"]) {
    // Always show what an in-place restore would do before it does anything.
    const dry = await restore({ ...common, dryRun: true, confirmed: false });
    print(dry);
    if (v["dry-run"]) return dry.exitCode;
    if (!confirmed) {
      io.err(
        "restore: in place: nothing written. Read the dry run above; to write into the source bucket, run again with --in-place --yes-overwrite-source\n",
      );
      return RESTORE_EXIT.usage;
    }
  }
  const report = await restore({ ...common, dryRun: v["dry-run"], confirmed });
  print(report);
  return report.exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const usage = isUsageError(e);
      console.error(`restore: ${redact((e as Error).message ?? String(e))}`);
      if (usage) console.error("run npm run restore -- --help for the options");
      process.exit(usage ? RESTORE_EXIT.usage : RESTORE_EXIT.failure);
    },
  );
}
