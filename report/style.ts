// The report's stylesheet, inlined into the page: no fonts, images or scripts to fetch, and a
// print layout (A4) so the PDF Chromium prints from it reads like the page.
export const STYLE = `
:root { --pass: #2e7d32; --fail: #c62828; --none: #6d4c41; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 13px; line-height: 1.45; color: #1f2328; margin: 0 auto; padding: 20px 28px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 14px; margin: 0; }
p { margin: 4px 0; }
code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; overflow-wrap: anywhere; }
.meta { color: var(--muted); }
.overall { font-size: 15px; margin: 10px 0; }
.claims { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 8px; margin: 10px 0 14px; }
.claim { border: 1px solid var(--line); border-left-width: 5px; border-radius: 4px; padding: 6px 10px; }
.claim.pass { border-left-color: var(--pass); }
.claim.fail { border-left-color: var(--fail); }
.claim.none { border-left-color: var(--none); }
.claim strong { display: block; margin-bottom: 3px; }
.small { font-size: 11px; margin-top: 3px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
table.controls th:nth-child(1) { width: 100px; }
table.controls th:nth-child(2) { width: 22%; }
table.controls th:nth-child(4) { width: 18%; }
td.when, td.key { white-space: nowrap; }
.badge { display: inline-block; min-width: 86px; text-align: center; font-weight: 700; font-size: 11px; padding: 2px 6px; border-radius: 3px; color: #fff; }
.badge.pass { background: var(--pass); }
.badge.fail { background: var(--fail); }
.badge.none { background: var(--none); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 14px 20px; }
figure.chart { margin: 0; break-inside: avoid; }
figure.chart p { color: var(--muted); font-size: 12px; }
figure.chart svg { width: 100%; height: auto; display: block; }
svg .grid { stroke: #eaeef2; }
svg .axis { stroke: #8c959f; }
svg text { font-size: 11px; fill: #57606a; font-family: inherit; }
svg .empty { font-size: 13px; }
ul.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; }
.swatch { display: inline-block; width: 14px; height: 4px; margin-right: 5px; vertical-align: middle; }
.swatch.dashed { height: 0; border-top: 2px dashed; }
ul.plain { margin: 4px 0; padding-left: 20px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  .charts { grid-template-columns: 1fr 1fr; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  a { color: inherit; }
}
`;
