// SPDX-License-Identifier: Apache-2.0
// The last audit's verdict: the JSON report `metroledger audit --json` writes (packages/audit's
// AuditReport), read again whenever the file changes.
import { readFile, stat } from 'node:fs/promises';
import type { AuditReport, Verdict } from '@metroledger/audit';
import type { AuditSection } from './api.js';

const VERDICTS: readonly Verdict[] = ['PASS', 'PASS_WITH_WARNINGS', 'FAIL'];
const FINDINGS_SHOWN = 20;

export class AuditReportFile {
  readonly #path: string | undefined;
  #mtimeMs = -1;
  #section: AuditSection;

  constructor(path: string | undefined) {
    this.#path = path;
    this.#section = path === undefined ? { state: 'none', message: 'no audit report file configured' } : { state: 'none', path };
  }

  /** The section, read again if the file changed; `changed` says whether it did. */
  async read(): Promise<{ section: AuditSection; changed: boolean }> {
    const path = this.#path;
    if (path === undefined) return { section: this.#section, changed: false };
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      const changed = this.#mtimeMs !== -1 || this.#section.message === undefined;
      this.#mtimeMs = -1;
      this.#section = { state: 'none', path, message: `no report yet: run \`metroledger audit --json > ${path}\`` };
      return { section: this.#section, changed };
    }
    if (mtimeMs === this.#mtimeMs) return { section: this.#section, changed: false };
    this.#mtimeMs = mtimeMs;
    this.#section = parseAuditSection(await readFile(path, 'utf8').catch((err: Error) => err), path, mtimeMs);
    return { section: this.#section, changed: true };
  }
}

/** The dashboard's summary of an AuditReport, or why the text is not one. */
export function parseAuditSection(textOrError: string | Error, path: string, fileTimeMs: number): AuditSection {
  if (textOrError instanceof Error) return { state: 'unreadable', path, fileTimeMs, message: textOrError.message };
  let r: Partial<AuditReport>;
  try {
    r = JSON.parse(textOrError) as Partial<AuditReport>;
  } catch (err) {
    return { state: 'unreadable', path, fileTimeMs, message: `not JSON: ${(err as Error).message}` };
  }
  if (
    r === null ||
    typeof r !== 'object' ||
    !VERDICTS.includes(r.verdict as Verdict) ||
    typeof r.counts !== 'object' ||
    r.counts === null ||
    !Array.isArray(r.findings)
  ) {
    return {
      state: 'unreadable',
      path,
      fileTimeMs,
      message: 'not an audit report (`metroledger audit --json`): it lacks verdict, counts or findings',
    };
  }
  return {
    state: 'ok',
    path,
    fileTimeMs,
    report: {
      verdict: r.verdict!,
      source: String(r.source ?? ''),
      channelId: String(r.channelId ?? ''),
      fromBlock: Number(r.fromBlock ?? -1),
      toBlock: Number(r.toBlock ?? -1),
      counts: r.counts,
      errors: Number(r.errors ?? 0),
      warnings: Number(r.warnings ?? 0),
      findingCounts: r.findingCounts ?? {},
      findings: r.findings.slice(0, FINDINGS_SHOWN),
      startedAt: String(r.startedAt ?? ''),
    },
  };
}
