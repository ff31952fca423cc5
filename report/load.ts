// Reading the report's inputs: the vault's status/ documents and the history months of the
// period, from the vault itself or from a local copy of status/, and the optional files (stack
// outputs, policy results). Every input is recorded in the manifest with the SHA-256 of the
// exact bytes read.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import { STATUS_BLOBS, STATUS_HISTORY } from "../domain/layout";
import { SECRET_OUTPUTS } from "../domain/outputs";
import {
  asRecord,
  historyBlobInPeriod,
  mergeRecords,
  parseHistory,
  statusRecords,
} from "./history";
import type {
  HistoryRecord,
  ManifestEntry,
  Period,
  PolicyResults,
  ReportOutputs,
  StatusDocuments,
} from "./types";

/** Where the status/ blobs are read from. Names are the vault's ("status/last-run.json"). */
export interface StatusStore {
  /** Shown in the manifest: a folder, or the container's URL without any credential. */
  label: string;
  /** The names under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** The blob's bytes, or undefined when there is none. */
  read(name: string): Promise<Buffer | undefined>;
}

/** A local copy of status/: `dir` holds status/, or is that folder itself. */
export function dirStore(dir: string): StatusStore {
  const abs = path.resolve(dir);
  let root: string;
  if (existsSync(path.join(abs, "status"))) root = abs;
  else if (path.basename(abs) === "status" && existsSync(abs)) root = path.dirname(abs);
  else throw new Error(`${dir} holds no status/ folder (a copy of the vault's status/)`);
  const file = (name: string) => path.join(root, ...name.split("/"));
  return {
    label: root,
    list: (prefix) => {
      const d = file(prefix);
      return Promise.resolve(existsSync(d) ? readdirSync(d).map((f) => `${prefix}${f}`) : []);
    },
    read: (name) => Promise.resolve(existsSync(file(name)) ? readFileSync(file(name)) : undefined),
  };
}

/** The vault's container (any credential the client holds stays out of the label). */
export function containerStore(container: ContainerClient): StatusStore {
  const url = new URL(container.url);
  return {
    label: `${url.origin}${url.pathname}`,
    list: async (prefix) => {
      const names: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
      return names;
    },
    read: async (name) => {
      try {
        return await container.getBlobClient(name).downloadToBuffer();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return undefined;
        throw e;
      }
    },
  };
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function manifestEntry(name: string, from: string, data: Buffer | string): ManifestEntry {
  return { name, from, bytes: Buffer.byteLength(data), sha256: sha256(data) };
}

export interface LoadedStatus {
  status: StatusDocuments;
  records: HistoryRecord[];
  manifest: ManifestEntry[];
  problems: string[];
}

/** The status/ documents and the history months that overlap the period, merged. */
export async function loadStatus(store: StatusStore, period: Period): Promise<LoadedStatus> {
  const manifest: ManifestEntry[] = [];
  const problems: string[] = [];
  const status: StatusDocuments = {};
  for (const [slot, name] of Object.entries(STATUS_BLOBS) as [keyof StatusDocuments, string][]) {
    const data = await store.read(name);
    if (data === undefined) continue;
    manifest.push(manifestEntry(name, store.label, data));
    try {
      const doc: unknown = JSON.parse(data.toString("utf8"));
      // A run summary carries no kind; the check results do.
      const rec = asRecord(
        slot === "lastRun" || slot === "lastSuccess" ? { ...(doc as object), kind: "run" } : doc,
      );
      if (typeof rec === "string") problems.push(`${name}: ${rec}`);
      else (status as Record<string, unknown>)[slot] = doc;
    } catch {
      problems.push(`${name}: not JSON`);
    }
  }
  const months = (await store.list(STATUS_HISTORY.folder))
    .filter((n) => historyBlobInPeriod(n, period))
    .sort();
  const history: HistoryRecord[] = [];
  for (const name of months) {
    const data = await store.read(name);
    if (data === undefined) continue;
    manifest.push(manifestEntry(name, store.label, data));
    const parsed = parseHistory(name, data.toString("utf8"));
    history.push(...parsed.records);
    problems.push(...parsed.problems);
  }
  if (months.length === 0)
    problems.push(
      `no history under ${STATUS_HISTORY.folder} for the period: the charts and the period's controls rest on the status/ documents alone`,
    );
  return { status, records: mergeRecords(history, statusRecords(status)), manifest, problems };
}

/** Stack outputs from `pulumi stack output --json` text, without the secret ones. */
export function parseOutputs(json: string): ReportOutputs {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("the stack outputs are not a JSON object");
  const secret = new Set<string>(SECRET_OUTPUTS);
  const plain: ReportOutputs = Object.fromEntries(
    Object.entries(parsed).filter(([k]) => !secret.has(k)),
  );
  return plain;
}

/** Policy results as `npm run policy -- --json` prints them (or the bare list of outcomes). */
export function parsePolicy(json: string): PolicyResults {
  const parsed: unknown = JSON.parse(json);
  const outcomes: unknown = Array.isArray(parsed)
    ? parsed
    : (parsed as { outcomes?: unknown })?.outcomes;
  const ok =
    Array.isArray(outcomes) &&
    outcomes.every(
      (o: { policy?: unknown; level?: unknown; violations?: unknown }) =>
        typeof o?.policy === "string" && typeof o.level === "string" && Array.isArray(o.violations),
    );
  if (!ok)
    throw new Error(
      "the policy results are not what `npm run policy -- --json` prints ({stack, outcomes: [{policy, level, violations}]})",
    );
  const stack = Array.isArray(parsed) ? undefined : (parsed as { stack?: unknown }).stack;
  return {
    stack: typeof stack === "string" ? stack : undefined,
    outcomes: outcomes as PolicyResults["outcomes"],
  };
}
