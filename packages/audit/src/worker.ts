// SPDX-License-Identifier: Apache-2.0
// Verification worker: runs analyzeBlock on the blocks the auditor sends, with a meter table the
// auditor keeps current by messages (sent before any block that must see them).
import { parentPort, workerData } from 'node:worker_threads';
import { IdentityDeserializer, MspRegistry, type MspConfig } from '@metroledger/identity';
import { analyzeBlock, type AnalyzeContext, type MeterDoc, type MeterEntry } from './analyze';
import { loadLrImplementations, loadPackagedLr, readLrPackage } from './lrsoftware';

/** What a worker needs of the channel configuration; sent again when a config block changes it. */
export interface WorkerChannel {
  readonly channelId: string;
  readonly msps: readonly MspConfig[];
  readonly consenters: readonly [number, string][];
  readonly version: number;
}

export interface WorkerInit {
  readonly lrModules: readonly string[];
  /** LR packages whose approval the auditor found on the ledger: each serves its version, over the modules. */
  readonly lrPackages: readonly Uint8Array[];
  readonly lrNamespace: string;
  readonly trackedNamespaces: readonly string[];
  readonly channel: WorkerChannel;
  readonly meters: readonly [string, number, string][];
}

export type WorkerRequest =
  | { readonly kind: 'meter'; readonly meterId: string; readonly rev: number; readonly json: string | null }
  | { readonly kind: 'channel'; readonly channel: WorkerChannel }
  | { readonly kind: 'lr-package'; readonly bytes: Uint8Array }
  | { readonly kind: 'block'; readonly id: number; readonly bytes: Uint8Array };

export type WorkerResponse =
  { readonly id: number; readonly analysis: ReturnType<typeof analyzeBlock> } | { readonly id: number; readonly error: string };

export function meterTable(entries: readonly [string, number, string][]): Map<string, MeterEntry> {
  return new Map(entries.map(([id, rev, json]) => [id, { rev, meter: JSON.parse(json) as MeterDoc }]));
}

if (parentPort !== null && workerData !== undefined && (workerData as { auditWorker?: boolean }).auditWorker === true) {
  const port = parentPort;
  const init = (workerData as { init: WorkerInit }).init;
  const meters = meterTable(init.meters);
  const deserializer = new IdentityDeserializer();
  const withChannel = (c: WorkerChannel): Pick<AnalyzeContext, 'channel' | 'channelVersion' | 'consenters'> => ({
    channel: { channelId: c.channelId, deserializer, msps: new MspRegistry([...c.msps]), privateData: true },
    channelVersion: c.version,
    consenters: new Map(c.consenters),
  });
  const lrImplementations = loadLrImplementations(init.lrModules);
  const usePackage = (bytes: Uint8Array): void => {
    const impl = loadPackagedLr(readLrPackage(bytes));
    lrImplementations.set(impl.version, impl);
  };
  for (const bytes of init.lrPackages) usePackage(bytes);
  let ctx: AnalyzeContext = {
    lrNamespace: init.lrNamespace,
    lrImplementations,
    trackedNamespaces: new Set(init.trackedNamespaces),
    meters,
    deserializer,
    ...withChannel(init.channel),
  };
  port.on('message', (msg: WorkerRequest) => {
    if (msg.kind === 'channel') {
      ctx = { ...ctx, ...withChannel(msg.channel) };
      return;
    }
    if (msg.kind === 'lr-package') {
      // Loaded on the main thread first, so it loads here too; a failure still answers every block.
      try {
        usePackage(msg.bytes);
      } catch {
        // the readings of its version stay 'unknown-version' here and are re-executed by the main thread
      }
      return;
    }
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
