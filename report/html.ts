// Text into HTML. Everything the report prints from its inputs (object keys, error messages,
// reasons) is data written by others: an S3 key may hold "<script>", and an error may quote a
// URL. So every value is escaped, and credentials are redacted, on the way in.
import { redact } from "../domain/redaction";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Recorded text as HTML: credentials redacted, then escaped. */
export function text(s: string | number | null | undefined): string {
  return escapeHtml(redact(String(s ?? "")));
}

/** A link to a console page, or the label alone when there is none. */
export function link(href: string | undefined, label: string): string {
  return href ? `<a href="${escapeHtml(href)}" rel="noreferrer">${text(label)}</a>` : text(label);
}
