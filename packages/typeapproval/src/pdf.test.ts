// SPDX-License-Identifier: Apache-2.0
// Without the optional PDF printer installed (npm install --omit=optional), renderPdf refuses with
// a typed error that says what to install, instead of a module-resolution stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('renderPdf without puppeteer-core installed fails with PDF_RENDERER_MISSING', () => {
  // A resolve hook that makes puppeteer-core unresolvable, as it is when optional packages were omitted.
  const hooks = `export async function resolve(s, c, next) { if (s === 'puppeteer-core') { const e = new Error("Cannot find package 'puppeteer-core'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`;
  const script = `require('@metroledger/typeapproval').renderPdf('<p>x</p>', 'x').then(() => console.log('printed'), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '-e', script], {
    encoding: 'utf8',
    cwd: __dirname,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string };
  assert.equal(out.name, 'TypeApprovalError');
  assert.equal(out.code, 'PDF_RENDERER_MISSING');
  assert.match(out.message, /puppeteer-core and @sparticuz\/chromium/);
});
