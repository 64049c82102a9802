// SPDX-License-Identifier: Apache-2.0
// The page shell and its style sheet. The browser code (src/web, compiled by tsc to ES modules)
// imports uPlot by name; the import map below resolves that name to the copy this server serves.

export const IMPORT_MAP = JSON.stringify({ imports: { uplot: '/vendor/uPlot.esm.js' } });

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function pageHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="/vendor/uPlot.min.css">
<link rel="stylesheet" href="/app/style.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/app/web/main.js"></script>
</head>
<body>
<header class="top">
  <div class="brand">metroledger <span class="muted">live</span></div>
  <div class="facts" id="facts"></div>
</header>
<nav class="tabs" id="tabs">
  <a href="#/network" data-view="network">Network</a>
  <a href="#/activity" data-view="activity">Activity</a>
  <a href="#/measurements" data-view="measurements">Measurements</a>
  <a href="#/meters" data-view="meters">Meters</a>
  <a href="#/governance" data-view="governance">Governance &amp; audit</a>
</nav>
<main id="view"><p class="muted">Loading…</p></main>
<noscript>This dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

export const STYLE_CSS = `
:root { --ink:#1d2733; --muted:#5d6b7a; --line:#dde3ea; --bg:#f4f6f9; --card:#fff; --accent:#1f5fa8; --ok:#1e7d3a; --warn:#a76200; --bad:#b3261e; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--ink); background:var(--bg); }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size:12px; }
.muted { color:var(--muted); }
header.top { display:flex; align-items:center; gap:24px; padding:10px 20px; background:#13233a; color:#fff; flex-wrap:wrap; }
header.top .brand { font-weight:700; font-size:17px; letter-spacing:.3px; }
header.top .muted { color:#9fb3c8; font-weight:400; }
.facts { display:flex; gap:18px; flex-wrap:wrap; align-items:center; }
.fact { display:flex; flex-direction:column; line-height:1.2; }
.fact .k { font-size:11px; color:#9fb3c8; text-transform:uppercase; letter-spacing:.5px; }
.fact .v { font-size:15px; font-weight:600; }
nav.tabs { display:flex; gap:2px; padding:0 16px; background:#fff; border-bottom:1px solid var(--line); position:sticky; top:0; z-index:5; }
nav.tabs a { padding:10px 14px; color:var(--muted); border-bottom:3px solid transparent; font-weight:500; }
nav.tabs a.active { color:var(--ink); border-bottom-color:var(--accent); }
main { padding:16px 20px 40px; max-width:1400px; margin:0 auto; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap:16px; }
.grid + .grid { margin-top:16px; }
.grid.wide { grid-template-columns:1fr; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; min-width:0; overflow:hidden; }
.tablewrap { overflow-x:auto; }
.grid.split { grid-template-columns:minmax(0, 3fr) minmax(0, 2fr); }
.stack { display:flex; flex-direction:column; gap:16px; min-width:0; }
@media (max-width: 1000px) { .grid.split { grid-template-columns:1fr; } }
.card h2 { font-size:15px; margin:0 0 4px; }
.card .sub { color:var(--muted); font-size:12px; margin:0 0 10px; }
.kpis { display:flex; gap:12px; flex-wrap:wrap; margin-bottom:16px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:140px; }
.kpi .k { font-size:11px; color:var(--muted); text-transform:uppercase; letter-spacing:.5px; }
.kpi .v { font-size:22px; font-weight:650; }
.scroll { overflow:auto; max-height:420px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; vertical-align:top; }
th { font-size:11px; text-transform:uppercase; letter-spacing:.4px; color:var(--muted); font-weight:600; position:sticky; top:0; background:var(--card); }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
td.wrap { white-space:normal; overflow-wrap:anywhere; }
tr.click { cursor:pointer; } tr.click:hover td { background:#eef4fb; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; border:1px solid transparent; }
.badge.ok { background:#e3f4e8; color:var(--ok); } .badge.warn { background:#fff1dc; color:var(--warn); } .badge.bad { background:#fde7e5; color:var(--bad); } .badge.info { background:#e6eef8; color:var(--accent); }
header .badge.ok { background:#1e7d3a; color:#fff; } header .badge.warn { background:#a76200; color:#fff; } header .badge.bad { background:#b3261e; color:#fff; } header .badge.info { background:#2d4f79; color:#fff; }
.verdict .badge { font-size:20px; padding:4px 16px; border-radius:14px; }
.chart { width:100%; min-height:240px; }
.chart .u-legend { font-size:12px; }
.chart .u-legend th { text-transform:none; letter-spacing:0; position:static; color:var(--ink); font-weight:500; }
.empty { color:var(--muted); font-style:italic; padding:6px 0; }
.errors li { color:var(--bad); }
dl.kv { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; margin:0; }
dl.kv dt { color:var(--muted); } dl.kv dd { margin:0; overflow-wrap:anywhere; }
.speed { font-size:34px; font-weight:700; }
.refused { color:var(--bad); font-weight:600; }
`;
