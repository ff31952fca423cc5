// Runs harness/federation-client.py with the host's interpreter (Debian's /usr/bin/python3 and
// python3-botocore 1.29, isolated from the environment's Python paths), one JSON object in and
// one out. The script performs the keyless-access steps the sync engine will: a botocore-signed
// sts:GetWebIdentityToken, the Entra client-assertion exchange, Get User Delegation Key and the
// user-delegation SAS.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { cleanEnv } from "./emulators";

export const HOST_PYTHON = "/usr/bin/python3";
const SCRIPT = path.join(__dirname, "federation-client.py");

export type FederationCommand = "sts" | "entra" | "udk" | "sas" | "chain";

/** Rejects if the script fails (a Python traceback is a client bug, never an expected result). */
export function federationClient<T = Record<string, unknown>>(
  command: FederationCommand,
  input: unknown,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(HOST_PYTHON, ["-I", SCRIPT, command], {
      env: cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.once("error", reject);
    child.once("close", (code) => {
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (code !== 0) {
        reject(new Error(`federation-client.py ${command} exited ${code}:\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`federation-client.py ${command} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** `sts`: the HTTP status and body, plus the parsed success or ErrorResponse members. */
export interface StsResult {
  status: number;
  body: string;
  token?: string;
  expiration?: string;
  requestId?: string;
  errorType?: string;
  errorCode?: string;
  errorMessage?: string;
}

/** `entra`: the token endpoint's HTTP status and JSON body (success or error shape). */
export interface EntraResult {
  status: number;
  json: {
    token_type?: string;
    expires_in?: number;
    ext_expires_in?: number;
    access_token?: string;
    error?: string;
    error_description?: string;
    error_codes?: number[];
    timestamp?: string;
    trace_id?: string;
    correlation_id?: string;
    error_uri?: string;
  };
}

export interface UserDelegationKey {
  signedOid: string;
  signedTid: string;
  signedStart: string;
  signedExpiry: string;
  signedService: string;
  signedVersion: string;
  value: string;
}

/** `udk`: Get User Delegation Key's HTTP status and body, plus the parsed key on success. */
export interface UdkResult {
  status: number;
  body: string;
  key?: UserDelegationKey;
}

/** `sas`: the query string (no "?") and the exact string that was signed. */
export interface SasResult {
  sas: string;
  stringToSign: string;
}

/** `chain`: each step's result, up to the first one that failed. */
export interface ChainResult {
  sts: StsResult;
  entra?: EntraResult;
  udk?: UdkResult;
  sas?: SasResult;
}
