// Headless Chromium (Debian's `chromium`) for the report's PDF, and for the tests' screenshots
// and DOM dumps. It runs offline: every request goes to a proxy that is not there, and host
// names resolve to nothing, so a page that tried to fetch anything would show it as an error
// instead of reaching the network. `--no-sandbox` because the tests and CI run as root, where
// Chromium's sandbox cannot start; it only ever loads the report, a local file without scripts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

export const CHROMIUM = process.env.CHROMIUM ?? "chromium";

export const OFFLINE_FLAGS = [
  "--headless",
  "--disable-gpu",
  "--no-sandbox",
  "--proxy-server=127.0.0.1:9",
  "--proxy-bypass-list=<-loopback>",
  "--host-resolver-rules=MAP * ~NOTFOUND",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--enable-logging=stderr",
  "--v=0",
] as const;

export interface ChromiumRun {
  stdout: string;
  stderr: string;
  /** What the page logged to its console (errors, CSP violations, bad SVG attributes). */
  console: string[];
}

/** Runs Chromium on one local HTML file with extra flags (each run gets its own profile). */
export function runChromium(htmlFile: string, flags: string[], timeoutMs = 120_000): ChromiumRun {
  const profile = mkdtempSync(path.join(tmpdir(), "ccb-chromium-"));
  try {
    const r = spawnSync(
      CHROMIUM,
      [...OFFLINE_FLAGS, `--user-data-dir=${profile}`, ...flags, pathToFileURL(htmlFile).href],
      { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.error)
      throw new Error(
        (r.error as NodeJS.ErrnoException).code === "ENOENT"
          ? `${CHROMIUM} is not installed (Debian: apt-get install chromium; or bash scripts/setup.sh)`
          : `${CHROMIUM} failed: ${r.error.message}`,
      );
    if (r.status !== 0) throw new Error(`${CHROMIUM} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return { stdout: r.stdout, stderr: r.stderr, console: consoleMessages(r.stderr) };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The page's console messages in Chromium's stderr log ("…:INFO:CONSOLE(12)] "text", source: …"). */
export function consoleMessages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => /:CONSOLE[:(]\d*\)?\]/.test(l))
    .map((l) => l.replace(/^.*?:CONSOLE[:(]\d*\)?\]\s*/, ""));
}

/** Prints the page to PDF (A4, the page's own print layout, no browser header or footer). */
export function printToPdf(htmlFile: string, pdfFile: string): ChromiumRun {
  return runChromium(htmlFile, [
    `--print-to-pdf=${path.resolve(pdfFile)}`,
    "--no-pdf-header-footer",
  ]);
}

export function screenshot(
  htmlFile: string,
  pngFile: string,
  size: { width: number; height: number },
): ChromiumRun {
  return runChromium(htmlFile, [
    `--screenshot=${path.resolve(pngFile)}`,
    `--window-size=${size.width},${size.height}`,
    "--hide-scrollbars",
  ]);
}

/** The DOM after the page loaded, as Chromium serialises it. */
export function dumpDom(htmlFile: string): ChromiumRun {
  return runChromium(htmlFile, ["--dump-dom"]);
}
