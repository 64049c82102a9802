// SPDX-License-Identifier: Apache-2.0
// The dashboard's one port to a Fabric channel: its blocks (Deliver) and evaluate-only queries
// (the gateway), with a channel member's identity. `channelOfClient` builds it on the project's
// client (@metroledger/client, on @hyperledger/fabric-gateway), which works against the devnet and
// against any Fabric network.
import { common } from '@hyperledger/fabric-protos';
import type { MetroledgerClient } from '@metroledger/client';

/** Blocks as they are committed, until closed. */
export interface BlockStream extends AsyncIterable<Uint8Array> {
  close(): void;
}

export interface ChannelPort {
  readonly channelId: string;
  /** For the page header, e.g. 'gateway 127.0.0.1:7051 as InmetroMSP'. */
  readonly description: string;
  /** Serialized common.Block from number `start` on (Deliver), as they are committed. */
  blocks(start: number): Promise<BlockStream>;
  /** An evaluate-only call (nothing is ordered or written). */
  evaluate(chaincode: string, fn: string, args: readonly string[]): Promise<Uint8Array>;
  /** The channel height if the source can tell (Fabric's qscc GetChainInfo, or the devnet); otherwise undefined. */
  height(): Promise<number | undefined>;
}

export interface ClientChannelOptions {
  /** For the description. */
  readonly endpoint?: string;
  readonly mspId?: string;
  /** A better height source than qscc (e.g. the devnet's health). */
  readonly height?: () => Promise<number | undefined>;
}

/** A ChannelPort over a MetroledgerClient: its network's block events and its evaluate (with its retries). */
export function channelOfClient(client: MetroledgerClient, opts: ClientChannelOptions = {}): ChannelPort {
  const network = client.network;
  return {
    channelId: network.getName(),
    description: `gateway ${opts.endpoint ?? ''}${opts.mspId !== undefined ? ` as ${opts.mspId}` : ''}`
      .replace('gateway  as', 'gateway as')
      .trim(),
    async blocks(start: number): Promise<BlockStream> {
      const events = await network.getBlockEvents({ startBlock: BigInt(start) });
      return {
        async *[Symbol.asyncIterator]() {
          for await (const block of events) yield block.serializeBinary();
        },
        close: () => events.close(),
      };
    },
    evaluate: (chaincode, fn, args) => client.evaluate(fn, [...args], network.getContract(chaincode)),
    async height(): Promise<number | undefined> {
      if (opts.height !== undefined) {
        const h = await opts.height().catch(() => undefined);
        if (h !== undefined) return h;
      }
      try {
        const info = await network.getContract('qscc').evaluateTransaction('GetChainInfo', network.getName());
        return common.BlockchainInfo.deserializeBinary(info).getHeight();
      } catch {
        return undefined;
      }
    },
  };
}
