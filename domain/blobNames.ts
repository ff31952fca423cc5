// Blob names <-> S3 keys. The sync engine copies with rclone 1.60.1, whose azureblob backend
// encodes each path segment: control characters and DEL become Unicode control pictures
// (U+2400-U+241F, U+2421), a backslash becomes a fullwidth backslash (U+FF3C), and a trailing
// period becomes a fullwidth full stop (U+FF0E), because Azure cannot hold names ending in ".".
// The engine names (and does not store) any key that already contains one of those characters,
// so decoding is unambiguous. This is the one TypeScript copy of the engine's ccb/names.py's
// decode_blob_name, key_problem and restores_exactly; test/domain/blobNames.test.ts and
// test/restore/names.test.ts run both over the same corpus. It lives in domain/ because restore,
// the harness and the engine all depend on it.

/** rclone's encoding of one key segment (ccb/names.py encode_segment). */
export function encodeSegment(seg: string): string {
  let out = "";
  for (const ch of seg) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20) out += String.fromCharCode(0x2400 + c);
    else if (c === 0x7f) out += "\u2421";
    else if (ch === "\\") out += "\uff3c";
    else out += ch;
  }
  return out.endsWith(".") ? `${out.slice(0, -1)}\uff0e` : out;
}

/** The blob name (relative to data/) of a key relative to the backed-up prefix. */
export function blobName(rel: string): string {
  return rel.split("/").map(encodeSegment).join("/");
}

/** The S3 key (relative to the backed-up prefix) of a blob name relative to data/. */
export function decodeBlobName(name: string): string {
  return name
    .split("/")
    .map((seg) => {
      const s = seg.endsWith("\uff0e") ? `${seg.slice(0, -1)}.` : seg;
      let out = "";
      for (const ch of s) {
        const c = ch.codePointAt(0)!;
        if (c >= 0x2400 && c < 0x2420) out += String.fromCharCode(c - 0x2400);
        else if (ch === "\u2421") out += "\x7f";
        else if (ch === "\uff3c") out += "\\";
        else out += ch;
      }
      return out;
    })
    .join("/");
}

/**
 * Characters rclone itself uses to encode names (control pictures, fullwidth . / \ and its
 * quote) and U+FFFD (ccb/names.py ENCODING_CHARS).
 */
const ENCODING_CHARS = /[\u2400-\u2421\uff0f\uff3c\u201b\ufffd]/u;

/**
 * Why an S3 key (relative to the prefix) cannot be stored so that it restores exactly, or
 * undefined (ccb/names.py key_problem: the engine names such a key and does not store it).
 */
export function keyProblem(rel: string): string | undefined {
  const segs = rel.split("/");
  if (rel === "") return "the key equals the prefix (a folder marker)";
  if (rel.endsWith("/")) return "the key ends in '/' (a folder marker): rclone cannot address it";
  if (rel.startsWith("/") || rel.includes("//"))
    return "the key has an empty path segment ('//' or a leading '/'): rclone cannot address it";
  if (rel.includes("\n") || rel.includes("\r")) return "the key contains a line break";
  if (segs.some((s) => s === "." || s === "..")) return "the key has a '.' or '..' path segment";
  if (ENCODING_CHARS.test(rel) || segs.some((s) => s.endsWith("\uff0e")))
    return "the key contains a character rclone uses to encode names (U+2400-U+2421, U+FF0F, U+FF3C, U+201B, U+FF0E at the end of a segment) or U+FFFD";
  return undefined;
}

/**
 * The key a blob name (relative to data/) decodes to, if the engine writes exactly that name for
 * that key, else undefined (ccb/names.py restores_exactly). A name the engine could never have
 * written (".\uff0e" decodes to "..") was put in the vault by someone else.
 */
export function restoresExactly(name: string): string | undefined {
  const rel = decodeBlobName(name);
  return keyProblem(rel) === undefined && blobName(rel) === name ? rel : undefined;
}
