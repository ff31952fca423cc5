// What must never be printed: SAS fields, account keys, JWTs, SigV4 signatures. One list for
// the engine (generated into its contract.py) and the operator commands (restore, status).

export interface Redaction {
  /**
   * A regular expression valid in both JavaScript and Python `re`; matched case-insensitively,
   * with ASCII semantics for \b and \s in both (Python's re.ASCII).
   */
  pattern: string;
  /** The replacement; `$1` is the first group (the generator writes `\1` for Python). */
  replacement: string;
}

export const REDACTIONS: readonly Redaction[] = [
  // SAS query fields, whatever their case, where a query puts them: after ?, &, ;, a space or a
  // quote, or an escaped & (\u0026 in JSON, %26, &amp;). Not after "/", so that an S3 key such
  // as exports/ST=CA/part-0 stays readable in an error. A value ends at &, space, a quote, <,
  // >, ; or \ (the end of a JSON-escaped string).
  {
    pattern: String.raw`([?&;\s"'(]|\\u0026|%26|&amp;)(sig|se|sp|sv|st|sr|spr|sip|skoid|sktid|skt|ske|sks|skv)=[^&\s"'<>;\\]*`,
    replacement: "$1$2=REDACTED",
  },
  // Connection strings.
  {
    pattern: String.raw`(AccountKey|SharedAccessSignature)=[^;\s"'\\]*`,
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
