// SPDX-License-Identifier: Apache-2.0
// Transaction validation as a committing peer does it (minus MVCC), in three phases so that all
// signature checks of a block can be verified as one batch: plan (parse facts, collect signature
// jobs) -> verify (any SignatureVerifier) -> decide (Fabric's TxValidationCode).
// A pure function of the block and the ledger state: no clock. As in Fabric, certificate expiry is
// checked where requests enter (endorsement, broadcast), never here, so every peer, whenever it
// validates or replays a block, marks each transaction the same.
import type { KeyObject } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { verifySignature, type Identity } from '@metroledger/identity';
import { evaluatePolicy, type Policy, type Principal } from '@metroledger/policy';
import { ProtocolError, validationCodeOf, type TxValidationCode } from '../transaction/errors.js';
import type { NsReadWriteSet } from '../rwset/types.js';
import { computeTxId, parseEnvelope, type ParsedTransaction } from '../transaction/parse.js';

const V = peer.TxValidationCode;

/** One ECDSA (or Ed25519) signature to check: DER `signature` over SHA-256(`message`). */
export interface SignatureCheck {
  readonly publicKey: KeyObject;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** Verifies a batch of signatures, one boolean per check, in order (may run them in parallel or in workers). */
export type SignatureVerifier = (checks: readonly SignatureCheck[]) => readonly boolean[] | Promise<readonly boolean[]>;

/** Verifies on the calling thread with @metroledger/identity's strict (low-S, strict DER) verifier. */
export const verifyInline: SignatureVerifier = (checks) => checks.map((c) => verifySignature(c.publicKey, c.message, c.signature));

/** What the first phase needs: the channel's identity rules. It reads no ledger state. */
export interface PlanContext {
  readonly channelId: string;
  readonly deserializer: { deserialize(serialized: Uint8Array): Identity };
  /** Membership and roles, regardless of time (MspRegistry.isValid / satisfiesPrincipal). */
  readonly msps: {
    isValid(identity: Identity): boolean;
    satisfiesPrincipal(identity: Identity, principal: Principal): boolean;
  };
  /**
   * Whether transactions may write private data collections (Fabric's `_lifecycle` approvals write
   * the approving organization's implicit collection). Default false: they are BAD_RWSET, as the
   * devnet, which keeps no private data, refuses them.
   */
  readonly privateData?: boolean;
  /**
   * Where the ledger is at hand (a committer), a duplicate is decided here, before its endorsements
   * are verified; decide checks again in any case.
   */
  isCommittedTxId?(txId: string): boolean;
}

/** What validation needs from the channel and the ledger; @metroledger/identity's IdentityDeserializer and MspRegistry fit. */
export interface ValidationContext extends Omit<PlanContext, 'isCommittedTxId'> {
  /** The endorsement policy of a chaincode, or undefined if the chaincode is not defined on the channel. */
  endorsementPolicy(chaincodeName: string): Policy | undefined;
  /**
   * The endorsement policy of a private data collection that a transaction writes (Fabric: the
   * collection's own, or for `_implicit_org_<MSP>` that organization's Endorsement policy), or
   * undefined when the chaincode's policy applies to it.
   */
  collectionPolicy?(chaincodeName: string, collection: string): Policy | undefined;
  /** True when a transaction with this id is already committed (in an earlier block). */
  isCommittedTxId(txId: string): boolean;
}

/** What the third phase needs of a plan: a TxPlan, or the same facts carried from another thread. */
export interface TxDecisionInput {
  /** Set when the outcome needs no signature check and no ledger state (e.g. malformed, wrong channel, unknown creator). */
  readonly decided?: TxValidationCode;
  /** Code to give if the creator's signature holds: VALID, or a failure found in the first phase (BAD_PROPOSAL_TXID, DUPLICATE_TXID, ILLEGAL_WRITESET). */
  readonly ifCreatorValid: TxValidationCode;
  /** Endorsers that are valid channel members, in the order of their signature checks (after the creator's). */
  readonly endorsers: readonly Identity[];
  readonly txId: string;
  readonly chaincodeName: string;
  /** What the transaction writes in its chaincode's namespace: public keys, and private data collections. */
  readonly writes: { readonly public: boolean; readonly collections: readonly string[] };
}

/** Phase-1 result for one transaction: either decided already, or waiting for its signature checks. */
export interface TxPlan extends TxDecisionInput {
  readonly tx: ParsedTransaction | undefined;
  /** checks[0] is the creator's envelope signature; the rest are the endorsements named in `endorsers`. */
  readonly checks: readonly SignatureCheck[];
}

const NO_WRITES = Object.freeze({ public: false, collections: Object.freeze([]) as readonly string[] });

function decided(tx: ParsedTransaction | undefined, code: TxValidationCode): TxPlan {
  return {
    tx,
    decided: code,
    checks: [],
    endorsers: [],
    ifCreatorValid: code,
    txId: tx?.txId ?? '',
    chaincodeName: tx?.chaincodeName ?? '',
    writes: NO_WRITES,
  };
}

function tryDeserialize(ctx: PlanContext, bytes: Uint8Array): Identity | undefined {
  try {
    return ctx.deserializer.deserialize(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Phase 1: every check that needs neither a signature verification nor ledger state, in Fabric's
 * order, and the signature jobs for the rest. Accepts the envelope bytes or an already parsed
 * transaction. Without ledger state it can run anywhere the channel's MSPs are known (e.g. in workers).
 */
export function planTransaction(input: Uint8Array | ParsedTransaction, ctx: PlanContext): TxPlan {
  let tx: ParsedTransaction;
  if (input instanceof Uint8Array) {
    try {
      tx = parseEnvelope(input);
    } catch (err) {
      if (err instanceof ProtocolError) return decided(undefined, validationCodeOf(err));
      throw err;
    }
  } else {
    tx = input;
  }
  // Channel configuration transactions are validated as configuration updates, not here.
  if (tx.type !== common.HeaderType.ENDORSER_TRANSACTION) return decided(tx, V.INVALID_CONFIG_TRANSACTION);
  if (tx.channelId !== ctx.channelId) return decided(tx, V.TARGET_CHAIN_NOT_FOUND);
  if (ctx.privateData !== true && tx.rwsets.some((rw) => (rw.collections?.length ?? 0) > 0)) return decided(tx, V.BAD_RWSET);

  const creator = tryDeserialize(ctx, tx.creator);
  if (creator === undefined || !ctx.msps.isValid(creator)) return decided(tx, V.BAD_CREATOR_SIGNATURE);
  const checks: SignatureCheck[] = [{ publicKey: creator.publicKey, message: tx.payloadBytes, signature: tx.signature }];

  // The creator's signature decides first; the codes below apply only if it holds.
  let ifCreatorValid: TxValidationCode = V.VALID;
  const writesElsewhere = (rw: ParsedTransaction['rwsets'][number]): boolean =>
    rw.namespace !== tx.chaincodeName && (rw.writes.length > 0 || (rw.collections ?? []).some((c) => c.writes.length > 0));
  if (tx.txId !== computeTxId(tx.nonce, tx.creator)) ifCreatorValid = V.BAD_PROPOSAL_TXID;
  else if (ctx.isCommittedTxId?.(tx.txId) === true) ifCreatorValid = V.DUPLICATE_TXID;
  else if (tx.rwsets.some(writesElsewhere)) ifCreatorValid = V.ILLEGAL_WRITESET;

  const endorsers: Identity[] = [];
  if (ifCreatorValid === V.VALID) {
    for (const e of tx.endorsements) {
      // Endorsers that cannot be deserialized or are not valid members are ignored, as Fabric's policy evaluation does.
      const id = tryDeserialize(ctx, e.endorser);
      if (id === undefined || !ctx.msps.isValid(id)) continue;
      endorsers.push(id);
      checks.push({ publicKey: id.publicKey, message: Buffer.concat([tx.prpBytes, e.endorser]), signature: e.signature });
    }
  }
  const writes = chaincodeWrites(tx.chaincodeName, tx.rwsets);
  return { tx, checks, endorsers, ifCreatorValid, txId: tx.txId, chaincodeName: tx.chaincodeName, writes };
}

/**
 * What a transaction writes in its chaincode's namespace, as {@link requiredPolicies} takes it:
 * whether public keys, and which private data collections.
 */
export function chaincodeWrites(chaincodeName: string, rwsets: readonly NsReadWriteSet[]): TxDecisionInput['writes'] {
  const own = rwsets.find((rw) => rw.namespace === chaincodeName);
  return {
    public: (own?.writes.length ?? 0) > 0,
    collections: (own?.collections ?? []).filter((c) => c.writes.length > 0).map((c) => c.collection),
  };
}

/**
 * The endorsement policies a transaction must satisfy, as Fabric's v2 validation derives them: the
 * policy of each private data collection it writes (where the collection has one), and the
 * chaincode's policy when it writes public keys or no collection policy applied. Undefined when
 * the chaincode is not defined on the channel (INVALID_CHAINCODE).
 */
export function requiredPolicies(
  input: Pick<TxDecisionInput, 'chaincodeName' | 'writes'>,
  ctx: Pick<ValidationContext, 'endorsementPolicy' | 'collectionPolicy'>,
): Policy[] | undefined {
  const chaincodePolicy = ctx.endorsementPolicy(input.chaincodeName);
  if (chaincodePolicy === undefined) return undefined;
  const policies: Policy[] = [];
  let chaincodeWide = input.writes.public;
  for (const collection of input.writes.collections) {
    const p = ctx.collectionPolicy?.(input.chaincodeName, collection);
    if (p === undefined) chaincodeWide = true;
    else policies.push(p);
  }
  if (chaincodeWide || policies.length === 0) policies.push(chaincodePolicy);
  return policies;
}

/**
 * Phase 3: the validation code, given the results of the plan's checks in order (creator first),
 * against the ledger state: duplicate tx ids, the chaincode's definition and endorsement policies.
 */
export function decideTransaction(
  plan: TxDecisionInput,
  results: readonly boolean[],
  ctx: Pick<ValidationContext, 'msps' | 'endorsementPolicy' | 'collectionPolicy' | 'isCommittedTxId'>,
): TxValidationCode {
  if (plan.decided !== undefined) return plan.decided;
  if (results[0] !== true) return V.BAD_CREATOR_SIGNATURE;
  if (plan.ifCreatorValid === V.BAD_PROPOSAL_TXID || plan.ifCreatorValid === V.DUPLICATE_TXID) return plan.ifCreatorValid;
  if (ctx.isCommittedTxId(plan.txId)) return V.DUPLICATE_TXID;
  if (plan.ifCreatorValid !== V.VALID) return plan.ifCreatorValid;
  const policies = requiredPolicies(plan, ctx);
  if (policies === undefined) return V.INVALID_CHAINCODE;
  const signers: Identity[] = [];
  for (let i = 0; i < plan.endorsers.length; i++) if (results[i + 1] === true) signers.push(plan.endorsers[i]!);
  const ok = policies.every((policy) => evaluatePolicy(policy, signers, (s, p) => ctx.msps.satisfiesPrincipal(s, p)));
  return ok ? V.VALID : V.ENDORSEMENT_POLICY_FAILURE;
}

/**
 * Validates one transaction (everything but MVCC and in-block duplicates) with a synchronous verifier.
 * Pure apart from the injected context.
 */
export function validateTransaction(
  input: Uint8Array | ParsedTransaction,
  ctx: ValidationContext,
  verify: (checks: readonly SignatureCheck[]) => readonly boolean[] = verifyInline as (c: readonly SignatureCheck[]) => readonly boolean[],
): TxValidationCode {
  const plan = planTransaction(input, ctx);
  return decideTransaction(plan, plan.checks.length > 0 ? verify(plan.checks) : [], ctx);
}

export interface BlockValidation {
  /** One TxValidationCode per envelope (before MVCC). */
  readonly codes: TxValidationCode[];
  /** The parsed transactions (undefined where the envelope did not parse). */
  readonly txs: (ParsedTransaction | undefined)[];
}

/**
 * Validates all transactions of a block: plans each, verifies every signature of the block in one
 * call to `verifier`, decides, then marks repeated tx ids within the block as DUPLICATE_TXID (the
 * first otherwise-valid occurrence keeps the id).
 */
export async function validateBlockTransactions(
  envelopes: readonly (Uint8Array | ParsedTransaction)[],
  ctx: ValidationContext,
  verifier: SignatureVerifier = verifyInline,
): Promise<BlockValidation> {
  const plans = envelopes.map((e) => planTransaction(e, ctx));
  const all: SignatureCheck[] = [];
  for (const p of plans) for (const c of p.checks) all.push(c);
  const results = all.length > 0 ? await verifier(all) : [];
  if (results.length !== all.length)
    throw new ProtocolError('BAD_ARGUMENT', `verifier returned ${results.length} results for ${all.length} checks`);
  const codes: TxValidationCode[] = [];
  const seen = new Set<string>();
  let at = 0;
  for (const p of plans) {
    let code = decideTransaction(p, results.slice(at, at + p.checks.length), ctx);
    at += p.checks.length;
    if (code === V.VALID) {
      if (seen.has(p.txId)) code = V.DUPLICATE_TXID;
      else seen.add(p.txId);
    }
    codes.push(code);
  }
  return { codes, txs: plans.map((p) => p.tx) };
}
