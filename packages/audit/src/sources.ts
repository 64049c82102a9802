// SPDX-License-Identifier: Apache-2.0
// Where blocks come from: a ledger directory read straight from its block files (read-only, without
// the index, so it works beside a running devnet and does not trust anything derived), blocks
// streamed from any Fabric peer's Deliver service, or blocks in memory.
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { AuditError } from './errors';

/** A block as a source delivers it, with where it was found. */
export interface SourcedBlock {
  readonly bytes: Uint8Array;
  /** Block file and byte offset of its record (directory source). */
  readonly position?: BlockFilePosition;
  /** Where the record after it starts (directory source): the resume hint for the next run. */
  readonly next?: BlockFilePosition;
  /** The record's checksum in the block file does not match its bytes (directory source). */
  readonly checksumMismatch?: boolean;
  /** Not a block: the file cannot be read as records from here on (bytes are empty); the rest of it is skipped. */
  readonly damaged?: { readonly file: string; readonly offset: number; readonly reason: string };
}

export interface BlockFilePosition {
  readonly file: number;
  readonly offset: number;
}

export interface BlockSource {
  /** For reports: 'ledger directory /x/ledger/chains', 'Deliver localhost:7051 channel metrology'. */
  readonly description: string;
  /**
   * Blocks from number `from` on, in the source's order (which the audit checks). `hint` is where
   * the previous run stopped (directory source), to avoid rescanning.
   */
  blocks(from: number, hint?: BlockFilePosition): AsyncIterable<SourcedBlock>;
  close?(): Promise<void>;
}

const FILE_PREFIX = 'blockfile_';
const RECORD_HEADER = 12;

