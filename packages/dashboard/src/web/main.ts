// SPDX-License-Identifier: Apache-2.0
// The page: receives the sections over Server-Sent Events, keeps the latest of each, and shows
// the view the address names (#/network, #/activity, #/measurements, #/meters, #/governance,
// #/block/N, #/tx/ID).
import type { SectionName, Sections } from '../api.js';
import { badge, count, h } from './dom.js';
import {
  activityView,
  blockView,
  governanceView,
  measurementsView,
  metersView,
  networkView,
  txView,
  type State,
  type View,
} from './views.js';

const state: State = {};
let current: { key: string; view: View } | undefined;
let pending = false;

function route(): { key: string; view: View; tab: string } {
  const hash = location.hash.replace(/^#\/?/, '');
  const tx = /^tx\/([0-9a-f]{64})$/.exec(hash);
  if (tx !== null) return { key: hash, view: txView(tx[1]!), tab: 'measurements' };
  const block = /^block\/(\d+)$/.exec(hash);
  if (block !== null) return { key: hash, view: blockView(Number(block[1])), tab: 'activity' };
  const views: Record<string, View> = {
    network: networkView,
    activity: activityView,
    measurements: measurementsView,
    meters: metersView,
    governance: governanceView,
  };
  const name = views[hash] !== undefined ? hash : 'network';
  return { key: name, view: views[name]!, tab: name };
}

function show(): void {
  const r = route();
  const main = document.getElementById('view')!;
  current = { key: r.key, view: r.view };
  r.view.mount(main, state);
  r.view.update(state);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#tabs a')) a.classList.toggle('active', a.dataset['view'] === r.tab);
  window.scrollTo(0, 0);
}

function header(): void {
  const s = state.status;
  const facts = document.getElementById('facts')!;
  if (s === undefined) return;
  const follow = s.follow;
  const followKind = follow.state === 'live' ? 'ok' : follow.state === 'retrying' || follow.state === 'stopped' ? 'bad' : 'info';
  const health = state.network?.health ?? [];
  const bad = health.filter((e) => e.status !== 'OK');
  const fact = (k: string, v: Node | string, testid?: string) =>
    h('div', { class: 'fact' }, h('span', { class: 'k' }, k), h('span', { class: 'v', 'data-testid': testid }, v));
  facts.replaceChildren(
    fact('channel', s.channel),
    fact('height', count(s.height), 'height'),
    fact('blocks', follow.state === 'live' ? badge('live', followKind) : badge(follow.state.replace('-', ' '), followKind)),
    fact(
      'health',
      health.length === 0
        ? badge('not probed', 'info')
        : bad.length === 0
          ? badge('OK', 'ok')
          : badge(`${bad[0]!.name} ${bad[0]!.status}`, 'bad'),
      'health',
    ),
    fact('source', s.source),
  );
  if (follow.error !== undefined) facts.title = follow.error;
}

function render(): void {
  pending = false;
  header();
  current?.view.update(state);
}

const events = new EventSource('/api/events');
events.addEventListener('section', (e) => {
  const { name, data } = JSON.parse((e as MessageEvent<string>).data) as { name: SectionName; data: Sections[SectionName] };
  (state as Record<SectionName, unknown>)[name] = data;
  if (!pending) {
    pending = true;
    requestAnimationFrame(render);
  }
});
// EventSource reconnects by itself; meanwhile say so (the next status section replaces the header).
events.addEventListener('error', () => {
  const facts = document.getElementById('facts');
  if (facts !== null && events.readyState !== EventSource.OPEN && document.getElementById('server-lost') === null) {
    facts.prepend(
      h(
        'div',
        { class: 'fact', id: 'server-lost' },
        h('span', { class: 'k' }, 'server'),
        h('span', { class: 'v' }, badge('reconnecting', 'bad')),
      ),
    );
  }
});
window.addEventListener('hashchange', show);
show();
