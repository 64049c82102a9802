// SPDX-License-Identifier: Apache-2.0
// What the event loop and the endorsement threads say to each other (see pool.ts).
import type { MspConfig } from '@metroledger/identity';
import type { FingerprintIncident, PackageApproval } from '@metroledger/peer';
import type { Packed } from './wire.js';

/** A chaincode as an endorsement thread loads it for one peer. */
export interface ChaincodeSpec {
  readonly name: string;
  /** The configured version; with `statedVersion`, the one the module states (LR_CHAINCODE_VERSION) wins. */
  readonly version: string;
  /** The module directory (or file) exporting fabric-contract-api `contracts`. */
  readonly dir: string;
  readonly statedVersion: boolean;
  /** Run behind the fingerprint guard: the installed package's id is compared with the approval on the ledger. */
  readonly guard?: { readonly installedPackageId: string };
}

/** One endorsing peer: its identity and its installed chaincodes. */
export interface PeerSpec {
  readonly mspId: string;
  /** Host name (its certificate's common name), e.g. peer0.lasige.example.com. */
  readonly fqdn: string;
  readonly address: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly chaincodes: readonly ChaincodeSpec[];
}

/** An approval in the notified body's registry, as the fingerprint guards read it. */
export interface ApprovalEntry extends PackageApproval {
  readonly chaincodeName: string;
  readonly version: string;
}

export interface EndorseWorkerData {
  readonly channelId: string;
  /** The MSPs whose members may propose (Fabric's /Channel/Application/Writers). */
  readonly msps: readonly MspConfig[];
  readonly peers: readonly PeerSpec[];
  readonly approvals: readonly ApprovalEntry[];
}

export interface EndorseRequest {
  readonly id: number;
  /** Index of the peer in EndorseWorkerData.peers. */
  readonly peer: number;
  /** Proposal bytes then the client's signature (transferred). */
  readonly bytes: Uint8Array;
  readonly proposalLength: number;
  /** Whether the tx id was on the ledger when the request left. */
  readonly txCommitted: boolean;
  /** Fault injection: simulate on the peer's stale view number `lag` (LaggingState). */
  readonly lag?: number;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly name?: string;
  readonly code?: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export interface EndorseResult {
  readonly id: number;
  /** status, message; packed: payload, prpBytes, then (if endorsed) endorser and signature. */
  readonly ok?: { readonly status: number; readonly message: string; readonly packed: Packed };
  readonly error?: WireError;
}

export type ToEndorseWorker =
  | { readonly t: 'endorse'; readonly requests: readonly EndorseRequest[] }
  /** State entries (encodeEntries): answers to `get`, and the writes of each commit to keys the threads read. */
  | { readonly t: 'state'; readonly entries: Uint8Array; readonly failed?: readonly (readonly [string, string, string])[] }
  | { readonly t: 'range'; readonly id: number; readonly entries: Uint8Array; readonly done: boolean; readonly error?: string }
  | { readonly t: 'approvals'; readonly approvals: readonly ApprovalEntry[] };

export type FromEndorseWorker =
  | { readonly t: 'ready'; readonly loaded: readonly { readonly peer: number; readonly name: string; readonly version: string }[] }
  | { readonly t: 'loadFailed'; readonly error: WireError }
  | { readonly t: 'endorsed'; readonly results: readonly EndorseResult[] }
  | { readonly t: 'get'; readonly keys: readonly (readonly [string, string])[] }
  | { readonly t: 'range'; readonly id: number; readonly ns: string; readonly start: string; readonly end: string; readonly limit: number }
  | { readonly t: 'incident'; readonly peer: number; readonly incident: FingerprintIncident }
  | { readonly t: 'episodeEnd'; readonly peer: number; readonly chaincode: string };

export function wireError(err: unknown): WireError {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; details?: unknown };
  return {
    ...(typeof e.name === 'string' && { name: e.name }),
    ...(typeof e.code === 'string' && { code: e.code }),
    message: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.details === 'object' && e.details !== null && { details: e.details as Record<string, unknown> }),
  };
}
