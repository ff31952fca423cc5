// Reading the vault: which container (SAS URL, connection string, or the operator's own Entra
// identity), its listings (current blobs, versions, mirror mode's archive/), its status/ run
// summaries. Nothing here writes to the vault.
import { BlobServiceClient, ContainerClient, type BlobItem } from "@azure/storage-blob";
import { CONTAINER_NAME, STATUS_BLOBS, VAULT_FOLDERS } from "../domain/layout";
import type { RunSummary } from "../domain/runSummary";
import { blobName } from "../domain/blobNames";
import { CONTENT_RECORD } from "../domain/contentRecord";
import type { BlobFacts } from "../domain/verdict";
import type { ListedBlob } from "./timeline";

/** Removes credentials from text that may be printed (the engine's patterns: domain/redaction.ts). */
export { redact } from "../domain/redaction";

export type VaultSource =
  | { kind: "sasUrl"; url: string; container?: string }
  | { kind: "connectionString"; value: string; container: string }
  | { kind: "entra"; accountUrl: string; container: string };

/** How --from / --account / --container read: throws a message that says what to type. */
export function vaultSourceFrom(
  from: string | undefined,
  account: string | undefined,
  container: string | undefined,
): VaultSource {
  if (from !== undefined && account !== undefined)
    throw new Error("give either --from or --account, not both");
  if (account !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(account))
      throw new Error(
        `--account "${account}" is not a storage account name (3-24 lowercase letters and digits)`,
      );
    return {
      kind: "entra",
      accountUrl: `https://${account}.blob.core.windows.net`,
      container: container ?? CONTAINER_NAME,
    };
  }
  if (from === undefined) throw new Error("say where the vault is: --from, --account or --stack");
  if (/^https?:\/\//i.test(from)) {
    const u = new URL(from);
    const pathContainer = u.pathname.split("/").filter(Boolean);
    // An emulator URL carries the account in the path (http://127.0.0.1:10000/devstoreaccount1/c).
    const isIpHost = /^[\d.]+$|^\[|^localhost$/.test(u.hostname);
    const containerInPath = isIpHost ? pathContainer[1] : pathContainer[0];
    if (containerInPath && container && containerInPath !== container)
      throw new Error(
        `--from names container "${containerInPath}" but --container says "${container}"`,
      );
    if (u.searchParams.has("sig")) {
      return containerInPath
        ? { kind: "sasUrl", url: from }
        : { kind: "sasUrl", url: from, container: container ?? CONTAINER_NAME };
    }
    if (u.search) throw new Error("--from URL has a query but no SAS signature (sig=)");
    if (u.protocol !== "https:")
      throw new Error("--from without SAS signs in with Entra ID: use https://");
    return {
      kind: "entra",
      accountUrl: `${u.protocol}//${u.host}${isIpHost ? `/${pathContainer[0] ?? ""}` : ""}`,
      container: containerInPath ?? container ?? CONTAINER_NAME,
    };
  }
  if (/AccountName=|UseDevelopmentStorage=true/i.test(from))
    return { kind: "connectionString", value: from, container: container ?? CONTAINER_NAME };
  throw new Error(
    "--from must be a container URL with SAS, an account URL (https://<account>.blob.core.windows.net, signs in with Entra ID) or a storage connection string",
  );
}

/** A client for the vault's container. Entra: DefaultAzureCredential (az login, managed identity). */
export async function openVault(src: VaultSource): Promise<ContainerClient> {
  switch (src.kind) {
    case "sasUrl": {
      if (src.container === undefined) return new ContainerClient(src.url);
      return new BlobServiceClient(src.url).getContainerClient(src.container);
    }
    case "connectionString":
      return BlobServiceClient.fromConnectionString(src.value).getContainerClient(src.container);
    case "entra": {
      const { DefaultAzureCredential } = await import("@azure/identity");
      return new BlobServiceClient(src.accountUrl, new DefaultAzureCredential()).getContainerClient(
        src.container,
      );
    }
    default: {
      const never: never = src;
      throw new Error(`unknown vault source ${JSON.stringify(never)}`);
    }
  }
}

/** The URL of the vault for messages: scheme, host and path only (never a SAS or a key). */
export function describeVault(c: ContainerClient): string {
  const u = new URL(c.url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function toListed(b: BlobItem): ListedBlob {
  return {
    name: b.name,
    deleted: b.deleted,
    versionId: b.versionId,
    isCurrentVersion: b.isCurrentVersion,
    hasVersionsOnly: b.hasVersionsOnly,
    properties: {
      lastModified: b.properties.lastModified,
      etag: b.properties.etag,
      createdOn: b.properties.createdOn,
      deletedOn: b.properties.deletedOn,
      contentLength: b.properties.contentLength,
      contentMD5: b.properties.contentMD5,
      contentType: b.properties.contentType,
      contentEncoding: b.properties.contentEncoding,
      contentLanguage: b.properties.contentLanguage,
      contentDisposition: b.properties.contentDisposition,
      cacheControl: b.properties.cacheControl,
    },
    metadata: b.metadata,
  };
}

/** A blob metadata value by name (Azure compares metadata names without regard to case). */
export function metadataValue(
  metadata: Record<string, string> | undefined,
  name: string,
): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(metadata ?? {})) if (k.toLowerCase() === want) return v;
  return undefined;
}

