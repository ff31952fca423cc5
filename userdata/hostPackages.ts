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

/**
 * The versions apt may install for a package tested at `version`: the same upstream version and
 * Debian revision, with any rebuild or stable/security update of it (a binNMU "+b6", a
 * "+deb12u1"), e.g. 1.60.1+dfsg-2+b5 -> "1.60.1+dfsg-2*". A new upstream version does not match.
 */
export function pinPattern(version: string): string {
  const base = version.replace(/\+b\d+$/, "").replace(/[+~]deb\d+u\d+$/, "");
  return `${base}*`;
}

/**
 * An apt preferences file that holds each pinned package to its tested upstream version while
 * letting Debian's rebuilds of it (Go standard library fixes arrive as binNMUs) and security
 * updates install: priority 1001 for every version matching pinPattern, and for anything
 * Debian-Security publishes (the one source trusted to move a package on; apt picks the highest
 * version among the 1001s). Other versions keep the default 500 and never win.
 */
export function aptPreferences(pkgs: Record<string, string>): string {
  return [
    ...Object.entries(pkgs).map(
      ([name, version]) =>
        `Package: ${name}\nPin: version ${pinPattern(version)}\nPin-Priority: 1001\n`,
    ),
    `Package: ${Object.keys(pkgs).join(" ")}\nPin: release o=Debian,l=Debian-Security\nPin-Priority: 1001\n`,
  ].join("\n");
}
