// SPDX-License-Identifier: Apache-2.0
// The views. Each mounts its skeleton once (charts keep their uPlot instance) and fills its
// containers again whenever a section it shows arrives.
import type { BlockDetail, MeasurementRow, Sections, TxDetail } from '../api.js';
import { latencyChart, signalChart, throughputChart, type LiveChart } from './charts.js';
import { badge, bytes, card, count, h, kmh, kpi, num, shortId, table, td, time } from './dom.js';

export type Partial2<T> = { -readonly [K in keyof T]?: T[K] };
export type State = Partial2<Sections>;

export interface View {
  mount(root: HTMLElement, state: State): void;
  update(state: State): void;
}

function fill(el: HTMLElement | null, ...content: (Node | null)[]): void {
  if (el === null) return;
  // keep the scroll position of a table that is being read while it refreshes
  const scrollers = [...el.querySelectorAll<HTMLElement>('.scroll')].map((s) => s.scrollTop);
  el.replaceChildren(...content.filter((c): c is Node => c !== null));
  el.querySelectorAll<HTMLElement>('.scroll').forEach((s, i) => (s.scrollTop = scrollers[i] ?? 0));
}

const slot = (id: string): HTMLElement => h('div', { id });
/** An ISO time from the ledger (a transaction timestamp), as UTC to the second. */
const utc = (iso: string): string => `${iso.slice(0, 19).replace('T', ' ')} UTC`;
const byId = (id: string): HTMLElement | null => document.getElementById(id);
const go = (hash: string) => () => {
  location.hash = hash;
};

function statusBadge(r: MeasurementRow): HTMLElement {
  if (r.status === 'MEASURED') return r.exceeded === true ? badge('over limit', 'bad') : badge('ok', 'ok');
  return badge(r.refusalCode ?? r.status.toLowerCase(), 'warn');
}

function measurementRows(rows: readonly MeasurementRow[]): HTMLTableRowElement[] {
  return rows.map((r) =>
    h(
      'tr',
      { class: 'click', onclick: go(`#/tx/${r.txId}`), 'data-meter': r.meterId, 'data-sequence': r.sequence },
      td(time(r.txTimeMs)),
      td(r.meterId),
      num(r.sequence),
      num(r.speedKmh === undefined ? '–' : kmh(r.speedKmh)),
      num(r.speedLimitKmh === undefined ? '–' : `${r.speedLimitKmh} km/h`),
      td(statusBadge(r)),
      num(r.blockNumber),
    ),
  );
}
const MEASUREMENT_HEADERS = [
  'committed',
  'meter',
  { label: 'seq', num: true },
  { label: 'speed', num: true },
  { label: 'limit', num: true },
  'outcome',
  { label: 'block', num: true },
];

// ---- network ------------------------------------------------------------------------------------

