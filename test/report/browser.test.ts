// The report in a real browser (Debian's headless Chromium, offline): it renders without a
// console message (an SVG path Chromium cannot parse, a blocked fetch, a script would each log
// one), every chart series with points draws something, and it prints to PDF. The screenshot and
// the PDF are kept under .tmp/artifacts/report/ for a person to look at.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { expect } from "chai";
import { dumpDom, printToPdf, runChromium, screenshot } from "../../report/chromium";
import { renderReport } from "../../report/render";
import { main } from "../../cli/report";
import { healthy, inputOf, partialForever, tampered, writeStatusDir } from "./fixtures";

const ARTIFACTS = path.resolve(__dirname, "..", "..", ".tmp", "artifacts", "report");

/** Measures every series' drawn box in the page and writes it into the DOM for --dump-dom. */
const MEASURE = `<script>
const measured = [...document.querySelectorAll("[data-series]")].map((g) => {
  const box = g.getBBox();
  return { chart: g.closest("svg").dataset.chart, series: g.dataset.series, points: Number(g.dataset.points),
    width: box.width, height: box.height, marks: g.querySelectorAll("path, circle, rect").length };
});
const pre = document.createElement("pre");
pre.id = "measured";
pre.textContent = JSON.stringify(measured);
document.body.append(pre);
</script>`;

interface Measured {
  chart: string;
  series: string;
  points: number;
  width: number;
  height: number;
  marks: number;
}

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe("report in headless Chromium", function () {
  this.timeout(300_000);
  before(() => mkdirSync(ARTIFACTS, { recursive: true }));

  // Healthy (every chart full) and partial for ever (the longest exceptions: every run).
  for (const make of [healthy, partialForever]) {
    const s = make();
    const html = renderReport(inputOf(s));
    const file = path.join(ARTIFACTS, `${s.name}.html`);

    it(`${s.name}: renders and prints to PDF without a console message`, () => {
      writeFileSync(file, html);
      const png = path.join(ARTIFACTS, `${s.name}.png`);
      const shot = screenshot(file, png, { width: 1200, height: 2000 });
      expect(shot.console).to.deep.equal([]);
      expect(pngSize(png)).to.deep.equal({ width: 1200, height: 2000 });
      const pdf = path.join(ARTIFACTS, `${s.name}.pdf`);
      const printed = printToPdf(file, pdf);
      expect(printed.console).to.deep.equal([]);
      const bytes = readFileSync(pdf);
      expect(bytes.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
      // The summary, eight charts, the exceptions and the manifest: several A4 pages.
      const pages = bytes.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? [];
      expect(pages.length).to.be.greaterThan(2);
    });

    it(`${s.name}: every series with points draws`, () => {
      // A copy with a measuring script; the report itself has none, and forbids them.
      const probe = path.join(ARTIFACTS, `${s.name}.measure.html`);
      writeFileSync(
        probe,
        html
          .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "")
          .replace("</body>", `${MEASURE}</body>`),
      );
      const dom = dumpDom(probe);
      expect(dom.console).to.deep.equal([]);
      const json = /<pre id="measured">([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
      expect(json, "the measuring script ran").to.be.a("string");
      const measured = JSON.parse(json!.replace(/&quot;/g, '"')) as Measured[];
      const declared = [...html.matchAll(/data-series="([^"]+)" data-points="(\d+)"/g)];
      expect(measured.map((m) => `${m.series}:${m.points}`)).to.deep.equal(
        declared.map((m) => `${m[1]}:${m[2]}`),
      );
      for (const m of measured.filter((x) => x.points > 0)) {
        expect(m.marks, m.series).to.be.greaterThan(0);
        expect(m.width > 0 || m.height > 0, `${m.series} has a drawn box`).to.equal(true);
      }
    });
  }

  it("npm run report --pdf prints the page it wrote", async () => {
    const dir = path.join(ARTIFACTS, "cli");
    rmSync(dir, { recursive: true, force: true });
    const s = tampered();
    writeStatusDir(path.join(dir, "vault"), s);
    writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(s.outputs));
    const pdf = path.join(dir, "report.pdf");
    const args = [
      "--stack",
      "prod",
      "--from",
      path.join(dir, "vault"),
      "--outputs",
      path.join(dir, "outputs.json"),
    ];
    let printed = "";
    const code = await main(
      [...args, "--now", s.now.toISOString(), "--out", path.join(dir, "report.html"), "--pdf", pdf],
      {
        out: (line) => void (printed += line),
      },
    );
    expect(code).to.equal(0);
    expect(printed).to.include(pdf);
    expect(readFileSync(pdf).subarray(0, 5).toString("latin1")).to.equal("%PDF-");
  });

  describe("the checks above can fail", () => {
    let server: Server;
    let requests = 0;
    before(async () => {
      server = createServer((_req, res) => {
        requests++;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("a bad SVG path is a console message, and the page cannot reach even 127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      const file = path.join(ARTIFACTS, "broken.html");
      writeFileSync(
        file,
        `<!doctype html><html><body><svg width="10" height="10"><path d="M0,0 L5,NaN"/></svg><img src="http://127.0.0.1:${port}/probe.png"></body></html>`,
      );
      const r = runChromium(file, ["--dump-dom"]);
      expect(r.console.join("\n")).to.include("attribute d: Expected number");
      expect(requests).to.equal(0);
    });
  });
});
