// SPDX-License-Identifier: Apache-2.0
// The audit engine: blocks from a source are analyzed (hashes, signatures, re-execution) in worker
// threads, then judged here in ledger order against the channel configuration from the genesis
// block, the endorsement policy in force, and the meter registry rebuilt from the ledger itself.
// The stored validation codes are not trusted: every VALID transaction is re-validated.
import { describeError } from '@metroledger/errors';
import { X509Certificate } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { common } from '@hyperledger/fabric-protos';
import { bftQuorum } from '@metroledger/bft';
import { IdentityDeserializer, MspRegistry, verifySignature, type Identity } from '@metroledger/identity';
import type { ChaincodePackage } from '@metroledger/lifecycle';
import { formatPolicy, parsePolicy, UNSATISFIABLE, type Policy } from '@metroledger/policy';
import {
  blockEnvelopes,
  blockHeaderHash,
  encodeCollectionConfigPackage,
  blockHeaderFields,
  decodeBlock,
  decideTransaction,
  parseChannelConfig,
  parseEnvelope,
  requiredPolicies,
  txValidationCodeName,
  TxValidationCode,
  type ChannelConfig,
  type CollectionConfig,
  type TxDecisionInput,
  type ValidationContext,
} from '@metroledger/protocol';
import {
  analyzeBlock,
  reanalyzeReading,
  writesOf,
  type AnalyzeContext,
  type BlockAnalysis,
  type LrImplementation,
  type ReadingFacts,
  type TxFacts,
  type WriteFact,
} from './analyze';
import { ChannelPolicies, type ResolvedPolicy } from './channel';
import { checkConfigUpdate } from './configtx';
import {
  collectionEndorsement,
  ownCollectionPolicies,
  LIFECYCLE_NAMESPACE,
  LifecycleDefinitions,
  type CollectionsOf,
  type LifecycleSnapshot,
} from './lifecycle';
import { AuditError } from './errors';
import { finding, type Finding, type FindingCode, type FindingLocation } from './findings';
import { bundledLrModule, loadLrImplementations, loadPackagedLr, readLrPackage } from './lrsoftware';
import type { AuditPlugin, SoftwareApprovalView, ValidTxView } from './plugins';
import { WorkerPool } from './pool';
import type { WorkerChannel } from './worker';
import { MeterRegistry, type RegistrySnapshot } from './registry';
import {
  peekBlockNumber,
  type BlockFilePosition,
  type BlockSource,
  type DamagedBytes,
  type DeclaredHeight,
  type SourcedBlock,
} from './sources';

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
  /** The channel configuration in force (common.Config bytes, base64): its policies and the base of the next update. */
  readonly channelConfig?: string;
  /** Fabric chaincode definitions committed so far (`_lifecycle`). */
  readonly lifecycle?: LifecycleSnapshot;
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
  /** The endorsement policy each chaincode was held to (the last one, when it changed), and who says so. */
  readonly policies: Record<string, PolicyUse>;
  /** Fabric chaincode definitions committed on the ledger (`_lifecycle`), oldest first, earlier runs included: each chaincode's policy history. */
  readonly chaincodeDefinitions: {
    name: string;
    sequence: number;
    version: string;
    policy: string;
    /** Its private data collections that have an endorsement policy of their own, and that policy (writes to them are held to it). */
    collectionPolicies?: Record<string, string>;
    blockNum: number;
    txId: string;
  }[];
  /** Channel configuration updates verified and applied in this run. */
  readonly configUpdates: ConfigUpdateRecord[];
  readonly lrVersions: string[];
  /** Each LR software implementation the audit had, where it came from, and how many readings it re-executed. */
  readonly lrSoftware: LrSoftwareUse[];
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
  /**
   * How long the chain is said to be, besides the blocks read: the source's own index (a ledger's
   * block index, a peer's chain info), a height given by the caller, the previous checkpoint.
   * Every block they say exists must have been verified. Empty when nothing said (see heightNotes).
   */
  readonly declaredHeights: DeclaredHeight[];
  readonly heightNotes: string[];
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

export interface ConfigUpdateRecord {
  readonly blockNum: number;
  readonly txId: string;
  /** The configuration's new sequence number. */
  readonly sequence: number;
  /** Elements changed, added or removed ('[Value] /Channel/Orderer/BatchTimeout'). */
  readonly changed: string[];
  /** Who signed the update (MSP id / common name). */
  readonly signers: string[];
}

/** An LR software implementation the audit re-executed with (or could have). */
export interface LrSoftwareUse {
  readonly name: string;
  readonly version: string;
  /** 'bundled': this auditor's own; 'module': given by path, not verified against any approval; 'package': an LR package whose approval was found on the ledger. */
  readonly from: 'bundled' | 'module' | 'package';
  /** True only for a package whose package id or code digest the ledger's approval names. */
  readonly verified: boolean;
  /** bundled and module: the module's path. */
  readonly module?: string;
  /** package: the file, its fingerprint and the approval on the ledger that names it. */
  readonly package?: {
    readonly file: string;
    readonly packageId: string;
    readonly codeDigest: string;
    readonly approval: SoftwareApprovalView & { readonly matchedBy: 'packageId' | 'codeDigest' };
  };
  /** Readings re-executed with it in this run (matching or not). */
  readings: number;
}

export interface PolicyUse {
  readonly policy: string;
  /** 'ledger': the `_lifecycle` definition or a plugin's registry; 'config': a fallback such as the devnet's configuration; 'option': given by the caller. */
  readonly from: 'ledger' | 'config' | 'option';
  /** Where exactly ('its _lifecycle definition, sequence 1 (block 8)', 'the governance registry', …). */
  readonly by: string;
}

export interface AuditOptions {
  /** Endorsement policy per chaincode (Fabric syntax), used when the ledger has none (e.g. the devnet's configuration). */
  readonly policies?: Readonly<Record<string, string>>;
  /** Endorsement policy per chaincode (Fabric syntax) that replaces whatever the ledger says (an auditor's "what if"). */
  readonly policyOverrides?: Readonly<Record<string, string>>;
  /**
   * Explicit private data collections per chaincode (Fabric's collections_config.json as
   * @metroledger/protocol's parseCollectionsConfig reads it), for chaincodes the ledger does not
   * define in `_lifecycle` (the devnet's configuration): a write to one of them is held to the
   * collection's own endorsement policy, as Fabric holds it.
   */
  readonly collections?: Readonly<Record<string, readonly CollectionConfig[]>>;
  /** LR chaincode name. Default 'lr'. */
  readonly lrNamespace?: string;
  /**
   * LR software modules to re-execute with (one per version), unverified: the report says so.
   * Default: the bundled @metroledger/lr.
   */
  readonly lrModules?: readonly string[];
  /**
   * LR chaincode packages (`node` form, files or bytes) whose LR software re-executes the readings
   * recorded with its version, over the bundled or given module of that version. A package is used
   * only once the ledger shows the notified body's approval of its package id or code digest (a
   * governance plugin reads them); one never approved in the audited blocks makes the audit fail
   * with AuditError LR_PACKAGE_NOT_APPROVED, its code never loaded.
   */
  readonly lrPackages?: readonly (string | Uint8Array)[];
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
  /** A height obtained elsewhere (e.g. another peer's `peer channel getinfo`): every block below it must be found. */
  readonly expectedHeight?: DeclaredHeight;
}

