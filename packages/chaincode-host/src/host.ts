// SPDX-License-Identifier: Apache-2.0
// Hosts a fabric-contract-api chaincode in-process: fabric-shim's own contract dispatch
// (ChaincodeFromContract) over the real fabric-shim ChaincodeStub, with the peer replaced by a
// TxSimulation that reads a StateReader snapshot and records the read/write set.
import { resolve } from 'node:path';
import type { NsReadWriteSet, StateReader } from '@metroledger/protocol';
import { ChaincodeHostError } from './errors';
import {
  ChaincodeFromContract,
  ChaincodeStub,
  type ChaincodeInputLike,
  Contract,
  JSONSerializer,
  SignedProposal,
  undoFabricProcessHooks,
} from './fabric';
import { TxSimulation } from './simulator';

export interface ChaincodeInvocation {
  readonly channelId: string;
  readonly txId: string;
  /** args[0] is the function name (`fn` for the default contract, else `contract:fn`). */
  readonly args: readonly Uint8Array[];
  readonly transient?: ReadonlyMap<string, Uint8Array>;
  /** idBytes is the PEM certificate, as in msp.SerializedIdentity. */
  readonly creator: { readonly mspId: string; readonly idBytes: Uint8Array };
  /** From the proposal's channel header; the only clock a contract may read. */
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  /** peer.SignedProposal bytes, for stub.getSignedProposal() and getBinding(); decoded only if asked for. */
  readonly signedProposal?: Uint8Array;
}

export interface ChaincodeResult {
  readonly response: { readonly status: number; readonly message: string; readonly payload: Uint8Array };
  /** Returned whatever the status: the peer decides what to do with a failed simulation. */
  readonly rwset: NsReadWriteSet;
  /** The last event the contract set (Fabric keeps one per transaction). */
  readonly event?: { readonly name: string; readonly payload: Uint8Array };
}

export interface HostedChaincode {
  readonly name: string;
  readonly version: string;
  /** Simulates one invocation against a state snapshot. Never reads the clock; never throws for contract errors. */
  invoke(invocation: ChaincodeInvocation, state: StateReader): Promise<ChaincodeResult>;
}

export interface HostContractsOptions {
  /** The chaincode name: the rwset namespace. */
  readonly name: string;
  readonly version: string;
  /** Contract classes (a copy is taken), as a chaincode module's `contracts` export. */
  readonly contracts: readonly Function[];
}

export interface HostChaincodeModuleOptions {
  readonly name: string;
  readonly version: string;
  /** A directory (or file) that `require()` resolves to a module exporting `contracts`. */
  readonly dir: string;
}

const EMPTY = new Uint8Array(0);

/** fabric:default (set by @Default) per chaincode module, captured while that module loaded. */
const moduleDefaults = new WeakMap<object, string | undefined>();

interface ShimEvent {
  getEventName(): string;
  getPayload_asU8(): Uint8Array;
}

class ProtoTimestamp {
  readonly #seconds: number;
  readonly #nanos: number;
  constructor(seconds: number, nanos: number) {
    this.#seconds = seconds;
    this.#nanos = nanos;
  }
  getSeconds(): number {
    return this.#seconds;
  }
  getNanos(): number {
    return this.#nanos;
  }
  /** As google.protobuf.Timestamp.toDate. */
  toDate(): Date {
    return new Date(this.#seconds * 1000 + this.#nanos / 1_000_000);
  }
}

function contractName(cls: Function): string {
  let instance: unknown;
  try {
    instance = new (cls as new () => unknown)();
  } catch (err) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `cannot construct contract class ${cls.name}: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!(instance instanceof Contract)) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `${cls.name} does not extend fabric-contract-api's Contract`);
  }
  return instance.getName();
}

class HostedChaincodeImpl implements HostedChaincode {
  readonly name: string;
  readonly version: string;
  readonly #dispatch: ChaincodeFromContract;

  constructor(name: string, version: string, dispatch: ChaincodeFromContract) {
    this.name = name;
    this.version = version;
    this.#dispatch = dispatch;
  }

  async invoke(inv: ChaincodeInvocation, state: StateReader): Promise<ChaincodeResult> {
    const sim = new TxSimulation(this.name, state, inv.txId);
    const stub = newStub(sim, inv);
    let status: number;
    let message = '';
    let payload: Uint8Array = EMPTY;
    try {
      const res = await this.#dispatch.Invoke(stub);
      status = res.status;
      if (res.message) message = res.message;
      if (res.payload) payload = res.payload;
    } catch (err) {
      // The dispatcher catches contract errors itself; this is a failure around it.
      status = 500;
      message = err instanceof Error ? err.message : String(err);
    } finally {
      await sim.done();
    }
    const rwset = sim.result();
    const ev = stub.chaincodeEvent as ShimEvent | undefined;
    if (ev === undefined) return { response: { status, message, payload }, rwset };
    return { response: { status, message, payload }, rwset, event: { name: ev.getEventName(), payload: ev.getPayload_asU8() } };
  }
}