export const networkView: View = {
  mount(root) {
    root.replaceChildren(
      h('div', { class: 'kpis', id: 'net-kpis' }),
      h(
        'div',
        { class: 'grid' },
        card(
          'Organizations',
          'Channel members from the channel configuration; names and roles from the notified body’s registry.',
          slot('net-orgs'),
        ),
        card('Ordering service', 'From the channel configuration and the blocks’ commit certificates.', slot('net-ordering')),
      ),
      h(
        'div',
        { class: 'grid wide' },
        card('Peers', 'Endorsing peers seen in the blocks (and, on the devnet, every peer with the package it runs).', slot('net-peers')),
        card('Health', 'Operations service /healthz of each node probed.', slot('net-health')),
      ),
    );
  },
  update(s) {
    const n = s.network;
    if (n === undefined) return;
    fill(
      byId('net-kpis'),
      kpi('channel', n.channel),
      kpi('height (blocks)', count(n.height), 'net-height'),
      kpi('organizations', count(n.orgs.length)),
      kpi('peers', count(n.peers.length)),
      kpi('ordering', n.ordering.type === 'BFT' ? `BFT, ${n.ordering.consenters.length} consenters` : n.ordering.type),
    );
    fill(
      byId('net-orgs'),
      table(
        ['MSP', 'name', 'kind', 'roles'],
        n.orgs.map((o) =>
          h(
            'tr',
            { 'data-msp': o.mspId },
            td(h('code', {}, o.mspId)),
            td(o.name ?? (o.kind === 'orderer' || o.notifiedBody === true ? '' : h('span', { class: 'muted' }, 'not in the registry'))),
            td(o.kind),
            td(o.notifiedBody === true ? 'notified body' : (o.roles ?? []).join(', ').toLowerCase().replace(/_/g, ' ')),
          ),
        ),
        'the channel configuration has not been read yet',
      ),
    );
    fill(
      byId('net-peers'),
      table(
        ['peer', 'MSP', { label: 'endorsements', num: true }, 'last endorsed', 'packages'],
        n.peers.map((p) =>
          h(
            'tr',
            {},
            td(p.name),
            td(h('code', {}, p.mspId)),
            num(count(p.endorsements)),
            td(time(p.lastEndorsedMs)),
            td(
              (p.packages ?? []).map((k) =>
                h(
                  'div',
                  { class: 'mono', title: k.packageId },
                  `${k.chaincodeName} ${k.version} ${shortId(k.packageId.split(':').pop() ?? '', 12)}`,
                ),
              ),
            ),
          ),
        ),
        'no endorsement seen yet',
      ),
    );
    const o = n.ordering;
    const facts = h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'type'),
      h('dd', {}, o.type),
      o.batch === undefined
        ? null
        : [
            h('dt', {}, 'batches'),
            h(
              'dd',
              {},
              `up to ${count(o.batch.maxMessageCount)} transactions, ${bytes(o.batch.preferredMaxBytes)} preferred, ${o.batch.batchTimeoutMs} ms timeout`,
            ),
          ],
      o.view === undefined ? null : [h('dt', {}, 'view'), h('dd', { 'data-testid': 'bft-view' }, String(o.view))],
      o.leader === undefined ? null : [h('dt', {}, 'leader'), h('dd', {}, `consenter ${o.leader}`)],
      o.quorum === undefined ? null : [h('dt', {}, 'quorum'), h('dd', {}, `${o.quorum} signatures per block`)],
    );
    const consenters =
      o.consenters.length === 0
        ? null
        : table(
            [
              'id',
              'MSP',
              'host',
              'state',
              { label: 'height', num: true },
              { label: 'view', num: true },
              { label: 'last signed block', num: true },
            ],
            o.consenters.map((c) =>
              h(
                'tr',
                {},
                num(c.id),
                td(h('code', {}, c.mspId)),
                td(c.host),
                td(
                  c.running === undefined
                    ? ''
                    : c.running
                      ? o.leader === c.id
                        ? badge('leader', 'info')
                        : badge('running', 'ok')
                      : badge('stopped', 'bad'),
                ),
                num(c.height === undefined ? '–' : count(c.height)),
                num(c.view ?? '–'),
                num(c.lastSignedBlock ?? '–'),
              ),
            ),
          );
    fill(byId('net-ordering'), facts, consenters === null ? null : h('div', { class: 'scroll', style: 'margin-top:10px' }, consenters));
    fill(
      byId('net-health'),
      table(
        ['node', 'status', 'detail', 'checked'],
        n.health.map((e) =>
          h(
            'tr',
            {},
            td(e.name),
            td(badge(e.status, e.status === 'OK' ? 'ok' : 'bad')),
            td(e.detail ?? '', 'wrap'),
            td(time(e.checkedAtMs)),
          ),
        ),
        'no health endpoint configured (metroledger dashboard --operations URL)',
      ),
    );
  },
};

// ---- activity -----------------------------------------------------------------------------------

let charts: { throughput: LiveChart; latency: LiveChart } | undefined;

