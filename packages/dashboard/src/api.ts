// SPDX-License-Identifier: Apache-2.0
// What the server sends the browser: the sections of the dashboard (pushed over Server-Sent
// Events when they change) and the drill-down answers. Types only: the browser code imports them too.
import type { AuditCounts, Finding, FindingCode, Verdict } from '@metroledger/audit';
import type { Meter } from '@metroledger/chaincode';
import type { IntegrityIncident, LrSoftwareRecord } from '@metroledger/client';
import type { MeterModelRecord, OrganizationRecord } from '@metroledger/governance';
import type { Flag, FlagCode, MeterStats } from '@metroledger/surveil';

export type SectionName = 'status' | 'network' | 'activity' | 'measurements' | 'meters' | 'governance';

/** How the dashboard follows the channel's blocks. */
export type FollowState =
  | 'idle' // nobody has looked yet: the dashboard follows from its first viewer on
  | 'connecting'
  | 'catching-up' // reading blocks committed before it started (no latency for those)
  | 'live'
  | 'retrying' // the stream failed; it reconnects after a pause
  | 'stopped';

export interface StatusSection {
  readonly title: string;
  readonly channel: string;
  /** Where the blocks and queries go, e.g. 'gateway 127.0.0.1:7051 as InmetroMSP'. */
  readonly source: string;
  readonly follow: {
    readonly state: FollowState;
    readonly error?: string;
    readonly nextBlock: number;
    readonly liveFromBlock?: number;
    readonly sinceMs: number;
  };
  /** Blocks committed (the next block's number), as far as the dashboard has seen. */
  readonly height: number;
  readonly blocksSeen: number;
  readonly transactionsSeen: number;
  readonly readingsSeen: number;
  readonly startedAtMs: number;
  readonly serverTimeMs: number;
  readonly viewers: number;
}

export interface HealthEntry {
  readonly name: string;
  /** OK, or what is wrong: FAILED (a failed check), HALTED (the devnet stopped on a ledger failure), UNREACHABLE. */
  readonly status: 'OK' | 'FAILED' | 'HALTED' | 'UNREACHABLE';
  readonly detail?: string;
  readonly checkedAtMs: number;
}

export interface OrgEntry {
  readonly mspId: string;
  readonly kind: 'application' | 'orderer';
  /** From the notified body's registry, when it lists the organization. */
  readonly name?: string;
  readonly roles?: readonly string[];
  readonly notifiedBody?: boolean;
}

export interface PeerEntry {
  /** The peer's certificate common name, e.g. peer0.lasige.example.com. */
  readonly name: string;
  readonly mspId: string;
  /** Endorsements seen in the blocks the dashboard read. */
  readonly endorsements: number;
  readonly lastEndorsedMs?: number;
  /** What the peer runs, where the source can tell (the devnet). */
  readonly packages?: readonly { readonly chaincodeName: string; readonly version: string; readonly packageId: string }[];
}

export interface ConsenterEntry {
  readonly id: number;
  readonly mspId: string;
  readonly host: string;
  /** The last block whose commit certificate carries this consenter's signature. */
  readonly lastSignedBlock?: number;
  /** Where the source can tell (the devnet): running, decided height, installed view. */
  readonly running?: boolean;
  readonly height?: number;
  readonly view?: number;
}

export interface NetworkSection {
  readonly channel: string;
  readonly height: number;
  readonly orgs: readonly OrgEntry[];
  readonly peers: readonly PeerEntry[];
  readonly ordering: {
    readonly type: 'solo' | 'BFT' | 'unknown';
    readonly batch?: { readonly maxMessageCount: number; readonly preferredMaxBytes: number; readonly batchTimeoutMs: number };
    /** BFT: the view of the last block's commit certificate, and its leader (consenter id). */
    readonly view?: number;
    readonly leader?: number;
    /** BFT: signatures a block needs (2f+1). */
    readonly quorum?: number;
    readonly consenters: readonly ConsenterEntry[];
  };
  readonly health: readonly HealthEntry[];
}

export interface BlockRow {
  readonly number: number;
  readonly transactions: number;
  readonly valid: number;
  readonly readings: number;
  /** When the dashboard received it (live), or its newest transaction timestamp (caught up). */
  readonly timeMs: number;
  readonly live: boolean;
  readonly bytes: number;
  /** BFT: the view it was decided in and the consenters that signed it. */
  readonly view?: number;
  readonly signers?: readonly number[];
}

export interface ActivitySection {
  /** Per-second series, oldest first: second i is `fromSec + i` (Unix seconds). */
  readonly series: {
    readonly fromSec: number;
    readonly transactions: readonly number[];
    readonly invalid: readonly number[];
    readonly readings: readonly number[];
    /** Commit latency (block received − transaction timestamp), ms; null where no live transaction committed. */
    readonly latencyP50Ms: readonly (number | null)[];
    readonly latencyMaxMs: readonly (number | null)[];
  };
  readonly blocks: readonly BlockRow[];
}

