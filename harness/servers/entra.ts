// Child-process entry of the Microsoft Entra ID stand-in (started by harness/entraStandIn.ts).
// It serves a tenant's discovery documents and its token endpoint for the one flow keyless
// access uses: client_credentials with a federated client assertion (workload identity
// federation) for a user-assigned managed identity, returning a v1 access token for Azure
// Storage that Azurite's OAuth mode accepts.
//
// Sources:
// - Token request/response: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//   (grant_type=client_credentials, client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer,
//   scope=<resource>/.default; response token_type, expires_in, ext_expires_in, access_token).
// - Federated credential matching: issuer, subject and audience must equal the credential's
//   values exactly (case-sensitive since 2024), audience api://AzureADTokenExchange:
//   https://learn.microsoft.com/entra/workload-id/workload-identity-federation
// - Error JSON (error, error_description "AADSTSnnn: ... Trace ID: ... Correlation ID: ...
//   Timestamp: ...", error_codes, timestamp, trace_id, correlation_id, error_uri) and the codes
//   below: real answers quoted in Azure/azure-workload-identity issues #340, #616, #1200, #1232,
//   #1350, Azure/login #180, #482, and MSAL issues:
//     AADSTS700211 no matching federated identity record for the assertion's issuer
//     AADSTS700213 ... for the assertion's subject;  AADSTS700212 ... for the audience
//       (AADSTS70021 is the older message naming all three; Entra now answers the specific one)
//     AADSTS700024 client assertion is not within its valid time range
//     AADSTS7000272 signing key not found in the issuer's metadata
//     AADSTS7000274 client assertion contains an invalid signature
//     AADSTS700016 application (client id) not found in the directory
//     AADSTS90002 tenant not found; AADSTS900144 missing parameter; AADSTS50027 malformed JWT
//     AADSTS1002012 client-credential scope must end in /.default; AADSTS500011 unknown resource
//     AADSTS50166 request to the external OIDC endpoint failed
//   The order in which Entra applies these checks is not documented; the order here is a guess.
// - Access token claims: Azure Storage takes v1 tokens (iss https://sts.windows.net/<tid>/,
//   aud https://storage.azure.com, tid, oid, appid, ...). Azurite 3.35 (--oauth basic) checks
//   only iat/nbf/exp, the issuer prefix and the audience, never the signature, and its User
//   Delegation Key needs oid and tid (Azurite issue 2420).
import {
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  createHash,
  createPublicKey,
} from "node:crypto";
import type { IncomingMessage } from "node:http";
import { decode, sign, verify, type Algorithm, type JwtPayload } from "jsonwebtoken";
import { getJson, nowSeconds, readConfigArg, serve, type ListenConfig } from "./common";

export interface FederatedCredentialConfig {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface EntraIdentityConfig {
  /** The user-assigned identity's client id (what the host sends as client_id). */
  clientId: string;
  /** Its object (principal) id: the access token's oid and sub. */
  principalId: string;
  /** ARM id, for the xms_mirid claim managed identities carry (optional). */
  resourceId?: string;
  federatedCredentials: FederatedCredentialConfig[];
  /** Shift iat/nbf/exp of this identity's access tokens (test clock), e.g. -7200. */
  accessTokenClockOffsetSeconds?: number;
}

export interface EntraServerConfig extends ListenConfig {
  /** e.g. https://127.0.0.1:41235 (stands in for https://login.microsoftonline.com) */
  publicBaseUrl: string;
  tenantId: string;
  identities: EntraIdentityConfig[];
  /** Resources a `<resource>/.default` scope may name. */
  resources: string[];
  accessTokenLifetimeSeconds: number;
  /** Tolerance for the assertion's exp/nbf. */
  clockSkewSeconds: number;
  /** JWS algorithms accepted on assertions. */
  assertionAlgorithms: string[];
  /** CA to trust when fetching an https issuer's discovery document and JWKS. */
  issuerCaCertPath?: string;
}

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const WIF_DOC = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** "2024-03-01 07:41:07Z" (the error JSON's timestamp format). */
function entraTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** "2024-10-02T22:05:03.6755165Z" (the time format inside AADSTS700024). */
function entraTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

function json(status: number, value: unknown): Reply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(value),
  };
}

function errorReply(config: EntraServerConfig, err: EntraError): Reply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const now = new Date();
  return json(err.status, {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${entraTimestamp(now)}`,
    error_codes: [err.code],
    timestamp: entraTimestamp(now),
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${config.publicBaseUrl}/error?code=${err.code}`,
  });
}

const invalidClient = (code: number, message: string) =>
  new EntraError(401, "invalid_client", code, message);
const invalidRequest = (code: number, message: string) =>
  new EntraError(400, "invalid_request", code, message);

interface SigningKey {
  kid: string;
  privateKey: ReturnType<typeof generateKeyPairSync>["privateKey"];
  publicKey: ReturnType<typeof generateKeyPairSync>["publicKey"];
}

