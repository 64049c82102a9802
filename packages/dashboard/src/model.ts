// SPDX-License-Identifier: Apache-2.0
// The dashboard's in-memory model: what the blocks, the registry queries, the health probes and the
// audit report say, kept within DashboardLimits, and the sections built from it. Pure: no I/O, the
// time comes in as arguments.
import { bftLeaderOf, bftQuorum } from '@metroledger/bft';
import type { IntegrityIncident, LrSoftwareRecord } from '@metroledger/client';
import type { Meter } from '@metroledger/chaincode';
import type { MeterModelRecord, OrganizationRecord } from '@metroledger/governance';
import type { ChannelConfig } from '@metroledger/protocol';
import { surveil, type Collected, type MeterInfo, type SurveilReading, type SurveilReport } from '@metroledger/surveil';
import type {
  ActivitySection,
  AuditSection,
  BlockRow,
  CodeCount,
  ConsenterEntry,
  FollowState,
  GovernanceSection,
  HealthEntry,
  InvalidTxCount,
  MeasurementRow,
  MeasurementsSection,
  MeterRow,
  MetersSection,
  NetworkSection,
  PeerEntry,
  SectionName,
  Sections,
  StatusSection,
} from './api.js';
import { BoundedMap, Ring } from './bounded.js';
import type { DecodedBlock } from './decode.js';
import type { DashboardLimits } from './limits.js';
import { PerSecondSeries } from './series.js';

/** The notified body's registry as last read through the gateway. */
export interface RegistrySnapshot {
  readonly organizations: readonly OrganizationRecord[];
  readonly lrSoftware: readonly LrSoftwareRecord[];
  readonly meterModels: readonly MeterModelRecord[];
  readonly incidents: readonly IntegrityIncident[];
  readonly meters: readonly Meter[];
  readonly errors: readonly { readonly what: string; readonly message: string }[];
  readonly refreshedAtMs: number;
}

/** What only some sources can tell (the devnet): every peer with its packages, each BFT replica's state. */
export interface NetworkExtras {
  readonly peers?: readonly {
    readonly peer: string;
    readonly mspId: string;
    readonly chaincodeName: string;
    readonly version: string;
    readonly packageId: string;
  }[];
  /** BFT replicas in consenter order (replica i is the i-th consenter of the channel config). */
  readonly replicas?: readonly { readonly running: boolean; readonly height?: number; readonly view?: number }[];
}

const OTHER = 'OTHER';
const RECENT_PER_CODE = 5;
const FEED_SENT = 100;

interface CodeEntry {
  count: number;
  recent: Ring<MeasurementRow>;
}

export class DashboardModel {
  readonly #limits: DashboardLimits;
  readonly #title: string;
  readonly #source: string;
  readonly #startedAtMs: number;
  readonly #versions: Record<SectionName, number> = { status: 0, network: 0, activity: 0, measurements: 0, meters: 0, governance: 0 };

  #channel: string;
  #config: ChannelConfig | undefined;
  #height = 0;
  #blocksSeen = 0;
  #txSeen = 0;
  #readingsSeen = 0;
  #follow: StatusSection['follow'];
  #viewers = 0;

  readonly #series: PerSecondSeries;
  readonly #blocks: Ring<BlockRow>;
  readonly #blockBytes: BoundedMap<number, Uint8Array>;
  readonly #txIndex: BoundedMap<string, number>;
  readonly #feed: Ring<MeasurementRow>;
  readonly #violations: Ring<MeasurementRow>;
  readonly #refusals = new Map<string, CodeEntry>();
  readonly #invalid = new Map<string, InvalidTxCount>();
  readonly #counts = { measured: 0, refused: 0, rejected: 0, violations: 0, invalidTransactions: 0 };
  readonly #lastReading: BoundedMap<string, MeasurementRow>;
  readonly #peers: BoundedMap<string, { name: string; mspId: string; endorsements: number; lastEndorsedMs?: number }>;
  readonly #lastSigned = new Map<number, number>();
  #view: number | undefined;

