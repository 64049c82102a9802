// SPDX-License-Identifier: Apache-2.0
/// <reference lib="dom" />
// The dashboard of a real devnet, as a person sees it in a real browser (Chromium from the
// @sparticuz/chromium package, driven by puppeteer-core): the network panel, the height moving
// when a reading commits, one measurement's drill-down with its plotted loop signals, a refusal
// under its code and the last audit's verdict. Screenshots of every view go to a temporary folder
// (printed) for review, or to $DASHBOARD_SCREENSHOTS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ledgerDirectorySource, governancePlugin, runAudit } from '@metroledger/audit';
import { startDevnet, type Devnet } from '@metroledger/devnet';
import { bootstrapGovernance, connectAs, TEST_MODEL } from '@metroledger/devnet/testing/governance';
import type { ClientConnection } from '@metroledger/devnet/testing/client';
import { encodeSignedReading, type LoopGeometry } from '@metroledger/lr';
import { generateEvent, Meter, newRng, type EventScenario } from '@metroledger/meter';
import type { Contract } from '@hyperledger/fabric-gateway';
import { startDevnetDashboard, type Dashboard } from './index.js';

const GEOMETRY: LoopGeometry = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 2000 };
const LIMIT_KMH = 60;
const utf8 = new TextDecoder();
/** Waits in the page: hang guards, not speed targets (a loaded machine renders slowly). */
const WAIT_MS = 120_000;

let root: string;
let shots: string;
let devnet: Devnet;
let dashboard: Dashboard;
let browser: Browser;
let page: Page;
let owner: ClientConnection;
let lr: Contract;
const meters: Meter[] = [];
const rng = newRng('dashboard-browser-test');

interface Answer {
  txId: string;
  status: string;
  speedKmh?: number;
  refusalCode?: string;
  lrSoftware?: { name: string; version: string };
}

async function submit(meter: Meter, scenario: EventScenario, speedKmh?: number): Promise<Answer> {
  const ev = generateEvent(rng, { geometry: GEOMETRY, scenario, ...(speedKmh !== undefined && { speedKmh }) });
  const signed = meter.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: Date.now() });
  return JSON.parse(
    utf8.decode(await lr.submitTransaction('submitReading', Buffer.from(encodeSignedReading(signed)).toString('base64'))),
  ) as Answer;
}

/** The page down to the end of its content. */
async function shot(name: string): Promise<void> {
  const height = await page.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height));
  await page.screenshot({
    path: join(shots, `${name}.png`),
    clip: { x: 0, y: 0, width: 1360, height: Math.max(200, height) },
    captureBeyondViewport: true,
  });
}

async function open(view: string): Promise<void> {
  await page.evaluate((v) => {
    location.hash = v;
  }, view);
}

