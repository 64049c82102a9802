// SPDX-License-Identifier: Apache-2.0
// After each point: does the ledger hold every acknowledged transaction exactly once, VALID, and no
// reading twice? Read straight from the devnet's block files (the audit's directory source: read-only,
// beside the running devnet), or from an external network's peer (Deliver, through the gateway
// client), incrementally from where the previous check stopped.
import type { Network } from '@hyperledger/fabric-gateway';
import { ledgerDirectorySource, type BlockFilePosition } from '@metroledger/audit';
import { decodeReading, decodeReadingBatch, decodeSignedReading } from '@metroledger/lr';
import { blockEnvelopes, decodeBlock, getTransactionFilter, parseEnvelope } from '@metroledger/protocol';

const VALID = 0;

export interface LedgerCheck {
  /** Transactions the clients were told committed. */
  readonly acknowledged: number;
  /** Of those, found VALID on the ledger exactly once. */
  readonly validOnce: number;
  /** Acknowledged but not found at all, or found only as invalid (txids, at most 10). */
  readonly missing: readonly string[];
  readonly missingCount: number;
  /** Transactions VALID more than once (must be 0). */
  readonly validTwice: number;
  /** Readings (meter, sequence) VALID in more than one transaction or twice in one (must be 0). */
  readonly readingsCommittedTwice: number;
  /** Readings committed VALID in this check's blocks. */
  readonly readingsCommitted: number;
  /** VALID readings whose submission the client reported as failed (e.g. it gave up waiting): committed, not lost. */
  readonly committedUnacknowledged: number;
  readonly blocksScanned: number;
  readonly ok: boolean;
}

/** Committed blocks, in order, as a checker reads them. */
export interface CommittedBlocks {
  /** Blocks from number `from` on: all there are (a directory), or at least up to `until` (a stream). */
  read(from: number, until: bigint): AsyncIterable<Uint8Array>;
}

/** The devnet's block files (read-only, beside the running devnet). */
export function devnetBlocks(dataDir: string): CommittedBlocks {
  let hint: BlockFilePosition | undefined;
  let expected = -1;
  return {
    async *read(from: number) {
      if (from !== expected) hint = undefined;
      for await (const b of ledgerDirectorySource(dataDir).blocks(from, hint)) {
        if (b.damaged !== undefined || b.checksumMismatch === true) throw new Error(`block file damaged at ${JSON.stringify(b.position)}`);
        hint = b.next;
        expected = from = Number(decodeBlock(b.bytes).getHeader()!.getNumber()) + 1;
        yield b.bytes;
      }
    },
  };
}

/**
 * An external network's blocks through the gateway client's Deliver stream, from `startBlock` (the
 * bench's first block: older ones are other runs'). The stream never ends: reading stops at `until`,
 * or when no block came for `idleMs`.
 */
export function networkBlocks(network: Network, startBlock: number, idleMs = 10_000): CommittedBlocks {
  return {
    async *read(from: number, until: bigint) {
      from = Math.max(from, startBlock);
      if (until < BigInt(from)) return;
      const events = await network.getBlockEvents({ startBlock: BigInt(from) });
      const it = events[Symbol.asyncIterator]();
      try {
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const idle = new Promise<'idle'>((r) => {
            timer = setTimeout(() => r('idle'), idleMs);
          });
          const next = await Promise.race([it.next(), idle]).finally(() => clearTimeout(timer));
          if (next === 'idle' || next.done === true) return;
          yield next.value.serializeBinary();
          if (BigInt(next.value.getHeader()!.getNumber()) >= until) return;
        }
      } finally {
        events.close();
      }
    },
  };
}

/** Reads new blocks of one ledger and checks acknowledgements against them. */
export class LedgerChecker {
  readonly #blocks: CommittedBlocks;
  readonly #lrChaincode: string;
  #nextBlock = 0;
  /** VALID count per reading `meterId#sequence`, over every block read so far. */
  readonly #readings = new Map<string, number>();

  constructor(blocks: CommittedBlocks, lrChaincode = 'lr') {
    this.#blocks = blocks;
    this.#lrChaincode = lrChaincode;
  }

  /**
   * Scans the blocks committed since the previous call (up to `untilBlock` at least, the last block
   * an acknowledgement named) and checks that each of `acknowledged` is among them, VALID exactly
   * once. `failedReadings` are `meterId#sequence` keys whose submission failed.
   */
  async check(acknowledged: ReadonlySet<string>, failedReadings: ReadonlySet<string> = new Set(), untilBlock = -1n): Promise<LedgerCheck> {
    const validCount = new Map<string, number>();
    let readingsCommitted = 0,
      readingsCommittedTwice = 0,
      committedUnacknowledged = 0,
      blocksScanned = 0;
    for await (const bytes of this.#blocks.read(this.#nextBlock, untilBlock)) {
      const block = decodeBlock(bytes);
      const number = Number(block.getHeader()!.getNumber());
      if (number < this.#nextBlock) continue; // a block read before
      this.#nextBlock = number + 1;
      blocksScanned++;
      const codes = getTransactionFilter(block);
      const envelopes = blockEnvelopes(block);
      for (let i = 0; i < envelopes.length; i++) {
        if (codes[i] !== VALID) continue;
        const tx = parseEnvelope(envelopes[i]!);
        validCount.set(tx.txId, (validCount.get(tx.txId) ?? 0) + 1);
        if (tx.chaincodeName !== this.#lrChaincode) continue;
        for (const key of readingKeys(tx.args)) {
          readingsCommitted++;
          const n = (this.#readings.get(key) ?? 0) + 1;
          this.#readings.set(key, n);
          if (n > 1) readingsCommittedTwice++;
          if (failedReadings.has(key)) committedUnacknowledged++;
        }
      }
    }
    const missing: string[] = [];
    let validOnce = 0,
      validTwice = 0,
      missingCount = 0;
    for (const txId of acknowledged) {
      const n = validCount.get(txId) ?? 0;
      if (n === 1) validOnce++;
      else if (n === 0) {
        missingCount++;
        if (missing.length < 10) missing.push(txId);
      }
    }
    for (const n of validCount.values()) if (n > 1) validTwice++;
    return {
      acknowledged: acknowledged.size,
      validOnce,
      missing,
      missingCount,
      validTwice,
      readingsCommittedTwice,
      readingsCommitted,
      committedUnacknowledged,
      blocksScanned,
      ok: validOnce === acknowledged.size && validTwice === 0 && readingsCommittedTwice === 0,
    };
  }
}

const text = new TextDecoder();

/** `meterId#sequence` of each reading a VALID LR transaction carries (none for other functions). */
function readingKeys(args: readonly Uint8Array[]): string[] {
  const fn = args[0] === undefined ? '' : text.decode(args[0]);
  if ((fn !== 'submitReading' && fn !== 'submitReadingBatch') || args[1] === undefined) return [];
  const bytes = Buffer.from(text.decode(args[1]), 'base64');
  const signed = fn === 'submitReading' ? [bytes] : decodeReadingBatch(bytes);
  return signed.map((s) => {
    const r = decodeReading(decodeSignedReading(s).reading);
    return readingKey(r.meterId, r.sequence);
  });
}

export function readingKey(meterId: string, sequence: number): string {
  return `${meterId}#${sequence}`;
}
