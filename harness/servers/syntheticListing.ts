// Synthetic listing server (child process, 127.0.0.1): an S3 bucket and an Azure vault container
// of N objects generated from a seed (harness/servers/syntheticKeys.ts), for measuring the
// engine's listing, diff and plan at sizes no emulator can hold. One port serves both: a path
// whose first segment is the Azure account is the vault (syntheticAzure.ts), any other the S3
// bucket (syntheticS3.ts), and /__synthetic/ the harness's own endpoints:
//   GET  /__synthetic/counts   requests by kind ({ s3, azure } as harness/countingProxy.ts
//                              classifies them, faults injected, this process's CPU seconds)
//   POST /__synthetic/reset    zero the counts
//   GET  /__synthetic/changes  how many objects the change set holds (changed, missing)
//   GET  /__synthetic/status   the status/ blobs written so far
// Faults: a deterministic fraction of S3 listings is answered 503 SlowDown and of Azure
// listings 503 ServerBusy (every 1/fraction-th one), as the services throttle.
import * as http from "node:http";
import { classify, type RequestCounts } from "../countingProxy";
import { readConfigArg } from "./common";
import { KeySpace } from "./syntheticKeys";
import { injectFault } from "./syntheticPages";
import { azureError, serverBusy, SyntheticVault } from "./syntheticAzure";
import {
  isS3Listing,
  s3Error,
  s3ListObjectsV2,
  s3Refusal,
  slowDown,
  type Reply,
} from "./syntheticS3";

export interface SyntheticConfig {
  port: number;
  objects: number;
  seed: number;
  changedPercent: number;
  missingPercent: number;
  bucket: string;
  region: string;
  bucketOwner?: string;
  account: string;
  container: string;
  s3ListFailFraction: number;
  azureListFailFraction: number;
}

export interface SyntheticCounts {
  s3: RequestCounts;
  azure: RequestCounts;
  injected: { s3: number; azure: number };
  /** Entries the listings returned in all (keys, blobs, common prefixes): above N, repeats. */
  returned: { s3: number; azure: number };
  /** The server's own CPU (user + system) since it started. */
  cpuSeconds: number;
}

const MAX_BODY_BYTES = 1_048_576;

const zero = (): RequestCounts => ({
  LIST: 0,
  HEAD: 0,
  GET: 0,
  PUT: 0,
  POST: 0,
  DELETE: 0,
  OTHER: 0,
});

const config = readConfigArg<SyntheticConfig>();
const space = new KeySpace({
  objects: config.objects,
  seed: config.seed,
  changedPercent: config.changedPercent,
  missingPercent: config.missingPercent,
});
const vault = new SyntheticVault({ account: config.account, container: config.container }, space);
const s3Options = { bucket: config.bucket, region: config.region, bucketOwner: config.bucketOwner };
const fresh = () => ({
  s3: zero(),
  azure: zero(),
  injected: { s3: 0, azure: 0 },
  returned: { s3: 0, azure: 0 },
});
let counts = fresh();

function json(value: unknown): Reply {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  };
}

function admin(method: string, pathname: string): Reply {
  if (pathname === "/__synthetic/counts") {
    const cpu = process.cpuUsage();
    return json({ ...counts, cpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies SyntheticCounts);
  }
  if (pathname === "/__synthetic/reset" && method === "POST") {
    counts = fresh();
    return json({});
  }
  if (pathname === "/__synthetic/changes") {
    let changed = 0;
    let missing = 0;
    for (let i = 0; i < space.size; i++) {
      if (space.changed(i)) changed++;
      else if (space.missing(i)) missing++;
    }
    return json({ changed, missing });
  }
  if (pathname === "/__synthetic/status") return json(vault.storedBlobs());
  return { status: 404, headers: { "content-type": "text/plain" }, body: "no such endpoint" };
}

function azure(req: http.IncomingMessage, url: URL, body: Buffer): Reply {
  const method = req.method ?? "GET";
  const version = req.headers["x-ms-version"] as string | undefined;
  const kind = classify("azure", method, req.url ?? "/");
  counts.azure[kind]++;
  const refused = vault.refusal(method, url.pathname, url.searchParams, version);
  if (refused) return refused;
  const blob = url.pathname.split("/").slice(3).map(decodeURIComponent).join("/");
  if (kind === "LIST") {
    if (url.searchParams.get("restype") !== "container" || blob)
      return azureError(method, 501, "NotImplemented", "This server lists one container only.");
    if (injectFault(counts.azure.LIST, config.azureListFailFraction)) {
      counts.injected.azure++;
      return serverBusy(method, version);
    }
    const page = vault.list(url.searchParams, version);
    counts.returned.azure += page.items ?? 0;
    return page;
  }
  return vault.blob(method, blob, body, req.headers, version);
}

function s3(req: http.IncomingMessage, url: URL): Reply {
  const method = req.method ?? "GET";
  counts.s3[classify("s3", method, req.url ?? "/")]++;
  const refused = s3Refusal(s3Options, method, url.pathname, req.headers);
  if (refused) return refused;
  if (!isS3Listing(method, url.pathname))
    return s3Error(method, 501, "NotImplemented", "This server answers ListObjectsV2 only.");
  if (injectFault(counts.s3.LIST, config.s3ListFailFraction)) {
    counts.injected.s3++;
    return slowDown(method);
  }
  const page = s3ListObjectsV2(s3Options, space, url.searchParams);
  counts.returned.s3 += page.items ?? 0;
  return page;
}

function answer(req: http.IncomingMessage, body: Buffer): Reply {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (url.pathname.startsWith("/__synthetic/")) return admin(req.method ?? "GET", url.pathname);
  return vault.owns(url.pathname) ? azure(req, url, body) : s3(req, url);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on("end", () => {
    let reply: Reply;
    try {
      reply = answer(req, Buffer.concat(chunks));
    } catch (err) {
      // a server bug, not a modelled error: make it loud in the test output
      console.error(err);
      reply = { status: 500, headers: { "content-type": "text/plain" }, body: String(err) };
    }
    const headers = { ...reply.headers };
    // A HEAD answer carries the resource's length; every other one its body's.
    if (req.method !== "HEAD" || headers["content-length"] === undefined)
      headers["content-length"] = String(Buffer.byteLength(reply.body));
    res.writeHead(reply.status, headers);
    res.end(req.method === "HEAD" ? undefined : reply.body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(config.port, "127.0.0.1");
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
