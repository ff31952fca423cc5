import { readFileSync } from "node:fs";
import * as path from "node:path";

export const HOST_PACKAGES_FILE = path.join(__dirname, "host-packages.txt");

/** The pinned Debian packages (name -> exact version) from userdata/host-packages.txt. */
export function hostPackages(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(HOST_PACKAGES_FILE, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-z0-9][a-z0-9+.-]+)=([A-Za-z0-9.+~:-]+)$/.exec(line);
    if (!m) throw new Error(`${HOST_PACKAGES_FILE}: "${line}" is not name=version`);
    out[m[1]] = m[2];
  }
  return out;
}

/** An apt preferences file that holds each pinned package at its version. */
export function aptPreferences(pkgs: Record<string, string>): string {
  return Object.entries(pkgs)
    .map(([name, version]) => `Package: ${name}\nPin: version ${version}\nPin-Priority: 1001\n`)
    .join("\n");
}
