// SPDX-License-Identifier: Apache-2.0
// Loads fabric-contract-api and fabric-shim's contract dispatch the way a chaincode container
// does, then undoes the process-wide side effects those libraries have on import.
import 'reflect-metadata';
import { createRequire } from 'node:module';

// Before the first require: fabric's loggers read this once, and at INFO every @Transaction logs.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'error';

// Untyped view: the two events have different listener types, and we only compare identities.
const proc = process as unknown as { listeners(event: string): Function[]; removeListener(event: string, fn: Function): void };
const HOOKED_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const listenersBefore = new Set(HOOKED_EVENTS.flatMap((e) => proc.listeners(e)));

/* eslint-disable @typescript-eslint/no-require-imports */
const contractApi = require('fabric-contract-api') as typeof import('fabric-contract-api');
const shimLogger = require('fabric-shim/lib/logger') as FabricLogger;
const contractApiLogger = require('fabric-contract-api/lib/logger') as FabricLogger;
const shimChaincode = require('fabric-shim/lib/chaincode') as { ClientIdentity: ClientIdentityClass };
// Not public API (no .d.ts, not re-exported): the same class fabric-shim's own bootstrap uses to
// turn `contracts` into a chaincode. fabric-shim is pinned to an exact version for this reason.
// It builds a ClientIdentity per call, parsing the creator's certificate each time: hand it a
// caching one while it loads (it keeps the class it saw), then restore fabric-shim's export.
const dispatchPath = require.resolve('fabric-shim/lib/contract-spi/chaincodefromcontract');
const OriginalClientIdentity = shimChaincode.ClientIdentity;
const identityCachingInstalled = require.cache[dispatchPath] === undefined;
shimChaincode.ClientIdentity = newCachingClientIdentity(OriginalClientIdentity);
let ChaincodeFromContractCtor: ChaincodeFromContractClass;
try {
  ChaincodeFromContractCtor = require(dispatchPath) as ChaincodeFromContractClass;
} finally {
  shimChaincode.ClientIdentity = OriginalClientIdentity;
}
const ChaincodeStubCtor = require('fabric-shim/lib/stub') as ChaincodeStubClass;
// The protobuf classes the stub itself uses (fabric-shim may carry its own fabric-protos copy).
const shimProtos = createRequire(require.resolve('fabric-shim/lib/stub'))('@hyperledger/fabric-protos') as ShimProtos;
/* eslint-enable @typescript-eslint/no-require-imports */

interface WinstonLogger {
  silent: boolean;
  level: string;
  isLevelEnabled(level: string): boolean;
  [method: string]: unknown;
}

interface FabricLogger {
  setLevel(level: string): void;
  getLogger(name: string): WinstonLogger;
}

interface ClientIdentityLike {
  stub: unknown;
  mspId: string;
  idBytes: Uint8Array;
  id: string;
  attrs: Record<string, string>;
}

type ClientIdentityClass = new (stub: { getCreator(): { mspid: string; idBytes: Uint8Array } }) => ClientIdentityLike;

const IDENTITY_CACHE_LIMIT = 4096;

/**
 * A drop-in for fabric-shim's ClientIdentity that parses each distinct certificate once. The id
 * and attributes depend only on the certificate bytes; a certificate that fails to parse is not
 * cached, so it fails on every call as before.
 */
function newCachingClientIdentity(Original: ClientIdentityClass): ClientIdentityClass {
  const cache = new Map<string, { id: string; attrs: Record<string, string> }>();
  function CachingClientIdentity(stub: { getCreator(): { mspid: string; idBytes: Uint8Array } }): ClientIdentityLike {
    const creator = stub.getCreator();
    const bytes = creator.idBytes;
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let parsed = cache.get(key);
    if (parsed === undefined) {
      const full = new Original(stub);
      parsed = { id: full.id, attrs: full.attrs };
      if (cache.size >= IDENTITY_CACHE_LIMIT) cache.clear();
      cache.set(key, parsed);
    }
    const identity = Object.create(Original.prototype) as ClientIdentityLike;
    identity.stub = stub;
    identity.mspId = creator.mspid;
    identity.idBytes = bytes;
    identity.id = parsed.id;
    identity.attrs = { ...parsed.attrs };
    return identity;
  }
  CachingClientIdentity.prototype = Original.prototype;
  return CachingClientIdentity as unknown as ClientIdentityClass;
}

