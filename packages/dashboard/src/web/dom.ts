// SPDX-License-Identifier: Apache-2.0
// A few DOM and formatting helpers: the page builds its tables from the pushed sections.

type Child = Node | string | number | null | undefined | false | readonly Child[];

/** An element with attributes (strings; `on<event>` functions become listeners) and children (text is escaped by the DOM). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? (c as Node) : document.createTextNode(String(c)));
  }
}

/** A table with a header row; `rows` already built. */
export function table(
  headers: readonly (string | { label: string; num?: boolean })[],
  rows: readonly HTMLTableRowElement[],
  empty = 'nothing yet',
): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'tablewrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => (typeof x === 'string' ? h('th', {}, x) : h('th', { class: x.num === true ? 'num' : undefined }, x.label))),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

export const td = (content: Child, cls?: string): HTMLTableCellElement => h('td', cls === undefined ? {} : { class: cls }, content);
export const num = (content: Child): HTMLTableCellElement => td(content, 'num');

export function card(title: string, sub: string | undefined, ...body: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), sub === undefined ? null : h('p', { class: 'sub' }, sub), ...body);
}

export function badge(textContent: string, kind: 'ok' | 'warn' | 'bad' | 'info'): HTMLElement {
  return h('span', { class: `badge ${kind}` }, textContent);
}

export function kpi(label: string, value: Child, testid?: string): HTMLElement {
  return h('div', { class: 'kpi', 'data-testid': testid }, h('div', { class: 'k' }, label), h('div', { class: 'v' }, value));
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local clock time, to the second (and the date when not today). */
export function time(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '–';
  const d = new Date(ms);
  const today = new Date();
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === today.toDateString() ? hms : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

export function count(n: number | undefined): string {
  return n === undefined ? '–' : n.toLocaleString('en-US');
}

export function kmh(v: number | undefined): string {
  return v === undefined ? '–' : `${v.toFixed(1)} km/h`;
}

export function shortId(id: string, n = 12): string {
  return id.length <= n ? id : `${id.slice(0, n)}…`;
}

export function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
