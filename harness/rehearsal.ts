// A restore rehearsal on the emulators: back up, lose data in the source (deletions and
// overwrites, as ransomware would), restore into a new bucket with the real restore command
// (cli/restore.ts in a child process), and compare key for key, byte for byte.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { decodeBlobName } from "../domain/blobNames";
import { acceptedSkip } from "./acceptedSkip";
import type { Backup } from "./datapath";

const ROOT = path.resolve(__dirname, "..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs `npm run restore -- <args>` (node + tsx, without npm's own output) and waits for it. */
export function spawnRestore(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 240_000,
): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "cli", "restore.ts"), ...args],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        durationMs: Date.now() - started,
      });
    });
  });
}

/** The restore command's environment for a harness backup: the S3 emulator through its
 * counting proxy, the emulator's credentials, no AWS CA bundle. */
export function restoreEnv(b: Backup): NodeJS.ProcessEnv {
  return b.processEnv({ AWS_REGION: "us-east-1", AWS_CA_BUNDLE: undefined });
}

/** A read-only SAS for the vault container (a restore needs read and list only). */
export function readOnlyVaultUrl(b: Backup): string {
  return b.sasUrl({ permissions: "rl" });
}

/** Restores the vault's data/ into a new bucket of the S3 emulator with the restore command
 * (read-only vault SAS), with any extra flags. */
export async function restoreToNewBucket(
  b: Backup,
  bucket: string,
  extra: string[] = [],
): Promise<CliRun> {
  await b.s3.client().send(new CreateBucketCommand({ Bucket: bucket }));
  return spawnRestore(
    [
      "--from",
      readOnlyVaultUrl(b),
      "--container",
      b.settings.containerName,
      "--to",
      `s3://${bucket}/`,
      "--source-bucket",
      b.settings.sourceBucket,
      ...extra,
    ],
    restoreEnv(b),
  );
}

export interface RehearsalResult {
  objects: number;
  bytes: number;
  deleted: number;
  overwritten: number;
  restoreSeconds: number;
  bucket: string;
  /** Objects deleted from the source before the rehearsal, restored from the copy the vault kept. */
  keptFromEarlier: number;
}

/**
 * Given a running Backup whose source holds objects: backs them up, deletes about a third and
 * overwrites another third in the source, restores the vault into a new bucket with the restore
 * command, and compares every key and byte. Prints one line with "restore verified" and the
 * counts; throws on any difference.
 */
export async function restoreRehearsal(
  b: Backup,
  log: (line: string) => void = (l) => console.log(l),
): Promise<RehearsalResult> {
  const run = await b.run();
  if (run.code !== 0)
    throw new Error(`restore rehearsal: the backup run ended with exit ${run.code}, not 0`);
  const expected = await b.bucketObjects(b.settings.sourceBucket);
  // Skips on the acknowledged list (e.g. folder markers) are not in the vault to restore.
  const accept = acceptedSkip(b.settings.acceptedSkips);
  const dataNames = await b.blobNames("data/");
  const stored = new Set(dataNames.map((n) => decodeBlobName(n.slice("data/".length))));
  for (const k of [...expected.keys()]) if (accept(k) && !stored.has(k)) expected.delete(k);
  const keys = [...expected.keys()].sort();
  if (keys.length < 3) throw new Error("restore rehearsal: the source needs at least 3 objects");
  let bytes = 0;
  for (const k of keys) bytes += (await b.sourceBody(k)).length;

  // Objects deleted from the source before the rehearsal are still in the vault (copy mode
  // never deletes): a restore of the vault's state brings them back too, as they were.
  const kept = new Map<string, string>();
  for (const name of dataNames) {
    const key = decodeBlobName(name.slice("data/".length));
    if (expected.has(key)) continue;
    const body = await b.container.getBlobClient(name).downloadToBuffer();
    kept.set(key, createHash("md5").update(body).digest("hex"));
  }

  // The loss: every third key deleted, the next one overwritten with other bytes.
  const deleted = keys.filter((_, i) => i % 3 === 0);
  const overwritten = keys.filter((_, i) => i % 3 === 1);
  for (const k of deleted) await b.remove(k);
  for (const k of overwritten)
    await b.put(k, `encrypted by an attacker: ${createHash("sha256").update(k).digest("hex")}`);

  const bucket = `restore-rehearsal-${Date.now()}`;
  const r = await restoreToNewBucket(b, bucket);
  if (r.code !== 0)
    throw new Error(
      `restore rehearsal: the restore exited ${r.code}:\n${r.stdout}\n${r.stderr.slice(-2000)}`,
    );
  const got = await b.bucketObjects(bucket);
  const problems: string[] = [];
  for (const [k, md5] of expected) {
    if (!got.has(k)) problems.push(`${JSON.stringify(k)}: missing after the restore`);
    else if (got.get(k) !== md5) problems.push(`${JSON.stringify(k)}: content differs`);
  }
  for (const [k, md5] of got)
    if (expected.has(k)) continue;
    else if (!kept.has(k)) problems.push(`${JSON.stringify(k)}: restored but never backed up`);
    else if (kept.get(k) !== md5)
      problems.push(`${JSON.stringify(k)}: differs from the copy the vault kept`);
  if (problems.length)
    throw new Error(
      `restore rehearsal: ${problems.length} differences:\n${problems.slice(0, 20).join("\n")}`,
    );
  const result = {
    objects: keys.length,
    bytes,
    deleted: deleted.length,
    overwritten: overwritten.length,
    restoreSeconds: Math.round(r.durationMs / 100) / 10,
    bucket,
    keptFromEarlier: kept.size,
  };
  log(
    `restore verified: ${result.objects} objects (${result.bytes} bytes) identical key for key in s3://${bucket}/, including ${result.deleted} deleted and ${result.overwritten} overwritten in the source${kept.size ? ` (and ${kept.size} deleted before the rehearsal, which the vault kept)` : ""}; restore took ${result.restoreSeconds} s`,
  );
  return result;
}
