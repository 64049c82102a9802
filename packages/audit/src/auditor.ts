// SPDX-License-Identifier: Apache-2.0
// The audit engine: blocks from a source are analyzed (hashes, signatures, re-execution) in worker
// threads, then judged here in ledger order against the channel configuration from the genesis
// block, the endorsement policy in force, and the meter registry rebuilt from the ledger itself.
// The stored validation codes are not trusted: every VALID transaction is re-validated.
import { X509Certificate } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { bftQuorum } from '@metroledger/bft';
import { IdentityDeserializer, MspRegistry, type Identity } from '@metroledger/identity';
import { evaluatePolicy, formatPolicy, parsePolicy, type Policy } from '@metroledger/policy';
import { blockEnvelopes, blockHeaderHash, blockHeaderFields, decodeBlock, parseChannelConfig, parseEnvelope, TxValidationCode, type ChannelConfig } from '@metroledger/protocol';
import { analyzeBlock, reanalyzeReading, writesOf, type AnalyzeContext, type BlockAnalysis, type ReadingFacts, type TxFacts, type WriteFact } from './analyze';
import { AuditError } from './errors';
import { finding, type Finding, type FindingCode, type FindingLocation } from './findings';
import { bundledLrModule, loadLrImplementations } from './lrsoftware';
import type { AuditPlugin, ValidTxView } from './plugins';
import { WorkerPool } from './pool';
import { MeterRegistry, type RegistrySnapshot } from './registry';
import { peekBlockNumber, type BlockFilePosition, type BlockSource, type SourcedBlock } from './sources';

export const CHECKPOINT_FORMAT = 'metroledger-audit-checkpoint/1';

export interface AuditCounts {
  blocks: number;
  transactions: number;
  validTransactions: number;
  invalidTransactions: number;
  /** Accepted readings (MEASURED + REFUSED) whose checks ran. */
  readings: number;
  measurements: number;
  refusals: number;
  /** Readings of revoked meters recorded as rejected. */
  rejected: number;
  /** Readings whose stored record was reproduced exactly by re-execution. */
  reexecuted: number;
  /** ECDSA signatures verified: orderer, creator, endorsers, meters. */
  signaturesVerified: number;
}

/** What the next run needs to continue where this one stopped. */
export interface AuditCheckpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly channelId: string;
  readonly genesisHash: string;
  readonly config: ChannelConfig;
  readonly nextBlock: number;
  readonly lastHeaderHash: string;
  /** Directory sources: where the next block's record starts. */
  readonly position?: BlockFilePosition;
  readonly registry: RegistrySnapshot;
  readonly lastSequences: Record<string, number>;
  readonly plugins: Record<string, unknown>;
  /** Counts and findings over all runs so far. */
  readonly totals: AuditCounts & { errors: number; warnings: number };
  readonly updatedAt: string;
}

export type Verdict = 'PASS' | 'PASS_WITH_WARNINGS' | 'FAIL';

export interface AuditReport {
  readonly verdict: Verdict;
  readonly source: string;
  readonly channelId: string;
  readonly genesisHash: string;
  readonly consensus: string;
  /** First and last block audited in this run (-1 when none). */
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly resumed: boolean;
  readonly counts: AuditCounts;
  readonly meters: number;
  readonly policies: Record<string, { policy: string; from: 'ledger' | 'option' }>;
  readonly lrVersions: string[];
  readonly errors: number;
  readonly warnings: number;
  readonly findingCounts: Partial<Record<FindingCode, number>>;
  readonly findings: Finding[];
  /** Findings left out of `findings` beyond maxFindings. */
  readonly findingsOmitted: number;
  readonly workers: number;
  readonly startedAt: string;
  readonly elapsedMs: number;
  readonly readingsPerSecond: number;
  readonly totals?: AuditCheckpoint['totals'];
}

export interface AuditProgress {
  readonly blockNum: number;
  readonly blocks: number;
  readonly transactions: number;
  readonly readings: number;
  readonly findings: number;
  readonly elapsedMs: number;
}

export interface AuditOptions {
  /** Endorsement policy per chaincode (Fabric syntax), used when no plugin has one from the ledger. */
  readonly policies?: Readonly<Record<string, string>>;
  /** LR chaincode name. Default 'lr'. */
  readonly lrNamespace?: string;
  /** LR software modules to re-execute with (one per version). Default: the bundled @metroledger/lr. */
  readonly lrModules?: readonly string[];
  /** Worker threads; 0 = analyze on the calling thread. Default: available cores (at most 4). */
  readonly workers?: number;
  /** State of a previous run: only blocks after it are read. */
  readonly checkpoint?: AuditCheckpoint;
  /** Expected SHA-256 header hash of the genesis block (hex), obtained out of band. */
  readonly genesisHash?: string;
  readonly plugins?: readonly AuditPlugin[];
  readonly onProgress?: (p: AuditProgress) => void;
  /** Interval between progress calls. Default 1000 ms. */
  readonly progressIntervalMs?: number;
  /** Findings kept in the report (all are counted). Default 10,000. */
  readonly maxFindings?: number;
  /** Stop after this block. */
  readonly toBlock?: number;
}

