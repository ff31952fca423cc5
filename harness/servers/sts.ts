// Child-process entry of the AWS STS stand-in (started by harness/stsStandIn.ts; do not import
// it for its side effects). It answers one action, GetWebIdentityToken (IAM outbound identity
// federation), the way a regional STS endpoint does, and serves the account's issuer: OIDC
// discovery and JWKS under `issuerPath`.
//
// Sources for the shapes modelled here:
// - Request/response members, constraints and modelled errors: botocore's STS service model
//   (data/sts/2011-06-15/service-2.json, botocore 1.43; Debian's 1.29 predates the action):
//   protocol "query", POST /, resultWrapper GetWebIdentityTokenResult {WebIdentityToken,
//   Expiration}, Audience 1-10 items of 1-1000 chars, DurationSeconds 60-3600 (default 300),
//   SigningAlgorithm RS256 | ES384, Tags <= 50, errors SessionDurationEscalationException (403),
//   OutboundWebIdentityFederationDisabledException (403), JWTPayloadSizeExceededException (400).
// - Claims: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_token_claims.html
//   (iss, aud, sub = principal ARN, iat, exp, jti; AWS claims under "https://sts.amazonaws.com/")
//   and https://docs.aws.amazon.com/STS/latest/APIReference/API_GetWebIdentityToken.html
//   (principal_id in that namespace; not available on the global endpoint).
// - Discovery/JWKS layout (kid "RSA_0", "EC384_0", jwks_uri <issuer>/.well-known/jwks.json,
//   claims_supported): a real issuer's documents quoted in Forgejo's tests.
// - Error envelope (ErrorResponse/Error/Type,Code,Message + RequestId) and the SigV4 messages:
//   real STS answers quoted in public issues (e.g. "Credential should be scoped to a valid
//   region.", "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy
//   constraint: Member must have value greater than or equal to 900").
import {
  createHash,
  createHmac,
  generateKeyPairSync,
  randomUUID,
  timingSafeEqual,
} from "node:crypto";
import type { IncomingMessage } from "node:http";
import { sign } from "jsonwebtoken";
import { SignatureV4 } from "@smithy/signature-v4";
import { nowSeconds, readConfigArg, serve, xmlEscape, type ListenConfig } from "./common";

export interface StsAccountConfig {
  accessKeyId: string;
  secretAccessKey: string;
  /** Instance-profile credentials carry one; requests must then send it (X-Amz-Security-Token). */
  sessionToken?: string;
  /** The role the credentials belong to: becomes the token's `sub` and `principal_id`. */
  roleArn: string;
  /** Adds the documented session-context claim ec2_source_instance_arn. */
  ec2InstanceArn?: string;
  /** When the role session ends (ISO time): a token may not outlive it (403 escalation). */
  sessionExpiresAt?: string;
  /** Shift iat/exp of this account's tokens (test clock), e.g. -7200 for an already-expired one. */
  tokenClockOffsetSeconds?: number;
}

