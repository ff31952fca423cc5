// No credential in plain text. The engine hands a policy every property with secrets already
// unwrapped, so a policy cannot ask whether a value is a Pulumi secret; it can ask where a
// credential-looking string appears. Allowed places: an SSM SecureString's value (the default
// SAS delivery), a Secrets Manager secret's value (the managed engine's SAS), the stack outputs
// the program exports as secrets (named in the policy config), and, only when the stack's config
// says so, user-data (SAS mode with credentialDelivery userData).
// User-data is read after decoding it (base64, gzip), as the host would.
import { gunzipSync } from "node:zlib";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { strings } from "./common";

/** What a leaked credential looks like, by kind. */
export const CREDENTIAL_PATTERNS: readonly { kind: string; pattern: RegExp }[] = [
  // A SAS token's signature (service, account or user-delegation SAS).
  { kind: "SAS signature (sig=)", pattern: /(?:^|[?&\s"'])sig=[A-Za-z0-9%+/=]{16,}/ },
  { kind: "storage account key (AccountKey=)", pattern: /AccountKey=[A-Za-z0-9+/=]{16,}/i },
  { kind: "SAS connection string", pattern: /SharedAccessSignature=[^;\s]{16,}/i },
  // header.payload.signature, each base64url; header and payload are JSON objects ("eyJ").
  { kind: "JWT", pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/ },
  { kind: "private key (PEM)", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { kind: "AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  {
    kind: "AWS secret access key",
    pattern: /aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}/i,
  },
];

/** The kinds of credential a text contains. */
export function credentialKinds(text: string): string[] {
  return CREDENTIAL_PATTERNS.filter((p) => p.pattern.test(text)).map((p) => p.kind);
}

/** User-data as the host reads it: base64 (userDataBase64), possibly gzipped. */
export function decodeUserData(value: string, base64: boolean): string {
  let bytes = base64 ? Buffer.from(value, "base64") : Buffer.from(value, "utf8");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  return bytes.toString("utf8");
}

const USER_DATA_PROPS: Record<string, boolean> = { userData: false, userDataBase64: true };

export interface PlaintextConfig {
  /** SAS mode with credentialDelivery userData: the SAS is in (secret) user-data by design. */
  credentialInUserData?: boolean;
}

export const noPlaintextCredentials: ResourceValidationPolicy = {
  name: "no-plaintext-credentials",
  description:
    "No credential (SAS, account key, JWT, private key, AWS key) in a resource's properties or user-data, except an SSM SecureString's or a Secrets Manager secret's value.",
  severity: "critical",
  configSchema: {
    properties: {
      credentialInUserData: {
        type: "boolean",
        default: false,
        description: "true only for a SAS-mode stack with credentialDelivery userData.",
      },
    },
  },
  validateResource: (args, report) => {
    const { credentialInUserData } = args.getConfig<PlaintextConfig>();
    const secureString =
      args.type === "aws:ssm/parameter:Parameter" && args.props.type === "SecureString";
    const secretsManager = args.type === "aws:secretsmanager/secretVersion:SecretVersion";
    for (const [path, value] of strings(args.props)) {
      if (secureString && path === "value") continue;
      if (secretsManager && path === "secretString") continue;
      let text = value;
      if (path in USER_DATA_PROPS) {
        if (credentialInUserData === true) continue;
        try {
          text = decodeUserData(value, USER_DATA_PROPS[path]);
        } catch {
          // Not base64/gzip after all: scan it as written.
        }
      }
      const kinds = credentialKinds(text);
      if (kinds.length > 0) report(`${path} holds a ${kinds.join(" and a ")} in plain text`);
    }
  },
};

export interface OutputsConfig {
  /** Outputs the program exports as Pulumi secrets (they may hold the SAS URL). */
  secretOutputs?: string[];
}

export const noCredentialOutputs: StackValidationPolicy = {
  name: "no-credential-outputs",
  description:
    "No stack output holds a credential, except the outputs the program exports as secrets.",
  severity: "critical",
  configSchema: {
    properties: {
      secretOutputs: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Names of the outputs the program exports as Pulumi secrets.",
      },
    },
  },
  validateStack: (args, report) => {
    const allowed = args.getConfig<OutputsConfig>().secretOutputs ?? [];
    for (const stack of args.resources.filter((r) => r.type === "pulumi:pulumi:Stack")) {
      for (const [name, value] of Object.entries(stack.props)) {
        if (allowed.includes(name)) continue;
        const kinds = [...strings(value)].flatMap(([, v]) => credentialKinds(v));
        if (kinds.length > 0)
          report(`output ${name} holds a ${[...new Set(kinds)].join(" and a ")}`, stack.urn);
      }
    }
  },
};

export const secretPolicies = [noPlaintextCredentials, noCredentialOutputs];