export interface AuditResult {
  readonly report: AuditReport;
  /** Undefined if the run never got a genesis block (nothing to resume from). */
  readonly checkpoint: AuditCheckpoint | undefined;
}

const V = TxValidationCode;
const MVCC_CODES = new Set<number>([V.MVCC_READ_CONFLICT, V.PHANTOM_READ_CONFLICT]);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const zeroCounts = (): AuditCounts => ({ blocks: 0, transactions: 0, validTransactions: 0, invalidTransactions: 0, readings: 0, measurements: 0, refusals: 0, rejected: 0, reexecuted: 0, signaturesVerified: 0 });

interface Decision {
  readonly valid: boolean;
  readonly code?: FindingCode;
  readonly message?: string;
  readonly creator?: Identity;
  readonly endorsers?: readonly Identity[];
}

function checkpointError(msg: string): AuditError {
  return new AuditError('BAD_CHECKPOINT', msg);
}

const REGISTRY_FUNCTIONS = ['registerMeter', 'rotateMeterKey', 'revokeMeter'].map((f) => Buffer.from(f));
const METER_WORD = Buffer.from('Meter');

/**
 * Whether a block may hold a transaction that changes the meter registry (a cheap byte search for
 * the LR chaincode's registry functions; a false positive only costs pipelining).
 */
function mayChangeRegistry(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One scan for the common part of the three names; the names are checked only where it occurs.
  for (let at = b.indexOf(METER_WORD); at >= 0; at = b.indexOf(METER_WORD, at + 1)) {
    for (const f of REGISTRY_FUNCTIONS) {
      const start = at - f.indexOf(METER_WORD);
      if (start >= 0 && b.subarray(start, start + f.length).equals(f)) return true;
    }
  }
  return false;
}

/** Reads a checkpoint object (e.g. from JSON), checking its shape. */
export function parseCheckpoint(value: unknown): AuditCheckpoint {
  const c = value as Partial<AuditCheckpoint> | null;
  if (c === null || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT) throw checkpointError(`not a ${CHECKPOINT_FORMAT} checkpoint`);
  if (typeof c.channelId !== 'string' || typeof c.genesisHash !== 'string' || typeof c.lastHeaderHash !== 'string') throw checkpointError('checkpoint lacks channel id or hashes');
  if (!Number.isSafeInteger(c.nextBlock) || (c.nextBlock ?? 0) < 1) throw checkpointError('checkpoint has no valid nextBlock');
  if (c.config === undefined || c.registry === undefined || c.lastSequences === undefined || c.totals === undefined) throw checkpointError('checkpoint lacks config, registry, sequences or totals');
  return c as AuditCheckpoint;
}

class Auditor {
  readonly #opts: AuditOptions;
  readonly #source: BlockSource;
  readonly #findings: Finding[] = [];
  readonly #findingCounts: Partial<Record<FindingCode, number>> = {};
  #findingsOmitted = 0;
  #errors = 0;
  #warnings = 0;
  readonly counts = zeroCounts();
  readonly #deserializer = new IdentityDeserializer();
  readonly #lrNamespace: string;
  readonly #lrModules: string[];
  readonly #plugins: readonly AuditPlugin[];
  readonly #optionPolicies = new Map<string, Policy>();
  readonly #policiesUsed = new Map<string, { policy: string; from: 'ledger' | 'option' }>();
  readonly #seenTxIds = new Set<string>();
  #registry: MeterRegistry;
  #lastSequences: Map<string, number>;
  #config: ChannelConfig | undefined;
  #msps: MspRegistry | undefined;
  #ordererMsps = new Set<string>();
  #consenters: { id: number; mspId: string; fingerprint: string }[] = [];
  #genesisHash = '';
  #nextBlock: number;
  #lastHeaderHash: Uint8Array | undefined;
  #position: BlockFilePosition | undefined;
  #fromBlock = -1;
  #toBlock = -1;
  #pool: WorkerPool | undefined;
  #inlineCtx: AnalyzeContext | undefined;
  readonly #started = Date.now();
  #lastProgress = 0;