export const activityView: View = {
  mount(root) {
    const t = h('div', { class: 'chart', 'data-testid': 'throughput-chart' });
    const l = h('div', { class: 'chart', 'data-testid': 'latency-chart' });
    root.replaceChildren(
      h('div', { class: 'kpis', id: 'act-kpis' }),
      h(
        'div',
        { class: 'grid' },
        card('Throughput', 'Committed per second, as the blocks arrive.', t),
        card('Commit latency', 'Block received by the dashboard − transaction timestamp (the client’s clock).', l),
      ),
      h(
        'div',
        { class: 'grid wide' },
        card('Recent blocks', 'Click a block for its transactions.', h('div', { class: 'scroll', id: 'act-blocks' })),
      ),
    );
    charts = { throughput: throughputChart(t), latency: latencyChart(l) };
  },
  update(s) {
    const a = s.activity;
    if (a === undefined) return;
    charts?.throughput.update(a.series);
    charts?.latency.update(a.series);
    const last = (xs: readonly number[], k: number) => xs.slice(-k).reduce((x, y) => x + y, 0) / Math.max(1, Math.min(k, xs.length));
    const lat = a.series.latencyP50Ms.filter((v): v is number => v !== null).slice(-10);
    fill(
      byId('act-kpis'),
      kpi('blocks seen', count(s.status?.blocksSeen)),
      kpi('transactions / s (last 10 s)', last(a.series.transactions, 10).toFixed(1)),
      kpi('readings / s (last 10 s)', last(a.series.readings, 10).toFixed(1)),
      kpi('median latency (last 10 s)', lat.length === 0 ? '–' : `${Math.round(lat.reduce((x, y) => x + y, 0) / lat.length)} ms`),
    );
    const bft = a.blocks.some((b) => b.signers !== undefined);
    fill(
      byId('act-blocks'),
      table(
        [
          { label: 'block', num: true },
          'time',
          { label: 'transactions', num: true },
          { label: 'valid', num: true },
          { label: 'readings', num: true },
          { label: 'size', num: true },
          ...(bft ? ['BFT view', 'signed by consenters'] : []),
        ],
        a.blocks.map((b) =>
          h(
            'tr',
            { class: 'click', onclick: go(`#/block/${b.number}`) },
            num(b.number),
            td(`${time(b.timeMs)}${b.live ? '' : ' (read back)'}`),
            num(b.transactions),
            num(b.valid),
            num(b.readings),
            num(bytes(b.bytes)),
            bft ? [td(b.view ?? '?'), td((b.signers ?? []).join(', '))] : null,
          ),
        ),
      ),
    );
  },
};

// ---- measurements -------------------------------------------------------------------------------

export const measurementsView: View = {
  mount(root) {
    root.replaceChildren(
      h('div', { class: 'kpis', id: 'm-kpis' }),
      h(
        'div',
        { class: 'grid split' },
        card(
          'Measurements as they arrive',
          'Newest first. Click one for its raw loop signals, speed, meter, LR version and endorsers.',
          h('div', { class: 'scroll', id: 'm-feed', 'data-testid': 'feed' }),
        ),
        h(
          'div',
          { class: 'stack' },
          card(
            'LR refusals by code',
            'Readings the LR software recorded without a speed, and revoked meters’ readings.',
            h('div', { id: 'm-refusals', 'data-testid': 'refusals' }),
          ),
          card(
            'Invalid transactions by validation code',
            'Transactions the committing peers marked invalid (nothing they wrote applies).',
            h('div', { id: 'm-invalid' }),
          ),
        ),
      ),
      h(
        'div',
        { class: 'grid wide' },
        card(
          'Speed-limit violations',
          'Measured speed above the meter’s registered limit.',
          h('div', { class: 'scroll', id: 'm-violations' }),
        ),
      ),
    );
  },
  update(s) {
    const m = s.measurements;
    if (m === undefined) return;
    fill(
      byId('m-kpis'),
      kpi('measured', count(m.counts.measured)),
      kpi('over the limit', count(m.counts.violations)),
      kpi('refused by the LR', count(m.counts.refused)),
      kpi('revoked meters', count(m.counts.rejected)),
      kpi('invalid transactions', count(m.counts.invalidTransactions)),
    );
    fill(byId('m-feed'), table(MEASUREMENT_HEADERS, measurementRows(m.feed), 'no measurement yet'));
    fill(byId('m-violations'), table(MEASUREMENT_HEADERS, measurementRows(m.violations), 'no violation'));
    fill(
      byId('m-refusals'),
      table(
        ['code', { label: 'readings', num: true }, 'most recent'],
        m.refusals.map((c) =>
          h(
            'tr',
            { 'data-code': c.code },
            td(h('code', {}, c.code)),
            num(count(c.count)),
            td(c.recent.map((r) => h('a', { href: `#/tx/${r.txId}`, style: 'margin-right:8px' }, `${r.meterId} #${r.sequence}`))),
          ),
        ),
        'no refusal',
      ),
    );
    fill(
      byId('m-invalid'),
      table(
        ['validation code', { label: 'transactions', num: true }, 'last'],
        m.invalidTransactions.map((c) =>
          h(
            'tr',
            {},
            td(h('code', {}, c.code)),
            num(count(c.count)),
            td(h('a', { href: `#/tx/${c.lastTxId}` }, `block ${c.lastBlock}, ${shortId(c.lastTxId)}`)),
          ),
        ),
        'none',
      ),
    );
  },
};