function discoveryV2(config: EntraServerConfig, tenant: string): unknown {
  const base = `${config.publicBaseUrl}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      "client_secret_post",
      "private_key_jwt",
      "client_secret_basic",
    ],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid"],
    tenant_region_scope: "EU",
    cloud_instance_name: "microsoftonline.com",
  };
}

function discoveryV1(config: EntraServerConfig, tenant: string): unknown {
  const base = `${config.publicBaseUrl}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: [
      "client_secret_post",
      "private_key_jwt",
      "client_secret_basic",
    ],
    jwks_uri: `${config.publicBaseUrl}/common/discovery/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    issuer: `https://sts.windows.net/${tenant}/`,
    authorization_endpoint: `${base}/oauth2/authorize`,
    tenant_region_scope: "EU",
    cloud_instance_name: "microsoftonline.com",
  };
}

function keysDocument(key: SigningKey): unknown {
  return {
    keys: [
      {
        kty: "RSA",
        use: "sig",
        kid: key.kid,
        x5t: key.kid,
        ...key.publicKey.export({ format: "jwk" }),
      },
    ],
  };
}

/** Fetches the issuer's discovery document and JWKS (no caching: each exchange sees the latest). */
async function issuerKeys(config: EntraServerConfig, issuer: string): Promise<{ kid?: string }[]> {
  try {
    const discovery = (await getJson(
      `${issuer}/.well-known/openid-configuration`,
      config.issuerCaCertPath,
    )) as { jwks_uri?: string; issuer?: string };
    if (typeof discovery.jwks_uri !== "string") throw new Error("discovery has no jwks_uri");
    const jwks = (await getJson(discovery.jwks_uri, config.issuerCaCertPath)) as { keys?: unknown };
    if (!Array.isArray(jwks.keys)) throw new Error("JWKS has no keys array");
    return jwks.keys as { kid?: string }[];
  } catch (err) {
    throw invalidClient(
      50166,
      `Request to External OIDC endpoint failed. Issuer: '${issuer}'. (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

async function exchangeAssertion(
  config: EntraServerConfig,
  signingKey: SigningKey,
  tenant: string,
  form: URLSearchParams,
  v1: boolean,
): Promise<Reply> {
  for (const name of ["grant_type", "client_id"]) {
    if (!form.get(name)) {
      throw invalidRequest(
        900144,
        `The request body must contain the following parameter: '${name}'.`,
      );
    }
  }
  if (form.get("grant_type") !== "client_credentials") {
    throw new EntraError(
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${form.get("grant_type")}'.`,
    );
  }
  const clientId = form.get("client_id") ?? "";
  // resource: v2 takes "<resource>/.default" scopes, v1 a plain resource parameter
  let resource: string;
  if (v1) {
    resource = form.get("resource") ?? "";
    if (resource === "") {
      throw invalidRequest(
        900144,
        "The request body must contain the following parameter: 'resource'.",
      );
    }
  } else {
    const scope = form.get("scope");
    if (!scope)
      throw invalidRequest(
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    if (!scope.endsWith("/.default") || scope.trim().includes(" ")) {
      throw new EntraError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    resource = scope.slice(0, -"/.default".length);
  }
  if (!config.resources.includes(resource.replace(/\/$/, ""))) {
    throw new EntraError(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  const assertion = form.get("client_assertion");
  if (!assertion || form.get("client_assertion_type") !== JWT_BEARER) {
    throw invalidClient(
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  const identity = config.identities.find((i) => i.clientId === clientId);
  if (identity === undefined) {
    throw new EntraError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const decoded = decode(assertion, { complete: true });
  const claims = decoded?.payload;
  if (decoded === null || typeof claims !== "object" || claims === null) {
    throw invalidRequest(50027, "JWT token is invalid or malformed.");
  }
  const iss = claims.iss ?? "";
  const sub = claims.sub ?? "";
  const auds =
    claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const byIssuer = identity.federatedCredentials.filter((c) => c.issuer === iss);
  const detail = `Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOC}`;
  if (byIssuer.length === 0) {
    throw invalidClient(
      700211,
      `No matching federated identity record found for presented assertion issuer '${iss}'. ${detail}`,
    );
  }
  const bySubject = byIssuer.filter((c) => c.subject === sub);
  if (bySubject.length === 0) {
    throw invalidClient(
      700213,
      `No matching federated identity record found for presented assertion subject '${sub}'. ${detail}`,
    );
  }
  if (!bySubject.some((c) => c.audiences.some((a) => auds.includes(a)))) {
    throw invalidClient(
      700212,
      `No matching federated identity record found for presented assertion audience '${auds.join(",")}'. ${detail}`,
    );
  }
  // signature: the key named by the header's kid in the issuer's published JWKS
  const alg = decoded.header.alg;
  if (!config.assertionAlgorithms.includes(alg)) {
    throw invalidClient(
      7000274,
      `Client assertion contains an invalid signature. [Reason - The algorithm '${alg}' is not supported.]`,
    );
  }
  const jwks = await issuerKeys(config, iss);
  const jwk = jwks.find((k) => k.kid === decoded.header.kid);
  if (jwk === undefined) {
    throw invalidClient(
      7000272,
      `The certificate with identifier ${decoded.header.kid ?? "(none)"} used to sign the federated credential could not be found in the metadata of identity provider ${iss}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.`,
    );
  }
  try {
    verify(assertion, createPublicKey({ key: jwk as never, format: "jwk" }), {
      algorithms: [alg as Algorithm],
      ignoreExpiration: true,
      ignoreNotBefore: true,
    });
  } catch {
    throw invalidClient(
      7000274,
      `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${decoded.header.kid}']`,
    );
  }
  // lifetime, with Entra-style tolerance
  const now = nowSeconds();
  const exp = typeof claims.exp === "number" ? claims.exp : undefined;
  const nbf = typeof claims.nbf === "number" ? claims.nbf : undefined;
  if (
    exp === undefined ||
    now > exp + config.clockSkewSeconds ||
    (nbf !== undefined && now + config.clockSkewSeconds < nbf)
  ) {
    throw invalidClient(
      700024,
      `Client assertion is not within its valid time range. Current time: ${entraTime(now)}, assertion valid from ${entraTime(nbf ?? claims.iat ?? 0)}, expiry time of assertion ${exp === undefined ? "(none)" : entraTime(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
  }
  return issueAccessToken(config, signingKey, identity, resource, v1);
}

function issueAccessToken(
  config: EntraServerConfig,
  key: SigningKey,
  identity: EntraIdentityConfig,
  resource: string,
  v1: boolean,
): Reply {
  const iat = nowSeconds(identity.accessTokenClockOffsetSeconds ?? 0);
  const exp = iat + config.accessTokenLifetimeSeconds;
  const stsIssuer = `https://sts.windows.net/${config.tenantId}/`;
  const claims: JwtPayload & Record<string, unknown> = {
    aud: resource.replace(/\/$/, ""),
    iss: stsIssuer,
    iat,
    nbf: iat,
    exp,
    aio: randomBytes(24).toString("base64"),
    appid: identity.clientId,
    appidacr: "2",
    idp: stsIssuer,
    idtyp: "app",
    oid: identity.principalId,
    rh: randomBytes(24).toString("base64url"),
    sub: identity.principalId,
    tid: config.tenantId,
    uti: randomBytes(16).toString("base64url"),
    ver: "1.0",
  };
  if (identity.resourceId !== undefined) claims.xms_mirid = identity.resourceId;
  const accessToken = sign(claims, key.privateKey, {
    algorithm: "RS256",
    keyid: key.kid,
    header: { alg: "RS256", typ: "JWT", x5t: key.kid },
  });
  const lifetime = exp - nowSeconds();
  if (v1) {
    return json(200, {
      token_type: "Bearer",
      expires_in: String(lifetime),
      ext_expires_in: String(lifetime),
      expires_on: String(exp),
      not_before: String(iat),
      resource,
      access_token: accessToken,
    });
  }
  return json(200, {
    token_type: "Bearer",
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
  });
}

export async function handleEntra(
  config: EntraServerConfig,
  key: SigningKey,
  req: IncomingMessage,
  body: Buffer,
): Promise<Reply> {
  const url = new URL(req.url ?? "/", config.publicBaseUrl);
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const tenant = segments[0] ?? "";
  const rest = "/" + segments.slice(1).join("/");
  try {
    if (tenant === "common" && rest === "/discovery/keys" && req.method === "GET") {
      return json(200, keysDocument(key));
    }
    if (tenant !== config.tenantId) {
      throw invalidRequest(
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      );
    }
    if (req.method === "GET") {
      if (rest === "/v2.0/.well-known/openid-configuration")
        return json(200, discoveryV2(config, tenant));
      if (rest === "/.well-known/openid-configuration")
        return json(200, discoveryV1(config, tenant));
      if (rest === "/discovery/v2.0/keys" || rest === "/discovery/keys")
        return json(200, keysDocument(key));
    }
    if (req.method === "POST" && (rest === "/oauth2/v2.0/token" || rest === "/oauth2/token")) {
      const contentType = String(req.headers["content-type"] ?? "");
      if (!contentType.startsWith("application/x-www-form-urlencoded")) {
        throw invalidRequest(
          900144,
          "The request body must contain the following parameter: 'grant_type'.",
        );
      }
      const form = new URLSearchParams(body.toString("utf8"));
      return await exchangeAssertion(config, key, tenant, form, rest === "/oauth2/token");
    }
    return { status: 404, headers: { "content-type": "text/plain" }, body: "not found" };
  } catch (err) {
    if (err instanceof EntraError) return errorReply(config, err);
    throw err;
  }
}

export function generateSigningKey(): SigningKey {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = createHash("sha1")
    .update(pair.publicKey.export({ format: "der", type: "spki" }))
    .digest("base64url");
  return { kid, ...pair };
}

if (require.main === module) {
  const config = readConfigArg<EntraServerConfig>();
  const key = generateSigningKey();
  serve(config, (req, body) => handleEntra(config, key, req, body));
}
