// SPDX-License-Identifier: Apache-2.0
// Follows the channel's blocks through Deliver: starts a little before the current height (so the
// first view is not empty), reads on live, and reconnects after a failure where it left off.
import { peekBlockNumber } from '@metroledger/audit';
import type { FollowState } from './api.js';
import type { BlockStream, ChannelPort } from './channel.js';
import { DashboardError } from './errors.js';

export interface FollowerOptions {
  /** Blocks read back from before the start (the last ones). */
  readonly backfillBlocks: number;
  /** Pause before reconnecting: doubles from min to max while failures repeat. Default 1 s to 30 s. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Each block, in order; `live` when it was committed after the follower started. */
  readonly onBlock: (bytes: Uint8Array, live: boolean) => Promise<void> | void;
  readonly onState: (state: FollowState, nextBlock: number, extra: { error?: string; liveFromBlock?: number }) => void;
}

/** When the height cannot be asked, blocks count as live once the stream paused this long (it caught up). */
const CAUGHT_UP_PAUSE_MS = 1_000;

export class BlockFollower {
  readonly #channel: ChannelPort;
  readonly #opts: FollowerOptions;
  #started = false;
  #stopped = false;
  #stream: BlockStream | undefined;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(channel: ChannelPort, opts: FollowerOptions) {
    this.#channel = channel;
    this.#opts = opts;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Starts following (once; later calls do nothing). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#done = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stream?.close();
    this.#wake?.();
    await this.#done;
  }

  async #run(): Promise<void> {
    const retryMin = this.#opts.retryMinMs ?? 1_000;
    const retryMax = this.#opts.retryMaxMs ?? 30_000;
    let retry = retryMin;
    let next: number | undefined;
    let liveFrom: number | undefined;
    let heightKnown = false;
    let live = false;
    while (!this.#stopped) {
      try {
        if (next === undefined) {
          this.#opts.onState('connecting', 0, {});
          const height = await this.#channel.height();
          heightKnown = height !== undefined;
          liveFrom = height;
          next = height === undefined ? 0 : Math.max(0, height - this.#opts.backfillBlocks);
        } else {
          this.#opts.onState('connecting', next, {});
        }
        this.#stream = await this.#channel.blocks(next);
        if (this.#stopped) break;
        live = live || (heightKnown && next >= liveFrom!);
        this.#opts.onState(live ? 'live' : 'catching-up', next, liveFrom === undefined ? {} : { liveFromBlock: liveFrom });
        let lastArrival = Date.now();
        for await (const bytes of this.#stream) {
          const n = peekBlockNumber(bytes);
          if (n !== undefined && n < next) continue; // delivered again after a reconnect
          const now = Date.now();
          if (!live && (heightKnown ? (n ?? next) >= liveFrom! : now - lastArrival >= CAUGHT_UP_PAUSE_MS)) {
            live = true;
            liveFrom ??= n ?? next;
            this.#opts.onState('live', n ?? next, { liveFromBlock: liveFrom });
          }
          lastArrival = now;
          await this.#opts.onBlock(bytes, live);
          next = (n ?? next) + 1;
          retry = retryMin;
          if (!live && heightKnown && next >= liveFrom!) {
            // read back to the height it started at: what comes now is committed now
            live = true;
            this.#opts.onState('live', next, { liveFromBlock: liveFrom! });
          }
        }
        if (!this.#stopped) throw new DashboardError('SOURCE', 'the block stream ended');
      } catch (err) {
        if (this.#stopped) break;
        this.#opts.onState('retrying', next ?? 0, {
          error: (err as Error).message,
          ...(liveFrom !== undefined && { liveFromBlock: liveFrom }),
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retry);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        retry = Math.min(retryMax, retry * 2);
      } finally {
        this.#stream?.close();
        this.#stream = undefined;
      }
    }
    this.#opts.onState('stopped', next ?? 0, {});
  }

  /** Block `n` alone, through a Deliver stream of its own. @throws {DashboardError} NOT_FOUND, SOURCE */
  async fetchBlock(n: number, timeoutMs = 10_000): Promise<Uint8Array> {
    let stream: BlockStream;
    try {
      stream = await this.#channel.blocks(n);
    } catch (err) {
      throw new DashboardError('SOURCE', `block ${n}: ${(err as Error).message}`, { block: n }, { cause: err });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const it = stream[Symbol.asyncIterator]();
      const first = await Promise.race([
        it.next(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        }),
      ]);
      if (first === 'timeout') throw new DashboardError('NOT_FOUND', `block ${n} did not arrive within ${timeoutMs} ms`, { block: n });
      if (first.done === true) throw new DashboardError('NOT_FOUND', `the channel has no block ${n}`, { block: n });
      return first.value;
    } catch (err) {
      if (err instanceof DashboardError) throw err;
      throw new DashboardError('SOURCE', `block ${n}: ${(err as Error).message}`, { block: n }, { cause: err });
    } finally {
      clearTimeout(timer);
      stream.close();
    }
  }
}