// ---- meters -------------------------------------------------------------------------------------

export const metersView: View = {
  mount(root) {
    root.replaceChildren(
      h('div', { class: 'kpis', id: 'mt-kpis' }),
      h(
        'div',
        { class: 'grid wide' },
        card(
          'Meters',
          'Registry (LR chaincode), last reading, and statistics over the readings held (packages/surveil).',
          h('div', { class: 'scroll', id: 'mt-table', style: 'max-height:520px' }),
        ),
        card('Surveillance flags', 'Leads for a closer look, not verdicts (docs/AUDIT.md).', h('div', { class: 'scroll', id: 'mt-flags' })),
      ),
    );
  },
  update(s) {
    const m = s.meters;
    if (m === undefined) return;
    const flagged = m.meters.filter((x) => x.flags > 0).length;
    fill(
      byId('mt-kpis'),
      kpi('registered', count(m.registered)),
      kpi('flagged', count(flagged)),
      kpi('readings in the statistics', count(m.statsReadings)),
      kpi('statistics at', time(m.statsAtMs)),
    );
    const error = m.registryError === undefined ? null : h('p', { class: 'refused' }, `registry not readable: ${m.registryError}`);
    fill(
      byId('mt-table'),
      error,
      table(
        [
          'meter',
          'location',
          'model',
          { label: 'limit', num: true },
          'status',
          'last reading',
          { label: 'readings', num: true },
          { label: 'mean', num: true },
          { label: 'p85', num: true },
          { label: 'over limit', num: true },
          { label: 'flags', num: true },
        ],
        m.meters.map((r) =>
          h(
            'tr',
            { 'data-meter': r.meterId },
            td(r.meterId),
            td(r.location ?? ''),
            td(r.model ?? ''),
            num(r.speedLimitKmh === undefined ? '' : `${r.speedLimitKmh} km/h`),
            td(r.status === undefined ? '' : badge(r.status.toLowerCase(), r.status === 'ACTIVE' ? 'ok' : 'bad')),
            td(
              r.lastReading === undefined
                ? '–'
                : h(
                    'a',
                    { href: `#/tx/${r.lastReading.txId}` },
                    `${time(r.lastReading.txTimeMs)} · ${r.lastReading.speedKmh === undefined ? (r.lastReading.refusalCode ?? r.lastReading.status) : kmh(r.lastReading.speedKmh)}`,
                  ),
            ),
            num(count(r.stats?.readings)),
            num(r.stats === undefined || r.stats.measured === 0 ? '–' : kmh(r.stats.meanKmh)),
            num(r.stats === undefined || r.stats.measured === 0 ? '–' : kmh(r.stats.p85Kmh)),
            num(r.stats === undefined ? '–' : `${(r.stats.violationRate * 100).toFixed(1)} %`),
            num(r.flags === 0 ? '0' : badge(String(r.flags), 'warn')),
          ),
        ),
        'no meter registered',
      ),
    );
    fill(
      byId('mt-flags'),
      table(
        ['flag', 'meter', { label: 'seq', num: true }, 'what'],
        m.flags.map((f) => h('tr', {}, td(h('code', {}, f.code)), td(f.meterId), num(f.sequence ?? ''), td(f.message, 'wrap'))),
        'no flag',
      ),
    );
  },
};

