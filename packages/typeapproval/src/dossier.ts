// SPDX-License-Identifier: Apache-2.0
// The type-approval dossier: the document the notified body files for one LR software version
// (the paper's activities A1, inspection of the LR source, and A2, validation on reference data).
// One self-contained HTML page (inline CSS and SVG, no external assets), written for a
// metrologist rather than a programmer: what the software is, where each legal decision is made
// in its source, how accurate it is against the MPE, how it refuses, and how to reproduce every
// figure. The figures come from the same Verification as `metroledger lr verify`.
import { createHash } from 'node:crypto';
import { MPE, REFUSAL_CODES, type RefusalCode } from '@metroledger/lr';
import { generateReferenceCases, type ReferenceSetOptions } from '@metroledger/meter';
import { formatCaseLine } from './cases';
import type { GoldenVerdict, GoldenOutcome } from './golden';
import { runCase, TARGETS, Verification, type BucketSummary, type VerificationSummary } from './verify';

/** One reference set as evidence: how it was made, its digest, its verification. */
export interface ReferenceSetEvidence {
  seed: string;
  count: number;
  twoVehicleShare?: number;
  /** SHA-256 of the set in its JSON Lines form, exactly as `metroledger lr generate` writes it. */
  sha256: string;
  summary: VerificationSummary;
  /** Accepted valid cases: true speed and signed error (measured − true), km/h. */
  errors: { truthKmh: number; errorKmh: number }[];
}

/** A line of the software identification table. */
export interface IdentificationRow {
  label: string;
  value: string;
  note?: string;
}

/** A source file of the LR decision, as inspected. */
export interface SourceFile {
  path: string;
  text: string;
}

export interface DossierInput {
  lrSoftware: { name: string; version: string };
  /** ISO 8601. */
  generatedAt: string;
  /** Source revision (e.g. a git commit), when known. */
  revision?: string;
  identification: IdentificationRow[];
  sources: SourceFile[];
  sets: ReferenceSetEvidence[];
  golden: GoldenVerdict;
  /** Every command that reproduces a figure, in order. */
  commands: { what: string; command: string }[];
}

/** Generates a reference set, verifies it with this LR software, and digests its JSON Lines form. */
export function referenceSetEvidence(count: number, seed: string, opts: ReferenceSetOptions = {}): ReferenceSetEvidence {
  const v = new Verification();
  const hash = createHash('sha256');
  const errors: ReferenceSetEvidence['errors'] = [];
  for (const c of generateReferenceCases(count, seed, opts)) {
    hash.update(formatCaseLine(c) + '\n');
    const outcome = runCase(c);
    v.add(c, outcome);
    if (c.truth.valid && 'speedKmh' in outcome)
      errors.push({ truthKmh: c.truth.speedKmh, errorKmh: Math.round((outcome.speedKmh - c.truth.speedKmh) * 1000) / 1000 });
  }
  return {
    seed,
    count,
    ...(opts.twoVehicleShare === undefined ? {} : { twoVehicleShare: opts.twoVehicleShare }),
    sha256: hash.digest('hex'),
    summary: v.summary(),
    errors,
  };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number): string => (Number.isNaN(x) ? '–' : `${(x * 100).toFixed(2)} %`);