const VERBOSE_LEVELS = ['warn', 'info', 'http', 'verbose', 'debug', 'silly'];
const SHIM_LOGGERS = [
  'contracts-spi/chaincodefromcontract.js',
  'contracts-spi/datamarshall.js',
  'lib/chaincode.js',
  'lib/stub.js',
  'lib/iterators.js',
  'lib/handler.js',
];
const CONTRACT_API_LOGGERS = [
  './lib/contract.js',
  './lib/jsontransactionserializer.js',
  './lib/annotations/transaction.js',
  './lib/annotations/object.js',
  './lib/annotations/info.js',
  './lib/annotations/default.js',
];

/**
 * winston formats every message (timestamp, metadata, colours) before its transport drops it for
 * being below the level; fabric's dispatch logs at debug several times per call. Check the level
 * first. The check is live, so ctx.logging.setLevel('DEBUG') still turns the messages on.
 */
function guardLevels(logger: WinstonLogger): void {
  if (logger.__levelGuarded === true) return;
  logger.__levelGuarded = true;
  for (const level of VERBOSE_LEVELS) {
    const original = logger[level];
    if (typeof original !== 'function') continue;
    logger[level] = function (this: WinstonLogger, ...args: unknown[]): unknown {
      return this.isLevelEnabled(level) ? (original as (...a: unknown[]) => unknown).apply(this, args) : this;
    };
  }
}

export interface ShimResponse {
  status: number;
  message?: string;
  payload?: Uint8Array;
}

export interface ChaincodeFromContract {
  Invoke(stub: unknown): Promise<ShimResponse>;
}

type ChaincodeFromContractClass = new (
  contracts: Function[],
  serializers: { transaction: string; serializers: Record<string, unknown> },
  metadata: Record<string, unknown>,
  title: string,
  version: string,
) => ChaincodeFromContract;

/** Only what the stub's constructor reads from a peer.ChaincodeInput. */
export interface ChaincodeInputLike {
  getArgsList_asU8(): Uint8Array[];
}

/** The real fabric-shim ChaincodeStub; its constructor is hidden and untyped. */
export type ChaincodeStubClass = new (
  handler: unknown,
  channelId: string,
  txId: string,
  input: ChaincodeInputLike,
  signedProposal?: unknown,
) => Record<string, unknown>;

interface ShimProtos {
  peer: {
    QueryMetadata: { deserializeBinary(bytes: Uint8Array): { getPagesize(): number; getBookmark(): string } };
    SignedProposal: { deserializeBinary(bytes: Uint8Array): unknown };
  };
}

/** Whether ClientIdentity parsing is cached (false if fabric's dispatch was loaded before this module). */
export const identityCaching = identityCachingInstalled;
export const QueryMetadata = shimProtos.peer.QueryMetadata;
export const SignedProposal = shimProtos.peer.SignedProposal;
export const Contract = contractApi.Contract;
export const JSONSerializer = contractApi.JSONSerializer;
export const ChaincodeFromContract = ChaincodeFromContractCtor;

// ---- dispatch cost --------------------------------------------------------------------------
// fabric-shim's DataMarshall pays, on every call and whatever the log level, for debug messages it
// then drops (JSON.stringify and util.inspect of each argument: a 12 KB reading is scanned twice)
// and for ajv.compile of a schema that holds every component schema of the contract (ajv finds
// its cached validator only after serializing that schema). JSONSerializer.toBuffer walks the
// result with class-transformer's classToPlain before JSON.stringify. streamlineDispatch gives a
// hosted dispatch the same answers for less: the same conversions and validators, the debug
// messages only when debug is on, each parameter's validator looked up once, and plain JSON
// results stringified directly (JSON.stringify(classToPlain(x)) is JSON.stringify(x) for them).

interface ParameterSchema {
  readonly schema: { readonly type?: string; readonly $ref?: string };
}

interface TransactionDescriptor {
  readonly parameters?: readonly ParameterSchema[];
}

interface Validator {
  (data: unknown): boolean;
  readonly errors?: readonly { readonly message?: string }[] | null;
}

interface DataMarshallLike {
  serializer: { toBuffer(result: unknown, schema?: { type?: string }, loggerPrefix?: string): Buffer | undefined };
  ajv: { compile(schema: object): Validator };
  components: unknown;
  fromWireBuffer(supplied: Uint8Array, schema: object, loggerPrefix: string): { value: unknown; validateData: unknown };
  handleParameters(fn: TransactionDescriptor, parameters: readonly Uint8Array[], loggerPrefix: string): unknown[];
}

const marshallLogger = shimLogger.getLogger('contracts-spi/datamarshall.js');
const PLAIN_DEPTH_MAX = 64;