// ---- governance ---------------------------------------------------------------------------------

export const governanceView: View = {
  mount(root) {
    root.replaceChildren(
      h(
        'div',
        { class: 'grid' },
        card(
          'Last audit',
          'The report of `metroledger audit --json` (re-verification and re-execution of the whole ledger).',
          h('div', { id: 'g-audit', 'data-testid': 'audit' }),
        ),
        card(
          'Integrity incidents',
          'What endorsing peers reported (e.g. a package that does not match its approval).',
          h('div', { class: 'scroll', id: 'g-incidents' }),
        ),
      ),
      h(
        'div',
        { class: 'grid wide' },
        card(
          'LR software registry',
          'Versions the notified body approved by package fingerprint, with the endorsement policy each must run under.',
          h('div', { class: 'scroll', id: 'g-lr' }),
        ),
      ),
      h(
        'div',
        { class: 'grid' },
        card('Meter models', 'Type approvals and the LR versions each model may run.', h('div', { class: 'scroll', id: 'g-models' })),
        card('Registered organizations', 'Admitted by the notified body, with their roles.', h('div', { class: 'scroll', id: 'g-orgs' })),
      ),
      h('div', { id: 'g-errors' }),
    );
  },
  update(s) {
    const g = s.governance;
    if (g === undefined) return;
    const a = g.audit;
    const r = a.report;
    fill(
      byId('g-audit'),
      r === undefined
        ? h('p', { class: 'empty' }, a.state === 'unreadable' ? `unreadable: ${a.message ?? ''}` : (a.message ?? 'no audit report yet'))
        : h(
            'div',
            {},
            h(
              'div',
              { class: 'verdict' },
              badge(r.verdict.replace(/_/g, ' '), r.verdict === 'PASS' ? 'ok' : r.verdict === 'FAIL' ? 'bad' : 'warn'),
            ),
            h(
              'dl',
              { class: 'kv', style: 'margin-top:8px' },
              h('dt', {}, 'blocks'),
              h('dd', {}, `${r.fromBlock} to ${r.toBlock}`),
              h('dt', {}, 'readings'),
              h('dd', {}, `${count(r.counts.readings)} (${count(r.counts.reexecuted)} re-executed exactly)`),
              h('dt', {}, 'findings'),
              h('dd', {}, `${r.errors} errors, ${r.warnings} warnings`),
              h('dt', {}, 'source'),
              h('dd', {}, r.source),
              h('dt', {}, 'run'),
              h('dd', {}, `${r.startedAt} (file ${time(a.fileTimeMs)})`),
            ),
            r.findings.length === 0
              ? null
              : table(
                  ['finding', 'block', 'what'],
                  r.findings.map((f) => h('tr', {}, td(h('code', {}, f.code)), num(f.blockNum ?? ''), td(f.message, 'wrap'))),
                ),
          ),
    );
    fill(
      byId('g-lr'),
      table(
        ['version', 'status', 'package id', 'endorsement policy', 'approved'],
        g.lrSoftware.map((x) =>
          h(
            'tr',
            {},
            td(`${x.chaincodeName} ${x.version}`),
            td(badge(x.status.toLowerCase(), x.status === 'APPROVED' ? 'ok' : 'bad')),
            td(h('code', {}, x.packageId), 'wrap'),
            td(h('code', {}, x.endorsementPolicy)),
            td(`${utc(x.approvedAt)} by ${x.notifiedBody.mspId}`),
          ),
        ),
        'no LR software approved',
      ),
    );
    fill(
      byId('g-incidents'),
      table(
        ['detected', 'kind', 'peer', 'expected / found'],
        g.incidents.map((i) =>
          h(
            'tr',
            {},
            td(utc(i.detectedAt)),
            td(badge(i.kind, 'bad')),
            td(`${i.peer} (${i.organization})`),
            td(
              h(
                'div',
                { class: 'mono' },
                h('div', {}, `expected ${shortId(i.expectedPackageId || '(none)', 30)}`),
                h('div', {}, `found ${shortId(i.foundPackageId, 30)}`),
              ),
            ),
          ),
        ),
        'no integrity incident',
      ),
    );
    fill(
      byId('g-models'),
      table(
        ['model', 'manufacturer', 'LR versions', 'certificate'],
        g.meterModels.map((m) =>
          h('tr', {}, td(m.model), td(m.manufacturer), td(m.approvedLrVersions.join(', ')), td(m.certificateRef, 'wrap')),
        ),
        'no meter model approved',
      ),
    );
    fill(
      byId('g-orgs'),
      table(
        ['MSP', 'name', 'roles', 'registered'],
        g.organizations.map((o) =>
          h(
            'tr',
            {},
            td(h('code', {}, o.mspId)),
            td(o.name),
            td(o.roles.join(', ').toLowerCase().replace(/_/g, ' ')),
            td(utc(o.registeredAt)),
          ),
        ),
        'no organization registered',
      ),
    );
    fill(
      byId('g-errors'),
      g.errors.length === 0
        ? null
        : card(
            'Not readable',
            'Queries the network refused (with this dashboard’s identity) or could not answer.',
            h(
              'ul',
              { class: 'errors' },
              g.errors.map((e) => h('li', {}, h('code', {}, e.what), `: ${e.message}`)),
            ),
          ),
    );
  },
};