  readonly #surveilReadings: Ring<SurveilReading>;
  readonly #surveilMeters: BoundedMap<string, MeterInfo>;
  #surveilDirty = false;
  #report: SurveilReport | undefined;
  #reportAtMs: number | undefined;

  #registry: RegistrySnapshot | undefined;
  #health: readonly HealthEntry[] = [];
  #extras: NetworkExtras = {};
  #extrasJson = '{}';
  #audit: AuditSection = { state: 'none' };

  constructor(opts: { limits: DashboardLimits; title: string; source: string; channel: string; nowMs: number }) {
    const l = opts.limits;
    this.#limits = l;
    this.#title = opts.title;
    this.#source = opts.source;
    this.#channel = opts.channel;
    this.#startedAtMs = opts.nowMs;
    this.#follow = { state: 'idle', nextBlock: 0, sinceMs: opts.nowMs };
    this.#series = new PerSecondSeries(l.seriesSeconds, l.latencySamplesPerSecond);
    this.#blocks = new Ring(l.blocks);
    this.#blockBytes = new BoundedMap(l.blockCache, { weightMax: l.blockCacheBytes, weigh: (b) => b.length });
    this.#txIndex = new BoundedMap(l.txIndex);
    this.#feed = new Ring(l.feed);
    this.#violations = new Ring(l.violations);
    this.#lastReading = new BoundedMap(l.meters);
    this.#peers = new BoundedMap(l.peers);
    this.#surveilReadings = new Ring(l.surveilReadings);
    this.#surveilMeters = new BoundedMap(l.meters);
  }