export interface MeasurementRow {
  readonly txId: string;
  readonly blockNumber: number;
  readonly meterId: string;
  readonly sequence: number;
  readonly captureTimeMs: number;
  readonly txTimeMs: number;
  readonly status: 'MEASURED' | 'REFUSED' | 'REJECTED';
  readonly speedKmh?: number;
  readonly speedLimitKmh?: number;
  readonly exceeded?: boolean;
  /** The LR software's refusal code, or METER_REVOKED for a revoked meter's reading. */
  readonly refusalCode?: string;
  /** Index in a submitReadingBatch transaction. */
  readonly batchIndex?: number;
}

export interface CodeCount {
  readonly code: string;
  readonly count: number;
  /** The most recent rows with this code (a few). */
  readonly recent: readonly MeasurementRow[];
}

export interface InvalidTxCount {
  /** Fabric's TxValidationCode name, e.g. ENDORSEMENT_POLICY_FAILURE. */
  readonly code: string;
  readonly count: number;
  readonly lastTxId: string;
  readonly lastBlock: number;
}

export interface MeasurementsSection {
  readonly feed: readonly MeasurementRow[];
  readonly violations: readonly MeasurementRow[];
  readonly refusals: readonly CodeCount[];
  readonly invalidTransactions: readonly InvalidTxCount[];
  readonly counts: {
    readonly measured: number;
    readonly refused: number;
    readonly rejected: number;
    readonly violations: number;
    readonly invalidTransactions: number;
  };
}

export interface MeterRow {
  readonly meterId: string;
  readonly location?: string;
  readonly model?: string;
  readonly ownerMspId?: string;
  readonly speedLimitKmh?: number;
  readonly status?: Meter['status'];
  readonly lastReading?: MeasurementRow;
  /** Surveillance statistics over the readings the dashboard holds (packages/surveil). */
  readonly stats?: MeterStats;
  readonly flags: number;
}

export interface MetersSection {
  readonly registered: number;
  /** The rows sent (at most the meters limit); flagged meters first, then by id. */
  readonly meters: readonly MeterRow[];
  readonly flags: readonly Flag[];
  readonly flagCounts: Partial<Record<FlagCode, number>>;
  /** When the statistics were computed and over how many readings. */
  readonly statsAtMs?: number;
  readonly statsReadings: number;
  readonly registryError?: string;
}

export interface AuditSummary {
  readonly verdict: Verdict;
  readonly source: string;
  readonly channelId: string;
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly counts: AuditCounts;
  readonly errors: number;
  readonly warnings: number;
  readonly findingCounts: Partial<Record<FindingCode, number>>;
  /** The first findings (at most 20). */
  readonly findings: readonly Finding[];
  readonly startedAt: string;
}

export interface AuditSection {
  readonly state: 'none' | 'ok' | 'unreadable';
  /** The report file the dashboard reads (`metroledger audit --json > FILE`). */
  readonly path?: string;
  readonly message?: string;
  readonly fileTimeMs?: number;
  readonly report?: AuditSummary;
}

export interface GovernanceSection {
  readonly organizations: readonly OrganizationRecord[];
  readonly lrSoftware: readonly LrSoftwareRecord[];
  readonly meterModels: readonly MeterModelRecord[];
  readonly incidents: readonly IntegrityIncident[];
  /** What could not be read, e.g. `listMeters: UNAPPROVED_PACKAGE …` on a fresh network. */
  readonly errors: readonly { readonly what: string; readonly message: string }[];
  readonly refreshedAtMs?: number;
  readonly audit: AuditSection;
}

export interface Sections {
  readonly status: StatusSection;
  readonly network: NetworkSection;
  readonly activity: ActivitySection;
  readonly measurements: MeasurementsSection;
  readonly meters: MetersSection;
  readonly governance: GovernanceSection;
}

export interface Party {
  readonly mspId: string;
  /** Certificate common name. */
  readonly name: string;
}

export interface ReadingDetail {
  readonly meterId: string;
  readonly sequence: number;
  readonly captureTimeMs: number;
  readonly sampleRateHz: number;
  /** The raw loop samples (ADC counts) as the meter signed them. */
  readonly loopA: readonly number[];
  readonly loopB: readonly number[];
  readonly plateImageSha256?: string;
  readonly batchIndex?: number;
  readonly outcome?: {
    readonly status: 'MEASURED' | 'REFUSED' | 'REJECTED';
    readonly speedKmh?: number;
    readonly speedLimitKmh?: number;
    readonly exceeded?: boolean;
    readonly vehicleLengthM?: number;
    readonly refusalCode?: string;
    readonly refusalDetail?: string;
    readonly lrSoftware?: {
      readonly name: string;
      readonly version: string;
      readonly chaincodeName: string;
      readonly chaincodeVersion: string;
    };
  };
}

export interface TxDetail {
  readonly txId: string;
  readonly blockNumber: number;
  readonly txNumber: number;
  /** Fabric's TxValidationCode name. */
  readonly validation: string;
  readonly timestampMs: number;
  readonly creator?: Party;
  readonly chaincode: { readonly name: string; readonly version: string };
  readonly function: string;
  readonly endorsers: readonly Party[];
  readonly readings: readonly ReadingDetail[];
}

export interface BlockDetail {
  readonly number: number;
  readonly transactions: readonly {
    readonly txId: string;
    readonly txNumber: number;
    readonly validation: string;
    readonly chaincode: string;
    readonly function: string;
    readonly timestampMs: number;
    readonly readings: number;
  }[];
}