function newStub(sim: TxSimulation, inv: ChaincodeInvocation): Record<string, unknown> {
  if (typeof inv.txId !== 'string' || typeof inv.channelId !== 'string' || !Array.isArray(inv.args)) {
    throw new ChaincodeHostError('INVALID_INVOCATION', 'invocation needs channelId, txId and args');
  }
  const input: ChaincodeInputLike = { getArgsList_asU8: () => inv.args as Uint8Array[] };
  const stub = new ChaincodeStub(sim, inv.channelId, inv.txId, input);
  // What the stub would otherwise decode from the signed proposal, taken from the invocation.
  stub.creator = { mspid: inv.creator.mspId, idBytes: inv.creator.idBytes };
  stub.txTimestamp = new ProtoTimestamp(inv.timestamp.seconds, inv.timestamp.nanos);
  const transient = new Map<string, Buffer>();
  if (inv.transient) for (const [k, v] of inv.transient) transient.set(k, Buffer.from(v));
  stub.transientMap = transient;
  const signedProposal = inv.signedProposal;
  if (signedProposal !== undefined) {
    // Decoding the proposal costs more than a small contract's whole run; do it only on demand,
    // with the real stub's own decoding.
    let decoded: Record<string, unknown> | undefined;
    const decode = (): Record<string, unknown> => {
      decoded ??= new ChaincodeStub(sim, inv.channelId, inv.txId, input, SignedProposal.deserializeBinary(signedProposal));
      return decoded;
    };
    stub.getSignedProposal = () => decode().signedProposal;
    stub.getBinding = () => decode().binding;
  }
  return stub;
}

function newDispatch(name: string, version: string, contracts: readonly Function[], defaultName: string | undefined): ChaincodeFromContract {
  if (!Array.isArray(contracts) || contracts.length === 0) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `chaincode ${name} has no contracts`);
  }
  const names = contracts.map(contractName);
  // fabric:default is process-global; pin it to this chaincode's own default while its dispatch is
  // built (no default of its own: the first contract, as fabric does when none is declared).
  const saved = Reflect.getMetadata('fabric:default', global) as string | undefined;
  const chosen = defaultName !== undefined && names.includes(defaultName) ? defaultName : undefined;
  Reflect.defineMetadata('fabric:default', chosen, global);
  try {
    // The constructor appends fabric's SystemContract to the array it is given: pass a copy.
    return new ChaincodeFromContract(
      [...contracts],
      { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
      {},
      name,
      version,
    );
  } catch (err) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `chaincode ${name}: ${(err as Error).message}`, undefined, { cause: err });
  } finally {
    Reflect.defineMetadata('fabric:default', saved, global);
    undoFabricProcessHooks();
  }
}

/**
 * Hosts already-loaded contract classes. The default contract is the one declared with @Default
 * if it belongs to these classes, else the first class.
 */
export function hostContracts(opts: HostContractsOptions): HostedChaincode {
  const declared = moduleDefaults.has(opts.contracts)
    ? moduleDefaults.get(opts.contracts)
    : (Reflect.getMetadata('fabric:default', global) as string | undefined);
  return new HostedChaincodeImpl(opts.name, opts.version, newDispatch(opts.name, opts.version, opts.contracts, declared));
}

/**
 * Loads a chaincode module (`require(dir).contracts`, as `fabric-chaincode-node start` does) and
 * hosts it. Its @Default is captured while it loads, so several chaincodes with their own
 * @Default contracts can share one process.
 */
export function hostChaincodeModule(opts: HostChaincodeModuleOptions): HostedChaincode {
  const path = resolve(opts.dir);
  let alreadyLoaded = false;
  try {
    alreadyLoaded = require.cache[require.resolve(path)] !== undefined;
  } catch {
    // unresolvable: require() below reports it
  }
  const saved = Reflect.getMetadata('fabric:default', global) as string | undefined;
  Reflect.defineMetadata('fabric:default', undefined, global);
  let exported: { contracts?: unknown };
  let declared: string | undefined;
  try {
    exported = require(path) as { contracts?: unknown };
    declared = Reflect.getMetadata('fabric:default', global) as string | undefined;
  } catch (err) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `cannot load chaincode module ${path}: ${(err as Error).message}`, { dir: path }, { cause: err });
  } finally {
    Reflect.defineMetadata('fabric:default', saved, global);
    undoFabricProcessHooks();
  }
  const contracts = exported.contracts;
  if (!Array.isArray(contracts) || !contracts.every((c) => typeof c === 'function')) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `chaincode module ${path} does not export a contracts array`, { dir: path });
  }
  // A module already in require's cache did not re-run its decorators: use what was seen when it
  // loaded, or if it was loaded elsewhere, the process-wide default.
  if (moduleDefaults.has(contracts)) declared = moduleDefaults.get(contracts);
  else if (alreadyLoaded) declared = saved;
  else moduleDefaults.set(contracts, declared);
  return new HostedChaincodeImpl(opts.name, opts.version, newDispatch(opts.name, opts.version, contracts, declared));
}
