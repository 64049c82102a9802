// SPDX-License-Identifier: Apache-2.0
// Hosts a fabric-contract-api chaincode in-process: fabric-shim's own contract dispatch
// (ChaincodeFromContract) over the real fabric-shim ChaincodeStub, with the peer replaced by a
// TxSimulation that reads a StateReader snapshot and records the read/write set.
import { resolve } from 'node:path';
import type { NsPvtRwSet, NsReadWriteSet, StateReader } from '@metroledger/protocol';
import { ChaincodeHostError } from './errors';
import {
  ChaincodeFromContract,
  ChaincodeStub,
  type ChaincodeInputLike,
  Contract,
  JSONSerializer,
  SignedProposal,
  streamlineDispatch,
  undoFabricProcessHooks,
} from './fabric';
import { TxSimulation, type PrivateDataAccess } from './simulator';

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
  /**
   * The transaction's read/write sets, one per namespace: the invoked chaincode's first (always
   * present, even if empty), then each chaincode it called through stub.invokeChaincode that read
   * something, in the order of their first call. Returned whatever the status: the peer decides
   * what to do with a failed simulation.
   */
  readonly rwsets: readonly NsReadWriteSet[];
  /** The invoked chaincode's own namespace: `rwsets[0]`. */
  readonly rwset: NsReadWriteSet;
  /** The last event the invoked contract set (Fabric keeps one per transaction; called chaincodes' events are dropped). */
  readonly event?: { readonly name: string; readonly payload: Uint8Array };
  /**
   * The private writes (Fabric's TxPvtReadWriteSet), per namespace; absent when none. They never go
   * in the transaction: its read/write sets carry their hashes, and the peer hands these values to
   * the peers of the collections' organizations.
   */
  readonly privateData?: readonly NsPvtRwSet[];
}

/** Finds another chaincode hosted on the same peer and channel, for stub.invokeChaincode. */
export type ChaincodeResolver = (name: string) => HostedChaincode | undefined;

export interface InvokeOptions {
  /** Overrides the resolver given when the chaincode was hosted. */
  readonly resolveChaincode?: ChaincodeResolver;
  /** The peer's private data collections; without it, private data calls are refused. */
  readonly privateData?: PrivateDataAccess;
}

export interface HostedChaincode {
  readonly name: string;
  readonly version: string;
  /** Simulates one invocation against a state snapshot. Never reads the clock; never throws for contract errors. */
  invoke(invocation: ChaincodeInvocation, state: StateReader, options?: InvokeOptions): Promise<ChaincodeResult>;
}

export interface HostContractsOptions {
  /** The chaincode name: the rwset namespace. */
  readonly name: string;
  readonly version: string;
  /** Contract classes (a copy is taken), as a chaincode module's `contracts` export. */
  readonly contracts: readonly Function[];
  /** Chaincodes this one may call with stub.invokeChaincode (same channel, read-only); none if absent. */
  readonly resolveChaincode?: ChaincodeResolver;
  /**
   * The MSP id of the peer the chaincode runs on: what `stub.getMspID()` answers (a Fabric peer
   * gives its chaincode CORE_PEER_LOCALMSPID). Absent: getMspID throws as fabric-shim does.
   */
  readonly mspId?: string;
  /** fabric-shim's dispatch with its per-call overheads cut (fabric.ts, streamlineDispatch); default true. */
  readonly streamline?: boolean;
}

export interface HostChaincodeModuleOptions {
  readonly name: string;
  readonly version: string;
  /** A directory (or file) that `require()` resolves to a module exporting `contracts`. */
  readonly dir: string;
  /** As in {@link HostContractsOptions}. */
  readonly resolveChaincode?: ChaincodeResolver;
  /** As in {@link HostContractsOptions}. */
  readonly mspId?: string;
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
    throw new ChaincodeHostError('INVALID_CHAINCODE', `cannot construct contract class ${cls.name}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  // As fabric-shim's own check: a chaincode built in its own folder extends its own copy of
  // Contract, which marks its instances (`__isContract`) for exactly this test.
  if (!(Contract as unknown as { _isContract(obj: unknown): boolean })._isContract(instance)) {
    throw new ChaincodeHostError('INVALID_CHAINCODE', `${cls.name} does not extend fabric-contract-api's Contract`);
  }
  return (instance as { getName(): string }).getName();
}