export interface AuditResult {
  readonly report: AuditReport;
  /** Undefined if the run never got a genesis block (nothing to resume from). */
  readonly checkpoint: AuditCheckpoint | undefined;
}

const V = TxValidationCode;
const MVCC_CODES = new Set<number>([V.MVCC_READ_CONFLICT, V.PHANTOM_READ_CONFLICT]);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const zeroCounts = (): AuditCounts => ({
  blocks: 0,
  transactions: 0,
  validTransactions: 0,
  invalidTransactions: 0,
  readings: 0,
  measurements: 0,
  refusals: 0,
  rejected: 0,
  reexecuted: 0,
  signaturesVerified: 0,
});

interface Decision {
  readonly valid: boolean;
  readonly code?: FindingCode;
  readonly message?: string;
  readonly creator?: Identity;
  readonly endorsers?: readonly Identity[];
}

const { CONFIG } = common.HeaderType;
const IMPLICIT_COLLECTION = '_implicit_org_';
function encodeCollections(map: AuditOptions['collections']): Map<string, CollectionsOf> {
  const out = new Map<string, CollectionsOf>();
  for (const [cc, configs] of Object.entries(map ?? {})) {
    try {
      out.set(cc, { collections: Buffer.from(encodeCollectionConfigPackage(configs)).toString('base64') });
    } catch (err) {
      throw new AuditError('BAD_OPTION', `collections of ${cc}: ${describeError(err)}`, { chaincode: cc }, { cause: err });
    }
  }
  return out;
}

/** A policy as the report prints it, with why when nobody can satisfy it (a reference the channel configuration lacks, an unsupported type). */
function reportedPolicy(r: ResolvedPolicy): string {
  const text = formatPolicy(r.policy);
  return r.policy.kind === 'outOf' && r.policy.rules.length < r.policy.n ? `${text}: ${r.text}` : text;
}

/** A policy the caller gave: parsed, or a channel-config reference resolved once the channel configuration is read. */
type GivenPolicy = Policy | { readonly reference: string };

function parsePolicies(map: Readonly<Record<string, string>> | undefined): Map<string, GivenPolicy> {
  const out = new Map<string, GivenPolicy>();
  for (const [cc, text] of Object.entries(map ?? {})) {
    // Fabric's default endorsement policy, `/Channel/Application/Endorsement`, and any other reference.
    if (text.trim().startsWith('/')) {
      out.set(cc, { reference: text.trim() });
      continue;
    }
    try {
      out.set(cc, parsePolicy(text));
    } catch (err) {
      throw new AuditError('BAD_OPTION', `endorsement policy of ${cc}: ${describeError(err)}`, { chaincode: cc }, { cause: err });
    }
  }
  return out;
}

