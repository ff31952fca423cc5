// Numbers and times as the report prints them: UTC, fixed locale, so a report rebuilt from the
// same inputs is the same text on any machine.

/** "2026-11-25 10:00 UTC" */
export function utc(t: number | string): string {
  const d = new Date(typeof t === "string" ? Date.parse(t) : t);
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "3.2 h", or "4.5 days" past 48 hours. */
export function duration(seconds: number): string {
  const h = seconds / 3600;
  if (h < 1) return `${Math.round(seconds / 60)} min`;
  return h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`;
}

/** "12,345" */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Binary units, as the operator commands print sizes. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** "42.1%" of a fraction. */
export function percent(fraction: number): string {
  return `${(Math.floor(fraction * 1000) / 10).toFixed(1)}%`;
}