/** Fabric runs chaincode-to-chaincode calls with no depth limit but a timeout; we bound the depth instead. */
const MAX_CALL_DEPTH = 8;

/** One transaction's simulation across the chaincodes it touches (Fabric shares one TxSimulator). */
class TxScope {
  readonly sims = new Map<string, TxSimulation>();
  /** Namespaces currently executing, outermost first: a call back into one of them is refused. */
  readonly stack: string[] = [];

  constructor(
    readonly inv: ChaincodeInvocation,
    readonly state: StateReader,
    readonly resolve: ChaincodeResolver | undefined,
    readonly privateAccess: PrivateDataAccess | undefined,
  ) {}

  simulation(namespace: string, readOnly: boolean): TxSimulation {
    let sim = this.sims.get(namespace);
    if (sim === undefined) {
      sim = new TxSimulation(namespace, this.state, this.inv.txId, {
        readOnly,
        invokeChaincode: (name, args) => this.call(name, args),
        ...(this.privateAccess !== undefined && { privateData: this.privateAccess, creator: this.inv.creator }),
      });
      this.sims.set(namespace, sim);
    }
    return sim;
  }

  /** stub.invokeChaincode from the chaincode on top of the stack. */
  async call(target: string, args: readonly Uint8Array[]): Promise<{ status: number; message: string; payload: Buffer }> {
    // Fabric's name syntax: `name[:version][/channel]`; the version part is ignored, as in Fabric.
    const slash = target.indexOf('/');
    const channel = slash < 0 ? '' : target.slice(slash + 1);
    const name = (slash < 0 ? target : target.slice(0, slash)).split(':')[0]!;
    if (channel !== '' && channel !== this.inv.channelId) {
      throw new Error(
        `invokeChaincode: chaincode ${name} on channel ${channel}: calls to another channel are not supported by the in-process chaincode host`,
      );
    }
    if (this.stack.includes(name)) {
      throw new Error(
        `invokeChaincode: chaincode ${name} is already executing in this transaction (calls ${[...this.stack, name].join(' -> ')})`,
      );
    }
    if (this.stack.length >= MAX_CALL_DEPTH) throw new Error(`invokeChaincode: call depth exceeds ${MAX_CALL_DEPTH}`);
    if (this.resolve === undefined)
      throw new Error(`invokeChaincode: no chaincode resolver configured in the in-process host: cannot call ${name}`);
    const callee = this.resolve(name);
    if (callee === undefined)
      throw new Error(`invokeChaincode: chaincode ${name} is not installed on this peer for channel ${this.inv.channelId}`);
    if (!(callee instanceof HostedChaincodeImpl)) throw new Error(`invokeChaincode: chaincode ${name} is not hosted in-process`);
    if (!Array.isArray(args) || args.length === 0) throw new Error('invokeChaincode: args must name the function to call');
    const res = await callee.run({ ...this.inv, args: args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)) }, this, true);
    return {
      status: res.status,
      message: res.message,
      payload: Buffer.from(res.payload.buffer, res.payload.byteOffset, res.payload.byteLength),
    };
  }

  /** The namespaces' read/write sets: the invoked chaincode's first, then called ones that recorded anything. */
  rwsets(): NsReadWriteSet[] {
    const out: NsReadWriteSet[] = [];
    let first = true;
    for (const sim of this.sims.values()) {
      if (first || !sim.isEmpty) out.push(sim.result());
      first = false;
    }
    return out;
  }

  /** The private writes of every namespace, or undefined when none. */
  privateWrites(): NsPvtRwSet[] | undefined {
    const out: NsPvtRwSet[] = [];
    for (const sim of this.sims.values()) {
      const p = sim.privateResult();
      if (p !== undefined) out.push(p);
    }
    return out.length === 0 ? undefined : out;
  }
}