/** The validation code of a transaction the core refused, as a finding code. */
function findingCodeOf(code: number, decidedEarly: boolean): FindingCode {
  switch (code) {
    case V.TARGET_CHAIN_NOT_FOUND:
      return 'WRONG_CHANNEL';
    case V.BAD_CREATOR_SIGNATURE:
      return decidedEarly ? 'BAD_CREATOR' : 'BAD_CREATOR_SIGNATURE';
    case V.BAD_PROPOSAL_TXID:
      return 'BAD_TXID';
    case V.DUPLICATE_TXID:
      return 'DUPLICATE_TXID';
    case V.ILLEGAL_WRITESET:
      return 'ILLEGAL_WRITESET';
    case V.INVALID_CHAINCODE:
      return 'UNKNOWN_CHAINCODE';
    case V.ENDORSEMENT_POLICY_FAILURE:
      return 'ENDORSEMENT_POLICY_FAILURE';
    default:
      return 'MALFORMED_TRANSACTION';
  }
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
  if (typeof c.channelId !== 'string' || typeof c.genesisHash !== 'string' || typeof c.lastHeaderHash !== 'string')
    throw checkpointError('checkpoint lacks channel id or hashes');
  if (!Number.isSafeInteger(c.nextBlock) || (c.nextBlock ?? 0) < 1) throw checkpointError('checkpoint has no valid nextBlock');
  if (c.config === undefined || c.registry === undefined || c.lastSequences === undefined || c.totals === undefined)
    throw checkpointError('checkpoint lacks config, registry, sequences or totals');
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
  /** The implementation of each LR version in force on this thread (the inline context shares it). */
  #lrImpls: Map<string, LrImplementation> | undefined;
  /** Every implementation the audit had, by origin, with its readings. */
  readonly #lrUses = new Map<string, LrSoftwareUse>();
  /** LR packages given, until their approval is found on the ledger. */
  #pendingPackages: { file: string; pkg: ChaincodePackage }[] = [];
  /** LR packages in use (their approval found), for workers started later. */
  readonly #activePackages: ChaincodePackage[] = [];
  readonly #plugins: readonly AuditPlugin[];
  readonly #fallbackPolicies: Map<string, GivenPolicy>;
  readonly #overridePolicies: Map<string, GivenPolicy>;
  readonly #fallbackCollections: Map<string, CollectionsOf>;
  readonly #policiesUsed = new Map<string, PolicyUse>();
  #lifecycle = new LifecycleDefinitions();
  /** The channel configuration in force as Fabric wrote it (policies; the base of the next update). */
  #rawConfig: common.Config | undefined;
  #channelPolicies: ChannelPolicies | undefined;
  /** Changes with every configuration applied; analyses made with an older one are redone. */
  #channelVersion = 0;
  /** A configuration update judged valid, applied once its transaction is known to be VALID on the ledger. */
  #pendingConfig: { sequence: number; changed: readonly string[]; signers: readonly string[]; raw: Uint8Array } | undefined;
  readonly #configUpdates: ConfigUpdateRecord[] = [];
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
  readonly #declared: DeclaredHeight[] = [];
  readonly #heightNotes: string[] = [];
  /** Unreadable bytes at the end of the newest block file: judged once it is known what exists. */
  #tornTail: DamagedBytes | undefined;

  constructor(source: BlockSource, opts: AuditOptions) {
    this.#source = source;
    this.#opts = opts;
    this.#lrNamespace = opts.lrNamespace ?? 'lr';
    this.#lrModules = opts.lrModules === undefined || opts.lrModules.length === 0 ? [bundledLrModule()] : [...opts.lrModules];
    this.#plugins = opts.plugins ?? [];
    this.#fallbackPolicies = parsePolicies(opts.policies);
    this.#overridePolicies = parsePolicies(opts.policyOverrides);
    this.#fallbackCollections = encodeCollections(opts.collections);
    const cp = opts.checkpoint;
    if (cp !== undefined) {
      this.#registry = MeterRegistry.restore(cp.registry);
      this.#lastSequences = new Map(Object.entries(cp.lastSequences));
      this.#nextBlock = cp.nextBlock;
      this.#lastHeaderHash = Buffer.from(cp.lastHeaderHash, 'hex');
      this.#position = cp.position;
      this.#genesisHash = cp.genesisHash;
      if (opts.genesisHash !== undefined && opts.genesisHash.toLowerCase() !== cp.genesisHash) {
        throw new AuditError(
          'BAD_CHECKPOINT',
          `the checkpoint belongs to the chain with genesis ${cp.genesisHash}, not ${opts.genesisHash}`,
        );
      }
      this.#useConfig(
        cp.config,
        cp.channelConfig === undefined ? undefined : common.Config.deserializeBinary(Buffer.from(cp.channelConfig, 'base64')),
      );
      if (cp.lifecycle !== undefined) this.#lifecycle = LifecycleDefinitions.restore(cp.lifecycle);
      for (const p of this.#plugins) if (cp.plugins[p.name] !== undefined) p.restore?.(cp.plugins[p.name]);
    } else {
      this.#registry = new MeterRegistry();
      this.#lastSequences = new Map();
      this.#nextBlock = 0;
    }
  }

  #useConfig(config: ChannelConfig, raw: common.Config | undefined): void {
    this.#config = config;
    this.#rawConfig = raw;
    this.#channelPolicies = raw === undefined ? undefined : new ChannelPolicies(raw);
    this.#channelVersion++;
    this.#inlineCtx = undefined; // it holds the consenters and MSPs
    this.#msps = new MspRegistry([...config.applicationOrgs, ...config.ordererOrgs]);
    this.#pool?.updateChannel(this.#workerChannel());
    this.#ordererMsps = new Set(config.ordererOrgs.map((o) => o.mspId));
    this.#consenters =
      config.consensus.type === 'BFT'
        ? config.consensus.consenters.map((c) => ({
            id: c.id,
            mspId: c.mspId,
            fingerprint: new X509Certificate(c.identityPem).fingerprint256,
          }))
        : [];
  }

  #trackedNamespaces(): string[] {
    return [this.#lrNamespace, LIFECYCLE_NAMESPACE, ...this.#plugins.flatMap((p) => p.namespaces)];
  }

  #workerChannel(): WorkerChannel {
    const config = this.#config;
    return {
      channelId: config?.channelId ?? '',
      msps: config === undefined ? [] : [...config.applicationOrgs, ...config.ordererOrgs],
      consenters: config?.consensus.type === 'BFT' ? config.consensus.consenters.map((c) => [c.id, c.identityPem] as [number, string]) : [],
      version: this.#channelVersion,
    };
  }

  #analyzeContext(): AnalyzeContext {
    if (this.#inlineCtx === undefined) {
      const channel = this.#workerChannel();
      this.#inlineCtx = {
        lrNamespace: this.#lrNamespace,
        lrImplementations: this.#lrImplementations(),
        consenters: new Map(channel.consenters),
        trackedNamespaces: new Set(this.#trackedNamespaces()),
        meters: this.#registry.entries,
        deserializer: this.#deserializer,
        // Private data is Fabric's own (approvals of chaincode definitions): validated, never read.
        channel: {
          channelId: channel.channelId,
          deserializer: this.#deserializer,
          msps: this.#msps ?? new MspRegistry([]),
          privateData: true,
        },
        channelVersion: this.#channelVersion,
      };
    }
    return this.#inlineCtx;
  }

  #lrImplementations(): Map<string, LrImplementation> {
    if (this.#lrImpls === undefined) {
      this.#lrImpls = loadLrImplementations(this.#lrModules);
      for (const impl of this.#lrImpls.values()) {
        const bundled = impl.origin === 'bundled';
        this.#lrUses.set(impl.origin!, {
          name: impl.name,
          version: impl.version,
          from: bundled ? 'bundled' : 'module',
          verified: false,
          module: bundled ? bundledLrModule() : impl.origin!.slice('module:'.length),
          readings: 0,
        });
      }
    }
    return this.#lrImpls;
  }

  /** Reads the LR packages given (fingerprints only: nothing in them runs before its approval is found). */
  #readPackages(): void {
    const given = this.#opts.lrPackages ?? [];
    if (given.length === 0) return;
    if (!this.#plugins.some((p) => p.softwareApprovals !== undefined)) {
      throw new AuditError(
        'LR_PACKAGE_NOT_APPROVED',
        "an LR package was given, but no plugin reads the notified body's approvals from the ledger (add governancePlugin())",
      );
    }
    this.#pendingPackages = given.map((g, i) => ({ file: typeof g === 'string' ? g : `lrPackages[${i}]`, pkg: readLrPackage(g) }));
    this.#usePackagesApproved();
  }

  /**
   * The given LR packages whose package id or code digest an approval on the ledger names (so far)
   * are loaded from their own bytes and re-execute their LR version from now on; readings analyzed
   * before with another implementation are re-analyzed when judged.
   */
  #usePackagesApproved(): void {
    if (this.#pendingPackages.length === 0) return;
    const approvals = this.#plugins.flatMap((p) => p.softwareApprovals?.(this.#lrNamespace) ?? []);
    this.#pendingPackages = this.#pendingPackages.filter(({ file, pkg }) => {
      const byId = approvals.find((a) => a.packageId === pkg.packageId);
      const byDigest = approvals.find((a) => a.codeDigest === pkg.codeDigest);
      const approval = byId ?? byDigest;
      if (approval === undefined) return true;
      const impl = loadPackagedLr(pkg);
      const impls = this.#lrImplementations();
      const other = impls.get(impl.version);
      if (other?.origin?.startsWith('package:') === true) {
        throw new AuditError(
          'BAD_OPTION',
          `two approved LR packages carry ${impl.name} ${impl.version}: ${other.origin.slice('package:'.length)} and ${pkg.packageId}; give one`,
          { version: impl.version },
        );
      }
      impls.set(impl.version, impl);
      this.#lrUses.set(impl.origin!, {
        name: impl.name,
        version: impl.version,
        from: 'package',
        verified: true,
        package: {
          file,
          packageId: pkg.packageId,
          codeDigest: pkg.codeDigest,
          approval: { ...approval, matchedBy: byId !== undefined ? 'packageId' : 'codeDigest' },
        },
        readings: 0,
      });
      this.#activePackages.push(pkg);
      this.#pool?.addLrPackage(pkg.bytes);
      return false;
    });
  }

  #startPool(): void {
    const wanted = this.#opts.workers ?? Math.min(4, availableParallelism());
    if (wanted <= 0 || this.#pool !== undefined) return;
    this.#pool = new WorkerPool(wanted, {
      lrModules: this.#lrModules,
      lrPackages: this.#activePackages.map((p) => p.bytes),
      lrNamespace: this.#lrNamespace,
      trackedNamespaces: this.#trackedNamespaces(),
      channel: this.#workerChannel(),
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
      this.#readPackages();
      // What exists is asked before reading, so that blocks committed meanwhile raise no alarm.
      const said = await this.#source.declaredHeight?.();
      if (said?.declared !== undefined) this.#declared.push(said.declared);
      if (said?.note !== undefined) this.#heightNotes.push(said.note);
      if (this.#opts.expectedHeight !== undefined) this.#declared.push(this.#opts.expectedHeight);
      for await (const sb of this.#source.blocks(this.#nextBlock, this.#position)) {
        const num = peekBlockNumber(sb.bytes);
        if (this.#opts.toBlock !== undefined && num !== undefined && num > this.#opts.toBlock && sb.checksumMismatch !== true) break;
        if (this.#config === undefined || sb.damaged !== undefined || sb.bytes.length === 0) {
          // Until the genesis block is judged there is no configuration for workers to use.
          while (queue.length > 0) await this.#judgeNext(queue);
          this.#judge(sb, sb.damaged !== undefined ? undefined : analyzeBlock(sb.bytes, this.#analyzeContext()));
        } else {
          this.#startPool();
          queue.push({
            sb,
            analysis: this.#pool !== undefined ? this.#pool.analyze(sb.bytes) : analyzeBlock(sb.bytes, this.#analyzeContext()),
          });
          // Blocks after a registry change must be analyzed with the new meter table: let it be judged first.
          const limit = this.#pool === undefined || mayChangeRegistry(sb.bytes) ? 0 : maxInFlight * this.#pool.size;
          while (queue.length > limit) await this.#judgeNext(queue);
        }
        this.#progress(false);
      }
      while (queue.length > 0) await this.#judgeNext(queue);
      this.#checkHeight();
      if (this.#pendingPackages.length > 0 && this.#config !== undefined) {
        const list = this.#pendingPackages.map(({ file, pkg }) => `${file} (package id ${pkg.packageId}, code digest ${pkg.codeDigest})`);
        throw new AuditError(
          'LR_PACKAGE_NOT_APPROVED',
          `the notified body approved neither the package id nor the code digest of ${list.join('; ')} for ${this.#lrNamespace} on the audited ledger (through block ${this.#toBlock}): it was not used`,
          { packages: this.#pendingPackages.map(({ file, pkg }) => ({ file, packageId: pkg.packageId, codeDigest: pkg.codeDigest })) },
        );
      }
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
    // Analyzed with a meter table older than the registry now (rare, see mayChangeRegistry), or with
    // the channel configuration before a config block: redo it in a worker.
    if (this.#pool !== undefined && (a.channelVersion !== this.#channelVersion || this.#stale(a)))
      a = await this.#pool.analyze(head.sb.bytes);
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
    this.#opts.onProgress({
      blockNum: this.#nextBlock - 1,
      blocks: this.counts.blocks,
      transactions: this.counts.transactions,
      readings: this.counts.readings,
      findings: this.#errors + this.#warnings,
      elapsedMs: now - this.#started,
    });
  }

  #judge(sb: SourcedBlock, a: BlockAnalysis | undefined): void {
    const expected = this.#nextBlock;
    if (sb.damaged !== undefined || a === undefined) {
      const d = sb.damaged ?? { file: '?', offset: 0, reason: 'no data' };
      if (d.atEnd === true) this.#tornTail = d;
      else if (d.lost !== undefined)
        this.#report('BLOCK_MISSING', { blockNum: d.lost.from }, d.reason, { missingFrom: d.lost.from, missingTo: d.lost.to });
      else this.#report('BLOCK_FILE_DAMAGED', { blockNum: d.blockNum ?? expected }, `${d.reason}`, { ...d });
      return;
    }
    if (a.malformed !== undefined) {
      if (sb.checksumMismatch === true)
        this.#report('BLOCK_FILE_CHECKSUM', { blockNum: expected }, `the block record after block ${expected - 1} fails its checksum`, {
          ...sb.position,
        });
      this.#report('MALFORMED_BLOCK', { blockNum: expected }, `the block after block ${expected - 1} does not parse: ${a.malformed}`, {
        ...sb.position,
      });
      return;
    }
    const n = a.number;
    if (sb.checksumMismatch === true)
      this.#report(
        'BLOCK_FILE_CHECKSUM',
        { blockNum: n },
        `block ${n}: its record in the block file fails its checksum (the bytes changed after they were written)`,
        { ...sb.position },
      );
    if (n < expected) {
      this.#report('BLOCK_OUT_OF_ORDER', { blockNum: n }, `block ${n} appears after block ${expected - 1}`, {
        after: expected - 1,
        ...sb.position,
      });
      return;
    }
    if (this.#fromBlock < 0) this.#fromBlock = n;
    if (n > expected) {
      this.#report(
        'BLOCK_MISSING',
        { blockNum: expected },
        n - expected === 1
          ? `block ${expected} is missing (block ${n} follows block ${expected - 1})`
          : `blocks ${expected}..${n - 1} are missing`,
        { missingFrom: expected, missingTo: n - 1, next: n },
      );
    } else if (this.#lastHeaderHash !== undefined && n > 0 && Buffer.compare(a.previousHash, this.#lastHeaderHash) !== 0) {
      this.#report(
        'PREVIOUS_HASH_MISMATCH',
        { blockNum: n },
        `block ${n}: previous_hash ${hex(a.previousHash).slice(0, 16)}… is not the header hash of block ${n - 1} (${hex(this.#lastHeaderHash).slice(0, 16)}…)`,
      );
    }
    if (!a.dataHashOk)
      this.#report(
        'DATA_HASH_MISMATCH',
        { blockNum: n },
        `block ${n}: data_hash does not match its ${a.txs.length} transactions (a transaction was altered, added or removed)`,
      );

    if (n === 0 && this.#config === undefined) {
      this.#genesis(sb, a);
    } else if (this.#config === undefined) {
      throw new AuditError('NO_GENESIS', `the audit must start at the genesis block (got block ${n}); pass a checkpoint to resume`);
    } else {
      this.#checkOrdererSignatures(a);
      if (n > 0 && a.txs.length > 0 && a.txFilter === undefined)
        this.#report(
          'TX_FILTER_MISSING',
          { blockNum: n },
          `block ${n} has no transaction validation codes; its transactions count as invalid`,
        );
      for (const tx of a.txs) this.#judgeTx(sb, a, tx);
    }
    this.counts.blocks++;
    this.counts.signaturesVerified += a.signaturesVerified;
    this.#toBlock = n;
    this.#nextBlock = n + 1;
    this.#lastHeaderHash = a.headerHash;
    if (sb.next !== undefined) this.#position = sb.next;
  }

  /**
   * Every block that the source's index, the caller or the previous checkpoint says exists must have
   * been verified; unreadable bytes at the end of the newest file are a loss when they say the block
   * there exists, a write in progress (or a torn one, never acknowledged) when they say it does not.
   */
  #checkHeight(): void {
    const limit = this.#opts.toBlock === undefined ? Infinity : this.#opts.toBlock + 1;
    const verified = this.#nextBlock;
    const claims = this.#declared.map((d) => ({ ...d, height: Math.min(d.height, limit) }));
    const strongest = claims.reduce<DeclaredHeight | undefined>((m, d) => (m === undefined || d.height > m.height ? d : m), undefined);
    const tail = this.#tornTail;
    if (tail !== undefined) {
      const at = tail.blockNum ?? verified;
      if (strongest !== undefined && at < strongest.height) {
        this.#report(
          'BLOCK_FILE_DAMAGED',
          { blockNum: at },
          `${tail.reason}; ${strongest.by} says the chain has ${strongest.height} blocks, so block ${at} was written there and is lost`,
          { ...tail, declaredHeight: strongest.height, by: strongest.by },
        );
      } else if (strongest !== undefined) {
        this.#report(
          'BLOCK_BEING_WRITTEN',
          { blockNum: at },
          `${tail.reason}; past the ${strongest.height} blocks ${strongest.by} records: a block being appended, or an append a crash cut short (never acknowledged)`,
          { ...tail },
        );
      } else {
        this.#report(
          'BLOCK_FILE_INCOMPLETE',
          { blockNum: at },
          `${tail.reason}; nothing says whether block ${at} was committed (no readable block index), so it may be lost`,
          { ...tail },
        );
      }
    }
    if (strongest !== undefined && verified < strongest.height) {
      const over = claims.filter((d) => d.height > verified);
      const by = over.map((d) => `${d.by} (${d.height})`).join(', ');
      this.#report(
        'BLOCK_MISSING',
        { blockNum: verified },
        `blocks ${verified}..${strongest.height - 1} were not found: ${by} say${over.length > 1 ? '' : 's'} the chain has ${strongest.height} blocks, the source ended at block ${verified - 1}`,
        { missingFrom: verified, missingTo: strongest.height - 1, declared: claims },
      );
    }
  }

  #genesis(sb: SourcedBlock, a: BlockAnalysis): void {
    let config: ChannelConfig;
    let raw: common.Config | undefined;
    try {
      const block = decodeBlock(sb.bytes);
      config = parseChannelConfig(block);
      raw = common.ConfigEnvelope.deserializeBinary(parseEnvelope(blockEnvelopes(block)[0]!).configEnvelope!).getConfig();
    } catch (err) {
      throw new AuditError('NO_GENESIS', `block 0 is not a readable genesis config block: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    this.#genesisHash = hex(a.headerHash);
    const pinned = this.#opts.genesisHash?.toLowerCase();
    if (pinned !== undefined && pinned !== this.#genesisHash) {
      this.#report('GENESIS_MISMATCH', { blockNum: 0 }, `genesis block hash ${this.#genesisHash} is not the expected ${pinned}`, {
        expected: pinned,
        actual: this.#genesisHash,
      });
    }
    this.#useConfig(config, raw);
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
      if (!ok)
        this.#report(
          'ORDERER_SIGNATURE',
          { blockNum: n },
          `block ${n} carries no valid signature of an orderer of ${[...this.#ordererMsps].join(', ')} (${a.signatures.length} signature(s) present)`,
          { signatures: a.signatures.length },
        );
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
      this.#report(
        'ORDERER_SIGNATURE',
        { blockNum: n },
        `block ${n} has valid signatures of ${signed.size} consenter(s); a quorum is ${quorum} of ${total}`,
        { signed: [...signed], quorum, consenters: total },
      );
    }
  }

  #usePolicy(chaincode: string, policy: Policy, from: PolicyUse['from'], by: string): Policy {
    const text = formatPolicy(policy);
    const prev = this.#policiesUsed.get(chaincode);
    if (prev === undefined || prev.policy !== text || prev.by !== by) this.#policiesUsed.set(chaincode, { policy: text, from, by });
    return policy;
  }

  /**
   * The endorsement policy in force for a chaincode, from the ledger itself: `_lifecycle`'s own
   * (the channel's LifecycleEndorsement), the chaincode's committed `_lifecycle` definition (Fabric),
   * or a plugin's registry (the devnet's governance approvals); then the caller's fallback. On a
   * ledger with `_lifecycle` definitions, as on a Fabric peer, a chaincode without one is not defined.
   * An override given by the caller replaces them all.
   */
  #policyFor(chaincode: string, version: string): Policy | undefined {
    const channel = this.#channelPolicies;
    const override = this.#given(this.#overridePolicies.get(chaincode));
    if (override !== undefined)
      return this.#usePolicy(chaincode, override.policy, 'option', `given by the auditor (override)${override.text}`);
    if (chaincode === LIFECYCLE_NAMESPACE && channel !== undefined) {
      const p = channel.lifecycleEndorsement();
      return this.#usePolicy(chaincode, p.policy, 'ledger', `the channel configuration (${p.text})`);
    }
    const def = this.#lifecycle.get(chaincode);
    if (def !== undefined && channel !== undefined) {
      const p = channel.applicationPolicy(Buffer.from(def.validationParameter, 'base64'));
      return this.#usePolicy(
        chaincode,
        p.policy,
        'ledger',
        `its _lifecycle definition, sequence ${def.sequence} (block ${def.blockNum})${p.text === '' ? '' : `: ${p.text}`}`,
      );
    }
    if (this.#lifecycle.history.length > 0) return undefined;
    for (const plugin of this.#plugins) {
      const policy = plugin.endorsementPolicy?.(chaincode, version);
      if (policy !== undefined) return this.#usePolicy(chaincode, policy, 'ledger', `the ${plugin.name} registry (version ${version})`);
    }
    const fallback = this.#given(this.#fallbackPolicies.get(chaincode));
    return fallback === undefined
      ? undefined
      : this.#usePolicy(chaincode, fallback.policy, 'config', `the network configuration (not on the ledger)${fallback.text}`);
  }

  /** A policy the caller gave, a reference resolved against the channel configuration in force (none before it is read, or when it lacks that policy). */
  #given(p: GivenPolicy | undefined): { policy: Policy; text: string } | undefined {
    if (p === undefined) return undefined;
    if (!('reference' in p)) return { policy: p, text: '' };
    const resolved = this.#channelPolicies?.resolve(p.reference);
    return resolved === undefined ? undefined : { policy: resolved.policy, text: `: ${p.reference}, ${resolved.text}` };
  }

  /**
   * The endorsement policy of a write to a private data collection, as Fabric's validation takes it
   * (lifecycle's CollectionValidationInfo): for an implicit collection `_implicit_org_<MSP>`, that
   * organization's Endorsement policy; for an explicit one, its own endorsement policy in the
   * chaincode's definition in force (`_lifecycle`, else the collections the caller gave), resolved
   * against the channel configuration, or undefined (the chaincode's) when it has none; a collection
   * the definition lacks is satisfied by nobody. Undefined too when nothing says what the
   * chaincode's collections are.
   */
  #collectionPolicy(chaincode: string, collection: string): Policy | undefined {
    const channel = this.#channelPolicies;
    if (collection.startsWith(IMPLICIT_COLLECTION))
      return channel?.implicitCollectionPolicy(collection.slice(IMPLICIT_COLLECTION.length))?.policy;
    const def = this.#collectionsOf(chaincode);
    if (def === undefined || channel === undefined) return undefined;
    const e = collectionEndorsement(def, collection);
    if (!e.defined) return UNSATISFIABLE; // Fabric's validation refuses a write to a collection the chaincode does not have
    return e.policy === undefined ? undefined : channel.applicationPolicy(e.policy).policy;
  }

  /**
   * A chaincode's explicit collections, where known: its `_lifecycle` definition in force (not known
   * when it was restored from a checkpoint of an audit that did not read them), or the caller's.
   */
  #collectionsOf(chaincode: string): CollectionsOf | undefined {
    const def = this.#lifecycle.get(chaincode);
    if (def !== undefined) return def.collections === undefined ? undefined : (def as CollectionsOf); // the same object: its collections are read once
    return this.#lifecycle.history.length > 0 ? undefined : this.#fallbackCollections.get(chaincode);
  }

  #validationContext(version: string): Pick<ValidationContext, 'msps' | 'endorsementPolicy' | 'collectionPolicy' | 'isCommittedTxId'> {
    return {
      msps: this.#msps!,
      endorsementPolicy: (cc) => this.#policyFor(cc, version),
      collectionPolicy: (cc, collection) => this.#collectionPolicy(cc, collection),
      isCommittedTxId: (txId) => this.#seenTxIds.has(txId),
    };
  }

  /**
   * Fabric's validation of one transaction (all but MVCC): the validation core's decision
   * (@metroledger/protocol, decideTransaction) on the plan and signature checks the worker made,
   * against the ledger state here (committed tx ids, chaincode definitions and policies).
   */
  #decide(sb: SourcedBlock, a: BlockAnalysis, tx: TxFacts): Decision {
    if (tx.parseError !== undefined) return { valid: false, code: 'MALFORMED_TRANSACTION', message: `does not parse (${tx.parseError})` };
    if (tx.type === CONFIG) return this.#decideConfig(sb, a, tx);
    const creator = this.#identity(a, tx.creator);
    const endorsers: Identity[] = [];
    const results: boolean[] = [tx.verified[0] === true];
    tx.plan.endorsers.forEach((index, i) => {
      const id = this.#identity(a, index);
      if (id === undefined) return; // the worker read it; a failure here only drops it, as Fabric drops unreadable endorsers
      endorsers.push(id);
      results.push(tx.verified[i + 1] === true);
    });
    const plan: TxDecisionInput = {
      ...(tx.plan.decided !== undefined && { decided: tx.plan.decided as TxValidationCode }),
      ifCreatorValid: tx.plan.ifCreatorValid as TxValidationCode,
      endorsers,
      txId: tx.txId,
      chaincodeName: tx.chaincodeName,
      writes: tx.plan.writes,
    };
    const ctx = this.#validationContext(tx.chaincodeVersion);
    const code = decideTransaction(plan, results, ctx);
    const signers = endorsers.filter((_, i) => results[i + 1] === true);
    if (code === V.VALID) return { valid: true, ...(creator && { creator }), endorsers: signers };
    const who = (id: Identity | undefined): string => (id === undefined ? 'an unreadable identity' : `${id.mspId}/${id.commonName}`);
    const base = { valid: false as const, code: findingCodeOf(code, tx.plan.decided !== undefined), ...(creator && { creator }) };
    switch (code) {
      case V.TARGET_CHAIN_NOT_FOUND:
        return { ...base, message: `is for channel ${tx.channelId}` };
      case V.BAD_CREATOR_SIGNATURE:
        return tx.plan.decided !== undefined
          ? { ...base, message: `its creator ${who(creator)} is not a valid channel member` }
          : { ...base, message: `the creator's (${who(creator)}) signature does not verify` };
      case V.BAD_PROPOSAL_TXID:
        return { ...base, message: 'its tx id is not sha256(nonce ‖ creator)' };
      case V.DUPLICATE_TXID:
        return { ...base, message: 'its tx id was already committed' };
      case V.ILLEGAL_WRITESET:
        return { ...base, message: `it writes outside ${tx.chaincodeName}'s namespace` };
      case V.INVALID_CHAINCODE:
        return { ...base, message: `no endorsement policy is known for chaincode ${tx.chaincodeName}` };
      case V.ENDORSEMENT_POLICY_FAILURE: {
        const policies = requiredPolicies(plan, ctx) ?? [];
        const collections = this.#collectionsOf(tx.chaincodeName);
        const undefinedCollections = plan.writes.collections.filter(
          (c) => !c.startsWith(IMPLICIT_COLLECTION) && collections !== undefined && !collectionEndorsement(collections, c).defined,
        );
        return {
          ...base,
          message:
            undefinedCollections.length > 0
              ? `it writes private data collection ${undefinedCollections.join(', ')}, which chaincode ${tx.chaincodeName}'s definition does not have`
              : `valid endorsements (${signers.map(who).join(', ') || 'none'}) do not satisfy ${policies.map(formatPolicy).join(' and ')}`,
          endorsers: signers,
        };
      }
      default:
        return { ...base, message: `is refused by validation (${txValidationCodeName(code)})` };
    }
  }

  /**
   * A channel configuration transaction after genesis: signed by a channel member (the orderer that
   * made it), alone in its block, and every change authorized (configtx.ts).
   */
  #decideConfig(sb: SourcedBlock, a: BlockAnalysis, tx: TxFacts): Decision {
    const previous = this.#rawConfig;
    if (previous === undefined)
      return {
        valid: false,
        code: 'CONFIG_UPDATE_UNAUTHORIZED',
        message: 'a configuration update, but the configuration before it is unknown (a checkpoint that lacks it)',
      };
    const problems: string[] = [];
    if (a.txs.length !== 1) problems.push(`its block holds ${a.txs.length} transactions; a config block holds one`);
    const parsed = parseEnvelope(blockEnvelopes(decodeBlock(sb.bytes))[tx.txNum]!);
    const creator = this.#identity(a, tx.creator);
    const msps = this.#msps!;
    this.counts.signaturesVerified++;
    if (creator === undefined || !msps.isValid(creator)) problems.push('its creator is not a valid channel member');
    else if (!verifySignature(creator.publicKey, parsed.payloadBytes, parsed.signature))
      problems.push(`the creator's (${creator.mspId}/${creator.commonName}) signature does not verify`);
    const check = checkConfigUpdate(previous, parsed.configEnvelope ?? new Uint8Array(0), {
      channelId: this.#config!.channelId,
      deserialize: (b) => {
        try {
          return this.#deserializer.deserialize(b);
        } catch {
          return undefined;
        }
      },
      isMember: (id) => msps.isValid(id),
      satisfiesPrincipal: (id, p) => msps.satisfiesPrincipal(id, p),
      verify: (id, m, sig) => verifySignature(id.publicKey, m, sig),
    });
    this.counts.signaturesVerified += check.signaturesVerified;
    problems.push(...check.problems);
    if (problems.length > 0)
      return {
        valid: false,
        code: 'CONFIG_UPDATE_UNAUTHORIZED',
        message: `a configuration update (sequence ${check.sequence}) that is not authorized: ${problems.join('; ')}`,
        ...(creator && { creator }),
      };
    this.#pendingConfig = { sequence: check.sequence, changed: check.changed, signers: check.signers, raw: check.config! };
    return { valid: true, ...(creator && { creator }) };
  }

  #judgeTx(sb: SourcedBlock, a: BlockAnalysis, tx: TxFacts): void {
    this.counts.transactions++;
    const blockNum = a.number;
    // A measurement's findings name its meter and sequence even when the transaction itself is at fault.
    const at: FindingLocation = { blockNum, txNum: tx.txNum, txId: tx.txId, meterId: tx.reading?.meterId, sequence: tx.reading?.sequence };
    const stored = a.txFilter === undefined ? undefined : tx.storedCode;
    this.#pendingConfig = undefined;
    const d = this.#decide(sb, a, tx);
    const storedValid = stored === V.VALID;
    if (storedValid && !d.valid) {
      this.#report(d.code!, at, `block ${blockNum} tx ${tx.txNum} is marked VALID but ${d.message}`, {
        chaincode: tx.chaincodeName,
        function: tx.fn,
      });
    } else if (!storedValid && d.valid && stored !== undefined && !MVCC_CODES.has(stored)) {
      this.#report(
        'VALID_TX_MARKED_INVALID',
        at,
        `block ${blockNum} tx ${tx.txNum} is marked ${stored} but passes every check the audit can make`,
        { storedCode: stored },
      );
    }
    if (storedValid) {
      // Endorsements of channel members whose signature does not verify: reported even when the policy holds without them.
      tx.plan.endorsers.forEach((index, i) => {
        if (tx.verified[i + 1] === false) {
          const id = this.#identity(a, index);
          this.#report(
            'BAD_ENDORSEMENT_SIGNATURE',
            at,
            `block ${blockNum} tx ${tx.txNum}: the endorsement of ${id === undefined ? 'an unreadable identity' : `${id.mspId}/${id.commonName}`} does not verify`,
          );
        }
      });
    }
    // The ledger's state includes every transaction marked VALID: its reading is checked too.
    if (storedValid && tx.reading !== undefined && d.creator !== undefined) this.#judgeReading(sb, a, tx, tx.reading, d.creator);
    // A batch: each reading is judged as if it had its own transaction.
    if (storedValid && tx.readings !== undefined && d.creator !== undefined)
      for (const r of tx.readings) this.#judgeReading(sb, a, tx, r, d.creator);
    if (!storedValid || !d.valid) {
      this.counts.invalidTransactions++;
      return;
    }
    this.counts.validTransactions++;
    this.#seenTxIds.add(tx.txId);
    if (tx.type === CONFIG) {
      this.#applyConfig(sb, a, tx);
      return;
    }
    // State changes take effect after the transaction's own checks, as in the chaincode.
    for (const w of tx.writes) {
      if (w.ns !== this.#lrNamespace) continue;
      const change = this.#registry.apply(w);
      if (change !== undefined) this.#pool?.updateMeter(change.meterId, change.rev, change.json);
    }
    if (tx.chaincodeName === LIFECYCLE_NAMESPACE) this.#applyLifecycle(a, tx);
    if (this.#plugins.length > 0) {
      this.#notifyPlugins(a, tx, d);
      this.#usePackagesApproved();
    }
  }

  /** A valid `_lifecycle` transaction: the chaincode definitions it commits take effect for later transactions. */
  #applyLifecycle(a: BlockAnalysis, tx: TxFacts): void {
    const at: FindingLocation = { blockNum: a.number, txNum: tx.txNum, txId: tx.txId };
    const { committed, unreadable } = this.#lifecycle.apply(tx.writes, { blockNum: a.number, txNum: tx.txNum, txId: tx.txId });
    // The notified body's approval of a version names the policy its definition must carry.
    for (const def of committed) {
      const defined = this.#channelPolicies?.applicationPolicy(Buffer.from(def.validationParameter, 'base64'));
      for (const plugin of this.#plugins) {
        const approved = plugin.endorsementPolicy?.(def.name, def.version);
        if (approved === undefined || defined === undefined || formatPolicy(approved) === formatPolicy(defined.policy)) continue;
        this.#report(
          'POLICY_NOT_APPROVED',
          at,
          `chaincode ${def.name} is defined (sequence ${def.sequence}, version ${def.version}) with endorsement policy ${formatPolicy(defined.policy)}, but the ${plugin.name} registry approved version ${def.version} with ${formatPolicy(approved)}`,
          { chaincode: def.name, sequence: def.sequence, version: def.version },
        );
      }
    }
    for (const name of unreadable)
      this.#report(
        'MALFORMED_TRANSACTION',
        at,
        `block ${a.number} tx ${tx.txNum} writes _lifecycle fields of ${name} that do not form a chaincode definition`,
        { chaincode: name },
      );
  }

  /** A valid configuration update: the channel's MSPs, policies and consenters change from the next block on. */
  #applyConfig(sb: SourcedBlock, a: BlockAnalysis, tx: TxFacts): void {
    const update = this.#pendingConfig;
    if (update === undefined) return;
    this.#pendingConfig = undefined;
    const config = parseChannelConfig(decodeBlock(sb.bytes));
    this.#useConfig(config, common.Config.deserializeBinary(update.raw));
    this.#configUpdates.push({
      blockNum: a.number,
      txId: tx.txId,
      sequence: update.sequence,
      changed: [...update.changed],
      signers: [...update.signers],
    });
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

  /** Whether the reading was re-executed (or not) with another implementation than the one now in force for its version (an LR package approved since). */
  #reexecutedByOther(r: ReadingFacts): boolean {
    if (this.#activePackages.length === 0 || r.lrVersion === undefined) return false;
    const now = this.#lrImplementations().get(r.lrVersion);
    return (
      now !== undefined && now.origin !== r.lrOrigin && (r.reexec === 'unknown-version' || r.reexec === 'match' || r.reexec === 'mismatch')
    );
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
    if (r.meterRev !== entry.rev || this.#reexecutedByOther(r)) {
      // The worker analyzed this block before a registry change earlier in the ledger reached it,
      // or before the approval of an LR package of the reading's version was judged.
      const envelope = blockEnvelopes(decodeBlock(sb.bytes))[tx.txNum]!;
      const parsed = parseEnvelope(envelope);
      r = reanalyzeReading(parsed, writesOf(parsed, this.#analyzeContext()), this.#analyzeContext(), facts.batchIndex);
    }
    this.counts.readings++;
    const meter = entry.meter;
    if (r.rejected === true) {
      // A revoked meter's authentic reading, recorded as rejected: legitimate only if the meter was revoked.
      if (meter.status === 'ACTIVE')
        this.#report(
          'REEXECUTION_MISMATCH',
          at,
          `${where}: reading ${seq} of active meter ${meterId} was recorded as rejected instead of measured`,
        );
      this.counts.rejected++;
    } else if (meter.status !== 'ACTIVE') {
      this.#report(
        'METER_REVOKED',
        at,
        `${where}: meter ${meterId} was revoked (${meter.revocation?.reason ?? 'no reason'}) before this reading, yet it was measured`,
      );
    }
    if (creator.mspId !== meter.ownerMspId)
      this.#report(
        'UNAUTHORIZED_SUBMITTER',
        at,
        `${where}: reading of meter ${meterId} submitted by ${creator.mspId}, the meter belongs to ${meter.ownerMspId}`,
      );
    if (r.signatureOk !== true)
      this.#report(
        'BAD_METER_SIGNATURE',
        at,
        `${where}: reading ${seq} is not signed by the key registered for meter ${meterId} at this point`,
      );
    const last = this.#lastSequences.get(meterId);
    if (last !== undefined && seq <= last) {
      this.#report('REPLAYED_READING', at, `${where}: meter ${meterId} sequence ${seq} repeats (last accepted ${last})`, {
        lastSequence: last,
      });
    } else {
      if (last !== undefined && seq > last + 1)
        this.#report(
          'SEQUENCE_GAP',
          at,
          `${where}: meter ${meterId} jumps from sequence ${last} to ${seq}: ${seq - last - 1} reading(s) lost`,
          { from: last, to: seq, lost: seq - last - 1 },
        );
      this.#lastSequences.set(meterId, seq);
    }
    if (r.status === 'MEASURED') this.counts.measurements++;
    else if (r.status === 'REFUSED') this.counts.refusals++;
    if ((r.reexec === 'match' || r.reexec === 'mismatch') && r.lrOrigin !== undefined) {
      const use = this.#lrUses.get(r.lrOrigin);
      if (use !== undefined) use.readings++;
    }
    switch (r.reexec) {
      case 'match':
        this.counts.reexecuted++;
        break;
      case 'mismatch':
        this.#report(
          'REEXECUTION_MISMATCH',
          at,
          `${where}: re-running ${r.lrVersion ?? 'the LR software'} on meter ${meterId} reading ${seq} does not reproduce the stored record (${r.mismatches!.map((m) => `${m.field}: stored ${JSON.stringify(m.stored)}, re-executed ${JSON.stringify(m.expected)}`).join('; ')})`,
          { mismatches: r.mismatches },
        );
        break;
      case 'no-record':
        this.#report(
          'RECORD_MISSING',
          at,
          `${where}: the transaction does not write the measurement record of meter ${meterId} reading ${seq}`,
        );
        break;
      case 'unknown-version':
        this.#report(
          'UNKNOWN_LR_VERSION',
          at,
          `${where}: LR software version ${JSON.stringify(r.lrVersion)} is not available to re-execute (give the approved LR package of that version: --lr-package)`,
          { version: r.lrVersion },
        );
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
      consensus:
        config === undefined
          ? ''
          : config.consensus.type === 'BFT'
            ? `BFT (${config.consensus.consenters.length} consenters)`
            : config.consensus.type,
      fromBlock: this.#fromBlock,
      toBlock: this.#toBlock,
      resumed: this.#opts.checkpoint !== undefined,
      counts: { ...this.counts },
      meters: this.#registry.entries.size,
      policies: Object.fromEntries(this.#policiesUsed),
      chaincodeDefinitions: this.#lifecycle.history.map((d) => {
        const channel = this.#channelPolicies;
        const own = channel === undefined || d.collections === undefined ? [] : ownCollectionPolicies(d as CollectionsOf);
        return {
          name: d.name,
          sequence: d.sequence,
          version: d.version,
          policy: channel === undefined ? '' : reportedPolicy(channel.applicationPolicy(Buffer.from(d.validationParameter, 'base64'))),
          ...(own.length > 0 && {
            collectionPolicies: Object.fromEntries(own.map(([name, p]) => [name, reportedPolicy(channel!.applicationPolicy(p))])),
          }),
          blockNum: d.blockNum,
          txId: d.txId,
        };
      }),
      configUpdates: [...this.#configUpdates],
      lrVersions: [...new Set([...this.#lrUses.values()].map((u) => `${u.name} ${u.version}`))],
      lrSoftware: [...this.#lrUses.values()].map((u) => ({ ...u })),
      errors: this.#errors,
      warnings: this.#warnings,
      findingCounts: { ...this.#findingCounts },
      findings: this.#findings,
      findingsOmitted: this.#findingsOmitted,
      workers: this.#pool?.size ?? 0,
      startedAt: new Date(this.#started).toISOString(),
      elapsedMs,
      readingsPerSecond: elapsedMs > 0 ? Math.round((this.counts.readings * 1000) / elapsedMs) : 0,
      declaredHeights: [...this.#declared],
      heightNotes: [...this.#heightNotes],
    };
    const totals = this.#totals();
    return totals === undefined ? report : { ...report, totals };
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
      ...(this.#rawConfig === undefined ? {} : { channelConfig: Buffer.from(this.#rawConfig.serializeBinary()).toString('base64') }),
      lifecycle: this.#lifecycle.snapshot(),
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