  #bump(...names: SectionName[]): void {
    for (const n of names) this.#versions[n]++;
  }

  /** Each section's version: it grows whenever the section changes. */
  version(name: SectionName): number {
    return this.#versions[name];
  }

  get height(): number {
    return this.#height;
  }

  get config(): ChannelConfig | undefined {
    return this.#config;
  }

  setFollow(state: FollowState, nextBlock: number, nowMs: number, extra: { error?: string; liveFromBlock?: number } = {}): void {
    this.#follow = {
      state,
      nextBlock,
      sinceMs: nowMs,
      ...(extra.error !== undefined && { error: extra.error }),
      ...(extra.liveFromBlock !== undefined && { liveFromBlock: extra.liveFromBlock }),
    };
    this.#bump('status');
  }

  /** The clock moved on: the status and the per-second series change even without blocks. */
  tick(): void {
    this.#bump('status', 'activity');
  }

  setViewers(n: number): void {
    this.#viewers = n;
    this.#bump('status');
  }

  setConfig(config: ChannelConfig): void {
    this.#config = config;
    this.#channel = config.channelId;
    this.#bump('network', 'status');
  }

  /**
   * Takes one block in. `live`: it was just committed (its arrival time is its commit time and
   * gives latencies); otherwise it is read back from before the dashboard started.
   */
  ingest(block: DecodedBlock, bytes: Uint8Array, opts: { live: boolean; arrivedMs: number }): void {
    if (block.number < 0) return;
    if (block.config !== undefined) this.setConfig(block.config);
    this.#height = Math.max(this.#height, block.number + 1);
    this.#blocksSeen++;
    this.#blockBytes.set(block.number, bytes);
    const newestTxMs = block.txs.reduce((m, t) => Math.max(m, t.timestampMs), 0);
    const timeMs = opts.live || newestTxMs === 0 ? opts.arrivedMs : newestTxMs;
    let valid = 0;
    let readings = 0;
    for (const tx of block.txs) {
      this.#txSeen++;
      if (tx.txId !== '') this.#txIndex.set(tx.txId, block.number);
      if (tx.code === 0) valid++;
      else this.#countInvalid(tx.validation, tx.txId, block.number);
      if (opts.live && tx.timestampMs > 0) this.#series.addLatency(opts.arrivedMs, opts.arrivedMs - tx.timestampMs);
      for (const e of tx.endorsers) this.#sawEndorser(e.mspId, e.name, timeMs);
      for (const r of tx.readings) {
        readings++;
        this.#sawReading(r);
      }
    }
    this.#readingsSeen += readings;
    this.#series.add(timeMs, { transactions: block.txs.length, invalid: block.txs.length - valid, readings });
    for (const id of block.signers) this.#lastSigned.set(id, block.number);
    if (block.view !== undefined) this.#view = block.view;
    this.#blocks.push({
      number: block.number,
      transactions: block.txs.length,
      valid,
      readings,
      timeMs,
      live: opts.live,
      bytes: block.bytes,
      ...(block.view !== undefined && { view: block.view }),
      ...(block.signers.length > 0 && { signers: [...block.signers].sort((a, b) => a - b) }),
    });
    this.#bump('status', 'activity', 'network');
    if (readings > 0) this.#bump('measurements', 'meters');
  }

  #countInvalid(code: string, txId: string, blockNumber: number): void {
    this.#counts.invalidTransactions++;
    const key = this.#invalid.has(code) || this.#invalid.size < this.#limits.codes ? code : OTHER;
    const e = this.#invalid.get(key);
    this.#invalid.set(key, { code: key, count: (e?.count ?? 0) + 1, lastTxId: txId, lastBlock: blockNumber });
    this.#bump('measurements');
  }

  #sawEndorser(mspId: string, name: string, timeMs: number): void {
    const key = `${mspId}/${name}`;
    const p = this.#peers.get(key);
    if (p === undefined) {
      this.#peers.set(key, { name, mspId, endorsements: 1, lastEndorsedMs: timeMs });
      this.#bump('network');
    } else {
      p.endorsements++;
      p.lastEndorsedMs = timeMs;
    }
  }

  #sawReading(r: MeasurementRow): void {
    this.#feed.push(r);
    this.#lastReading.set(r.meterId, r);
    if (r.status === 'MEASURED') {
      this.#counts.measured++;
      if (r.exceeded === true) {
        this.#counts.violations++;
        this.#violations.push(r);
      }
      return;
    }
    if (r.status === 'REFUSED') this.#counts.refused++;
    else this.#counts.rejected++;
    const code = r.refusalCode ?? '(no code)';
    const key = this.#refusals.has(code) || this.#refusals.size < this.#limits.codes ? code : OTHER;
    let e = this.#refusals.get(key);
    if (e === undefined) this.#refusals.set(key, (e = { count: 0, recent: new Ring(RECENT_PER_CODE) }));
    e.count++;
    e.recent.push(r);
  }

  /** What surveillance (packages/surveil) collected from one block. */
  addSurveilData(collected: Collected): void {
    for (const r of collected.readings) this.#surveilReadings.push(r);
    for (const [id, m] of collected.meters) this.#surveilMeters.set(id, m);
    if (collected.readings.length > 0 || collected.meters.size > 0) this.#surveilDirty = true;
  }

  get statsDirty(): boolean {
    return this.#surveilDirty;
  }

  /** Recomputes the per-meter statistics and flags with packages/surveil over the readings held. Returns its duration. */
  recomputeStats(nowMs: number, clock: () => number = Date.now): number {
    const t0 = clock();
    const meters = new Map<string, MeterInfo>();
    for (const m of this.#registry?.meters ?? []) {
      meters.set(m.meterId, {
        meterId: m.meterId,
        status: m.status,
        lat: m.location.lat,
        lon: m.location.lon,
        location: m.location.text,
        speedLimitKmh: m.speedLimitKmh,
      });
    }
    for (const [id, m] of [...this.#surveilMeters.keys()].map((k) => [k, this.#surveilMeters.get(k)!] as const))
      if (!meters.has(id)) meters.set(id, m);
    const readings = [...this.#surveilReadings.toArray()];
    this.#report = surveil({ readings, meters, blocks: this.#blocksSeen, transactions: this.#txSeen }, this.#source);
    this.#reportAtMs = nowMs;
    this.#surveilDirty = false;
    this.#bump('meters');
    return clock() - t0;
  }

  setRegistry(r: RegistrySnapshot): void {
    this.#registry = r;
    this.#surveilDirty = true;
    this.#bump('governance', 'meters', 'network');
  }

  setHealth(entries: readonly HealthEntry[]): void {
    const changed =
      JSON.stringify(entries.map((e) => [e.name, e.status, e.detail])) !==
      JSON.stringify(this.#health.map((e) => [e.name, e.status, e.detail]));
    this.#health = entries;
    if (changed) this.#bump('network');
  }

  setExtras(extras: NetworkExtras): void {
    const json = JSON.stringify(extras);
    if (json === this.#extrasJson) return;
    this.#extras = extras;
    this.#extrasJson = json;
    this.#bump('network');
  }

  setAudit(audit: AuditSection): void {
    this.#audit = audit;
    this.#bump('governance');
  }

  /** A block still held, for drill-down. */
  blockBytes(n: number): Uint8Array | undefined {
    return this.#blockBytes.get(n);
  }

  /** The block of a transaction the model has seen (within the tx index limit). */
  blockOfTx(txId: string): number | undefined {
    return this.#txIndex.get(txId);
  }

  section<N extends SectionName>(name: N, nowMs: number): Sections[N] {
    const build: { [K in SectionName]: () => Sections[K] } = {
      status: () => this.#statusSection(nowMs),
      network: () => this.#networkSection(),
      activity: () => this.#activitySection(nowMs),
      measurements: () => this.#measurementsSection(),
      meters: () => this.#metersSection(),
      governance: () => this.#governanceSection(),
    };
    return build[name]() as Sections[N];
  }

  #statusSection(nowMs: number): StatusSection {
    return {
      title: this.#title,
      channel: this.#channel,
      source: this.#source,
      follow: this.#follow,
      height: this.#height,
      blocksSeen: this.#blocksSeen,
      transactionsSeen: this.#txSeen,
      readingsSeen: this.#readingsSeen,
      startedAtMs: this.#startedAtMs,
      serverTimeMs: nowMs,
      viewers: this.#viewers,
    };
  }

  #networkSection(): NetworkSection {
    const cfg = this.#config;
    const registered = new Map((this.#registry?.organizations ?? []).map((o) => [o.mspId, o]));
    // the notified body is one by configuration, not a registry entry: its approvals name it
    const notifiedBodies = new Set((this.#registry?.lrSoftware ?? []).map((x) => x.notifiedBody.mspId));
    const orgs = [
      ...(cfg?.applicationOrgs ?? []).map((o) => ({ mspId: o.mspId, kind: 'application' as const })),
      ...(cfg?.ordererOrgs ?? []).map((o) => ({ mspId: o.mspId, kind: 'orderer' as const })),
    ].map((o) => {
      const r = registered.get(o.mspId);
      return { ...o, ...(r !== undefined && { name: r.name, roles: r.roles }), ...(notifiedBodies.has(o.mspId) && { notifiedBody: true }) };
    });
    const peers = new Map<string, PeerEntry>();
    for (const p of this.#peers.values()) peers.set(`${p.mspId}/${p.name}`, { ...p });
    for (const pkg of this.#extras.peers ?? []) {
      const known = [...peers.values()].find((p) => p.mspId === pkg.mspId && (p.name === pkg.peer || p.name.startsWith(`${pkg.peer}.`)));
      const key = known === undefined ? `${pkg.mspId}/${pkg.peer}` : `${known.mspId}/${known.name}`;
      const entry = peers.get(key) ?? { name: pkg.peer, mspId: pkg.mspId, endorsements: 0 };
      peers.set(key, {
        ...entry,
        packages: [...(entry.packages ?? []), { chaincodeName: pkg.chaincodeName, version: pkg.version, packageId: pkg.packageId }],
      });
    }
    const consensus = cfg?.consensus;
    let ordering: NetworkSection['ordering'] = { type: 'unknown', consenters: [] };
    if (consensus !== undefined && cfg !== undefined) {
      const batch = {
        maxMessageCount: cfg.batch.maxMessageCount,
        preferredMaxBytes: cfg.batch.preferredMaxBytes,
        batchTimeoutMs: cfg.batch.batchTimeoutMs,
      };
      if (consensus.type === 'BFT') {
        const n = consensus.consenters.length;
        const consenters: ConsenterEntry[] = consensus.consenters.map((c, i) => {
          const replica = this.#extras.replicas?.[i];
          const last = this.#lastSigned.get(c.id);
          return {
            id: c.id,
            mspId: c.mspId,
            host: c.host,
            ...(last !== undefined && { lastSignedBlock: last }),
            ...(replica !== undefined && { running: replica.running }),
            ...(replica?.height !== undefined && { height: replica.height }),
            ...(replica?.view !== undefined && { view: replica.view }),
          };
        });
        const leaderIndex = this.#view === undefined || n === 0 ? undefined : bftLeaderOf(this.#view, n);
        ordering = {
          type: 'BFT',
          batch,
          consenters,
          quorum: bftQuorum(n),
          ...(this.#view !== undefined && { view: this.#view }),
          ...(leaderIndex !== undefined && { leader: consensus.consenters[leaderIndex]!.id }),
        };
      } else {
        ordering = { type: 'solo', batch, consenters: [] };
      }
    }
    return {
      channel: this.#channel,
      height: this.#height,
      orgs,
      peers: [...peers.values()].sort((a, b) => a.mspId.localeCompare(b.mspId) || a.name.localeCompare(b.name)),
      ordering,
      health: this.#health,
    };
  }

  #activitySection(nowMs: number): ActivitySection {
    return { series: this.#series.points(nowMs), blocks: this.#blocks.newest(50) };
  }

  #measurementsSection(): MeasurementsSection {
    const refusals: CodeCount[] = [...this.#refusals.entries()]
      .map(([code, e]) => ({ code, count: e.count, recent: e.recent.newest() }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
    return {
      feed: this.#feed.newest(FEED_SENT),
      violations: this.#violations.newest(50),
      refusals,
      invalidTransactions: [...this.#invalid.values()].sort((a, b) => b.count - a.count),
      counts: { ...this.#counts },
    };
  }

  #metersSection(): MetersSection {
    const registry = this.#registry?.meters ?? [];
    const stats = new Map((this.#report?.meters ?? []).map((m) => [m.meterId, m]));
    const flags = this.#report?.flags ?? [];
    const flagsPerMeter = new Map<string, number>();
    for (const f of flags) flagsPerMeter.set(f.meterId, (flagsPerMeter.get(f.meterId) ?? 0) + 1);
    const ids = new Set<string>([...registry.map((m) => m.meterId), ...this.#lastReading.keys()]);
    const byId = new Map(registry.map((m) => [m.meterId, m]));
    const rows: MeterRow[] = [...ids].map((id) => {
      const m = byId.get(id);
      const last = this.#lastReading.get(id);
      const s = stats.get(id);
      return {
        meterId: id,
        ...(m !== undefined && {
          location: m.location.text,
          model: m.model,
          ownerMspId: m.ownerMspId,
          speedLimitKmh: m.speedLimitKmh,
          status: m.status,
        }),
        ...(last !== undefined && { lastReading: last }),
        ...(s !== undefined && { stats: s }),
        flags: flagsPerMeter.get(id) ?? 0,
      };
    });
    rows.sort((a, b) => b.flags - a.flags || a.meterId.localeCompare(b.meterId));
    const registryError = this.#registry?.errors.find((e) => e.what === 'listMeters')?.message;
    return {
      registered: registry.length,
      meters: rows.slice(0, this.#limits.meters),
      flags: flags.slice(0, this.#limits.flags),
      flagCounts: this.#report?.flagCounts ?? {},
      ...(this.#reportAtMs !== undefined && { statsAtMs: this.#reportAtMs }),
      statsReadings: this.#surveilReadings.length,
      ...(registryError !== undefined && { registryError }),
    };
  }

  #governanceSection(): GovernanceSection {
    const r = this.#registry;
    return {
      organizations: r?.organizations ?? [],
      lrSoftware: r?.lrSoftware ?? [],
      meterModels: r?.meterModels ?? [],
      incidents: r?.incidents ?? [],
      errors: r?.errors ?? [],
      ...(r !== undefined && { refreshedAtMs: r.refreshedAtMs }),
      audit: this.#audit,
    };
  }
}
