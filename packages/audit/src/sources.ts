// SPDX-License-Identifier: Apache-2.0
// Where blocks come from: a ledger directory read straight from its block files (read-only, without
// the index, so it works beside a running devnet or peer and does not trust anything derived), in
// the devnet's format or a Fabric peer's; blocks streamed from any Fabric peer's Deliver service;
// or blocks in memory. Each source can also say how long its own bookkeeping says the chain is.
import { createPrivateKey } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { listBlockFiles, peekBlockNumber as ledgerPeekBlockNumber, readBlockIndex, readBlockRecords } from '@metroledger/ledger';
import { AuditError } from './errors';
import {
  fabricBlockFileName,
  listFabricBlockFiles,
  looksLikeFabricBlockFile,
  readFabricBlockFiles,
  readFabricIndexHeight,
  toCommonBlock,
} from './fabricfiles';

/** Bytes of a block file that cannot be read as a block record. */
export interface DamagedBytes {
  /** The block file. */
  readonly file: string;
  readonly offset: number;
  /** Bytes skipped: up to where reading went on, or to the end of the file. */
  readonly length?: number;
  readonly reason: string;
  /**
   * At the end of the newest file with nothing readable after it: an append cut short, one still
   * in progress, or blocks cut off. Whether it is a loss depends on what the ledger says exists.
   */
  readonly atEnd?: boolean;
  /** The block that should be there (the one after the last readable block), when known. */
  readonly blockNum?: number;
  /** Blocks known to have existed that the files no longer hold (e.g. audited by an earlier run). */
  readonly lost?: { readonly from: number; readonly to: number };
}

/** A block as a source delivers it, with where it was found. */
export interface SourcedBlock {
  /** Serialized common.Block (empty when `damaged`). */
  readonly bytes: Uint8Array;
  /** Block file and byte offset of its record (directory source). */
  readonly position?: BlockFilePosition;
  /** Where the record after it starts (directory source): the resume hint for the next run. */
  readonly next?: BlockFilePosition;
  /** The record's checksum in the block file does not match its bytes; `bytes` are the stored, unverified ones. */
  readonly checksumMismatch?: boolean;
  /** Not a block: bytes that cannot be read as one (`bytes` is empty); reading went on after them. */
  readonly damaged?: DamagedBytes;
}

export interface BlockFilePosition {
  readonly file: number;
  readonly offset: number;
}

/** What a source's own bookkeeping says about the chain's length, independently of the blocks it delivers. */
export interface DeclaredHeight {
  readonly height: number;
  /** Who says so: 'the ledger's block index (…/index)', 'qscc GetChainInfo of peer …'. */
  readonly by: string;
}

export interface BlockSource {
  /** For reports: 'ledger directory /x/ledger/chains', 'Deliver localhost:7051 channel metrology'. */
  readonly description: string;
  /**
   * Blocks from number `from` on, in the source's order (which the audit checks). `hint` is where
   * the previous run stopped (directory source), to avoid rescanning.
   */
  blocks(from: number, hint?: BlockFilePosition): AsyncIterable<SourcedBlock>;
  /**
   * The height the source's own index says the chain has, read before `blocks` so that blocks
   * committed meanwhile raise no alarm; undefined when it keeps none or it cannot be read (`note` says why).
   */
  declaredHeight?(): Promise<{ declared?: DeclaredHeight; note?: string }>;
  close?(): Promise<void>;
}

/** Block number of serialized common.Block bytes, read from the header only (the ledger's reader). */
export const peekBlockNumber: (bytes: Uint8Array) => number | undefined = ledgerPeekBlockNumber;

/** Which block-file format a directory holds. */
export type BlockFileFormat = 'metroledger' | 'fabric';

export interface LedgerLocation {
  /** The folder holding blockfile_000000… */
  readonly chainsDir: string;
  readonly format: BlockFileFormat;
  /** The block index that belongs to these files. */
  readonly indexDir: string;
}

/**
 * Finds the block files under `dir` and tells their format from their first record:
 * - a devnet data directory, its `ledger` directory, or its `chains` directory (metroledger records:
 *   u32 length | checksum | common.Block, see @metroledger/ledger);
 * - a Fabric peer's file system path, its `ledgersData`, `ledgersData/chains`, `…/chains/chains` or
 *   `…/chains/chains/<channelId>` folder (Fabric's own records, see fabricfiles.ts).
 * @throws {AuditError} NO_LEDGER if no block files are found there, or they are in neither format.
 */
