// The acknowledged skip list (config acceptedSkips) as the harness reads it.

/**
 * The acknowledged skip list as the engine applies it (Python's fnmatch.fnmatchcase): "*" any
 * run of characters including "/", "?" one character, "[...]" one of a set.
 */
export function acceptedSkip(patterns: readonly string[]): (key: string) => boolean {
  const res = patterns.map((p) => {
    let re = "";
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      const close = c === "[" ? p.indexOf("]", i + 2) : -1;
      if (c === "*") re += "[\\s\\S]*";
      else if (c === "?") re += "[\\s\\S]";
      else if (close > 0) {
        const set = p.slice(i + 1, close);
        re += set.startsWith("!") ? `[^${set.slice(1)}]` : `[${set}]`;
        i = close;
      } else re += c.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    }
    return new RegExp(`^${re}$`, "u");
  });
  return (key) => res.some((r) => r.test(key));
}