const textOf = (selector: string): Promise<string> => page.$eval(selector, (el) => el.textContent ?? '');

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-dashboard-'));
  shots = process.env['DASHBOARD_SCREENSHOTS'] ?? join(root, 'screenshots');
  await mkdir(shots, { recursive: true });
  // 2D canvas only: no WebGL, so no SwiftShader to unpack, and canvas pixels read back cheaply.
  chromium.setGraphicsMode = false;
  const executablePath = chromium.executablePath(); // unpacks Chromium once (into /tmp) while the devnet starts
  devnet = await startDevnet({ dataDir: join(root, 'devnet'), port: 0, batch: { batchTimeoutMs: 10 } });
  await bootstrapGovernance(devnet);
  const registry = await connectAs(devnet, 'InmetroMSP');
  owner = await connectAs(devnet, 'CETSPMSP');
  lr = owner.gateway.getNetwork(devnet.channelId).getContract('lr');
  try {
    for (const [i, place] of ['Av. Paulista 1000', 'Av. Rebouças 250', 'Rua da Consolação 90'].entries()) {
      const meter = Meter.create({ meterId: `SP-${String(i + 1).padStart(4, '0')}`, geometry: GEOMETRY });
      meters.push(meter);
      await registry.gateway
        .getNetwork(devnet.channelId)
        .getContract('lr')
        .submitTransaction(
          'registerMeter',
          JSON.stringify({
            meterId: meter.meterId,
            ownerMspId: 'CETSPMSP',
            publicKeyPem: meter.publicKeyPem,
            geometry: GEOMETRY,
            location: { text: place, lat: -23.56 + i * 0.004, lon: -46.65 + i * 0.004 },
            speedLimitKmh: LIMIT_KMH,
            model: TEST_MODEL,
          }),
        );
    }
  } finally {
    registry.close();
  }
  for (let k = 0; k < 4; k++) for (const m of meters) await submit(m, 'valid', 35 + ((k * 7 + meters.indexOf(m) * 11) % 40));
  // The last audit, as `metroledger audit --json > <data>/audit-report.json` leaves it.
  const { report } = await runAudit(ledgerDirectorySource(devnet.dataDir), {
    plugins: [governancePlugin()],
    policies: { governance: "AND('InmetroMSP.peer')" },
    workers: 0,
  });
  await writeFile(join(devnet.dataDir, 'audit-report.json'), JSON.stringify(report));
  dashboard = await startDevnetDashboard(devnet, { backfillBlocks: 100 });
  // --lang: under LANG=C Chromium reports the locale en-US@posix, which Intl (and so uPlot) refuses.
  browser = await puppeteer.launch({
    timeout: WAIT_MS,
    protocolTimeout: WAIT_MS * 2,
    executablePath: await executablePath,
    args: [...chromium.args, '--lang=en-US'],
    headless: true,
    defaultViewport: { width: 1360, height: 900 },
  });
  page = await browser.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (err) => assert.fail(`the page threw: ${String(err)}`));
  await page.goto(dashboard.url);
});

after(async () => {
  await browser?.close();
  await dashboard?.stop();
  owner?.close();
  await devnet?.stop();
  if (process.env['DASHBOARD_SCREENSHOTS'] === undefined) console.log(`dashboard screenshots: ${shots}`);
  await rm(join(root, 'devnet'), { recursive: true, force: true });
});

