// The SAS rotation window (credentialMode "sas"): one rule for the SAS the program signs and for
// the scheduled workflow that renews it (scripts/sas-window.ts). Windows are `rotationDays` long
// and start at 00:00 UTC on days whose number since 1970-01-01 divides by `rotationDays`.

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The SAS validity for a rotation window of `rotationDays`: it starts at the beginning of the
 * current window (so every `pulumi up` inside one window asks for the same SAS and shows no diff)
 * and expires two windows later (so the credential always outlives the next window's update).
 */
export function sasWindow(now: Date, rotationDays: number): { start: string; expiry: string } {
  const windowMs = rotationDays * DAY_MS;
  const startMs = Math.floor(now.getTime() / windowMs) * windowMs;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { start: iso(startMs), expiry: iso(startMs + 2 * windowMs) };
}

/**
 * True on the first UTC day of a window: the day the scheduled workflow renews the SAS with a
 * `pulumi up`, which then signs the new window's SAS (one up per window keeps the SAS valid).
 */
export function sasRenewalDue(now: Date, rotationDays: number): boolean {
  return now.getTime() - Date.parse(sasWindow(now, rotationDays).start) < DAY_MS;
}
