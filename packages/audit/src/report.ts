// SPDX-License-Identifier: Apache-2.0
// Audit report renderings: a terminal summary and a self-contained HTML page.
import type { AuditReport } from './auditor';
import type { Finding } from './findings';
import { escapeHtml, htmlDocument, svgBarChart } from './html';

function locate(f: Finding): string {
  const parts = [`block ${f.blockNum}`];
  if (f.txNum !== undefined) parts.push(`tx ${f.txNum}`);
  if (f.txId !== undefined) parts.push(`txid ${f.txId.slice(0, 16)}…`);
  if (f.meterId !== undefined) parts.push(`meter ${f.meterId}${f.sequence === undefined ? '' : ` seq ${f.sequence}`}`);
  return parts.join(', ');
}

/** What was said about the chain's length besides the blocks read. */
function heightLine(r: AuditReport): string {
  const said = r.declaredHeights.map((d) => `${d.height} blocks per ${d.by}`);
  return said.length > 0 ? said.join('; ') : `not confirmed${r.heightNotes.length > 0 ? ` (${r.heightNotes.join('; ')})` : ''}`;
}

function definitions(r: AuditReport): string {
  return r.chaincodeDefinitions
    .map(
      (d) =>
        `${d.name} sequence ${d.sequence} (version ${d.version}) ${d.policy}${Object.entries(d.collectionPolicies ?? {})
          .map(([name, p]) => `, collection ${name} ${p}`)
          .join('')} at block ${d.blockNum}`,
    )
    .join('; ');
}

/** Which implementation re-executed each LR version, and whether an approval on the ledger vouches for it. */
function lrSoftwareLines(r: AuditReport): string[] {
  return r.lrSoftware.map((u) => {
    const what = `${u.name} ${u.version}: ${u.readings} reading(s) re-executed by`;
    if (u.package !== undefined) {
      const a = u.package.approval;
      return `${what} package ${u.package.packageId} (${u.package.file}, code digest ${u.package.codeDigest}), verified: the ${a.matchedBy === 'packageId' ? 'package id' : 'code digest'} is approved on the ledger for ${a.chaincodeName} ${a.chaincodeVersion}${a.blockNum === undefined ? '' : ` (block ${a.blockNum}${a.txId === undefined ? '' : `, tx ${a.txId.slice(0, 16)}…`})`}`;
    }
    return u.from === 'bundled'
      ? `${what} this auditor's bundled module (not checked against an approval)`
      : `${what} module ${u.module ?? '?'} (given by path: NOT verified against an approval)`;
  });
}

function updates(r: AuditReport): string {
  return r.configUpdates
    .map((u) => `block ${u.blockNum} (sequence ${u.sequence}, signed by ${u.signers.join(', ')}): ${u.changed.join(', ')}`)
    .join('; ');
}

