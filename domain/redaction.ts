// What must never be printed: SAS fields, account keys, JWTs, SigV4 signatures. One list for
// the engine (generated into its contract.py) and the operator commands (restore, status).

export interface Redaction {
  /** A regular expression valid in both JavaScript and Python `re`; matched case-insensitively. */
  pattern: string;
  /** The replacement; `$1` is the first group (the generator writes `\1` for Python). */
  replacement: string;
}

export const REDACTIONS: readonly Redaction[] = [
  // SAS query fields, whatever their case; a value ends at &, space, a quote, <, >, ; or \ (the
  // end of a JSON-escaped string).
  {
    pattern: String.raw`\b(sig|se|sp|sv|st|sr|spr|sip|skoid|sktid|skt|ske|sks|skv)=[^&\s"'<>;\\]*`,
    replacement: "$1=REDACTED",
  },
  // Connection strings.
  {
    pattern: String.raw`\b(AccountKey|SharedAccessSignature)=[^;\s"'\\]*`,
    replacement: "$1=REDACTED",
  },
  // JWTs (Entra access tokens, STS web identity tokens).
  {
    pattern: String.raw`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
    replacement: "REDACTED-JWT",
  },
  // SigV4 presigned URLs and session tokens.
  {
    pattern: String.raw`\b(Signature|Credential|X-Amz-Security-Token)=[^&\s"'<>\\]*`,
    replacement: "$1=REDACTED",
  },
];

/** Removes credentials from text that may be printed. */
export function redact(text: string): string {
  let out = text;
  for (const r of REDACTIONS) out = out.replace(new RegExp(r.pattern, "gi"), r.replacement);
  return out;
}
