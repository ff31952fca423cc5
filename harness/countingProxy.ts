// A counting reverse proxy on 127.0.0.1 in front of an emulator: it forwards every request
// unchanged and classifies it (LIST, HEAD, GET, PUT, DELETE, ...), so tests and the demo can show
// exactly which requests a sync run made. It also counts response bytes per object GET, which
// lets a fault test kill the S3 emulator mid-transfer of a large object.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";

export type RequestKind = "LIST" | "HEAD" | "GET" | "PUT" | "POST" | "DELETE" | "OTHER";

export interface RequestCounts {
  LIST: number;
  HEAD: number;
  GET: number;
  PUT: number;
  POST: number;
  DELETE: number;
  OTHER: number;
}

export type Flavour = "s3" | "azure";

export interface InterceptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** An S3-style error answer, as S3 sends it (no body for HEAD). */
export function s3Error(method: string, status: number, code: string, message: string) {
  return {
    status,
    headers: { "content-type": "application/xml", "x-amz-request-id": "0000000000000000" },
    body:
      method === "HEAD"
        ? undefined
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  } satisfies InterceptedResponse;
}

/** Classify one request the way the provider bills it. */
export function classify(flavour: Flavour, method: string, rawUrl: string): RequestKind {
  const url = new URL(rawUrl, "http://x");
  if (method === "GET") {
    if (flavour === "azure" && url.searchParams.get("comp") === "list") return "LIST";
    // S3 path style: /bucket or /bucket/ (+ query) is a bucket listing.
    if (flavour === "s3" && /^\/[^/]+\/?$/.test(url.pathname)) return "LIST";
    return "GET";
  }
  if (method === "HEAD" || method === "PUT" || method === "POST" || method === "DELETE")
    return method;
  return "OTHER";
}

export interface CountingProxy {
  port: number;
  endpoint: string;
  counts: RequestCounts;
  /** Every request seen since the last reset: kind, method and path. */
  log: { kind: RequestKind; method: string; url: string }[];
  reset(): void;
  /** Called with (url, bytesSoFar) as response bytes of an object GET flow through. */
  onGetBytes?: (url: string, bytes: number) => void;
  /**
   * Answers a request itself instead of forwarding it (fault injection, e.g. an AccessDenied
   * for one key). Return undefined to forward as usual.
   */
  intercept?: (
    method: string,
    url: string,
    headers: http.IncomingHttpHeaders,
  ) => InterceptedResponse | undefined;
  /**
   * Holds a request for ever: its response starts (status and headers from upstream) but no
   * body byte follows (a stalled GET). The socket is closed when the proxy stops.
   */
  stall?: (method: string, url: string) => boolean;
  stop(): Promise<void>;
}

function zero(): RequestCounts {
  return { LIST: 0, HEAD: 0, GET: 0, PUT: 0, POST: 0, DELETE: 0, OTHER: 0 };
}

export async function startCountingProxy(
  flavour: Flavour,
  targetPort: number,
  /** An HTTPS upstream (e.g. Azurite in OAuth mode) and the CA that signed its certificate. */
  upstreamTls?: { caCertPath: string },
): Promise<CountingProxy> {
  const ca = upstreamTls ? fs.readFileSync(upstreamTls.caCertPath) : undefined;
  const sockets = new Set<import("node:net").Socket>();
  const proxy: CountingProxy = {
    port: 0,
    endpoint: "",
    counts: zero(),
    log: [],
    reset() {
      proxy.counts = zero();
      proxy.log = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const kind = classify(flavour, method, url);
    proxy.counts[kind]++;
    proxy.log.push({ kind, method, url });
    const answer = proxy.intercept?.(method, url, req.headers);
    if (answer) {
      req.resume();
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    const stalled = proxy.stall?.(method, url) ?? false;
    const upstream = (ca ? https : http).request(
      { host: "127.0.0.1", port: targetPort, method, path: url, headers: req.headers, ca },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (stalled) {
          res.flushHeaders();
          up.resume(); // drain upstream; the client gets nothing more
          return;
        }
        let bytes = 0;
        up.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (kind === "GET") proxy.onGetBytes?.(url, bytes);
        });
        up.pipe(res);
        up.on("error", () => res.destroy());
        // A server may answer (e.g. 403) before it has read the request body. Like a real
        // server, close the client connection then, or the client blocks writing the body.
        res.on("finish", () => {
          if (!req.complete) req.destroy();
        });
      },
    );
    res.on("close", () => upstream.destroy());
    upstream.on("error", () => {
      // The emulator is down or died mid-response: the client sees a broken connection.
      if (!res.headersSent) res.writeHead(502);
      res.destroy();
    });
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.endpoint = `http://127.0.0.1:${proxy.port}`;
  return proxy;
}
