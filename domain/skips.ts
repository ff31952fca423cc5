// The acknowledged skip list (config acceptedSkips): keys the operator accepts the host cannot
// back up (folder markers, a prefix of archived objects). The engine matches each skipped key
// against the patterns with Python's fnmatch.fnmatchcase (ccb/cli.py accepted_skip): "*" matches
// any run of characters including "/", "?" one character, "[abc]" one of a set.

/** At most this many patterns. */
export const ACCEPTED_SKIPS_MAX = 100;

/** S3 keys are at most 1,024 bytes of UTF-8: a longer pattern can match nothing useful. */
const MAX_PATTERN_BYTES = 1024;

/** What is wrong with one pattern (empty: nothing). */
export function acceptedSkipProblems(pattern: string): string[] {
  const problems: string[] = [];
  if (pattern.length === 0) problems.push("is empty");
  else if (/^[*?]+$/.test(pattern))
    problems.push(
      "matches every key: it would hide every skip, and with it a new KMS key or storage class; list what you accept",
    );
  if (Buffer.byteLength(pattern, "utf8") > MAX_PATTERN_BYTES)
    problems.push(`is longer than ${MAX_PATTERN_BYTES} bytes (the longest S3 key)`);
  return problems;
}
