// Plumbing shared by the stand-in servers (harness/servers/*.ts), which run as child processes
// started by harness/stsStandIn.ts and harness/entraStandIn.ts: read the JSON config file named
// on the command line, listen on 127.0.0.1 (HTTPS when a certificate is configured), collect
// request bodies, fetch JSON from another local server.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";

export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

export interface ListenConfig {
  port: number;
  /** Serve HTTPS with this certificate; plain HTTP when absent. */
  tls?: TlsFiles;
}

/** Reads the JSON config file given as the first command-line argument. */
export function readConfigArg<T>(): T {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: <server.ts> <config.json>");
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

export type Handler = (
  req: http.IncomingMessage,
  body: Buffer,
) => Promise<{ status: number; headers: Record<string, string>; body: string }>;

const MAX_BODY_BYTES = 1_048_576;

/** Listens on 127.0.0.1 only; exits the process on SIGTERM after closing the listener. */
export function serve(config: ListenConfig, handler: Handler): void {
  const onRequest: http.RequestListener = (req, res) => {
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
      handler(req, Buffer.concat(chunks)).then(
        (out) => {
          res.writeHead(out.status, {
            ...out.headers,
            "content-length": String(Buffer.byteLength(out.body)),
          });
          res.end(out.body);
        },
        (err: unknown) => {
          // a stand-in bug, not a modelled error: make it loud in the test output
          console.error(err);
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`stand-in internal error: ${String(err)}`);
        },
      );
    });
  };
  const server = config.tls
    ? https.createServer(
        { cert: fs.readFileSync(config.tls.certPath), key: fs.readFileSync(config.tls.keyPath) },
        onRequest,
      )
    : http.createServer(onRequest);
  server.listen(config.port, "127.0.0.1");
  process.once("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}

/** GET a JSON document over http or https (trusting `caCertPath` for https). */
export function getJson(url: string, caCertPath?: string): Promise<unknown> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).get(
      target,
      secure && caCertPath ? { ca: fs.readFileSync(caCertPath) } : {},
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on("error", reject);
  });
}

export function xmlEscape(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Seconds since the epoch, shifted by `offsetSeconds` (the stand-ins' test clock option). */
export function nowSeconds(offsetSeconds = 0): number {
  return Math.floor(Date.now() / 1000) + offsetSeconds;
}
