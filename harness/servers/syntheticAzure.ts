// The Azure side of the synthetic listing server: the vault container as the engine left it
// after copying and sealing every object of the synthetic bucket. Its blobs are
// data/<key i> (ccb/names.py blob_name is the identity for the generated keys), each with the
// Content-Length, Content-MD5 and metadata the engine wrote: rclone's "mtime" and the content
// record (contract CONTENT_RECORD "ccbsource", ccb/seal.py encode_record) naming the source
// object's ETag, size and LastModified, so ccb/vault.py reads every one as sealed and unchanged.
// Objects the key space marks missing have no blob; changed ones keep the version copied before.
//
// Requests: List Blobs (GET ?restype=container&comp=list with prefix, delimiter, marker,
// maxresults, include), and Put Blob / Get Blob / Get Blob Properties of small blobs under
// status/ (kept in memory), which is what a run writes and reads besides listing. A SAS must be
// present (sig=...) and unexpired (se=...); its signature is NOT verified. Anything else is
// answered 501 NotImplemented.
// Shapes: https://learn.microsoft.com/rest/api/storageservices/list-blobs
import { createHash } from "node:crypto";
import { xmlEscape } from "./common";
import { compareNames, hash32, type KeySpace } from "./syntheticKeys";
import {
  decodeResume,
  encodeResume,
  listPage,
  type Namespace,
  type Resume,
} from "./syntheticPages";
import type { Reply } from "./syntheticS3";

export interface AzureOptions {
  account: string;
  container: string;
}

export const DATA = "data/";
export const STATUS = "status/";
const MAX_RESULTS = 5000;
const INCLUDES = new Set([
  "copy",
  "deleted",
  "metadata",
  "snapshots",
  "uncommittedblobs",
  "tags",
  "versions",
  "immutabilitypolicy",
  "legalhold",
  "deletedwithversions",
]);

interface StoredBlob {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  md5: string;
}

let requestSerial = 0;

function headers(
  version: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  requestSerial++;
  return {
    "x-ms-request-id": `00000000-0000-0000-0000-${requestSerial.toString(16).padStart(12, "0")}`,
    "x-ms-version": version ?? "2021-08-06",
    date: new Date().toUTCString(),
    server: "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
    ...extra,
  };
}

export function azureError(
  method: string,
  status: number,
  code: string,
  message: string,
  version?: string,
): Reply {
  const h = headers(version, { "x-ms-error-code": code, "content-type": "application/xml" });
  return {
    status,
    headers: h,
    body:
      method === "HEAD"
        ? ""
        : `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}\nRequestId:${h["x-ms-request-id"]}\nTime:${new Date().toISOString()}</Message></Error>`,
  };
}

/** What Azure answers a throttled request (the fault the retry tests inject). */
export function serverBusy(method: string, version?: string): Reply {
  return azureError(
    method,
    503,
    "ServerBusy",
    "The server is currently unable to receive requests. Please retry your request.",
    version,
  );
}