export function resolveLedger(dir: string, channelId = 'metrology'): LedgerLocation {
  const first = (d: string): string => join(d, 'blockfile_000000');
  const devnet = [join(dir, 'ledger', 'chains'), join(dir, 'chains')];
  const fabric = [
    join(dir, 'ledgersData', 'chains', 'chains', channelId),
    join(dir, 'chains', 'chains', channelId),
    join(dir, 'chains', channelId),
    join(dir, channelId),
  ];
  const tried: string[] = [];
  for (const candidate of [...devnet, ...fabric, dir]) {
    tried.push(candidate);
    if (!existsSync(first(candidate))) continue;
    const head = readHead(first(candidate));
    if (looksLikeMetroledgerRecord(head)) return { chainsDir: candidate, format: 'metroledger', indexDir: join(candidate, 'index') };
    if (looksLikeFabricBlockFile(head))
      return { chainsDir: candidate, format: 'fabric', indexDir: join(dirname(dirname(candidate)), 'index') };
    throw new AuditError(
      'NO_LEDGER',
      `${first(candidate)} is neither a metroledger nor a Fabric block file (its first record does not decode as block 0)`,
      { path: first(candidate) },
    );
  }
  throw new AuditError(
    'NO_LEDGER',
    `no block files (blockfile_000000) for channel ${channelId} under ${dir}; looked in ${tried.join(', ')}`,
    { dir },
  );
}

/** The first bytes of a file: enough for block 0 of either format (a genesis block is tens of KB). */
function readHead(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4 << 20);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * u32 length | checksum | a block numbered 0. The checksum is not required: a damaged genesis
 * record is the audit's to report, not a reason to refuse the directory (a Fabric file cannot pass
 * this: its first bytes are a varint, and its block does not start with a header field).
 */
function looksLikeMetroledgerRecord(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  const length = Buffer.from(head.buffer, head.byteOffset, head.byteLength).readUInt32BE(0);
  if (length === 0 || 12 + length > head.length) return false;
  const payload = head.subarray(12, 12 + length);
  return payload[0] === 0x0a && peekBlockNumber(payload) === 0;
}

