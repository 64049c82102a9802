// SPDX-License-Identifier: Apache-2.0
// Verification worker: runs analyzeBlock on the blocks the auditor sends, with a meter table the
// auditor keeps current by messages (sent before any block that must see them).
import { parentPort, workerData } from 'node:worker_threads';
import { IdentityDeserializer } from '@metroledger/identity';
import { analyzeBlock, type AnalyzeContext, type MeterDoc, type MeterEntry } from './analyze';
import { loadLrImplementations } from './lrsoftware';

export interface WorkerInit {
  readonly lrModules: readonly string[];
  readonly lrNamespace: string;
  readonly trackedNamespaces: readonly string[];
  readonly consenters: readonly [number, string][];
  readonly meters: readonly [string, number, string][];
}

export type WorkerRequest =
  | { readonly kind: 'meter'; readonly meterId: string; readonly rev: number; readonly json: string | null }
  | { readonly kind: 'block'; readonly id: number; readonly bytes: Uint8Array };

export type WorkerResponse = { readonly id: number; readonly analysis: ReturnType<typeof analyzeBlock> } | { readonly id: number; readonly error: string };

export function meterTable(entries: readonly [string, number, string][]): Map<string, MeterEntry> {
  return new Map(entries.map(([id, rev, json]) => [id, { rev, meter: JSON.parse(json) as MeterDoc }]));
}

if (parentPort !== null && workerData !== undefined && (workerData as { auditWorker?: boolean }).auditWorker === true) {
  const port = parentPort;
  const init = (workerData as { init: WorkerInit }).init;
  const meters = meterTable(init.meters);
  const ctx: AnalyzeContext = {
    lrNamespace: init.lrNamespace,
    lrImplementations: loadLrImplementations(init.lrModules),
    consenters: new Map(init.consenters),
    trackedNamespaces: new Set(init.trackedNamespaces),
    meters,
    deserializer: new IdentityDeserializer(),
  };
  port.on('message', (msg: WorkerRequest) => {
    if (msg.kind === 'meter') {
      if (msg.json === null) meters.delete(msg.meterId);
      else meters.set(msg.meterId, { rev: msg.rev, meter: JSON.parse(msg.json) as MeterDoc });
      return;
    }
    try {
      port.postMessage({ id: msg.id, analysis: analyzeBlock(msg.bytes, ctx) } satisfies WorkerResponse);
    } catch (err) {
      port.postMessage({ id: msg.id, error: (err as Error).stack ?? String(err) } satisfies WorkerResponse);
    }
  });
}