/** Block number of serialized common.Block bytes, read from Block.header (field 1).number (field 1) only. */
export function peekBlockNumber(bytes: Uint8Array): number | undefined {
  const varint = (buf: Uint8Array, at: { p: number }): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10 && at.p < buf.length; i++) {
      const b = buf[at.p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Error('bad varint');
  };
  try {
    const at = { p: 0 };
    while (at.p < bytes.length) {
      const tag = varint(bytes, at);
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (wire !== 2) return undefined;
      const len = varint(bytes, at);
      if (field === 1) {
        const header = bytes.subarray(at.p, at.p + len);
        const h = { p: 0 };
        while (h.p < header.length) {
          const t = varint(header, h);
          if (t === 8) return varint(header, h);
          if (t % 8 === 2) {
            const len = varint(header, h); // read before adding: `h.p += varint(...)` would add to the old h.p
            h.p += len;
          }
          else if (t % 8 === 0) varint(header, h);
          else return undefined;
        }
        return 0; // number 0 is not encoded
      }
      at.p += len;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * `dir` may be a devnet data directory, its `ledger` directory, or the `chains` directory itself.
 * @throws {AuditError} NO_LEDGER if no block files are found there.
 */
export function resolveChainsDir(dir: string): string {
  for (const candidate of [join(dir, 'ledger', 'chains'), join(dir, 'chains'), dir]) {
    if (existsSync(join(candidate, FILE_PREFIX + '000000'))) return candidate;
  }
  throw new AuditError('NO_LEDGER', `no block files (${FILE_PREFIX}000000) under ${dir}, ${join(dir, 'ledger', 'chains')} or ${join(dir, 'chains')}`, { dir });
}

/**
 * Reads the block files of a ledger directory in file order, record by record
 * (u32 BE length | first 8 bytes of SHA-256(payload) | common.Block bytes), opening them read-only.
 */
export function ledgerDirectorySource(dir: string): BlockSource {
  const chains = resolveChainsDir(dir);
  return {
    description: `ledger directory ${chains}`,
    async *blocks(from: number, hint?: BlockFilePosition): AsyncIterable<SourcedBlock> {
      const files = (await readdir(chains))
        .filter((f) => f.startsWith(FILE_PREFIX) && /^\d{6}$/.test(f.slice(FILE_PREFIX.length)))
        .map((f) => Number(f.slice(FILE_PREFIX.length)))
        .sort((a, b) => a - b);
      let startFile = files[0] ?? 0;
      let startOffset = 0;
      if (hint !== undefined && from > 0 && files.includes(hint.file)) {
        const atEnd = hint.file === files[files.length - 1] && (await stat(join(chains, fileName(hint.file)))).size === hint.offset;
        if (atEnd || (await recordNumberAt(join(chains, fileName(hint.file)), hint.offset)) === from) {
          // At the end of the newest file: nothing was written since, and nothing is reread.
          startFile = hint.file;
          startOffset = hint.offset;
        } else if (files.includes(hint.file + 1) && (await recordNumberAt(join(chains, fileName(hint.file + 1)), 0)) === from) {
          startFile = hint.file + 1;
        }
      }
      for (const f of files) {
        if (f < startFile) continue;
        const path = join(chains, fileName(f));
        const size = (await stat(path)).size;
        const fh = await open(path, 'r');
        try {
          let offset = f === startFile ? startOffset : 0;
          const hdr = Buffer.allocUnsafe(RECORD_HEADER);
          while (offset < size) {
            let damage: string | undefined;
            let length = 0;
            if (size - offset < RECORD_HEADER) damage = `${size - offset} bytes at the end of the file are not a record`;
            else {
              await fh.read(hdr, 0, RECORD_HEADER, offset);
              length = hdr.readUInt32BE(0);
              if (length === 0 || length > size - offset - RECORD_HEADER) damage = `record length ${length} at offset ${offset} runs past the end of the file (${size} bytes)`;
            }
            if (damage !== undefined) {
              // At the end of the newest file this is a block being written (or torn by a crash, which
              // the ledger truncates on open): it is read next time. Elsewhere the framing is lost and
              // what follows cannot be told apart from noise.
              if (f === files[files.length - 1]) break;
              yield { bytes: new Uint8Array(0), position: { file: f, offset }, damaged: { file: path, offset, reason: damage } };
              break;
            }
            const payload = Buffer.allocUnsafe(length);
            await fh.read(payload, 0, length, offset + RECORD_HEADER);
            const checksumMismatch = !createHash('sha256').update(payload).digest().subarray(0, 8).equals(hdr.subarray(4, RECORD_HEADER));
            const position = { file: f, offset };
            offset += RECORD_HEADER + length;
            const next = { file: f, offset };
            const num = peekBlockNumber(payload);
            // Skipping by number keeps damaged or out-of-order records in view (their number may be anything).
            const block: SourcedBlock = checksumMismatch ? { bytes: payload, position, next, checksumMismatch } : { bytes: payload, position, next };
            if (num !== undefined && num < from && !checksumMismatch) continue;
            yield block;
          }
        } finally {
          await fh.close();
        }
      }
    },
  };
}

function fileName(n: number): string {
  return FILE_PREFIX + String(n).padStart(6, '0');
}

async function recordNumberAt(path: string, offset: number): Promise<number | undefined> {
  const fh = await open(path, 'r');
  try {
    const hdr = Buffer.allocUnsafe(RECORD_HEADER);
    const { bytesRead } = await fh.read(hdr, 0, RECORD_HEADER, offset);
    if (bytesRead < RECORD_HEADER) return undefined;
    const length = hdr.readUInt32BE(0);
    const payload = Buffer.allocUnsafe(Math.min(length, 4096));
    await fh.read(payload, 0, payload.length, offset + RECORD_HEADER);
    return peekBlockNumber(payload);
  } finally {
    await fh.close();
  }
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
  let cleanup: (() => void) | undefined;
  return {
    description: `Deliver ${opts.endpoint} channel ${opts.channelId} as ${opts.mspId}`,
    async *blocks(from: number): AsyncIterable<SourcedBlock> {
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
      const gateway = connect({ client, identity: { mspId: opts.mspId, credentials: cert }, signer: signers.newPrivateKeySigner(createPrivateKey(key)), hash: hash.sha256 });
      let events: Awaited<ReturnType<ReturnType<typeof gateway.getNetwork>['getBlockEvents']>> | undefined;
      cleanup = () => {
        events?.close();
        gateway.close();
        client.close();
      };
      try {
        events = await gateway.getNetwork(opts.channelId).getBlockEvents({ startBlock: BigInt(from) });
        const it = events[Symbol.asyncIterator]();
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
            throw new AuditError('SOURCE', `Deliver stream from ${opts.endpoint} failed: ${(err as Error).message}`, { endpoint: opts.endpoint }, { cause: err });
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
        cleanup();
        cleanup = undefined;
      }
    },
    async close() {
      cleanup?.();
    },
  };
}
