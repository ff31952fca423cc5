// A throwaway certificate authority and a server certificate for 127.0.0.1, made with the
// system's openssl, so the local stand-ins can speak HTTPS the way the real endpoints do
// (Azurite's OAuth mode even refuses to start without it). One CA per test process: every
// server shares the same certificate, so a client needs exactly one trust anchor.
//
// How each client trusts it (the system bundle does not contain this CA):
// - Python (the host's engine): ssl.create_default_context(cafile=caCertPath)
// - rclone / Go: SSL_CERT_FILE=caCertPath in its environment
// - Node: the `ca` option of https.request / https.Agent (NODE_EXTRA_CA_CERTS only at startup)
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";

const OPENSSL = "/usr/bin/openssl";

export interface LocalTls {
  /** PEM of the CA that signed the server certificate: the one file a client must trust. */
  caCertPath: string;
  /** PEM server certificate (SAN IP:127.0.0.1, DNS:localhost), for a server's `cert`. */
  certPath: string;
  /** PEM private key (unencrypted) of the server certificate, for a server's `key`. */
  keyPath: string;
  /** The directory holding all of the above; removed by removeLocalTls() or at process exit. */
  dir: string;
}

let current: LocalTls | undefined;

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The process-wide test CA and server certificate, created on first use (~0.2 s). Valid for two
 * days: long enough for any test run, short enough that a leaked file is worthless.
 */
export function localTls(): LocalTls {
  if (current !== undefined && fs.existsSync(current.caCertPath)) return current;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-tls-"));
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    [
      "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid",
      "",
    ].join("\n"),
  );
  // prettier-ignore
  openssl([
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
    "-days", "2", "-subj", "/CN=cross-cloud-backup test CA (local only)",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  // prettier-ignore
  openssl([
    "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
    "-subj", "/CN=127.0.0.1",
  ], dir);
  // prettier-ignore
  openssl([
    "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.crt", "-days", "2", "-extfile", "server.ext",
  ], dir);
  fs.chmodSync(path.join(dir, "server.key"), 0o600);
  current = {
    caCertPath: path.join(dir, "ca.crt"),
    certPath: path.join(dir, "server.crt"),
    keyPath: path.join(dir, "server.key"),
    dir,
  };
  return current;
}

/** Removes the CA and server key now (they are also removed when the process exits). */
export function removeLocalTls(): void {
  if (current !== undefined) fs.rmSync(current.dir, { recursive: true, force: true });
  current = undefined;
}

process.once("exit", removeLocalTls);

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP(S) request that trusts the local CA (and nothing else for https). For tests and
 * harness setup; never throws on an HTTP error status.
 */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  const target = new URL(url);
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers["content-length"] = String(body.length);
  // plain http URLs go through the same function (the stand-ins can also run without TLS)
  const secure = target.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      target,
      {
        method: opts.method ?? "GET",
        headers,
        ...(secure ? { ca: fs.readFileSync(localTls().caCertPath) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