describe('the dashboard of a devnet, in a browser', () => {
  test('the network panel lists the channel organizations, the peers and the ordering service', async () => {
    await open('#/network');
    await page.waitForSelector('#net-orgs tr[data-msp="OrdererMSP"]', { timeout: WAIT_MS });
    await page.waitForFunction(
      () => document.querySelector('#net-orgs tr[data-msp="LaSIGEMSP"]')?.textContent?.includes('computing provider'),
      { timeout: WAIT_MS },
    );
    const orgs = await textOf('#net-orgs');
    for (const msp of ['InmetroMSP', 'LaSIGEMSP', 'PUCPRMSP', 'CETSPMSP', 'OrdererMSP']) assert.ok(orgs.includes(msp), `${msp} in ${orgs}`);
    assert.match(orgs, /CETSP.*meter owner/);
    const peers = await textOf('#net-peers');
    for (const p of ['peer0.lasige.example.com', 'peer0.pucpr.example.com', 'peer0.inmetro.example.com'])
      assert.ok(peers.includes(p), peers);
    assert.match(await textOf('#net-ordering'), /solo/);
    assert.match(await textOf('#net-health'), /OK/);
    await shot('network');
  });

  test('the height in the header grows when a reading commits, and the reading shows in the live feed', async () => {
    await page.waitForFunction(
      (h) => Number(document.querySelector('[data-testid="height"]')?.textContent?.replace(/,/g, '')) >= h,
      { timeout: WAIT_MS },
      devnet.height(),
    );
    const before = Number((await textOf('[data-testid="height"]')).replace(/,/g, ''));
    assert.equal(before, devnet.height());
    const answer = await submit(meters[0]!, 'valid', 88);
    assert.equal(answer.status, 'MEASURED');
    await page.waitForFunction(
      (h) => Number(document.querySelector('[data-testid="height"]')?.textContent?.replace(/,/g, '')) > h,
      { timeout: WAIT_MS },
      before,
    );
    await open('#/measurements');
    const row = `#m-feed tr[data-meter="SP-0001"][data-sequence="${meters[0]!.sequence}"]`;
    await page.waitForSelector(row, { timeout: WAIT_MS });
    assert.match(await textOf(row), new RegExp(`${answer.speedKmh!.toFixed(1)} km/h.*over limit`));
    assert.match(await textOf('#m-violations'), new RegExp(`${answer.speedKmh!.toFixed(1)} km/h`));
  });

  test('a measurement drills down to its speed, meter, LR version, endorsers and plotted loop signals', async () => {
    const answer = await submit(meters[1]!, 'valid', 47);
    await open('#/measurements');
    const row = `#m-feed tr[data-meter="SP-0002"][data-sequence="${meters[1]!.sequence}"]`;
    await page.waitForSelector(row, { timeout: WAIT_MS });
    await page.click(row);
    await page.waitForSelector('[data-testid="speed"]', { timeout: WAIT_MS });
    assert.equal((await textOf('[data-testid="speed"]')).trim(), `${answer.speedKmh!.toFixed(1)} km/h`);
    assert.match(await textOf('#tx'), /meter SP-0002/);
    assert.match(await textOf('[data-testid="lr-version"]'), new RegExp(`${answer.lrSoftware!.name} ${answer.lrSoftware!.version}`));
    const endorsers = await textOf('[data-testid="endorsers"]');
    assert.match(endorsers, /LaSIGEMSP/);
    assert.match(endorsers, /PUCPRMSP/);
    assert.equal(page.url().endsWith(`#/tx/${answer.txId}`), true, page.url());
    // The plot is drawn: uPlot's canvas has coloured pixels of both loops' strokes.
    await page.waitForSelector('[data-testid="signal-chart"] canvas');
    const painted = await page.$eval('[data-testid="signal-chart"] canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let blue = 0;
      let red = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 2]! > 150 && data[i]! < 80) blue++;
        if (data[i]! > 150 && data[i + 2]! < 80 && data[i + 1]! < 80) red++;
      }
      return { blue, red };
    });
    assert.ok(painted.blue > 200 && painted.red > 200, `loop A and B strokes drawn: ${JSON.stringify(painted)}`);
    assert.equal(
      await page.$eval('[data-testid="signal-chart"]', (el) => el.getAttribute('aria-label')),
      'time since the capture window opened (ms) against loop signal (ADC counts)',
    );
    await shot('measurement');
  });

  test('a reading the LR software refuses appears under its refusal code', async () => {
    const answer = await submit(meters[2]!, 'noise-only');
    assert.equal(answer.status, 'REFUSED');
    const code = answer.refusalCode!;
    await open('#/measurements');
    await page.waitForSelector(`#m-refusals tr[data-code="${code}"]`, { timeout: WAIT_MS });
    const row = await textOf(`#m-refusals tr[data-code="${code}"]`);
    assert.match(row, new RegExp(`${code}\\s*1\\s*SP-0003 #${meters[2]!.sequence}`));
    await shot('measurements');
  });

  test('the other views: throughput and latency charts, meters with statistics, the registry and the last audit', async () => {
    await open('#/activity');
    await page.waitForSelector('[data-testid="throughput-chart"] canvas');
    assert.match(await textOf('[data-testid="throughput-chart"]'), /transactions committed.*readings recorded.*invalid transactions/);
    assert.equal(
      await page.$eval('[data-testid="latency-chart"]', (el) => el.getAttribute('aria-label')),
      'local time against commit latency (ms)',
    );
    await shot('activity');
    await open('#/meters');
    await page.waitForFunction(() => document.querySelector('#mt-table tr[data-meter="SP-0001"]')?.textContent?.includes('Av. Paulista'), {
      timeout: WAIT_MS,
    });
    await page.waitForFunction(
      () => /\d+\.\d km\/h/.test(document.querySelector('#mt-table tr[data-meter="SP-0001"]')?.textContent ?? ''),
      { timeout: WAIT_MS },
    );
    await shot('meters');
    await open('#/governance');
    await page.waitForFunction(() => document.querySelector('[data-testid="audit"]')?.textContent?.includes('PASS'), { timeout: WAIT_MS });
    assert.match(await textOf('#g-lr'), /lr 1\.0\s*approved/);
    await shot('governance');
  });
});