  constructor(source: BlockSource, opts: AuditOptions) {
    this.#source = source;
    this.#opts = opts;
    this.#lrNamespace = opts.lrNamespace ?? 'lr';
    this.#lrModules = opts.lrModules === undefined || opts.lrModules.length === 0 ? [bundledLrModule()] : [...opts.lrModules];
    this.#plugins = opts.plugins ?? [];
    for (const [cc, text] of Object.entries(opts.policies ?? {})) {
      try {
        this.#optionPolicies.set(cc, parsePolicy(text));
      } catch (err) {
        throw new AuditError('BAD_OPTION', `endorsement policy of ${cc}: ${(err as Error).message}`, { chaincode: cc }, { cause: err });
      }
    }
    const cp = opts.checkpoint;
    if (cp !== undefined) {
      this.#registry = MeterRegistry.restore(cp.registry);
      this.#lastSequences = new Map(Object.entries(cp.lastSequences));
      this.#nextBlock = cp.nextBlock;
      this.#lastHeaderHash = Buffer.from(cp.lastHeaderHash, 'hex');
      this.#position = cp.position;
      this.#genesisHash = cp.genesisHash;
      if (opts.genesisHash !== undefined && opts.genesisHash.toLowerCase() !== cp.genesisHash) {
        throw new AuditError('BAD_CHECKPOINT', `the checkpoint belongs to the chain with genesis ${cp.genesisHash}, not ${opts.genesisHash}`);
      }
      this.#useConfig(cp.config);
      for (const p of this.#plugins) if (cp.plugins[p.name] !== undefined) p.restore?.(cp.plugins[p.name]);
    } else {
      this.#registry = new MeterRegistry();
      this.#lastSequences = new Map();
      this.#nextBlock = 0;
    }
  }

  #useConfig(config: ChannelConfig): void {
    this.#config = config;
    this.#inlineCtx = undefined; // it holds the consenters
    this.#msps = new MspRegistry([...config.applicationOrgs, ...config.ordererOrgs]);
    this.#ordererMsps = new Set(config.ordererOrgs.map((o) => o.mspId));
    this.#consenters =
      config.consensus.type === 'BFT' ? config.consensus.consenters.map((c) => ({ id: c.id, mspId: c.mspId, fingerprint: new X509Certificate(c.identityPem).fingerprint256 })) : [];
  }

  #trackedNamespaces(): string[] {
    return [this.#lrNamespace, ...this.#plugins.flatMap((p) => p.namespaces)];
  }

  #analyzeContext(): AnalyzeContext {
    this.#inlineCtx ??= {
      lrNamespace: this.#lrNamespace,
      lrImplementations: loadLrImplementations(this.#lrModules),
      consenters: new Map(this.#config?.consensus.type === 'BFT' ? this.#config.consensus.consenters.map((c) => [c.id, c.identityPem] as const) : []),
      trackedNamespaces: new Set(this.#trackedNamespaces()),
      meters: this.#registry.entries,
      deserializer: this.#deserializer,
    };
    return this.#inlineCtx;
  }

  #startPool(): void {
    const wanted = this.#opts.workers ?? Math.min(4, availableParallelism());
    if (wanted <= 0 || this.#pool !== undefined) return;
    const config = this.#config!;
    this.#pool = new WorkerPool(wanted, {
      lrModules: this.#lrModules,
      lrNamespace: this.#lrNamespace,
      trackedNamespaces: this.#trackedNamespaces(),
      consenters: config.consensus.type === 'BFT' ? config.consensus.consenters.map((c) => [c.id, c.identityPem]) : [],
      meters: [...this.#registry.entries].map(([id, e]) => [id, e.rev, e.json]),
    });
  }

  #report(code: FindingCode, at: FindingLocation, message: string, details?: Record<string, unknown>): void {
    const f = finding(code, at, message, details);
    this.#findingCounts[code] = (this.#findingCounts[code] ?? 0) + 1;
    if (f.severity === 'error') this.#errors++;
    else if (f.severity === 'warning') this.#warnings++;
    if (this.#findings.length < (this.#opts.maxFindings ?? 10_000)) this.#findings.push(f);
    else this.#findingsOmitted++;
  }