/** Plain-text summary: verdict, counts and the findings (at most `limit`, default 50). */
export function formatAuditText(r: AuditReport, opts: { limit?: number } = {}): string {
  const limit = opts.limit ?? 50;
  const c = r.counts;
  const lines = [
    `metroledger audit — ${r.source}`,
    `channel ${r.channelId || '?'}, ${r.consensus || '?'} ordering, genesis ${r.genesisHash || '?'}`,
    `blocks ${r.fromBlock}..${r.toBlock}${r.resumed ? ' (resumed from checkpoint)' : ''}: ${c.blocks} blocks, ${c.transactions} transactions (${c.validTransactions} valid, ${c.invalidTransactions} invalid)`,
    `chain height: ${heightLine(r)}`,
    `readings ${c.readings} (${c.measurements} measured, ${c.refusals} refused), re-executed exactly ${c.reexecuted}, signatures verified ${c.signaturesVerified}, meters registered ${r.meters}`,
    `endorsement policies: ${
      Object.entries(r.policies)
        .map(([cc, p]) => `${cc}=${p.policy} (${p.by})`)
        .join(', ') || 'none used'
    }; LR software: ${r.lrVersions.join(', ')}`,
    `${(r.elapsedMs / 1000).toFixed(2)} s, ${r.readingsPerSecond} readings/s, ${r.workers} worker(s)`,
  ];
  for (const l of lrSoftwareLines(r)) lines.push(`LR software ${l}`);
  if (r.chaincodeDefinitions.length > 0) lines.push(`chaincode definitions (_lifecycle): ${definitions(r)}`);
  if (r.configUpdates.length > 0) lines.push(`configuration updates: ${updates(r)}`);
  if (r.totals !== undefined)
    lines.push(
      `all runs so far: ${r.totals.blocks} blocks, ${r.totals.readings} readings, ${r.totals.errors} errors, ${r.totals.warnings} warnings`,
    );
  const codes = Object.entries(r.findingCounts);
  if (codes.length > 0) lines.push(`findings: ${codes.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const f of r.findings.slice(0, limit)) lines.push(`  ${f.severity.toUpperCase().padEnd(7)} ${f.code} at ${locate(f)}: ${f.message}`);
  const more = r.findings.length - Math.min(limit, r.findings.length) + r.findingsOmitted;
  if (more > 0) lines.push(`  … ${more} more finding(s) (see --json)`);
  lines.push(`verdict: ${r.verdict} (${r.errors} error(s), ${r.warnings} warning(s))`);
  return lines.join('\n') + '\n';
}

/** A self-contained HTML report (inline CSS and SVG). */
export function formatAuditHtml(r: AuditReport): string {
  const c = r.counts;
  const kv = (rows: [string, string][]): string =>
    `<div class="kv">${rows.map(([k, v]) => `<div>${escapeHtml(k)}</div><div>${v}</div>`).join('')}</div>`;
  const counts = svgBarChart(
    [
      { label: 'blocks', value: c.blocks },
      { label: 'transactions', value: c.transactions },
      { label: 'valid transactions', value: c.validTransactions },
      { label: 'readings', value: c.readings },
      { label: 're-executed exactly', value: c.reexecuted, color: '#2e7d32' },
      { label: 'refusals', value: c.refusals, color: '#8a8f99' },
    ],
    { title: 'counts' },
  );
  const byCode = Object.entries(r.findingCounts).sort((a, b) => b[1] - a[1]);
  const findingChart =
    byCode.length === 0
      ? '<p>No findings.</p>'
      : svgBarChart(
          byCode.map(([label, value]) => ({ label, value, color: '#c62828' })),
          { title: 'findings by code' },
        );
  const rows = r.findings
    .map(
      (f) =>
        `<tr><td class="${f.severity}">${f.severity}</td><td><code>${f.code}</code></td><td class="num">${f.blockNum}</td><td class="num">${f.txNum ?? ''}</td><td><code>${escapeHtml(f.txId ?? '')}</code></td><td>${escapeHtml(f.meterId ?? '')}${f.sequence === undefined ? '' : ` #${f.sequence}`}</td><td>${escapeHtml(f.message)}</td></tr>`,
    )
    .join('\n');
  const body = `<h1>metroledger audit</h1>
<p class="muted">${escapeHtml(r.source)} — generated ${escapeHtml(r.startedAt)}</p>
<p><span class="verdict ${r.verdict}">${r.verdict}</span> ${r.errors} error(s), ${r.warnings} warning(s)</p>
<h2>Ledger</h2>
${kv([
  ['channel', escapeHtml(r.channelId)],
  ['ordering', escapeHtml(r.consensus)],
  ['genesis block hash', `<code>${escapeHtml(r.genesisHash)}</code>`],
  ['blocks audited', `${r.fromBlock} … ${r.toBlock}${r.resumed ? ' (resumed from checkpoint)' : ''}`],
  ['chain height', escapeHtml(heightLine(r))],
  [
    'endorsement policies',
    escapeHtml(
      Object.entries(r.policies)
        .map(([cc, p]) => `${cc}: ${p.policy} (${p.by})`)
        .join('; ') || 'none used',
    ),
  ],
  ['LR software re-executed', lrSoftwareLines(r).map(escapeHtml).join('<br>')],
  ...(r.chaincodeDefinitions.length > 0 ? [['chaincode definitions (_lifecycle)', escapeHtml(definitions(r))] as [string, string]] : []),
  ...(r.configUpdates.length > 0 ? [['configuration updates', escapeHtml(updates(r))] as [string, string]] : []),
  ['meters registered', String(r.meters)],
  ['signatures verified', String(c.signaturesVerified)],
  ['time', `${(r.elapsedMs / 1000).toFixed(2)} s (${r.readingsPerSecond} readings/s, ${r.workers} worker threads)`],
])}
<h2>Counts</h2>
${counts}
<h2>Findings by code</h2>
${findingChart}
<h2>Findings</h2>
${r.findings.length === 0 ? '<p>None: every block, signature, endorsement policy, meter signature, sequence and re-execution checked out.</p>' : `<table><thead><tr><th>severity</th><th>code</th><th class="num">block</th><th class="num">tx</th><th>tx id</th><th>meter</th><th>what</th></tr></thead><tbody>\n${rows}\n</tbody></table>`}
${r.findingsOmitted > 0 ? `<p class="muted">${r.findingsOmitted} more finding(s) not listed.</p>` : ''}`;
  return htmlDocument(`metroledger audit — ${r.verdict}`, body);
}