/** Whether JSON.stringify(x) equals JSON.stringify(classToPlain(x)): plain objects, arrays and JSON primitives only. */
export function isPlainJson(x: unknown, depth = 0): boolean {
  if (x === null || x === undefined) return true;
  const t = typeof x;
  if (t === 'string' || t === 'boolean' || t === 'number') return true;
  if (t !== 'object' || depth > PLAIN_DEPTH_MAX) return false;
  if (Array.isArray(x)) {
    for (const v of x) if (!isPlainJson(v, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in x as Record<string, unknown>) {
    if (!Object.prototype.hasOwnProperty.call(x, k)) return false;
    if (k === 'toJSON' || !isPlainJson((x as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

function streamlineMarshall(marshall: DataMarshallLike): void {
  const handleParameters = marshall.handleParameters.bind(marshall);
  // Per transaction function: calls so far, and its parameters' schemas and validators. The first
  // call of a function may still change a component schema (fabric's $ref handling sets its type),
  // so the validators are taken from the second call on, as ajv's cache then answers them too.
  const seen = new WeakMap<TransactionDescriptor, { calls: number; params?: { schema: object; validate: Validator }[] }>();
  marshall.handleParameters = (fn, parameters, loggerPrefix) => {
    const expected = fn.parameters;
    let state = seen.get(fn);
    if (state === undefined) seen.set(fn, (state = { calls: 0 }));
    if (expected === undefined || expected.length !== parameters.length || state.calls < 2 || marshallLogger.isLevelEnabled('debug')) {
      state.calls++;
      return handleParameters(fn, parameters, loggerPrefix);
    }
    if (state.params === undefined) {
      if (expected.some((e) => !e.schema.type && !e.schema.$ref)) return handleParameters(fn, parameters, loggerPrefix);
      state.params = expected.map((e) => {
        const schema = { properties: { prop: e.schema }, components: { schemas: marshall.components } };
        return { schema, validate: marshall.ajv.compile(schema) };
      });
    }
    const out: unknown[] = [];
    for (let i = 0; i < parameters.length; i++) {
      const { schema, validate } = state.params[i]!;
      const { value, validateData } = marshall.fromWireBuffer(parameters[i]!, schema, loggerPrefix);
      if (!validate({ prop: validateData })) {
        throw new Error(`Unable to validate parameter due to ${JSON.stringify((validate.errors ?? []).map((err) => err.message))}`);
      }
      out.push(value);
    }
    return out;
  };
  const serializer = marshall.serializer;
  const toBuffer = serializer.toBuffer.bind(serializer);
  serializer.toBuffer = (result, schema = {}, loggerPrefix) => {
    if (typeof result === 'object' && result !== null && schema.type !== 'string' && schema.type !== 'number' && isPlainJson(result))
      return Buffer.from(JSON.stringify(result));
    return toBuffer(result, schema, loggerPrefix);
  };
}

/** Makes a dispatch built by ChaincodeFromContract cheaper per call, with the same answers (see above). */
export function streamlineDispatch(dispatch: ChaincodeFromContract): void {
  const impls =
    (dispatch as unknown as { contractImplementations?: Record<string, { dataMarshall?: DataMarshallLike }> }).contractImplementations ??
    {};
  for (const impl of Object.values(impls)) if (impl.dataMarshall !== undefined) streamlineMarshall(impl.dataMarshall);
}
export const ChaincodeStub = ChaincodeStubCtor;

/**
 * Removes the `uncaughtException` (winston, exitOnError:false) and `unhandledRejection` handlers
 * that fabric's loggers install, so a crash in the host still crashes it with a non-zero exit.
 * Called again whenever a chaincode is hosted, in case fabric-contract-api was first loaded by a
 * contract module before this one.
 */
export function undoFabricProcessHooks(): void {
  for (const event of HOOKED_EVENTS) {
    for (const listener of proc.listeners(event)) {
      const name = listener.name;
      if (installedByFabricLoad.has(listener) || name === 'loggerUnhandledRejectionFn' || name === 'bound _uncaughtException') {
        proc.removeListener(event, listener);
      }
    }
  }
  // Per-transaction failures are returned to the caller as a 500 response; fabric would also log
  // each one at error level, which an endorsing peer under load must not do.
  shimLogger.getLogger('contracts-spi/chaincodefromcontract.js').silent = true;
  contractApiLogger.getLogger('./lib/contract.js').silent = true;
  const level = (process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'error').toUpperCase();
  shimLogger.setLevel(level);
  contractApiLogger.setLevel(level);
  for (const name of SHIM_LOGGERS) guardLevels(shimLogger.getLogger(name));
  for (const name of CONTRACT_API_LOGGERS) guardLevels(contractApiLogger.getLogger(name));
}

const installedByFabricLoad = new Set(HOOKED_EVENTS.flatMap((e) => proc.listeners(e)).filter((l) => !listenersBefore.has(l)));
undoFabricProcessHooks();
