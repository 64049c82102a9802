// SPDX-License-Identifier: Apache-2.0
// End to end: `metroledger lr dossier` for the current LR version, against `lr package`, `lr generate`,
// `lr verify` and `lr golden` on the same reference set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LR_SOFTWARE_VERSION } from '@metroledger/lr';

const MAIN = join(__dirname, '..', 'main.js');
const run = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'metroledger-dossier-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('lr dossier files the current version: package id, golden verdict, and the figures of lr verify on the same set', () => {
  const out = join(dir, 'dossier.html');
  const d = run('lr', 'dossier', '--count', '400', '--seeds', 'dossier-test', '--out', out);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  const html = readFileSync(out, 'utf8');
  // self-contained: no external resources
  assert.doesNotMatch(html, /<link |<script src=|<img |https?:\/\/[^"'\s<]*\.(css|js|png|svg)/);
  const data = JSON.parse(/<script type="application\/json" id="dossier-data">(.*?)<\/script>/s.exec(html)![1]!) as {
    lrSoftware: { version: string };
    identification: { label: string; value: string }[];
    sets: {
      seed: string;
      sha256: string;
      summary: {
        cases: number;
        accepted: number;
        invalid: number;
        invalidAccepted: number;
        overall: { p50: number; p95: number; p99: number; max: number; withinOneShare: number; outsideMpe: number };
        verdict: string;
      };
    }[];
    golden: { verdict: string; passed: number };
  };
  assert.equal(data.lrSoftware.version, LR_SOFTWARE_VERSION);

  // the package id is the one `lr package` builds, and the page shows it
  const pkg = run('lr', 'package', '--out', join(dir, 'lr.tar.gz'));
  assert.equal(pkg.code, 0, pkg.stderr);
  const packageId = /package id: +(\S+)/.exec(pkg.stdout)![1]!;
  assert.equal(data.identification.find((r) => r.label.startsWith('package id'))!.value, packageId);
  assert.ok(html.includes(packageId));

  // the golden verdict is `lr golden`'s
  const golden = run('lr', 'golden');
  assert.equal(golden.code, 0, golden.stdout);
  assert.equal(data.golden.verdict, 'PASS');
  assert.match(golden.stdout, new RegExp(`${data.golden.passed} of ${data.golden.passed} reproduced exactly`));
  assert.match(html, /PASS: \d+ of \d+ reproduced/);

  // the reference set is the one `lr generate` writes (same digest), and its figures are `lr verify`'s
  const setFile = join(dir, 'set.jsonl');
  assert.equal(run('lr', 'generate', '--count', '400', '--seed', 'dossier-test', '--out', setFile).code, 0);
  const set = data.sets[0]!;
  assert.equal(set.sha256, createHash('sha256').update(readFileSync(setFile)).digest('hex'));
  const v = run('lr', 'verify', setFile);
  assert.equal(v.code, 0, v.stdout);
  const s = set.summary;
  assert.match(v.stdout, new RegExp(`cases: ${s.cases} +accepted: ${s.accepted} `));
  assert.match(v.stdout, new RegExp(`invalid events: ${s.invalid} +invalid events wrongly accepted: ${s.invalidAccepted}`));
  assert.match(
    v.stdout,
    new RegExp(`abs error km/h: p50 ${s.overall.p50} +p95 ${s.overall.p95} +p99 ${s.overall.p99} +max ${s.overall.max}`),
  );
  assert.match(v.stdout, new RegExp(`verdict: ${s.verdict}`));
  // and the page's tables show them
  assert.match(html, /<h2>4\. Accuracy against the MPE<\/h2>/);
  assert.ok(html.includes(`<th>all valid events</th>`));
  for (const cls of ['motorcycle', 'car', 'van', 'bus', 'truck']) assert.ok(html.includes(`<th>${cls}</th>`), cls);
  assert.ok(html.includes(`<td>${s.overall.p95.toFixed(2)}</td><td>${s.overall.p99.toFixed(2)}</td><td>${s.overall.max.toFixed(2)}</td>`));
  assert.match(html, /packages\/lr\/src\/twovehicles\.ts/);
});

test('lr dossier --pdf prints the same page to a real PDF: every section, the numbered source, page numbers', async () => {
  const html = join(dir, 'small.html');
  const pdf = join(dir, 'small.pdf');
  const d = run('lr', 'dossier', '--count', '200', '--seeds', 'dossier-pdf-test', '--out', html, '--pdf', pdf);
  const verdict = /id="dossier-data">.*?"verdict":"(PASS|FAIL)"/s.exec(readFileSync(html, 'utf8'))![1];
  assert.equal(d.code, verdict === 'PASS' ? 0 : 1, d.stdout + d.stderr);
  assert.match(d.stdout, new RegExp(`wrote ${pdf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the same dossier as PDF`));
  const bytes = new Uint8Array(readFileSync(pdf));
  assert.equal(Buffer.from(bytes.subarray(0, 5)).toString('latin1'), '%PDF-');

  // Read it back with a PDF parser: the text a reader of the PDF sees (and can search: no ligatures), page by page.
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: bytes, isEvalSupported: false, useSystemFonts: false }).promise;
  const pages: string[] = [];
  for (let p = 1; p <= doc.numPages; p++) {
    const content = await (await doc.getPage(p)).getTextContent();
    pages.push(
      content.items
        .map((i) => ('str' in i ? i.str : ''))
        .join(' ')
        .replace(/\s+/g, ' '),
    );
  }
  await doc.destroy();
  const all = pages.join('\n');
  assert.ok(pages.length > 5, `${pages.length} pages`);
  assert.match(pages[0]!, new RegExp(`Type-approval dossier: metroledger-speed ${LR_SOFTWARE_VERSION.replace(/\./g, '\\.')}`));
  assert.match(pages[0]!, /1\. Software identification/);
  for (const [k, page] of pages.entries()) assert.match(page, new RegExp(`page ${k + 1} of ${pages.length}`), `footer of page ${k + 1}`);
  for (const section of [
    '2. Summary of the evaluation',
    '4. Accuracy against the MPE',
    '7. Golden vectors',
    '8. Source of the LR decision',
    '9. Reproducing every figure',
  ]) {
    assert.ok(all.includes(section), section);
  }
  // a section starts a page (print CSS), and the source keeps its line numbers
  assert.ok(pages.some((p) => p.startsWith('8. Source of the LR decision')));
  assert.match(all, /\d+ export function decideSpeed\(reading: DecisionReading, meter: DecisionMeter\): SpeedResult \{/);
  assert.ok(all.includes('all valid events'));
});
