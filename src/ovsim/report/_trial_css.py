"""Inline stylesheet of the trial report (no web fonts, no external resources).

Printing (``@media print``): A4 landscape, smaller type, tables at the page width with fixed layout and
wrapping cells (no horizontal scrolling on paper), header rows repeated on each page, and no page break
inside a table row or a figure."""

CSS = """
:root { --ink: #1d232a; --muted: #5b6570; --line: #d5dbe1; --band: #f4f6f8; --accent: #d55e00; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
       font: 15px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
.meta { color: var(--muted); margin: 0 0 8px; }
ul.arms { padding-left: 18px; font-size: 14px; }
nav { margin: 0 0 10px; font-size: 14px; }
nav a { color: #0b5cad; text-decoration: none; }
nav a:hover { text-decoration: underline; }
p { max-width: 920px; }
.note, .small, figcaption { color: var(--muted); font-size: 13px; }
.small { white-space: nowrap; }
code { font-size: 13px; background: var(--band); padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; text-align: left; }
thead th { background: #e9edf1; font-weight: 600; }
tbody tr:nth-child(even) td { background: #fafbfc; }
table.endpoints td:not(:first-child), table.subgroups td:nth-child(n+3), table.lesions td:not(:first-child),
table.frame td { font-variant-numeric: tabular-nums; }
table.comparisons td:nth-child(2), table.comparisons td:nth-child(3), table.comparisons td:nth-child(5),
table.subgroups td:nth-child(n+4) { white-space: nowrap; }
table.endpoints td:nth-child(odd):not(:first-child) { color: #3a4450; background: #f7f3ee; }
table.kv { font-size: 13.5px; }
table.kv th { background: var(--band); font-weight: 600; white-space: nowrap; }
table.kv table.kv { margin: 0; font-size: 13px; }
td ul { margin: 0; padding-left: 18px; }
.scroll { overflow-x: auto; }
figure { margin: 18px 0 26px; padding: 10px 12px 12px; border: 1px solid var(--line); border-radius: 6px;
         break-inside: avoid; page-break-inside: avoid; }
figure h3 { margin: 0 0 6px; }
svg.fig, img.fig { display: block; width: 100%; height: auto; margin: 0 auto; }
figcaption { margin-top: 6px; }
.flag { padding: 8px 12px; border-radius: 5px; margin: 8px 0; max-width: 920px; }
.flag.bad { background: #fdecea; border: 1px solid #e3a39a; }
.flag.good { background: #eaf6ec; border: 1px solid #9fd0a8; }
.role { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11.5px; white-space: nowrap;
        border: 1px solid; }
.role.target { background: #fff4e5; border-color: #e0a060; color: #7a3d00; }
.role.prediction { background: #e8f1fb; border-color: #8fb4dc; color: #0b4a8a; }
table.predictions td:nth-child(n+2) { font-variant-numeric: tabular-nums; white-space: nowrap; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 12.5px; }
@media print {
  @page { size: A4 landscape; margin: 12mm 10mm; }
  body { font-size: 10.5px; line-height: 1.35; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 18px; } h3 { font-size: 12.5px; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  p, .flag { max-width: none; }
  .scroll { overflow: visible; }
  table { width: 100%; table-layout: fixed; font-size: 8.5px; }
  table.kv { table-layout: auto; width: auto; max-width: 100%; }
  th, td { padding: 2px 4px; white-space: normal !important; overflow-wrap: anywhere; word-break: normal; }
  .small { white-space: normal; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; page-break-inside: avoid; }
  figure { break-inside: avoid; page-break-inside: avoid; border: none; padding: 0; margin: 8px 0 12px; }
  svg.fig, img.fig { max-width: 100% !important; max-height: 160mm; }
  tbody tr:nth-child(even) td, table.endpoints td:nth-child(odd):not(:first-child) { -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
}
"""