interface RunResult {
  status: number;
  message: string;
  payload: Uint8Array;
  stub: Record<string, unknown>;
}

class HostedChaincodeImpl implements HostedChaincode {
  readonly name: string;
  readonly version: string;
  readonly #dispatch: ChaincodeFromContract;
  readonly #resolve: ChaincodeResolver | undefined;
  readonly #mspId: string | undefined;

  constructor(
    name: string,
    version: string,
    dispatch: ChaincodeFromContract,
    resolve: ChaincodeResolver | undefined,
    mspId: string | undefined,
  ) {
    this.name = name;
    this.version = version;
    this.#dispatch = dispatch;
    this.#resolve = resolve;
    this.#mspId = mspId;
  }

  async invoke(inv: ChaincodeInvocation, state: StateReader, options?: InvokeOptions): Promise<ChaincodeResult> {
    const scope = new TxScope(inv, state, options?.resolveChaincode ?? this.#resolve, options?.privateData);
    let run: RunResult;
    try {
      run = await this.run(inv, scope, false);
    } finally {
      for (const sim of scope.sims.values()) await sim.done();
    }
    let { status, message } = run;
    const { payload, stub } = run;
    // A called chaincode's write is refused even if the caller caught the error: fail the transaction.
    for (const sim of scope.sims.values()) {
      if (sim.writeRefused !== undefined) {
        status = 500;
        message = sim.writeRefused;
        break;
      }
    }
    const rwsets = scope.rwsets();
    const rwset = rwsets[0]!;
    const ev = stub.chaincodeEvent as ShimEvent | undefined;
    const privateData = scope.privateWrites();
    return {
      response: { status, message, payload },
      rwsets,
      rwset,
      ...(ev !== undefined && { event: { name: ev.getEventName(), payload: ev.getPayload_asU8() } }),
      ...(privateData !== undefined && { privateData }),
    };
  }

  /** Runs this chaincode within a transaction's scope: as the invoked chaincode, or called (read-only) by another. */
  async run(inv: ChaincodeInvocation, scope: TxScope, called: boolean): Promise<RunResult> {
    const sim = scope.simulation(this.name, called);
    const stub = newStub(sim, inv, this.#mspId);
    let status: number;
    let message = '';
    let payload: Uint8Array = EMPTY;
    scope.stack.push(this.name);
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
      scope.stack.pop();
    }
    return { status, message, payload, stub };
  }
}

function newStub(sim: TxSimulation, inv: ChaincodeInvocation, mspId: string | undefined): Record<string, unknown> {
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
  // Several peers share this process, so the peer's MSP cannot come from process.env as in a chaincode container.
  if (mspId !== undefined) stub.getMspID = () => mspId;
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

function newDispatch(
  name: string,
  version: string,
  contracts: readonly Function[],
  defaultName: string | undefined,
  streamline = true,
): ChaincodeFromContract {
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
    const dispatch = new ChaincodeFromContract(
      [...contracts],
      { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
      {},
      name,
      version,
    );
    if (streamline) streamlineDispatch(dispatch);
    return dispatch;
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
  return new HostedChaincodeImpl(
    opts.name,
    opts.version,
    newDispatch(opts.name, opts.version, opts.contracts, declared, opts.streamline),
    opts.resolveChaincode,
    opts.mspId,
  );
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
    throw new ChaincodeHostError(
      'INVALID_CHAINCODE',
      `cannot load chaincode module ${path}: ${(err as Error).message}`,
      { dir: path },
      { cause: err },
    );
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
  return new HostedChaincodeImpl(
    opts.name,
    opts.version,
    newDispatch(opts.name, opts.version, contracts, declared),
    opts.resolveChaincode,
    opts.mspId,
  );
}