const num = (x: number, d = 2): string => (Number.isNaN(x) ? '–' : x.toFixed(d));
const int = (x: number): string => x.toLocaleString('en-US');
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Where in the sources each refusal code is decided: "file:line" for every `refuse('CODE'`. */
export function refusalSites(sources: SourceFile[]): Record<RefusalCode, string[]> {
  const sites = Object.fromEntries(Object.keys(REFUSAL_CODES).map((c) => [c, [] as string[]])) as Record<RefusalCode, string[]>;
  for (const f of sources) {
    f.text.split('\n').forEach((line, i) => {
      const m = /refuse\('([A-Z_]+)'/.exec(line);
      if (m && m[1]! in sites) sites[m[1] as RefusalCode].push(`${f.path}:${i + 1}`);
    });
  }
  return sites;
}

function bucketRows(rows: [string, BucketSummary][]): string {
  return rows
    .map(
      ([k, b]) =>
        `<tr><th>${esc(k)}</th><td>${int(b.valid)}</td><td>${pct(b.acceptedShare)}</td><td>${pct(b.withinOneShare)}</td><td>${int(b.beyondTwo)}</td><td>${int(b.outsideMpe)}</td><td>${num(b.p50)}</td><td>${num(b.p95)}</td><td>${num(b.p99)}</td><td>${num(b.max)}</td></tr>`,
    )
    .join('\n');
}

const CLASS_ORDER = ['motorcycle', 'car', 'van', 'bus', 'truck'];
const BUCKET_HEAD =
  '<tr><th></th><th>valid events</th><th>accepted</th><th>within ±1 km/h | 1 %</th><th>beyond ±2 km/h | 2 %</th><th>outside the MPE</th><th>|error| p50</th><th>p95</th><th>p99</th><th>max (km/h)</th></tr>';

/** Measured − true against true speed, with the MPE and the ±1 / ±2 bands: an inline SVG. */
function errorFigure(set: ReferenceSetEvidence): string {
  const W = 720,
    H = 300,
    L = 50,
    R = 10,
    T = 10,
    B = 36;
  const vMax = 260,
    eMax = 8;
  const x = (v: number): number => L + ((W - L - R) * v) / vMax;
  const y = (e: number): number => T + ((H - T - B) * (eMax - e)) / (2 * eMax);
  const band = (f: (v: number) => number, cls: string): string => {
    const pts: string[] = [];
    for (let v = 0; v <= vMax; v += 2) pts.push(`${x(v).toFixed(1)},${y(f(v)).toFixed(1)}`);
    for (let v = vMax; v >= 0; v -= 2) pts.push(`${x(v).toFixed(1)},${y(-f(v)).toFixed(1)}`);
    return `<polygon class="${cls}" points="${pts.join(' ')}"/>`;
  };
  const mpe = (v: number): number => (v <= MPE.thresholdKmh ? MPE.absoluteKmh : MPE.relative * v);
  // Points binned to 1 km/h × 0.05 km/h cells, so that the figure stays small.
  const cells = new Map<string, number>();
  for (const p of set.errors) {
    const key = `${Math.round(p.truthKmh)}|${Math.round(Math.max(-eMax, Math.min(eMax, p.errorKmh)) / 0.05)}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  const dots = [...cells.keys()]
    .map((k) => {
      const [v, e] = k.split('|').map(Number) as [number, number];
      return `<rect x="${(x(v) - 1).toFixed(1)}" y="${(y(e * 0.05) - 1).toFixed(1)}" width="2" height="2"/>`;
    })
    .join('');
  const ticks =
    [0, 50, 100, 150, 200, 250].map((v) => `<text x="${x(v)}" y="${H - 18}" text-anchor="middle">${v}</text>`).join('') +
    [-8, -4, 0, 4, 8].map((e) => `<text x="${L - 6}" y="${y(e) + 4}" text-anchor="end">${e > 0 ? '+' : ''}${e}</text>`).join('');
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="error against true speed, reference set ${esc(set.seed)}">
${band(mpe, 'mpe')}${band((v) => (v <= 100 ? 2 : 0.02 * v), 'two')}${band((v) => (v <= 100 ? 1 : 0.01 * v), 'one')}
<line class="axis" x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}"/><g class="dots">${dots}</g>
<g class="ticks">${ticks}</g><text x="${(L + W - R) / 2}" y="${H - 2}" text-anchor="middle">true speed (km/h)</text>
<text transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">measured − true (km/h)</text></svg>`;
}

function outcomeText(o: GoldenOutcome | undefined): string {
  if (o === undefined) return '(none)';
  return 'speedKmh' in o ? `${o.speedKmh.toFixed(1)} km/h, ${o.vehicleLengthM.toFixed(1)} m` : `${o.refusal}`;
}

function targetsTable(s: VerificationSummary): string {
  const rows: [string, string, boolean][] = [
    [
      'accepted results outside the MPE',
      `${s.overall.outsideMpe} (at most ${TARGETS.maxOutsideMpe})`,
      s.overall.outsideMpe <= TARGETS.maxOutsideMpe,
    ],
    [
      'valid events accepted',
      `${pct(s.overall.acceptedShare)} (at least ${pct(TARGETS.minAcceptedShare)})`,
      s.overall.acceptedShare >= TARGETS.minAcceptedShare,
    ],
    [
      'accepted within ±1 km/h (≤ 100 km/h) | ±1 % (above)',
      `${pct(s.overall.withinOneShare)} (at least ${pct(TARGETS.minWithinOnePercentShare)})`,
      s.overall.withinOneShare >= TARGETS.minWithinOnePercentShare,
    ],
    [
      'accepted beyond ±2 km/h | ±2 %',
      `${s.overall.beyondTwo} (at most ${TARGETS.maxBeyondTwoPercent})`,
      s.overall.beyondTwo <= TARGETS.maxBeyondTwoPercent,
    ],
    [
      'invalid events accepted',
      `${s.invalidAccepted} of ${int(s.invalid)} (at most ${TARGETS.maxInvalidAccepted})`,
      s.invalidAccepted <= TARGETS.maxInvalidAccepted,
    ],
  ];
  return `<table class="targets"><tr><th>target</th><th>measured</th><th></th></tr>${rows.map(([k, v, ok]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td><td class="${ok ? 'pass' : 'fail'}">${ok ? 'met' : 'NOT MET'}</td></tr>`).join('')}</table>`;
}

function refusalTables(s: VerificationSummary): string {
  const codes = Object.keys(REFUSAL_CODES);
  const scen = Object.entries(s.invalidByScenario);
  const used = codes.filter((c) => scen.some(([, v]) => v.refusedBy[c]) || s.validRefusedBy[c]);
  const head = `<tr><th>events</th><th>cases</th><th>accepted</th>${used.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const rows = scen.map(
    ([k, v]) =>
      `<tr><th>invalid: ${esc(k)}</th><td>${int(v.cases)}</td><td class="${v.accepted ? 'fail' : ''}">${v.accepted}</td>${used.map((c) => `<td>${v.refusedBy[c] ?? ''}</td>`).join('')}</tr>`,
  );
  const validRefused = Object.values(s.validRefusedBy).reduce((a, b) => a + b, 0);
  rows.push(
    `<tr><th>valid events</th><td>${int(s.overall.valid)}</td><td>${int(s.overall.accepted)}</td>${used.map((c) => `<td>${s.validRefusedBy[c] ?? ''}</td>`).join('')}</tr>`,
  );
  return `<table>${head}${rows.join('\n')}</table><p class="note">${validRefused} valid events refused (${pct(validRefused / Math.max(1, s.overall.valid))}): a refusal of a valid event costs a measurement, never a wrong result.</p>`;
}

const CSS = `
body{font:15px/1.45 Georgia,'Times New Roman',serif;color:#1a1a1a;max-width:1060px;margin:2em auto;padding:0 1.2em}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #345;padding-bottom:.15em;margin-top:2em}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0 1em;font:13px/1.35 Helvetica,Arial,sans-serif}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:right;vertical-align:top}th{background:#eef1f4;text-align:left}
td.pass{color:#0a6b2b;font-weight:bold}td.fail,.fail{color:#a00;font-weight:bold}
table.kv td{text-align:left;font-family:Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
code,pre{font-family:Menlo,Consolas,monospace;font-size:12px}
pre.cmd{background:#f4f4f4;border:1px solid #ddd;padding:.5em .7em;white-space:pre-wrap}
.src{border:1px solid #ccc;margin:.5em 0 1.5em;font-size:11.5px;overflow-x:auto}
.src div{white-space:pre;font-family:Menlo,Consolas,monospace}.src span{display:inline-block;width:3.2em;color:#888;text-align:right;padding-right:.8em;user-select:none}
.src div.hl{background:#fff4c2}
.verdict{font-size:1.2em;padding:.4em .8em;display:inline-block;border:2px solid}.verdict.pass{color:#0a6b2b;border-color:#0a6b2b}.verdict.fail{color:#a00;border-color:#a00}
.note{color:#555;font-size:.92em}
svg{max-width:100%;font:11px Helvetica,Arial,sans-serif}svg .mpe{fill:#fde2e1}svg .two{fill:#fff1c9}svg .one{fill:#dff0d8}svg .axis{stroke:#666}svg .dots rect{fill:#234}
@media print{body{max-width:none;margin:0;font-size:12px;font-variant-ligatures:none}h2{break-before:page}h2:first-of-type{break-before:avoid}h2,h3{break-after:avoid}
tr,svg,pre.cmd,.verdict{break-inside:avoid}table{font-size:10px}
.src{font-size:8px;overflow:visible;border:none}.src div{white-space:pre-wrap;word-break:break-all;padding-left:4em;text-indent:-4em;break-inside:avoid}.src span{width:3.2em;text-indent:0}}
`;

/** The dossier as one self-contained HTML document. */
export function renderDossier(d: DossierInput): string {
  const sites = refusalSites(d.sources);
  const ok = d.sets.every((s) => s.summary.verdict === 'PASS') && d.golden.verdict === 'PASS';
  const title = `Type-approval dossier: ${d.lrSoftware.name} ${d.lrSoftware.version}`;
  const data = {
    lrSoftware: d.lrSoftware,
    generatedAt: d.generatedAt,
    identification: d.identification,
    sets: d.sets.map((s) => ({ seed: s.seed, count: s.count, twoVehicleShare: s.twoVehicleShare, sha256: s.sha256, summary: s.summary })),
    golden: { verdict: d.golden.verdict, passed: d.golden.passed, failed: d.golden.failed, inputsSha256: d.golden.inputsSha256 },
    sources: d.sources.map((f) => ({ path: f.path, sha256: sha(f.text) })),
  };
  const sections: string[] = [];

  sections.push(`<h2>1. Software identification</h2>
<p>The LR software runs as chaincode on the computing providers' peers. The notified body approves it by the
<b>package id</b> below: the Fabric fingerprint of the exact package file (label and SHA-256 of the file). A peer
installs only a package whose id equals the approved one. The <b>code digest</b> names the files inside the
package, however they were archived.</p>
<table class="kv">${d.identification.map((r) => `<tr><th>${esc(r.label)}</th><td>${esc(r.value)}${r.note ? `<br><span class="note">${esc(r.note)}</span>` : ''}</td></tr>`).join('')}
<tr><th>LR algorithm</th><td>${esc(d.lrSoftware.name)} ${esc(d.lrSoftware.version)}</td></tr>
${d.revision ? `<tr><th>source revision</th><td>${esc(d.revision)}</td></tr>` : ''}<tr><th>dossier generated</th><td>${esc(d.generatedAt)}</td></tr></table>`);

  sections.push(`<h2>2. Summary of the evaluation</h2>
<p><span class="verdict ${ok ? 'pass' : 'fail'}">${ok ? 'Every target met on every reference set; every golden vector reproduced' : 'NOT every target met: see below'}</span></p>
<p>Maximum permissible error (MPE) applied: ±${MPE.absoluteKmh} km/h up to ${MPE.thresholdKmh} km/h, ±${Math.round(MPE.relative * 100)} % above
(Inmetro's in-service MPE for speed meters, Portaria Inmetro 115/1998; its successors Portaria 544/2014 and
Portaria 158/2022 should be checked for the current table). The software refuses to give a speed whenever a
check fails: a refused event costs a measurement, an accepted one must be right.</p>
${d.sets.map((s) => `<h3>Reference set seed ${esc(s.seed)} (${int(s.count)} cases)</h3>${targetsTable(s.summary)}`).join('\n')}
<p>Golden vectors: <b>${d.golden.passed} of ${d.golden.cases.length}</b> reproduced exactly (section 7).</p>`);

  sections.push(`<h2>3. The LR decision and where each refusal is made</h2>
<p>The software receives the raw samples of the two loops (signed by the meter) and the geometry the meter was
registered with (loop spacing, loop length, sample rate). It never uses geometry carried by the reading. It
either computes a speed or refuses with one of the codes below. The third column gives the source lines
(section 8) where each refusal is decided.</p>
<table><tr><th>code</th><th>meaning</th><th>decided at</th></tr>${(Object.entries(REFUSAL_CODES) as [RefusalCode, string][]).map(([c, m]) => `<tr><th>${c}</th><td style="text-align:left">${esc(m)}</td><td style="text-align:left"><code>${sites[c].map(esc).join('<br>') || '–'}</code></td></tr>`).join('')}</table>
<p>Method in brief: hum of 50 or 60 Hz is removed by two running means, the baseline by a straight line
through the quiet start and end of the window; the rising and falling edges of each loop are timed at
20–60 % of that loop's own peak; a straight line (speed over time, constant acceleration) is fitted to the
edge pairs and must fit them within 2 %; the speed is that line's value where the vehicle's front reaches
the loops. Two vehicles in the zone at once (OIML R 91, 2.2) are recognised by the rest of the signal: a loop
returning to its baseline between two occupancies, faint or inner edges that do not move with the measured
motion, or edges moving at two distinct speeds.</p>`);

  sections.push(`<h2>4. Accuracy against the MPE</h2>
<p>Ground truth is the average speed of the vehicle's front between the leading edges of the two loops. Errors
are measured − true, in km/h, for every accepted valid event. "Within ±1 km/h | 1 %" means within 1 km/h up to
100 km/h and within 1 % above; likewise for 2.</p>
${d.sets
  .map(
    (s) => `<h3>Reference set seed ${esc(s.seed)}</h3>
<table>${BUCKET_HEAD}${bucketRows(CLASS_ORDER.filter((c) => s.summary.byClass[c]).map((c) => [c, s.summary.byClass[c]!] as [string, BucketSummary]))}<tr><td colspan="10"></td></tr>${bucketRows(Object.entries(s.summary.bySpeedBand).map(([k, b]) => [`${k} km/h`, b] as [string, BucketSummary]))}<tr><td colspan="10"></td></tr>${bucketRows([['all valid events', s.summary.overall]])}</table>
<p>Error of every accepted valid event against its true speed. Shaded: within ±1 (green), ±2 (yellow) and the MPE (red).</p>
${errorFigure(s)}
<p class="note">Largest errors: ${s.summary.worst.map((w) => `case ${esc(w.id)}: true ${w.truthKmh.toFixed(3)}, measured ${w.measuredKmh.toFixed(1)} km/h`).join('; ') || '–'}.</p>`,
  )
  .join('\n')}`);

  sections.push(`<h2>5. Refusals</h2>
<p>Each reference set mixes valid passages with invalid events that must all be refused: noise only (a false
trigger), a window closed before loop B fired or while the vehicle was over it, a dead loop, a vehicle against
the measuring direction, and two vehicles in the zone at once. The tables show how each kind was refused.</p>
${d.sets.map((s) => `<h3>Reference set seed ${esc(s.seed)}</h3>${refusalTables(s.summary)}`).join('\n')}`);

  sections.push(`<h2>6. Reference sets</h2>
<p>The sets are generated deterministically from their seed: the same seed gives the same set, byte for byte,
on any machine. The digest is the SHA-256 of the set as <code>metroledger lr generate</code> writes it.</p>
<table class="kv"><tr><th>seed</th><th>cases</th><th>two-vehicle share</th><th>SHA-256 of the JSON Lines set</th></tr>${d.sets.map((s) => `<tr><td>${esc(s.seed)}</td><td>${int(s.count)}</td><td>${s.twoVehicleShare ?? 'default (0.04)'}</td><td>${s.sha256}</td></tr>`).join('')}</table>
<p class="note">Generator model (packages/meter): vehicle classes, magnetic profiles, loop geometry and installation
errors, constant-acceleration motion, ADC offset, drift, hum, noise, spikes and clipping; see docs/LR-ACCURACY.md.</p>`);

  sections.push(`<h2>7. Golden vectors</h2>
<p>Frozen reference inputs (canonical meter readings with their registered geometry) with the exact results
this version must give. Any change of an LR result changes this table. Inputs file SHA-256:
<code>${d.golden.inputsSha256}</code> (${d.golden.inputsMatch ? 'as frozen' : '<span class="fail">differs from the frozen inputs</span>'});
expected results made by ${esc(d.golden.lrSoftware.name)} ${esc(d.golden.lrSoftware.version)}${d.golden.versionMatch ? '' : ' <span class="fail">(another version)</span>'}.</p>
<p><span class="verdict ${d.golden.verdict === 'PASS' ? 'pass' : 'fail'}">${d.golden.verdict}: ${d.golden.passed} of ${d.golden.cases.length} reproduced</span></p>
<table><tr><th>vector</th><th>what it shows</th><th>expected</th><th>this software</th><th></th></tr>${d.golden.cases.map((c) => `<tr><th>${esc(c.id)}</th><td style="text-align:left">${esc(c.description)}</td><td>${esc(outcomeText(c.expected))}</td><td>${esc(outcomeText(c.actual))}</td><td class="${c.pass ? 'pass' : 'fail'}">${c.pass ? 'same' : 'DIFFERS'}</td></tr>`).join('\n')}</table>`);

  const highlight = (f: SourceFile): Set<number> => new Set(f.text.split('\n').flatMap((l, i) => (/refuse\('/.test(l) ? [i + 1] : [])));
  sections.push(`<h2>8. Source of the LR decision</h2>
<p>The files that decide a speed or a refusal, as compiled into the package of section 1. Highlighted lines make
a refusal. Each file's SHA-256 is given so that the inspected text can be matched to the repository.</p>
${d.sources
  .map((f) => {
    const hl = highlight(f);
    return `<h3><code>${esc(f.path)}</code></h3><p class="note">SHA-256 ${sha(f.text)}, ${f.text.split('\n').length} lines</p><div class="src">${f.text
      .split('\n')
      .map((l, i) => `<div${hl.has(i + 1) ? ' class="hl"' : ''} id="${esc(f.path)}:${i + 1}"><span>${i + 1}</span>${esc(l)}</div>`)
      .join('')}</div>`;
  })
  .join('\n')}`);

  sections.push(`<h2>9. Reproducing every figure</h2>
<p>From a clone of the repository at the source revision above, with Node.js 20 (no network needed beyond
<code>npm install</code>):</p>
${d.commands.map((c) => `<p>${esc(c.what)}</p><pre class="cmd">${esc(c.command)}</pre>`).join('\n')}`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
<p class="note">Legally relevant software of the metroledger dual-loop speed meter, as filed by the notified body.</p>
${sections.join('\n')}
<script type="application/json" id="dossier-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