/**
 * What the verdict (domain/verdict.ts) needs from a listed blob: its size, its Content-MD5 in
 * hex, and its raw content record (CONTENT_RECORD metadata), each when it has one. Current
 * blobs, versions and archive/ copies alike: the listings include metadata.
 */
export function blobFactsOf(item: ListedBlob): BlobFacts {
  const p = item.properties;
  return {
    size: p.contentLength ?? 0,
    contentMD5: p.contentMD5?.length ? Buffer.from(p.contentMD5).toString("hex") : undefined,
    record: metadataValue(item.metadata, CONTENT_RECORD),
  };
}

/** The blob-name prefix to list for a key prefix (whole segments encoded; the rest filtered). */
export function listPrefix(folder: string, keyPrefix: string): string {
  const cut = keyPrefix.lastIndexOf("/");
  return folder + (cut < 0 ? "" : blobName(keyPrefix.slice(0, cut)) + "/");
}

/** Current blobs under data/ (one listing, 5,000 a page). */
export async function* listCurrent(c: ContainerClient, keyPrefix = ""): AsyncGenerator<ListedBlob> {
  for await (const b of c.listBlobsFlat({
    prefix: listPrefix(VAULT_FOLDERS.data, keyPrefix),
    includeMetadata: true,
  }))
    yield toListed(b);
}

/**
 * Every copy the vault has under data/ (with versions and soft-deleted entries) and archive/.
 * `versions` is false when the account does not list versions (versioning off, or an emulator):
 * then data/ gives the current blobs only.
 */
export async function listHistory(
  c: ContainerClient,
  keyPrefix = "",
): Promise<{ data: ListedBlob[]; archive: ListedBlob[]; versions: boolean }> {
  const data: ListedBlob[] = [];
  let versions = true;
  try {
    for await (const b of c.listBlobsFlat({
      prefix: listPrefix(VAULT_FOLDERS.data, keyPrefix),
      includeMetadata: true,
      includeVersions: true,
      includeDeleted: true,
      includeDeletedWithVersions: true,
    }))
      data.push(toListed(b));
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 400) throw e;
    versions = false;
    data.length = 0;
    for await (const b of listCurrent(c, keyPrefix)) data.push(b);
  }
  if (versions && !data.some((d) => d.versionId !== undefined) && data.length > 0) versions = false;
  const archive: ListedBlob[] = [];
  for await (const b of c.listBlobsFlat({ prefix: VAULT_FOLDERS.archive, includeMetadata: true }))
    archive.push(toListed(b));
  return { data, archive, versions };
}

/** archive/<runId>/<name> -> { runId, name } (name relative to data/). */
export function splitArchiveName(full: string): { runId: string; name: string } | undefined {
  const m = /^archive\/([^/]+)\/(.+)$/.exec(full);
  return m ? { runId: m[1], name: m[2] } : undefined;
}

export async function readJsonBlob<T>(
  c: ContainerClient,
  name: string,
  versionId?: string,
): Promise<T | undefined> {
  const blob = versionId ? c.getBlobClient(name).withVersion(versionId) : c.getBlobClient(name);
  try {
    return JSON.parse((await blob.downloadToBuffer()).toString("utf8")) as T;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** The last run summary the engine published (status/last-run.json), if any. */
export function lastRunSummary(c: ContainerClient): Promise<RunSummary | undefined> {
  return readJsonBlob<RunSummary>(c, STATUS_BLOBS.lastRun);
}

/** "s3://bucket/prefix" (a run summary's source) -> bucket and prefix. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  return m ? { bucket: m[1], prefix: m[2] } : undefined;
}

/** Every run summary the vault still holds: versions of status/last-run.json, or the current one. */
export async function runSummaries(c: ContainerClient): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  const ids: (string | undefined)[] = [];
  try {
    for await (const b of c.listBlobsFlat({ prefix: STATUS_BLOBS.lastRun, includeVersions: true }))
      if (b.name === STATUS_BLOBS.lastRun && !b.deleted) ids.push(b.versionId);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 400) throw e;
  }
  if (ids.length === 0 || ids.every((i) => i === undefined)) ids.splice(0, ids.length, undefined);
  for (const id of ids) {
    const s = await readJsonBlob<RunSummary>(c, STATUS_BLOBS.lastRun, id);
    if (s && !out.some((o) => o.runId === s.runId)) out.push(s);
  }
  return out.sort((a, b) => a.runId.localeCompare(b.runId));
}