// ---- drill-down ---------------------------------------------------------------------------------

async function fetchJson<T>(path: string): Promise<T> {
  const res = await fetch(path);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

export function blockView(n: number): View {
  return {
    mount(root) {
      root.replaceChildren(
        card(
          `Block ${n}`,
          'Its transactions; click one for its detail.',
          h('div', { id: 'b-txs' }, h('p', { class: 'muted' }, 'Loading…')),
        ),
      );
      fetchJson<BlockDetail>(`/api/block/${n}`).then(
        (b) =>
          fill(
            byId('b-txs'),
            table(
              ['#', 'transaction', 'validation', 'chaincode', 'function', 'timestamp', { label: 'readings', num: true }],
              b.transactions.map((t) =>
                h(
                  'tr',
                  { class: 'click', onclick: go(`#/tx/${t.txId}`) },
                  num(t.txNumber),
                  td(h('code', {}, shortId(t.txId, 16))),
                  td(badge(t.validation, t.validation === 'VALID' ? 'ok' : 'bad')),
                  td(t.chaincode),
                  td(t.function),
                  td(time(t.timestampMs)),
                  num(t.readings),
                ),
              ),
            ),
          ),
        (err: Error) => fill(byId('b-txs'), h('p', { class: 'refused' }, err.message)),
      );
    },
    update() {},
  };
}

export function txView(txId: string): View {
  return {
    mount(root) {
      root.replaceChildren(h('div', { id: 'tx' }, h('p', { class: 'muted' }, 'Loading…')));
      fetchJson<TxDetail>(`/api/tx/${txId}`).then(
        (t) => {
          const head = card(
            'Transaction',
            undefined,
            h(
              'dl',
              { class: 'kv' },
              h('dt', {}, 'id'),
              h('dd', {}, h('code', {}, t.txId)),
              h('dt', {}, 'block'),
              h('dd', {}, h('a', { href: `#/block/${t.blockNumber}` }, `${t.blockNumber}`), `, transaction ${t.txNumber}`),
              h('dt', {}, 'validation'),
              h('dd', {}, badge(t.validation, t.validation === 'VALID' ? 'ok' : 'bad')),
              h('dt', {}, 'timestamp'),
              h('dd', {}, new Date(t.timestampMs).toLocaleString()),
              h('dt', {}, 'chaincode'),
              h('dd', {}, `${t.chaincode.name} ${t.chaincode.version}, ${t.function}`),
              h('dt', {}, 'submitted by'),
              h('dd', {}, t.creator === undefined ? '–' : `${t.creator.name} (${t.creator.mspId})`),
              h('dt', {}, 'endorsers'),
              h(
                'dd',
                { 'data-testid': 'endorsers' },
                t.endorsers.map((e) => h('div', {}, `${e.name} (${e.mspId})`)),
              ),
            ),
          );
          const readings = t.readings.map((r, i) => {
            const o = r.outcome;
            const chart = h('div', { class: 'chart', 'data-testid': 'signal-chart' });
            const c = card(
              `Measurement: meter ${r.meterId}, sequence ${r.sequence}`,
              undefined,
              h(
                'div',
                { class: 'grid', style: 'grid-template-columns: minmax(260px, 1fr) 2fr' },
                h(
                  'div',
                  {},
                  h(
                    'div',
                    { class: 'speed', 'data-testid': 'speed' },
                    o?.speedKmh !== undefined
                      ? kmh(o.speedKmh)
                      : h(
                          'span',
                          { class: 'refused' },
                          o === undefined ? 'no outcome' : `${o.status.toLowerCase()}: ${o.refusalCode ?? ''}`,
                        ),
                  ),
                  h(
                    'dl',
                    { class: 'kv', style: 'margin-top:8px' },
                    h('dt', {}, 'speed limit'),
                    h(
                      'dd',
                      {},
                      o?.speedLimitKmh === undefined ? '–' : `${o.speedLimitKmh} km/h${o.exceeded === true ? ' — exceeded' : ''}`,
                    ),
                    o?.refusalDetail === undefined ? null : [h('dt', {}, 'refusal'), h('dd', {}, o.refusalDetail)],
                    o?.vehicleLengthM === undefined
                      ? null
                      : [h('dt', {}, 'vehicle length'), h('dd', {}, `${o.vehicleLengthM} m (indicative)`)],
                    h('dt', {}, 'LR software'),
                    h(
                      'dd',
                      { 'data-testid': 'lr-version' },
                      o?.lrSoftware === undefined
                        ? '–'
                        : `${o.lrSoftware.name} ${o.lrSoftware.version} in chaincode ${o.lrSoftware.chaincodeName} ${o.lrSoftware.chaincodeVersion}`,
                    ),
                    h('dt', {}, 'captured'),
                    h('dd', {}, `${new Date(r.captureTimeMs).toLocaleString()} (meter clock)`),
                    h('dt', {}, 'sampling'),
                    h('dd', {}, `${count(r.sampleRateHz)} Hz, ${count(r.loopA.length)} + ${count(r.loopB.length)} samples`),
                    r.plateImageSha256 === undefined
                      ? null
                      : [h('dt', {}, 'plate image'), h('dd', {}, h('code', {}, shortId(r.plateImageSha256, 24)))],
                    r.batchIndex === undefined ? null : [h('dt', {}, 'in batch'), h('dd', {}, `reading ${r.batchIndex}`)],
                  ),
                ),
                h('div', {}, h('div', { class: 'sub' }, 'Raw loop signals the meter signed'), chart),
              ),
            );
            return { c, chart, r, i };
          });
          fill(
            byId('tx'),
            h(
              'div',
              { class: 'grid wide' },
              head,
              readings.map((x) => x.c),
            ),
          );
          for (const x of readings) signalChart(x.chart, x.r);
        },
        (err: Error) => fill(byId('tx'), card('Transaction', undefined, h('p', { class: 'refused' }, err.message))),
      );
    },
    update() {},
  };
}
