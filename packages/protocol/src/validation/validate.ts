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

/** What validation needs from the channel; @metroledger/identity's IdentityDeserializer and MspRegistry fit. */
export interface ValidationContext {
  readonly channelId: string;
  readonly deserializer: { deserialize(serialized: Uint8Array): Identity };
  /** Membership and roles, regardless of time (MspRegistry.isValid / satisfiesPrincipal). */
  readonly msps: {
    isValid(identity: Identity): boolean;
    satisfiesPrincipal(identity: Identity, principal: Principal): boolean;
  };
  /** The endorsement policy of a chaincode, or undefined if the chaincode is not defined on the channel. */
  endorsementPolicy(chaincodeName: string): Policy | undefined;
  /** True when a transaction with this id is already committed (in an earlier block). */
  isCommittedTxId(txId: string): boolean;
}

/** Phase-1 result for one transaction: either decided already, or waiting for its signature checks. */
export interface TxPlan {
  readonly tx: ParsedTransaction | undefined;
  /** Set when the outcome needs no signature check (e.g. malformed, wrong channel, unknown creator). */
  readonly decided?: TxValidationCode;
  /** checks[0] is the creator's envelope signature; the rest are the endorsements named in `endorsers`. */
  readonly checks: readonly SignatureCheck[];
  readonly endorsers: readonly Identity[];
  /** Code to give if the creator's signature holds (VALID, or the first non-signature failure found). */
  readonly ifCreatorValid: TxValidationCode;
  readonly policy?: Policy;
}

function decided(tx: ParsedTransaction | undefined, code: TxValidationCode): TxPlan {
  return { tx, decided: code, checks: [], endorsers: [], ifCreatorValid: code };
}

function tryDeserialize(ctx: ValidationContext, bytes: Uint8Array): Identity | undefined {
  try {
    return ctx.deserializer.deserialize(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Phase 1: every check that needs no signature verification, in Fabric's order, and the signature
 * jobs for the rest. Accepts the envelope bytes or an already parsed transaction.
 */
export function planTransaction(input: Uint8Array | ParsedTransaction, ctx: ValidationContext): TxPlan {
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
  // Channel configuration changes are not supported after the genesis block.
  if (tx.type !== common.HeaderType.ENDORSER_TRANSACTION) return decided(tx, V.INVALID_CONFIG_TRANSACTION);
  if (tx.channelId !== ctx.channelId) return decided(tx, V.TARGET_CHAIN_NOT_FOUND);

  const creator = tryDeserialize(ctx, tx.creator);
  if (creator === undefined || !ctx.msps.isValid(creator)) return decided(tx, V.BAD_CREATOR_SIGNATURE);
  const checks: SignatureCheck[] = [{ publicKey: creator.publicKey, message: tx.payloadBytes, signature: tx.signature }];

  // The creator's signature decides first; the codes below apply only if it holds.
  let ifCreatorValid: TxValidationCode = V.VALID;
  if (tx.txId !== computeTxId(tx.nonce, tx.creator)) ifCreatorValid = V.BAD_PROPOSAL_TXID;
  else if (ctx.isCommittedTxId(tx.txId)) ifCreatorValid = V.DUPLICATE_TXID;
  else if (tx.rwsets.some((rw) => rw.writes.length > 0 && rw.namespace !== tx.chaincodeName)) ifCreatorValid = V.ILLEGAL_WRITESET;
  if (ifCreatorValid !== V.VALID) return { tx, checks, endorsers: [], ifCreatorValid };

  const policy = ctx.endorsementPolicy(tx.chaincodeName);
  if (policy === undefined) return { tx, checks, endorsers: [], ifCreatorValid: V.INVALID_CHAINCODE };
  const endorsers: Identity[] = [];
  for (const e of tx.endorsements) {
    // Endorsers that cannot be deserialized or are not valid members are ignored, as Fabric's policy evaluation does.
    const id = tryDeserialize(ctx, e.endorser);
    if (id === undefined || !ctx.msps.isValid(id)) continue;
    endorsers.push(id);
    checks.push({ publicKey: id.publicKey, message: Buffer.concat([tx.prpBytes, e.endorser]), signature: e.signature });
  }
  return { tx, checks, endorsers, ifCreatorValid, policy };
}

/** Phase 3: the validation code, given the results of `plan.checks` in order. */
export function decideTransaction(plan: TxPlan, results: readonly boolean[], ctx: ValidationContext): TxValidationCode {
  if (plan.decided !== undefined) return plan.decided;
  if (results[0] !== true) return V.BAD_CREATOR_SIGNATURE;
  if (plan.ifCreatorValid !== V.VALID || plan.policy === undefined) return plan.ifCreatorValid;
  const signers: Identity[] = [];
  for (let i = 0; i < plan.endorsers.length; i++) if (results[i + 1] === true) signers.push(plan.endorsers[i]!);
  const ok = evaluatePolicy(plan.policy, signers, (s, p) => ctx.msps.satisfiesPrincipal(s, p));
  return ok ? V.VALID : V.ENDORSEMENT_POLICY_FAILURE;
}

/**
 * Validates one transaction (everything but MVCC and in-block duplicates) with a synchronous verifier.
 * Pure apart from the injected context.
 */
export function validateTransaction(input: Uint8Array | ParsedTransaction, ctx: ValidationContext, verify: (checks: readonly SignatureCheck[]) => readonly boolean[] = verifyInline as (c: readonly SignatureCheck[]) => readonly boolean[]): TxValidationCode {
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
export async function validateBlockTransactions(envelopes: readonly (Uint8Array | ParsedTransaction)[], ctx: ValidationContext, verifier: SignatureVerifier = verifyInline): Promise<BlockValidation> {
  const plans = envelopes.map((e) => planTransaction(e, ctx));
  const all: SignatureCheck[] = [];
  for (const p of plans) for (const c of p.checks) all.push(c);
  const results = all.length > 0 ? await verifier(all) : [];
  if (results.length !== all.length) throw new ProtocolError('BAD_ARGUMENT', `verifier returned ${results.length} results for ${all.length} checks`);
  const codes: TxValidationCode[] = [];
  const seen = new Set<string>();
  let at = 0;
  for (const p of plans) {
    let code = decideTransaction(p, results.slice(at, at + p.checks.length), ctx);
    at += p.checks.length;
    if (code === V.VALID) {
      if (seen.has(p.tx!.txId)) code = V.DUPLICATE_TXID;
      else seen.add(p.tx!.txId);
    }
    codes.push(code);
  }
  return { codes, txs: plans.map((p) => p.tx) };
}