/** Python's urllib.parse.quote(s, safe=""): what the engine's content record is encoded with. */
function pyQuote(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function rfc1123(epoch: number): string {
  return new Date(epoch * 1000).toUTCString();
}

/** rclone's mtime metadata (RFC 3339, whole seconds). */
function rcloneTime(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(".000Z", "Z");
}

function escapeIfNeeded(s: string): string {
  return /[&<>"]/.test(s) ? xmlEscape(s) : s;
}

const EMPTY_PROPERTIES = "<Content-Encoding /><Content-Language /><Content-CRC64 />";
const TAIL_PROPERTIES =
  "<Cache-Control /><Content-Disposition /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>";

export class SyntheticVault {
  private readonly stored = new Map<string, StoredBlob>();
  private storedNames: string[] = [];

  constructor(
    readonly opts: AzureOptions,
    readonly space: KeySpace,
  ) {}

  /** Whether a request path names this container (or a blob in it). */
  owns(pathname: string): boolean {
    return pathname.split("/")[1] === this.opts.account;
  }

  /** The data/ blobs, then the stored status/ blobs (every "status/" name sorts after "data/"). */
  private namespace(): Namespace {
    const n = this.space.size;
    const stored = this.storedNames;
    return {
      size: n + stored.length,
      name: (pos) => (pos < n ? DATA + this.space.key(pos) : stored[pos - n]),
      present: (pos) => pos >= n || !this.space.missing(pos),
    };
  }

  /** The refusal for a request without a usable SAS or to another container, if any. */
  refusal(method: string, pathname: string, query: URLSearchParams, version?: string) {
    if (!query.get("sig"))
      return azureError(
        method,
        403,
        "AuthenticationFailed",
        "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        version,
      );
    const expiry = Date.parse(query.get("se") ?? "");
    if (!Number.isNaN(expiry) && expiry < Date.now())
      return azureError(
        method,
        403,
        "AuthenticationFailed",
        "Signed expiry time must be after signed start time and the current time.",
        version,
      );
    const [, , container] = pathname.split("/");
    if (container !== this.opts.container)
      return azureError(
        method,
        404,
        "ContainerNotFound",
        "The specified container does not exist.",
        version,
      );
    return undefined;
  }

  list(query: URLSearchParams, version?: string): Reply {
    const maxText = query.get("maxresults");
    const asked = maxText === null ? MAX_RESULTS : Number(maxText);
    if (!Number.isInteger(asked) || asked <= 0)
      return azureError(
        "GET",
        400,
        "OutOfRangeQueryParameterValue",
        "One of the query parameters specified in the request URI is outside the permissible range.",
        version,
      );
    const include = (query.get("include") ?? "").split(",").filter(Boolean);
    if (include.some((v) => !INCLUDES.has(v.toLowerCase())))
      return azureError(
        "GET",
        400,
        "InvalidQueryParameterValue",
        "Value for one of the query parameters specified in the request URI is invalid.",
        version,
      );
    const withMetadata = include.some((v) => v.toLowerCase() === "metadata");
    const prefix = query.get("prefix") ?? "";
    const delimiter = query.get("delimiter") ?? "";
    const marker = query.get("marker") ?? "";
    let resume: Resume | undefined;
    if (marker) {
      resume = decodeResume(marker);
      if (resume === undefined)
        return azureError(
          "GET",
          400,
          "OutOfRangeInput",
          "One of the request inputs is out of range.",
          version,
        );
    }
    const max = Math.min(asked, MAX_RESULTS);
    const ns = this.namespace();
    const page = listPage(ns, { prefix, delimiter, resume, max });
    const out: string[] = [
      `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://${this.opts.account}.blob.core.windows.net/" ContainerName="${this.opts.container}">`,
    ];
    if (query.has("prefix")) out.push(`<Prefix>${escapeIfNeeded(prefix)}</Prefix>`);
    if (query.has("marker")) out.push(`<Marker>${escapeIfNeeded(marker)}</Marker>`);
    if (maxText !== null) out.push(`<MaxResults>${asked}</MaxResults>`);
    if (delimiter) out.push(`<Delimiter>${escapeIfNeeded(delimiter)}</Delimiter>`);
    out.push("<Blobs>");
    for (const item of page.items) {
      if ("prefix" in item)
        out.push(`<BlobPrefix><Name>${escapeIfNeeded(item.prefix)}</Name></BlobPrefix>`);
      else if (item.pos < this.space.size) out.push(this.dataBlob(item.pos, withMetadata));
      else out.push(this.storedBlob(ns.name(item.pos), withMetadata));
    }
    out.push("</Blobs>");
    out.push(
      page.truncated && page.next
        ? `<NextMarker>${encodeResume(page.next)}</NextMarker>`
        : "<NextMarker />",
    );
    out.push("</EnumerationResults>");
    return {
      status: 200,
      headers: headers(version, { "content-type": "application/xml" }),
      body: out.join(""),
      items: page.items.length,
    };
  }

  /** The blob of object i as the engine sealed it (the version it copied: 0). */
  private dataBlob(i: number, withMetadata: boolean): string {
    const o = this.space.object(i, 0);
    const copied = o.mtime + 3600 + (hash32(this.space.opts.seed, i, 3) % 3600);
    const etag = `0x8DD${hash32(this.space.opts.seed, i, 4).toString(16).toUpperCase().padStart(8, "0")}${(i & 0xfffff).toString(16).toUpperCase().padStart(5, "0")}`;
    const md5 = Buffer.from(o.md5, "hex").toString("base64");
    let xml = `<Blob><Name>${escapeIfNeeded(DATA + o.key)}</Name><Properties><Creation-Time>${rfc1123(copied)}</Creation-Time><Last-Modified>${rfc1123(copied)}</Last-Modified><Etag>${etag}</Etag><Content-Length>${o.size}</Content-Length><Content-Type>application/octet-stream</Content-Type>${EMPTY_PROPERTIES}<Content-MD5>${md5}</Content-MD5>${TAIL_PROPERTIES}</Properties>`;
    if (withMetadata) {
      // ccb/seal.py: json.dumps(record, sort_keys=True, separators=(",", ":")), then quote(safe="")
      const record = JSON.stringify({
        engine: "synthetic",
        etag: o.etag,
        format: 1,
        md5: o.md5,
        meta: 0,
        mtime: o.mtime,
        size: o.size,
        sse: o.sse,
      });
      xml += `<Metadata><mtime>${rcloneTime(o.mtime)}</mtime><ccbsource>${pyQuote(record)}</ccbsource></Metadata>`;
    }
    return xml + "</Blob>";
  }

  private storedBlob(name: string, withMetadata: boolean): string {
    const b = this.stored.get(name)!;
    const when = b.lastModified.toUTCString();
    return `<Blob><Name>${escapeIfNeeded(name)}</Name><Properties><Creation-Time>${when}</Creation-Time><Last-Modified>${when}</Last-Modified><Etag>${b.etag}</Etag><Content-Length>${b.body.length}</Content-Length><Content-Type>${escapeIfNeeded(b.contentType)}</Content-Type>${EMPTY_PROPERTIES}<Content-MD5>${b.md5}</Content-MD5>${TAIL_PROPERTIES}</Properties>${withMetadata ? "<Metadata />" : ""}</Blob>`;
  }

  /** Put Blob, Get Blob and Get Blob Properties of status/ blobs. */
  blob(
    method: string,
    name: string,
    body: Buffer,
    hdrs: Record<string, string | string[] | undefined>,
    version?: string,
  ): Reply {
    if (!name.startsWith(STATUS))
      return azureError(
        method,
        501,
        "NotImplemented",
        "The synthetic vault serves listings; it stores blobs under status/ only.",
        version,
      );
    if (method === "PUT") {
      if (hdrs["x-ms-blob-type"] !== "BlockBlob")
        return azureError(
          method,
          400,
          "MissingRequiredHeader",
          "An HTTP header that's mandatory for this request is not specified.",
          version,
        );
      const stored: StoredBlob = {
        body,
        contentType: String(hdrs["content-type"] ?? "application/octet-stream"),
        etag: `0x8DD${Date.now().toString(16).toUpperCase().padStart(13, "0")}`,
        lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
        md5: createHash("md5").update(body).digest("base64"),
      };
      this.stored.set(name, stored);
      this.storedNames = [...this.stored.keys()].sort(compareNames);
      return {
        status: 201,
        headers: headers(version, {
          etag: `"${stored.etag}"`,
          "last-modified": stored.lastModified.toUTCString(),
          "content-md5": stored.md5,
          "x-ms-request-server-encrypted": "true",
        }),
        body: "",
      };
    }
    if (method !== "GET" && method !== "HEAD")
      return azureError(
        method,
        501,
        "NotImplemented",
        "The synthetic vault does not answer this request.",
        version,
      );
    const b = this.stored.get(name);
    if (b === undefined)
      return azureError(method, 404, "BlobNotFound", "The specified blob does not exist.", version);
    return {
      status: 200,
      headers: headers(version, {
        "content-type": b.contentType,
        "content-length": String(b.body.length),
        "content-md5": b.md5,
        etag: `"${b.etag}"`,
        "last-modified": b.lastModified.toUTCString(),
        "x-ms-blob-type": "BlockBlob",
        "x-ms-server-encrypted": "true",
        "accept-ranges": "bytes",
      }),
      body: method === "HEAD" ? "" : b.body,
    };
  }

  /** The status/ blobs stored so far (name -> body), for tests. */
  storedBlobs(): Record<string, string> {
    return Object.fromEntries([...this.stored].map(([k, v]) => [k, v.body.toString("utf8")]));
  }
}