/** The index's height, read from a copy (LevelDB would lock and change files it opens; a running peer holds them). */
async function indexHeight(loc: LedgerLocation, channelId: string): Promise<{ declared?: DeclaredHeight; note?: string }> {
  if (!existsSync(loc.indexDir)) return { note: `no block index at ${loc.indexDir}` };
  try {
    let height: number | undefined;
    if (loc.format === 'fabric') {
      height = await readFabricIndexHeight(loc.indexDir, channelId);
    } else {
      const copy = await mkdtemp(join(tmpdir(), 'metroledger-audit-index-'));
      try {
        await cp(loc.indexDir, join(copy, 'index'), { recursive: true, filter: (src) => !src.endsWith(`${sep}LOCK`) });
        height = (await readBlockIndex(copy))?.height;
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    }
    return height === undefined
      ? { note: `the block index at ${loc.indexDir} has no entry for this chain` }
      : { declared: { height, by: `the ledger's block index (${loc.indexDir})` } };
  } catch (err) {
    return { note: `the block index at ${loc.indexDir} cannot be read: ${(err as Error).message}` };
  }
}

/**
 * Reads the block files of a ledger directory in file order, record by record, opening them
 * read-only, without the index (which is consulted only for the height it records): the audit
 * trusts nothing derived and can run beside a running devnet or peer. Both the devnet's format
 * (with @metroledger/ledger's checksum-verifying reader) and a Fabric peer's are read.
 */
export function ledgerDirectorySource(dir: string, opts: { channelId?: string } = {}): BlockSource {
  const channelId = opts.channelId ?? 'metrology';
  const loc = resolveLedger(dir, channelId);
  return {
    description: `${loc.format === 'fabric' ? 'Fabric peer ledger' : 'ledger directory'} ${loc.chainsDir}`,
    declaredHeight: () => indexHeight(loc, channelId),
    blocks: (from, hint) => directoryBlocks(loc, from, hint),
  };
}

type Entry =
  | { kind: 'block'; number: number; bytes: () => Uint8Array; position: BlockFilePosition; next: BlockFilePosition }
  | { kind: 'damaged'; damaged: DamagedBytes; position: BlockFilePosition; next: BlockFilePosition; stored?: Uint8Array; claimed?: number };

async function* entries(loc: LedgerLocation, start?: BlockFilePosition): AsyncGenerator<Entry> {
  if (loc.format === 'fabric') {
    for await (const e of readFabricBlockFiles(loc.chainsDir, start)) {
      const position = { file: e.file, offset: e.offset };
      if (e.kind === 'block') yield { kind: 'block', number: e.block.number, bytes: () => toCommonBlock(e.block), position, next: e.next };
      else
        yield {
          kind: 'damaged',
          position,
          next: e.next,
          damaged: {
            file: e.path,
            offset: e.offset,
            length: e.length,
            reason: e.message,
            atEnd: e.code === 'TORN_TAIL',
            ...(e.expectedBlockNumber !== undefined && { blockNum: e.expectedBlockNumber }),
          },
        };
    }
    return;
  }
  for await (const e of readBlockRecords(loc.chainsDir, start === undefined ? {} : { from: start })) {
    const position = { file: e.file, offset: e.offset };
    if (e.kind === 'block') {
      yield { kind: 'block', number: e.blockNumber, bytes: () => e.bytes, position, next: e.next };
    } else {
      const blockNum = e.claimedBlockNumber ?? e.expectedBlockNumber;
      yield {
        kind: 'damaged',
        position,
        next: e.next,
        damaged: {
          file: e.path,
          offset: e.offset,
          length: e.length,
          reason: e.message,
          atEnd: e.code === 'TORN_TAIL',
          ...(blockNum !== undefined && { blockNum }),
        },
        ...(e.storedBytes !== undefined && { stored: e.storedBytes }),
        ...(e.claimedBlockNumber !== undefined && { claimed: e.claimedBlockNumber }),
      };
    }
  }
}

async function* directoryBlocks(loc: LedgerLocation, from: number, hint?: BlockFilePosition): AsyncGenerator<SourcedBlock> {
  const start = from > 0 && hint !== undefined ? await usableHint(loc, from, hint) : undefined;
  // Resuming without a usable hint: blocks before `from` were audited by an earlier run; they are
  // skipped, but the last one must still be there, or blocks were lost since.
  let lastSkipped = -1;
  let reached = start !== undefined || from === 0;
  for await (const e of entries(loc, start)) {
    if (e.kind === 'block') {
      if (!reached && e.number < from) {
        lastSkipped = Math.max(lastSkipped, e.number);
        continue;
      }
      reached = true;
      yield { bytes: e.bytes(), position: e.position, next: e.next };
      continue;
    }
    // A record whose checksum fails is still audited as stored, so the damage is located by the hash
    // and signature checks too; other damage is reported as such.
    if (e.stored !== undefined && e.claimed !== undefined && (reached || e.claimed >= from)) {
      reached = true;
      yield { bytes: e.stored, position: e.position, next: e.next, checksumMismatch: true };
      continue;
    }
    if (!reached && e.damaged.atEnd !== true) continue; // damage before the resume point was reported by an earlier run
    yield { bytes: new Uint8Array(0), position: e.position, next: e.next, damaged: e.damaged };
  }
  if (!reached && lastSkipped < from - 1) {
    yield {
      bytes: new Uint8Array(0),
      damaged: {
        file: loc.chainsDir,
        offset: 0,
        reason: `the block files now end at block ${lastSkipped}, but the previous audit (its checkpoint) verified blocks up to ${from - 1}: blocks ${lastSkipped + 1}..${from - 1} are gone`,
        blockNum: lastSkipped + 1,
        lost: { from: lastSkipped + 1, to: from - 1 },
      },
    };
  }
}

/** `hint` if the record there is block `from`, or it is the end of the newest file (nothing new). */
async function usableHint(loc: LedgerLocation, from: number, hint: BlockFilePosition): Promise<BlockFilePosition | undefined> {
  const files = loc.format === 'fabric' ? await listFabricBlockFiles(loc.chainsDir) : await listBlockFiles(loc.chainsDir);
  if (!files.includes(hint.file)) return undefined;
  const size = (await stat(join(loc.chainsDir, fabricBlockFileName(hint.file)))).size;
  if (hint.file === files[files.length - 1] && size === hint.offset) return hint;
  if (hint.offset > size) return undefined;
  // The first record from there (the next file's first, when the hint is the end of a full file).
  for await (const e of entries(loc, hint)) return e.kind === 'block' && e.number === from ? hint : undefined;
  return undefined;
}

/** Blocks held in memory (serialized common.Block), e.g. fetched by other means. */
export function memorySource(blocks: readonly Uint8Array[], description = 'blocks in memory'): BlockSource {
  return {
    description,
    async *blocks(from: number): AsyncIterable<SourcedBlock> {
      for (const bytes of blocks) {
        const n = peekBlockNumber(bytes);
        if (n !== undefined && n < from) continue;
        yield { bytes };
      }
    },
  };
}

export interface DeliverSourceOptions {
  /** host:port of a peer (gateway) endpoint. */
  readonly endpoint: string;
  readonly channelId: string;
  readonly mspId: string;
  /** PEM certificate and private key of the user whose identity requests the blocks. */
  readonly certPath: string;
  readonly keyPath: string;
  /** PEM of the CA that issued the peer's TLS certificate. */
  readonly tlsCaCertPath: string;
  /** TLS server name override (when the endpoint address differs from the certificate's name). */
  readonly serverNameOverride?: string;
  /** Stop after this block (inclusive). */
  readonly toBlock?: number;
  /** Stop once no block arrived for this long (the peer has no end-of-chain marker). Default 3000. */
  readonly idleMs?: number;
}

/**
 * Blocks from a Fabric peer's Deliver service through @hyperledger/fabric-gateway's
 * getBlockEvents, with a user's identity. Deliver streams forever; the source ends at `toBlock` or
 * once the stream has been idle for `idleMs`.
 */
export function deliverSource(opts: DeliverSourceOptions): BlockSource {
  type Gateway = import('@hyperledger/fabric-gateway').Gateway;
  let connection: Promise<{ gateway: Gateway; close: () => void }> | undefined;
  const connectOnce = (): Promise<{ gateway: Gateway; close: () => void }> =>
    (connection ??= (async () => {
      const grpc = await import('@grpc/grpc-js');
      const { connect, hash, signers } = await import('@hyperledger/fabric-gateway');
      let tlsCa: Buffer;
      let cert: Buffer;
      let key: Buffer;
      try {
        [tlsCa, cert, key] = await Promise.all([readFile(opts.tlsCaCertPath), readFile(opts.certPath), readFile(opts.keyPath)]);
      } catch (err) {
        throw new AuditError('SOURCE', `cannot read the identity or TLS files: ${(err as Error).message}`, undefined, { cause: err });
      }
      const channelOptions = opts.serverNameOverride === undefined ? {} : { 'grpc.ssl_target_name_override': opts.serverNameOverride };
      const client = new grpc.Client(opts.endpoint, grpc.credentials.createSsl(tlsCa), channelOptions);
      const gateway = connect({
        client,
        identity: { mspId: opts.mspId, credentials: cert },
        signer: signers.newPrivateKeySigner(createPrivateKey(key)),
        hash: hash.sha256,
      });
      return {
        gateway,
        close: () => {
          gateway.close();
          client.close();
        },
      };
    })());
  let events: { close(): void } | undefined;
  return {
    description: `Deliver ${opts.endpoint} channel ${opts.channelId} as ${opts.mspId}`,
    async declaredHeight() {
      // Fabric's query system chaincode; a peer without it (the devnet) simply declares nothing.
      try {
        const { gateway } = await connectOnce();
        const info = common.BlockchainInfo.deserializeBinary(
          await gateway.getNetwork(opts.channelId).getContract('qscc').evaluateTransaction('GetChainInfo', opts.channelId),
        );
        return { declared: { height: info.getHeight(), by: `qscc GetChainInfo of ${opts.endpoint}` } };
      } catch (err) {
        return { note: `${opts.endpoint} did not answer qscc GetChainInfo (${(err as Error).message.split('\n')[0]})` };
      }
    },
    async *blocks(from: number): AsyncIterable<SourcedBlock> {
      const { gateway } = await connectOnce();
      const stream = await gateway.getNetwork(opts.channelId).getBlockEvents({ startBlock: BigInt(from) });
      events = stream;
      try {
        const it = stream[Symbol.asyncIterator]();
        const idleMs = opts.idleMs ?? 3000;
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const idle = new Promise<'idle'>((resolve) => {
            timer = setTimeout(() => resolve('idle'), idleMs);
          });
          let next: IteratorResult<common.Block> | 'idle';
          try {
            next = await Promise.race([it.next(), idle]);
          } catch (err) {
            throw new AuditError(
              'SOURCE',
              `Deliver stream from ${opts.endpoint} failed: ${(err as Error).message}`,
              { endpoint: opts.endpoint },
              { cause: err },
            );
          } finally {
            clearTimeout(timer);
          }
          if (next === 'idle' || next.done === true) return;
          const block = next.value;
          yield { bytes: block.serializeBinary() };
          const n = block.getHeader()?.getNumber();
          if (opts.toBlock !== undefined && n !== undefined && n >= opts.toBlock) return;
        }
      } finally {
        stream.close();
        events = undefined;
      }
    },
    async close() {
      events?.close();
      const c = connection;
      connection = undefined;
      if (c !== undefined) (await c.catch(() => undefined))?.close();
    },
  };
}
