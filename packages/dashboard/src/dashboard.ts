// SPDX-License-Identifier: Apache-2.0
// One dashboard: a block follower and registry reader feeding the bounded model, health probes,
// the audit report file, and the HTTP server that pushes the model's sections to browsers.
import { IdentityDeserializer } from '@metroledger/identity';
import { memorySource } from '@metroledger/audit';
import { collectMeasurements } from '@metroledger/surveil';
import type { BlockDetail, HealthEntry, SectionName, TxDetail } from './api.js';
import { AuditReportFile } from './auditfile.js';
import type { ChannelPort } from './channel.js';
import { decodeDashboardBlock, transactionDetail, type DecodedBlock } from './decode.js';
import { DashboardError } from './errors.js';
import { BlockFollower } from './follow.js';
import type { HealthProbe } from './health.js';
import { dashboardLimits, type DashboardLimits } from './limits.js';
import { DashboardModel, type NetworkExtras } from './model.js';
import { readRegistry } from './registry.js';
import { startHttpServer, type DashboardApp } from './server.js';

export interface DashboardOptions {
  /** The channel: its blocks and evaluate queries (see channelOfClient). */
  readonly channel: ChannelPort;
  /** Default 127.0.0.1. Anything else exposes the dashboard to the network: do it on purpose. */
  readonly host?: string;
  /** Default 0: the OS chooses (the URL says which). */
  readonly port?: number;
  /** Page title. Default 'metroledger — <channel>'. */
  readonly title?: string;
  readonly limits?: Partial<DashboardLimits>;
  /** 'first-viewer' (default): read nothing until someone opens the page; 'start': follow at once. */
  readonly follow?: 'first-viewer' | 'start';
  /** Blocks read back from before the start. Default 50. */
  readonly backfillBlocks?: number;
  /** Default 'lr' and 'governance'. */
  readonly lrChaincode?: string;
  readonly governanceChaincode?: string;
  /** Health of the nodes (Fabric operations /healthz, or a devnet's health()). */
  readonly health?: readonly HealthProbe[];
  /** What only some sources can tell (the devnet): peers' packages, BFT replicas' heights and views. */
  readonly extras?: () => NetworkExtras | Promise<NetworkExtras>;
  /** The JSON report of `metroledger audit --json`, read again when it changes. */
  readonly auditReportPath?: string;
  /** The registry is read again this often, and soon after each registry transaction. Default 30 s. */
  readonly registryRefreshMs?: number;
  /** Health is probed this often. Default 5 s. */
  readonly healthIntervalMs?: number;
}

export interface Dashboard {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  /** Starts following the channel now (otherwise the first viewer does). */
  follow(): void;
  /** Stops the server, the block stream and every timer. */
  stop(): Promise<void>;
}