export interface StsServerConfig extends ListenConfig {
  region: string;
  /** e.g. https://127.0.0.1:41234 */
  publicBaseUrl: string;
  /** e.g. /issuer/3f1c...; the issuer URL is publicBaseUrl + issuerPath (no trailing slash). */
  issuerPath: string;
  accounts: StsAccountConfig[];
  /** false answers every call with OutboundWebIdentityFederationDisabledException. */
  federationEnabled: boolean;
}

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
const API_VERSION = "2011-06-15";
const MAX_SKEW_SECONDS = 15 * 60; // SigV4's documented window
const SIGNING_ALGORITHMS = ["RS256", "ES384"] as const;
type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function errorReply(err: StsError, requestId: string): Reply {
  return {
    status: err.status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body:
      `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>Sender</Type>\n` +
      `    <Code>${xmlEscape(err.code)}</Code>\n    <Message>${xmlEscape(err.message)}</Message>\n` +
      `  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
  };
}

function jsonReply(value: unknown): Reply {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  };
}

/** SHA-256 / HMAC-SHA-256 in the shape @smithy/signature-v4 expects (what @smithy/hash-node does). */
class NodeSha256 {
  private hash;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = NodeSha256.create(secret);
  }
  private static toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
    if (typeof data === "string") return Buffer.from(data, "utf8");
    if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return Buffer.from(data);
  }
  private static create(secret?: string | ArrayBuffer | ArrayBufferView) {
    return secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", NodeSha256.toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(NodeSha256.toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = NodeSha256.create(this.secret);
  }
}

/** "20250101T120000Z" -> Date, or undefined. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/**
 * Verifies a SigV4 Authorization header the way AWS does, in AWS's order of complaints, by
 * recomputing the signature with @smithy/signature-v4 over exactly the headers the client signed.
 * Returns the account whose key signed the request.
 */
async function authenticate(
  config: StsServerConfig,
  req: IncomingMessage,
  url: URL,
  body: Buffer,
): Promise<StsAccountConfig> {
  const authorization = headerValue(req, "authorization");
  if (authorization === undefined) {
    // presigned (query-string) SigV4 is not modelled: treated as unauthenticated
    throw new StsError(
      403,
      "MissingAuthenticationToken",
      "Request is missing Authentication Token",
    );
  }
  const m = /^(\S+) (.*)$/.exec(authorization.trim());
  if (!m || m[1] !== "AWS4-HMAC-SHA256") {
    throw new StsError(
      400,
      "IncompleteSignature",
      `Unsupported AWS 'algorithm': '${m ? m[1] : authorization}'.`,
    );
  }
  const parts = new Map<string, string>();
  for (const piece of m[2].split(",")) {
    const eq = piece.indexOf("=");
    if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const amzDateHeader = headerValue(req, "x-amz-date");
  const missing = [
    parts.has("Credential") ? "" : "Authorization header requires 'Credential' parameter.",
    parts.has("Signature") ? "" : "Authorization header requires 'Signature' parameter.",
    parts.has("SignedHeaders") ? "" : "Authorization header requires 'SignedHeaders' parameter.",
    amzDateHeader !== undefined
      ? ""
      : "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  ].filter((s) => s !== "");
  if (missing.length > 0) {
    throw new StsError(400, "IncompleteSignature", `${missing.join(" ")} Authorization=${m[2]}`);
  }
  const credential = parts.get("Credential") ?? "";
  const signedHeaders = (parts.get("SignedHeaders") ?? "").split(";");
  const clientSignature = parts.get("Signature") ?? "";
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = credential.split("/");
  const requestDate = parseAmzDate(amzDateHeader ?? "");
  if (requestDate === undefined) {
    throw new StsError(
      400,
      "IncompleteSignature",
      `Date must be in ISO-8601 'basic format'. Got '${amzDateHeader}'.`,
    );
  }
  const longDate = amzDateHeader ?? "";
  if (scopeDate !== longDate.slice(0, 8)) {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${longDate.slice(0, 8)}', from '${longDate}'.`,
    );
  }
  if (scopeRegion !== config.region) {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      "Credential should be scoped to a valid region.",
    );
  }
  if (scopeService !== "sts") {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      "Credential should be scoped to correct service: 'sts'.",
    );
  }
  if (terminator !== "aws4_request") {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
    );
  }
  const now = new Date();
  const skewMs = requestDate.getTime() - now.getTime();
  if (skewMs < -MAX_SKEW_SECONDS * 1000) {
    const limit = new Date(now.getTime() - MAX_SKEW_SECONDS * 1000);
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      `Signature expired: ${longDate} is now earlier than ${amzDate(limit)} (${amzDate(now)} - 15 min.)`,
    );
  }
  if (skewMs > MAX_SKEW_SECONDS * 1000) {
    const limit = new Date(now.getTime() + MAX_SKEW_SECONDS * 1000);
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      `Signature not yet current: ${longDate} is still later than ${amzDate(limit)} (${amzDate(now)} + 15 min.)`,
    );
  }
  const account = config.accounts.find((a) => a.accessKeyId === accessKeyId);
  if (account === undefined) {
    throw new StsError(
      403,
      "InvalidClientTokenId",
      "The security token included in the request is invalid.",
    );
  }
  // temporary credentials are only valid together with their session token, and vice versa
  const sentToken = headerValue(req, "x-amz-security-token");
  if ((account.sessionToken ?? undefined) !== sentToken) {
    throw new StsError(
      403,
      "InvalidClientTokenId",
      "The security token included in the request is invalid.",
    );
  }
  if (!signedHeaders.includes("host")) {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const payloadHash = createHash("sha256").update(body).digest("hex");
  const declaredHash = headerValue(req, "x-amz-content-sha256");
  if (declaredHash !== undefined && declaredHash !== payloadHash) {
    throw new StsError(
      400,
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(req, name);
    if (value !== undefined) headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  const signer = new SignatureV4({
    // the session token is covered by `headers` when the client signed it; passing it here too
    // would make the signer add it even when the client did not
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    region: config.region,
    service: "sts",
    sha256: NodeSha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? "POST",
      protocol: config.tls ? "https:" : "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate: requestDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? "";
  const ok =
    expected.length === clientSignature.length &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(clientSignature));
  if (!ok) {
    throw new StsError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  return account;
}

/** "Value 'x' at 'member' failed to satisfy constraint: ..." lines, joined like AWS does. */
function validationError(problems: string[]): StsError {
  const n = problems.length;
  return new StsError(
    400,
    "ValidationError",
    `${n} validation error${n === 1 ? "" : "s"} detected: ${problems.join("; ")}`,
  );
}

/** Query-protocol list members: Name.member.1, Name.member.2, ... (stops at the first gap). */
function listMembers(params: URLSearchParams, name: string, suffix = ""): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = params.get(`${name}.member.${i}${suffix}`);
    if (v === null) return out;
    out.push(v);
  }
}

interface TokenRequest {
  audience: string[];
  signingAlgorithm: SigningAlgorithm;
  durationSeconds: number;
  tags: Record<string, string>;
}

function parseGetWebIdentityToken(params: URLSearchParams): TokenRequest {
  const problems: string[] = [];
  const audience = listMembers(params, "Audience");
  if (audience.length === 0) {
    problems.push("Value null at 'audience' failed to satisfy constraint: Member must not be null");
  } else if (audience.length > 10) {
    problems.push(
      `Value '[${audience.join(", ")}]' at 'audience' failed to satisfy constraint: Member must have length less than or equal to 10`,
    );
  }
  audience.forEach((a, i) => {
    if (a.length < 1 || a.length > 1000) {
      problems.push(
        `Value '${a}' at 'audience.${i + 1}.member' failed to satisfy constraint: Member must have length ${a.length < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
      );
    }
  });
  const alg = params.get("SigningAlgorithm");
  if (alg === null) {
    problems.push(
      "Value null at 'signingAlgorithm' failed to satisfy constraint: Member must not be null",
    );
  } else if (alg.length !== 5) {
    problems.push(
      `Value '${alg}' at 'signingAlgorithm' failed to satisfy constraint: Member must have length ${alg.length < 5 ? "greater than or equal to 5" : "less than or equal to 5"}`,
    );
  }
  const rawDuration = params.get("DurationSeconds");
  let durationSeconds = 300;
  if (rawDuration !== null) {
    durationSeconds = Number(rawDuration);
    if (!/^-?\d+$/.test(rawDuration)) {
      problems.push(
        `Value '${rawDuration}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`,
      );
    } else if (durationSeconds < 60) {
      problems.push(
        `Value '${rawDuration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60`,
      );
    } else if (durationSeconds > 3600) {
      problems.push(
        `Value '${rawDuration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600`,
      );
    }
  }
  const tagKeys = listMembers(params, "Tags", ".Key");
  const tagValues = listMembers(params, "Tags", ".Value");
  if (tagKeys.length > 50) {
    problems.push(
      "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
  }
  if (problems.length > 0) throw validationError(problems);
  // the model only constrains the length; the set of values is documented (RS256 | ES384)
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg ?? "")) {
    throw new StsError(
      400,
      "ValidationError",
      `Value '${alg}' at 'signingAlgorithm' is not supported: valid values are RS256 and ES384.`,
    );
  }
  const tags: Record<string, string> = {};
  tagKeys.forEach((k, i) => (tags[k] = tagValues[i] ?? ""));
  return {
    audience,
    signingAlgorithm: alg as SigningAlgorithm,
    durationSeconds,
    tags,
  };
}

interface SigningKeys {
  rsa: ReturnType<typeof generateKeyPairSync>;
  ec: ReturnType<typeof generateKeyPairSync>;
}

function jwks(keys: SigningKeys): unknown {
  // same members as a real issuer's JWKS: the RSA key has no "alg", the EC key does
  return {
    keys: [
      { ...keys.rsa.publicKey.export({ format: "jwk" }), kid: "RSA_0", use: "sig" },
      { ...keys.ec.publicKey.export({ format: "jwk" }), alg: "ES384", kid: "EC384_0", use: "sig" },
    ],
  };
}

function accountIdOf(roleArn: string): string {
  return roleArn.split(":")[4] ?? "";
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function issueToken(
  config: StsServerConfig,
  keys: SigningKeys,
  account: StsAccountConfig,
  request: TokenRequest,
): { token: string; exp: number } {
  const iat = nowSeconds(account.tokenClockOffsetSeconds ?? 0);
  const exp = iat + request.durationSeconds;
  const awsClaims: Record<string, unknown> = {
    aws_account: accountIdOf(account.roleArn),
    source_region: config.region,
    principal_id: account.roleArn,
  };
  if (account.ec2InstanceArn !== undefined) {
    awsClaims.ec2_source_instance_arn = account.ec2InstanceArn;
  }
  if (account.sessionExpiresAt !== undefined) {
    awsClaims.original_session_exp = account.sessionExpiresAt;
  }
  if (Object.keys(request.tags).length > 0) awsClaims.request_tags = request.tags;
  const payload = {
    iss: config.publicBaseUrl + config.issuerPath,
    // a single audience is a string, several an array (RFC 7519 4.1.3)
    aud: request.audience.length === 1 ? request.audience[0] : request.audience,
    sub: account.roleArn,
    iat,
    exp,
    jti: randomUUID(),
    "https://sts.amazonaws.com/": awsClaims,
  };
  const rsa = request.signingAlgorithm === "RS256";
  const token = sign(payload, (rsa ? keys.rsa : keys.ec).privateKey, {
    algorithm: request.signingAlgorithm,
    keyid: rsa ? "RSA_0" : "EC384_0",
  });
  return { token, exp };
}

export async function handleSts(
  config: StsServerConfig,
  keys: SigningKeys,
  req: IncomingMessage,
  body: Buffer,
): Promise<Reply> {
  const url = new URL(req.url ?? "/", config.publicBaseUrl);
  const issuer = config.publicBaseUrl + config.issuerPath;
  if (
    req.method === "GET" &&
    url.pathname === `${config.issuerPath}/.well-known/openid-configuration`
  ) {
    return jsonReply({
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "jti", "https://sts.amazonaws.com/"],
      id_token_signing_alg_values_supported: ["RS256", "ES384"],
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      subject_types_supported: ["public"],
    });
  }
  if (req.method === "GET" && url.pathname === `${config.issuerPath}/.well-known/jwks.json`) {
    return jsonReply(jwks(keys));
  }
  const requestId = randomUUID();
  try {
    if (url.pathname !== "/" || (req.method !== "POST" && req.method !== "GET")) {
      throw new StsError(404, "UnknownOperation", `No operation at ${req.method} ${url.pathname}`);
    }
    // query protocol: parameters in the query string and/or a form-encoded POST body
    const params = new URLSearchParams(url.search);
    const contentType = headerValue(req, "content-type") ?? "";
    if (req.method === "POST" && contentType.startsWith("application/x-www-form-urlencoded")) {
      for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.append(k, v);
    }
    const account = await authenticate(config, req, url, body);
    const action = params.get("Action");
    if (action === null) throw new StsError(400, "MissingAction", "Missing Action");
    if (action !== "GetWebIdentityToken" || params.get("Version") !== API_VERSION) {
      throw new StsError(
        400,
        "InvalidAction",
        `Could not find operation ${action} for version ${params.get("Version") ?? "NO_VERSION_SPECIFIED"}`,
      );
    }
    const request = parseGetWebIdentityToken(params);
    if (!config.federationEnabled) {
      throw new StsError(
        403,
        "OutboundWebIdentityFederationDisabledException",
        "The outbound web identity federation feature is not enabled for this account.",
      );
    }
    if (
      account.sessionExpiresAt !== undefined &&
      nowSeconds() + request.durationSeconds > Date.parse(account.sessionExpiresAt) / 1000
    ) {
      throw new StsError(
        403,
        "SessionDurationEscalationException",
        "The requested token duration would extend the session beyond its original expiration time.",
      );
    }
    const { token, exp } = issueToken(config, keys, account, request);
    return {
      status: 200,
      headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
      body:
        `<GetWebIdentityTokenResponse xmlns="${XMLNS}">\n  <GetWebIdentityTokenResult>\n` +
        `    <WebIdentityToken>${xmlEscape(token)}</WebIdentityToken>\n` +
        `    <Expiration>${isoSeconds(exp)}</Expiration>\n  </GetWebIdentityTokenResult>\n` +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        `</GetWebIdentityTokenResponse>\n`,
    };
  } catch (err) {
    if (err instanceof StsError) return errorReply(err, requestId);
    throw err;
  }
}

export function generateSigningKeys(): SigningKeys {
  return {
    rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
    ec: generateKeyPairSync("ec", { namedCurve: "P-384" }),
  };
}

if (require.main === module) {
  const config = readConfigArg<StsServerConfig>();
  const keys = generateSigningKeys();
  serve(config, (req, body) => handleSts(config, keys, req, body));
}