  async run(): Promise<AuditResult> {
    // The analysis of a block runs ahead in the workers while earlier blocks are judged here.
    const queue: { sb: SourcedBlock; analysis: Promise<BlockAnalysis> | BlockAnalysis }[] = [];
    const maxInFlight = 3;
    try {
      for await (const sb of this.#source.blocks(this.#nextBlock, this.#position)) {
        const num = peekBlockNumber(sb.bytes);
        if (this.#opts.toBlock !== undefined && num !== undefined && num > this.#opts.toBlock && sb.checksumMismatch !== true) break;
        if (this.#config === undefined || sb.damaged !== undefined || sb.bytes.length === 0) {
          // Until the genesis block is judged there is no configuration for workers to use.
          while (queue.length > 0) await this.#judgeNext(queue);
          this.#judge(sb, sb.damaged !== undefined ? undefined : analyzeBlock(sb.bytes, this.#analyzeContext()));
        } else {
          this.#startPool();
          queue.push({ sb, analysis: this.#pool !== undefined ? this.#pool.analyze(sb.bytes) : analyzeBlock(sb.bytes, this.#analyzeContext()) });
          // Blocks after a registry change must be analyzed with the new meter table: let it be judged first.
          const limit = this.#pool === undefined || mayChangeRegistry(sb.bytes) ? 0 : maxInFlight * this.#pool.size;
          while (queue.length > limit) await this.#judgeNext(queue);
        }
        this.#progress(false);
      }
      while (queue.length > 0) await this.#judgeNext(queue);
    } finally {
      // Settle what is still in flight before the workers go away.
      await Promise.allSettled(queue.map((q) => q.analysis));
      await this.#pool?.close();
      await this.#source.close?.();
    }
    if (this.#config === undefined) throw new AuditError('NO_GENESIS', `${this.#source.description} delivered no genesis block`);
    this.#progress(true);
    return { report: this.#buildReport(), checkpoint: this.#buildCheckpoint() };
  }

  async #judgeNext(queue: { sb: SourcedBlock; analysis: Promise<BlockAnalysis> | BlockAnalysis }[]): Promise<void> {
    const head = queue.shift()!;
    let a = await head.analysis;
    // Analyzed with a meter table older than the registry now: redo it in a worker (rare, see mayChangeRegistry).
    if (this.#pool !== undefined && this.#stale(a)) a = await this.#pool.analyze(head.sb.bytes);
    this.#judge(head.sb, a);
  }

  #stale(a: BlockAnalysis): boolean {
    for (const tx of a.txs) {
      for (const r of tx.readings ?? (tx.reading === undefined ? [] : [tx.reading])) {
        if (r.meterId === undefined || r.malformed !== undefined) continue;
        const entry = this.#registry.get(r.meterId);
        if (entry !== undefined && entry.rev !== r.meterRev) return true;
      }
    }
    return false;
  }

  #progress(final: boolean): void {
    const now = Date.now();
    if (this.#opts.onProgress === undefined || (!final && now - this.#lastProgress < (this.#opts.progressIntervalMs ?? 1000))) return;
    this.#lastProgress = now;
    this.#opts.onProgress({ blockNum: this.#nextBlock - 1, blocks: this.counts.blocks, transactions: this.counts.transactions, readings: this.counts.readings, findings: this.#errors + this.#warnings, elapsedMs: now - this.#started });
  }

  #judge(sb: SourcedBlock, a: BlockAnalysis | undefined): void {
    const expected = this.#nextBlock;
    if (sb.damaged !== undefined || a === undefined) {
      const d = sb.damaged;
      this.#report('BLOCK_FILE_DAMAGED', { blockNum: expected }, `block file ${d?.file ?? '?'} cannot be read from offset ${d?.offset ?? '?'}: ${d?.reason ?? 'no data'}`, { ...d });
      return;
    }
    if (a.malformed !== undefined) {
      if (sb.checksumMismatch === true) this.#report('BLOCK_FILE_CHECKSUM', { blockNum: expected }, `the block record after block ${expected - 1} fails its checksum`, { ...sb.position });
      this.#report('MALFORMED_BLOCK', { blockNum: expected }, `the block after block ${expected - 1} does not parse: ${a.malformed}`, { ...sb.position });
      return;
    }
    const n = a.number;
    if (sb.checksumMismatch === true) this.#report('BLOCK_FILE_CHECKSUM', { blockNum: n }, `block ${n}: its record in the block file fails its checksum (the bytes changed after they were written)`, { ...sb.position });
    if (n < expected) {
      this.#report('BLOCK_OUT_OF_ORDER', { blockNum: n }, `block ${n} appears after block ${expected - 1}`, { after: expected - 1, ...sb.position });
      return;
    }
    if (this.#fromBlock < 0) this.#fromBlock = n;
    if (n > expected) {
      this.#report('BLOCK_MISSING', { blockNum: expected }, n - expected === 1 ? `block ${expected} is missing (block ${n} follows block ${expected - 1})` : `blocks ${expected}..${n - 1} are missing`, { missingFrom: expected, missingTo: n - 1, next: n });
    } else if (this.#lastHeaderHash !== undefined && n > 0 && Buffer.compare(a.previousHash, this.#lastHeaderHash) !== 0) {
      this.#report('PREVIOUS_HASH_MISMATCH', { blockNum: n }, `block ${n}: previous_hash ${hex(a.previousHash).slice(0, 16)}… is not the header hash of block ${n - 1} (${hex(this.#lastHeaderHash).slice(0, 16)}…)`);
    }
    if (!a.dataHashOk) this.#report('DATA_HASH_MISMATCH', { blockNum: n }, `block ${n}: data_hash does not match its ${a.txs.length} transactions (a transaction was altered, added or removed)`);

    if (n === 0 && this.#config === undefined) {
      this.#genesis(sb, a);
    } else if (this.#config === undefined) {
      throw new AuditError('NO_GENESIS', `the audit must start at the genesis block (got block ${n}); pass a checkpoint to resume`);
    } else {
      this.#checkOrdererSignatures(a);
      if (n > 0 && a.txs.length > 0 && a.txFilter === undefined) this.#report('TX_FILTER_MISSING', { blockNum: n }, `block ${n} has no transaction validation codes; its transactions count as invalid`);
      for (const tx of a.txs) this.#judgeTx(sb, a, tx);
    }
    this.counts.blocks++;
    this.counts.signaturesVerified += a.signaturesVerified;
    this.#toBlock = n;
    this.#nextBlock = n + 1;
    this.#lastHeaderHash = a.headerHash;
    if (sb.next !== undefined) this.#position = sb.next;
  }

  #genesis(sb: SourcedBlock, a: BlockAnalysis): void {
    let config: ChannelConfig;
    try {
      config = parseChannelConfig(decodeBlock(sb.bytes));
    } catch (err) {
      throw new AuditError('NO_GENESIS', `block 0 is not a readable genesis config block: ${(err as Error).message}`, undefined, { cause: err });
    }
    this.#genesisHash = hex(a.headerHash);
    const pinned = this.#opts.genesisHash?.toLowerCase();
    if (pinned !== undefined && pinned !== this.#genesisHash) {
      this.#report('GENESIS_MISMATCH', { blockNum: 0 }, `genesis block hash ${this.#genesisHash} is not the expected ${pinned}`, { expected: pinned, actual: this.#genesisHash });
    }
    this.#useConfig(config);
    this.counts.transactions += a.txs.length;
    this.counts.validTransactions += a.txs.length; // the channel configuration
  }

  #identity(a: BlockAnalysis, index: number): Identity | undefined {
    const bytes = a.identities[index];
    if (bytes === undefined) return undefined;
    try {
      return this.#deserializer.deserialize(bytes);
    } catch {
      return undefined;
    }
  }

  #checkOrdererSignatures(a: BlockAnalysis): void {
    const n = a.number;
    if (a.signaturesMalformed !== undefined) {
      this.#report('ORDERER_SIGNATURE', { blockNum: n }, `block ${n}: signatures metadata does not parse: ${a.signaturesMalformed}`);
      return;
    }
    const config = this.#config!;
    const msps = this.#msps!;
    if (config.consensus.type !== 'BFT') {
      const ok = a.signatures.some((s) => {
        if (!s.ok || s.creator < 0) return false;
        const id = this.#identity(a, s.creator);
        return id !== undefined && this.#ordererMsps.has(id.mspId) && msps.isValid(id);
      });
      if (!ok) this.#report('ORDERER_SIGNATURE', { blockNum: n }, `block ${n} carries no valid signature of an orderer of ${[...this.#ordererMsps].join(', ')} (${a.signatures.length} signature(s) present)`, { signatures: a.signatures.length });
      return;
    }
    const total = this.#consenters.length;
    const quorum = bftQuorum(total);
    const signed = new Set<number>();
    for (const s of a.signatures) {
      if (!s.ok) continue;
      if (s.consenterId !== undefined) {
        if (this.#consenters.some((c) => c.id === s.consenterId)) signed.add(s.consenterId);
        continue;
      }
      const id = this.#identity(a, s.creator);
      if (id === undefined || !msps.isValid(id)) continue;
      const c = this.#consenters.find((k) => k.mspId === id.mspId && k.fingerprint === id.certificate.fingerprint256);
      if (c !== undefined) signed.add(c.id);
    }
    if (signed.size < quorum) {
      this.#report('ORDERER_SIGNATURE', { blockNum: n }, `block ${n} has valid signatures of ${signed.size} consenter(s); a quorum is ${quorum} of ${total}`, { signed: [...signed], quorum, consenters: total });
    }
  }

  #policyFor(chaincode: string, version: string): Policy | undefined {
    for (const p of this.#plugins) {
      const policy = p.endorsementPolicy?.(chaincode, version);
      if (policy !== undefined) {
        if (!this.#policiesUsed.has(chaincode) || this.#policiesUsed.get(chaincode)!.from !== 'ledger') this.#policiesUsed.set(chaincode, { policy: formatPolicy(policy), from: 'ledger' });
        return policy;
      }
    }
    const policy = this.#optionPolicies.get(chaincode);
    if (policy !== undefined && !this.#policiesUsed.has(chaincode)) this.#policiesUsed.set(chaincode, { policy: formatPolicy(policy), from: 'option' });
    return policy;
  }

  /** Fabric's validation of one transaction (all but MVCC), from the worker's facts. */
  #decide(a: BlockAnalysis, tx: TxFacts): Decision {
    if (tx.parseError !== undefined) return { valid: false, code: 'MALFORMED_TRANSACTION', message: `does not parse (${tx.parseError})` };
    if (tx.type === 1) return { valid: false, code: 'CONFIG_UPDATE', message: 'a channel configuration update after genesis' };
    if (tx.type !== 3) return { valid: false, code: 'MALFORMED_TRANSACTION', message: `unsupported header type ${tx.type}` };
    if (tx.channelId !== this.#config!.channelId) return { valid: false, code: 'WRONG_CHANNEL', message: `is for channel ${tx.channelId}` };
    const msps = this.#msps!;
    const creator = this.#identity(a, tx.creator);
    // Membership only, as the committer judged it: expiry is checked at endorsement and broadcast, never
    // at commit, so the verdict does not depend on when the audit runs (or on the tx's own timestamp).
    if (creator === undefined || !msps.isValid(creator)) return { valid: false, code: 'BAD_CREATOR', message: `its creator${creator === undefined ? '' : ` ${creator.mspId}/${creator.commonName}`} is not a valid channel member` };
    if (!tx.creatorSigOk) return { valid: false, code: 'BAD_CREATOR_SIGNATURE', message: `the creator's (${creator.mspId}/${creator.commonName}) signature does not verify`, creator };
    if (!tx.txIdOk) return { valid: false, code: 'BAD_TXID', message: 'its tx id is not sha256(nonce ‖ creator)', creator };
    if (this.#seenTxIds.has(tx.txId)) return { valid: false, code: 'DUPLICATE_TXID', message: 'its tx id was already committed', creator };
    if (tx.illegalWriteset) return { valid: false, code: 'ILLEGAL_WRITESET', message: `it writes outside ${tx.chaincodeName}'s namespace`, creator };
    const policy = this.#policyFor(tx.chaincodeName, tx.chaincodeVersion);
    if (policy === undefined) return { valid: false, code: 'UNKNOWN_CHAINCODE', message: `no endorsement policy is known for chaincode ${tx.chaincodeName}`, creator };
    const endorsers: Identity[] = [];
    for (const e of tx.endorsements) {
      const id = this.#identity(a, e.endorser);
      if (id !== undefined && e.sigOk && msps.isValid(id)) endorsers.push(id);
    }
    if (!evaluatePolicy(policy, endorsers, (s, p) => msps.satisfiesPrincipal(s, p))) {
      const who = endorsers.map((e) => `${e.mspId}/${e.commonName}`).join(', ') || 'none';
      return { valid: false, code: 'ENDORSEMENT_POLICY_FAILURE', message: `valid endorsements (${who}) do not satisfy ${formatPolicy(policy)}`, creator, endorsers };
    }
    return { valid: true, creator, endorsers };
  }

  #judgeTx(sb: SourcedBlock, a: BlockAnalysis, tx: TxFacts): void {
    this.counts.transactions++;
    const blockNum = a.number;
    // A measurement's findings name its meter and sequence even when the transaction itself is at fault.
    const at: FindingLocation = { blockNum, txNum: tx.txNum, txId: tx.txId, meterId: tx.reading?.meterId, sequence: tx.reading?.sequence };
    const stored = a.txFilter === undefined ? undefined : tx.storedCode;
    const d = this.#decide(a, tx);
    const storedValid = stored === V.VALID;
    if (storedValid && !d.valid) {
      this.#report(d.code!, at, `block ${blockNum} tx ${tx.txNum} is marked VALID but ${d.message}`, { chaincode: tx.chaincodeName, function: tx.fn });
    } else if (!storedValid && d.valid && stored !== undefined && !MVCC_CODES.has(stored)) {
      this.#report('VALID_TX_MARKED_INVALID', at, `block ${blockNum} tx ${tx.txNum} is marked ${stored} but passes every check the audit can make`, { storedCode: stored });
    }
    if (storedValid) {
      for (const e of tx.endorsements) {
        if (!e.sigOk) {
          const id = this.#identity(a, e.endorser);
          this.#report('BAD_ENDORSEMENT_SIGNATURE', at, `block ${blockNum} tx ${tx.txNum}: the endorsement of ${id === undefined ? 'an unreadable identity' : `${id.mspId}/${id.commonName}`} does not verify`);
        }
      }
    }
    // The ledger's state includes every transaction marked VALID: its reading is checked too.
    if (storedValid && tx.reading !== undefined && d.creator !== undefined) this.#judgeReading(sb, a, tx, tx.reading, d.creator);
    // A batch: each reading is judged as if it had its own transaction.
    if (storedValid && tx.readings !== undefined && d.creator !== undefined) for (const r of tx.readings) this.#judgeReading(sb, a, tx, r, d.creator);
    if (!storedValid || !d.valid) {
      this.counts.invalidTransactions++;
      return;
    }
    this.counts.validTransactions++;
    this.#seenTxIds.add(tx.txId);
    // State changes take effect after the transaction's own checks, as in the chaincode.
    for (const w of tx.writes) {
      if (w.ns !== this.#lrNamespace) continue;
      const change = this.#registry.apply(w);
      if (change !== undefined) this.#pool?.updateMeter(change.meterId, change.rev, change.json);
    }
    if (this.#plugins.length > 0) this.#notifyPlugins(a, tx, d);
  }

  #notifyPlugins(a: BlockAnalysis, tx: TxFacts, d: Decision): void {
    for (const p of this.#plugins) {
      if (p.onValidTransaction === undefined) continue;
      const ns = new Set(p.namespaces);
      const view: ValidTxView = {
        blockNum: a.number,
        txNum: tx.txNum,
        txId: tx.txId,
        chaincodeName: tx.chaincodeName,
        chaincodeVersion: tx.chaincodeVersion,
        fn: tx.fn,
        creatorMspId: d.creator!.mspId,
        endorserMspIds: (d.endorsers ?? []).map((e) => e.mspId),
        timestampMs: tx.timestampMs,
        writes: tx.writes.filter((w: WriteFact) => ns.has(w.ns)),
      };
      p.onValidTransaction(view, (code, message, extra) =>
        this.#report(code, { blockNum: a.number, txNum: tx.txNum, txId: tx.txId, meterId: extra?.meterId }, message, extra?.details),
      );
    }
  }

  #judgeReading(sb: SourcedBlock, a: BlockAnalysis, tx: TxFacts, facts: ReadingFacts, creator: Identity): void {
    const blockNum = a.number;
    let r = facts;
    const at: FindingLocation = { blockNum, txNum: tx.txNum, txId: tx.txId, meterId: r.meterId, sequence: r.sequence };
    const where = `block ${blockNum} tx ${tx.txNum}${facts.batchIndex !== undefined ? ` reading ${facts.batchIndex} of the batch` : ''}`;
    if (r.malformed !== undefined) {
      this.#report('MALFORMED_READING', at, `${where}: the reading does not decode: ${r.malformed}`);
      return;
    }
    const meterId = r.meterId!;
    const seq = r.sequence!;
    const entry = this.#registry.get(meterId);
    if (entry === undefined) {
      this.#report('METER_NOT_REGISTERED', at, `${where}: meter ${meterId} is not registered at this point of the ledger`);
      return;
    }
    if (r.meterRev !== entry.rev) {
      // The worker analyzed this block before a registry change earlier in the ledger reached it.
      const envelope = blockEnvelopes(decodeBlock(sb.bytes))[tx.txNum]!;
      const parsed = parseEnvelope(envelope);
      r = reanalyzeReading(parsed, writesOf(parsed, this.#analyzeContext()), this.#analyzeContext(), facts.batchIndex);
    }
    this.counts.readings++;
    const meter = entry.meter;
    if (r.rejected === true) {
      // A revoked meter's authentic reading, recorded as rejected: legitimate only if the meter was revoked.
      if (meter.status === 'ACTIVE') this.#report('REEXECUTION_MISMATCH', at, `${where}: reading ${seq} of active meter ${meterId} was recorded as rejected instead of measured`);
      this.counts.rejected++;
    } else if (meter.status !== 'ACTIVE') {
      this.#report('METER_REVOKED', at, `${where}: meter ${meterId} was revoked (${meter.revocation?.reason ?? 'no reason'}) before this reading, yet it was measured`);
    }
    if (creator.mspId !== meter.ownerMspId) this.#report('UNAUTHORIZED_SUBMITTER', at, `${where}: reading of meter ${meterId} submitted by ${creator.mspId}, the meter belongs to ${meter.ownerMspId}`);
    if (r.signatureOk !== true) this.#report('BAD_METER_SIGNATURE', at, `${where}: reading ${seq} is not signed by the key registered for meter ${meterId} at this point`);
    const last = this.#lastSequences.get(meterId);
    if (last !== undefined && seq <= last) {
      this.#report('REPLAYED_READING', at, `${where}: meter ${meterId} sequence ${seq} repeats (last accepted ${last})`, { lastSequence: last });
    } else {
      if (last !== undefined && seq > last + 1) this.#report('SEQUENCE_GAP', at, `${where}: meter ${meterId} jumps from sequence ${last} to ${seq}: ${seq - last - 1} reading(s) lost`, { from: last, to: seq, lost: seq - last - 1 });
      this.#lastSequences.set(meterId, seq);
    }
    if (r.status === 'MEASURED') this.counts.measurements++;
    else if (r.status === 'REFUSED') this.counts.refusals++;
    switch (r.reexec) {
      case 'match':
        this.counts.reexecuted++;
        break;
      case 'mismatch':
        this.#report('REEXECUTION_MISMATCH', at, `${where}: re-running ${r.lrVersion ?? 'the LR software'} on meter ${meterId} reading ${seq} does not reproduce the stored record (${r.mismatches!.map((m) => `${m.field}: stored ${JSON.stringify(m.stored)}, re-executed ${JSON.stringify(m.expected)}`).join('; ')})`, { mismatches: r.mismatches });
        break;
      case 'no-record':
        this.#report('RECORD_MISSING', at, `${where}: the transaction does not write the measurement record of meter ${meterId} reading ${seq}`);
        break;
      case 'unknown-version':
        this.#report('UNKNOWN_LR_VERSION', at, `${where}: LR software version ${JSON.stringify(r.lrVersion)} is not available to re-execute`, { version: r.lrVersion });
        break;
      default:
        break;
    }
  }

  #buildReport(): AuditReport {
    const elapsedMs = Date.now() - this.#started;
    const config = this.#config;
    const report: AuditReport = {
      verdict: this.#errors > 0 ? 'FAIL' : this.#warnings > 0 ? 'PASS_WITH_WARNINGS' : 'PASS',
      source: this.#source.description,
      channelId: config?.channelId ?? '',
      genesisHash: this.#genesisHash,
      consensus: config === undefined ? '' : config.consensus.type === 'BFT' ? `BFT (${config.consensus.consenters.length} consenters)` : 'solo',
      fromBlock: this.#fromBlock,
      toBlock: this.#toBlock,
      resumed: this.#opts.checkpoint !== undefined,
      counts: { ...this.counts },
      meters: this.#registry.entries.size,
      policies: Object.fromEntries(this.#policiesUsed),
      lrVersions: [...this.#analyzeContextVersions()],
      errors: this.#errors,
      warnings: this.#warnings,
      findingCounts: { ...this.#findingCounts },
      findings: this.#findings,
      findingsOmitted: this.#findingsOmitted,
      workers: this.#pool?.size ?? 0,
      startedAt: new Date(this.#started).toISOString(),
      elapsedMs,
      readingsPerSecond: elapsedMs > 0 ? Math.round((this.counts.readings * 1000) / elapsedMs) : 0,
    };
    const totals = this.#totals();
    return totals === undefined ? report : { ...report, totals };
  }

  #analyzeContextVersions(): string[] {
    return [...this.#analyzeContext().lrImplementations.values()].map((i) => `${i.name} ${i.version}`);
  }

  #totals(): AuditCheckpoint['totals'] | undefined {
    const prev = this.#opts.checkpoint?.totals;
    if (prev === undefined) return undefined;
    const out = { ...prev };
    for (const k of Object.keys(this.counts) as (keyof AuditCounts)[]) out[k] = prev[k] + this.counts[k];
    out.errors = prev.errors + this.#errors;
    out.warnings = prev.warnings + this.#warnings;
    return out;
  }

  #buildCheckpoint(): AuditCheckpoint | undefined {
    const config = this.#config;
    if (config === undefined || this.#lastHeaderHash === undefined) return undefined;
    const plugins: Record<string, unknown> = {};
    for (const p of this.#plugins) if (p.snapshot !== undefined) plugins[p.name] = p.snapshot();
    return {
      format: CHECKPOINT_FORMAT,
      channelId: config.channelId,
      genesisHash: this.#genesisHash,
      config,
      nextBlock: this.#nextBlock,
      lastHeaderHash: hex(this.#lastHeaderHash),
      ...(this.#position === undefined ? {} : { position: this.#position }),
      registry: this.#registry.snapshot(),
      lastSequences: Object.fromEntries(this.#lastSequences),
      plugins,
      totals: this.#totals() ?? { ...this.counts, errors: this.#errors, warnings: this.#warnings },
      updatedAt: new Date().toISOString(),
    };
  }
}

/**
 * Audits the blocks of `source` (from the genesis block, or after `opts.checkpoint`) and returns the
 * report and the checkpoint for the next run. Tampering is reported as findings; only unusable
 * input (no genesis, bad options, a failing source) throws AuditError.
 */
export async function runAudit(source: BlockSource, opts: AuditOptions = {}): Promise<AuditResult> {
  return new Auditor(source, opts).run();
}

/** SHA-256 header hash (hex) of serialized block bytes: e.g. to pin the genesis block. */
export function blockHash(bytes: Uint8Array): string {
  return hex(blockHeaderHash(blockHeaderFields(decodeBlock(bytes))));
}