/** How long a section's JSON is reused before it is built again (the bigger ones less often). */
const SECTION_MIN_INTERVAL_MS: Record<SectionName, number> = {
  status: 500,
  network: 1_000,
  activity: 1_000,
  measurements: 500,
  meters: 3_000,
  governance: 1_000,
};
const REGISTRY_FUNCTIONS_OF_LR = new Set(['registerMeter', 'revokeMeter', 'rotateMeterKey']);
const DRILL_DOWN_QUERIES_MAX = 20;
const text = new TextDecoder();

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const limits = dashboardLimits(opts.limits);
  const channel = opts.channel;
  const lr = opts.lrChaincode ?? 'lr';
  const gov = opts.governanceChaincode ?? 'governance';
  const backfill = opts.backfillBlocks ?? 50;
  if (!Number.isSafeInteger(backfill) || backfill < 0)
    throw new DashboardError('BAD_OPTION', `backfillBlocks must be a non-negative integer, not ${backfill}`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DashboardError('BAD_OPTION', `port must be 0..65535, not ${port}`);
  const title = opts.title ?? `metroledger — ${channel.channelId}`;
  const model = new DashboardModel({ limits, title, source: channel.description, channel: channel.channelId, nowMs: Date.now() });
  const ids = new IdentityDeserializer({ maxEntries: 256 });
  const audit = new AuditReportFile(opts.auditReportPath);
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  // ---- the registry: read when following starts, periodically, and after registry transactions
  let registryRunning: Promise<void> | undefined;
  let registryAgain = false;
  const refreshRegistry = (): void => {
    if (stopped) return;
    if (registryRunning !== undefined) {
      registryAgain = true;
      return;
    }
    registryRunning = readRegistry(
      channel,
      { lrChaincode: lr, governanceChaincode: gov, recordsMax: limits.registryRecords, metersMax: limits.meters },
      Date.now,
    )
      .then((snapshot) => {
        if (!stopped) model.setRegistry(snapshot);
      })
      .finally(() => {
        registryRunning = undefined;
        if (registryAgain) {
          registryAgain = false;
          setTimeout(refreshRegistry, 1_000).unref();
        }
      });
  };

  // ---- blocks
  let configWanted = true;
  const onBlock = async (bytes: Uint8Array, live: boolean): Promise<void> => {
    const arrivedMs = Date.now();
    const block = decodeDashboardBlock(bytes, ids, { lrChaincode: lr });
    model.ingest(block, bytes, { live, arrivedMs });
    if (configWanted && block.config === undefined && model.config === undefined) {
      configWanted = false;
      void fetchConfig(block);
    }
    model.addSurveilData(await collectMeasurements(memorySource([bytes]), { lrNamespace: lr }));
    if (block.txs.some((t) => t.code === 0 && (t.chaincodeName === gov || (t.chaincodeName === lr && REGISTRY_FUNCTIONS_OF_LR.has(t.fn)))))
      refreshRegistry();
  };
  const fetchConfig = async (block: DecodedBlock): Promise<void> => {
    try {
      const cfg = decodeDashboardBlock(await follower.fetchBlock(block.lastConfigIndex), ids, { lrChaincode: lr }).config;
      if (cfg !== undefined) model.setConfig(cfg);
      else configWanted = true;
    } catch {
      configWanted = true; // asked again with the next block
    }
  };
  const follower = new BlockFollower(channel, {
    backfillBlocks: backfill,
    onBlock,
    onState: (state, next, extra) => model.setFollow(state, next, Date.now(), extra),
  });

  const health = opts.health ?? [];
  const probeHealth = async (): Promise<void> => {
    const entries: HealthEntry[] = await Promise.all(
      health.map(async (p) => ({
        name: p.name,
        ...(await p.probe().catch((err: Error) => ({ status: 'UNREACHABLE' as const, detail: err.message }))),
        checkedAtMs: Date.now(),
      })),
    );
    if (!stopped) model.setHealth(entries);
  };
  const readAudit = async (): Promise<void> => {
    const { section, changed } = await audit.read();
    if (changed && !stopped) model.setAudit(section);
  };
  let statsMinIntervalMs = 2_000;
  let statsAtMs = 0;
  const every = (ms: number, fn: () => unknown): void => {
    timers.push(setInterval(fn, ms));
  };

  // the devnet's BFT replicas may answer from another thread (asynchronously)
  const refreshExtras = (): void => {
    if (opts.extras === undefined) return;
    void Promise.resolve()
      .then(opts.extras)
      .then(
        (extras) => model.setExtras(extras),
        () => undefined,
      );
  };
  const follow = (): void => {
    if (follower.started || stopped) return;
    follower.start();
    refreshRegistry();
    void probeHealth();
    void readAudit();
    every(opts.registryRefreshMs ?? 30_000, refreshRegistry);
    every(opts.healthIntervalMs ?? 5_000, () => void probeHealth());
    every(2_000, () => void readAudit());
    every(1_000, () => {
      // the charts move on with the clock even when no block arrives
      model.tick();
      refreshExtras();
      // Statistics over up to limits.surveilReadings readings: never more than a few % of the time.
      if (model.statsDirty && Date.now() - statsAtMs >= statsMinIntervalMs) {
        const ms = model.recomputeStats(Date.now());
        statsAtMs = Date.now();
        statsMinIntervalMs = Math.max(2_000, 20 * ms);
      }
    });
  };
  refreshExtras();
  void readAudit();

  // ---- drill-down
  const blockBytes = async (n: number): Promise<Uint8Array> => model.blockBytes(n) ?? follower.fetchBlock(n);
  const transaction = async (txId: string): Promise<TxDetail> => {
    const n = model.blockOfTx(txId);
    if (n === undefined)
      throw new DashboardError(
        'NOT_FOUND',
        `transaction ${txId} is not among the last ${limits.txIndex} transactions this dashboard has seen`,
        { txId },
      );
    const detail = transactionDetail(await blockBytes(n), txId, ids);
    if (detail === undefined) throw new DashboardError('NOT_FOUND', `block ${n} has no transaction ${txId}`, { txId, block: n });
    // A batch's answer names outcomes only: the full records (LR version, vehicle length) are the chaincode's to tell.
    let queries = 0;
    const readings = await Promise.all(
      detail.readings.map(async (r) => {
        if (
          r.outcome === undefined ||
          r.outcome.status === 'REJECTED' ||
          r.outcome.lrSoftware !== undefined ||
          queries++ >= DRILL_DOWN_QUERIES_MAX
        )
          return r;
        try {
          const rec = JSON.parse(text.decode(await channel.evaluate(lr, 'getMeasurement', [r.meterId, String(r.sequence)]))) as {
            lrSoftware?: NonNullable<typeof r.outcome>['lrSoftware'];
            vehicleLengthM?: number;
            refusalDetail?: string;
            speedLimitKmh?: number;
          };
          return {
            ...r,
            outcome: {
              ...r.outcome,
              ...(rec.lrSoftware !== undefined && { lrSoftware: rec.lrSoftware }),
              ...(rec.vehicleLengthM !== undefined && { vehicleLengthM: rec.vehicleLengthM }),
              ...(rec.refusalDetail !== undefined && { refusalDetail: rec.refusalDetail }),
              ...(rec.speedLimitKmh !== undefined && { speedLimitKmh: rec.speedLimitKmh }),
            },
          };
        } catch {
          return r;
        }
      }),
    );
    return { ...detail, readings };
  };
  const block = async (n: number): Promise<BlockDetail> => {
    if (n >= model.height && follower.started)
      throw new DashboardError('NOT_FOUND', `block ${n} is not committed yet (height ${model.height})`, { block: n });
    const d = decodeDashboardBlock(await blockBytes(n), ids, { lrChaincode: lr });
    return {
      number: d.number,
      transactions: d.txs.map((t) => ({
        txId: t.txId,
        txNumber: t.txNumber,
        validation: t.validation,
        chaincode: t.chaincodeName,
        function: t.fn,
        timestampMs: t.timestampMs,
        readings: t.readings.length,
      })),
    };
  };

  // ---- HTTP
  const cache = new Map<SectionName, { version: number; json: string; builtAtMs: number }>();
  const app: DashboardApp = {
    title,
    section(name) {
      const now = Date.now();
      const version = model.version(name);
      const c = cache.get(name);
      if (c !== undefined && (c.version === version || now - c.builtAtMs < SECTION_MIN_INTERVAL_MS[name])) return c;
      const built = { version, json: JSON.stringify(model.section(name, now)), builtAtMs: now };
      cache.set(name, built);
      return built;
    },
    viewers(count) {
      model.setViewers(count);
      if (count > 0) follow();
    },
    transaction,
    block,
  };
  const server = await startHttpServer(app, { host: opts.host ?? '127.0.0.1', port, maxViewers: limits.viewers });
  if (opts.follow === 'start') follow();

  return {
    url: server.url,
    port: server.port,
    follow,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      await server.stop();
      await follower.stop();
      await registryRunning?.catch(() => undefined);
    },
  };
}
