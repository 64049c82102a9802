// SPDX-License-Identifier: Apache-2.0
// Reads blocks from a node's Deliver service with the unmodified @hyperledger/fabric-gateway client,
// as any channel member would, and compares them with the bytes the ledger stored before damage.
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { loadMspIdentity, newGrpcConnection } from '@metroledger/client';
import { devnetUserMsp } from '@metroledger/scenario';
import type { ChaosNode } from './process';

export interface DeliverOutcome {
  /** Blocks served whose bytes differ from what was stored before the damage. */
  readonly corruptServed: number[];
  /** Blocks served as stored. */
  readonly intactServed: number;
  /** How the stream ended early, when it did (e.g. DATA_LOSS at the damaged block). */
  readonly refusal?: string;
}

/** Reads blocks 0..original.length-1 and counts those served with other bytes than `original`. */
export async function deliverAll(node: ChaosNode, dataDir: string, original: readonly Uint8Array[]): Promise<DeliverOutcome> {
  const connection = newGrpcConnection(node.endpoint, await readFile(node.tlsCaCertPath), node.tlsServerName);
  const id = await loadMspIdentity(devnetUserMsp(dataDir, 'cetsp.example.com'));
  const gateway = connect({
    client: connection,
    identity: { mspId: 'CETSPMSP', credentials: id.certificatePem },
    signer: signers.newPrivateKeySigner(createPrivateKey(id.privateKeyPem)),
    hash: hash.sha256,
    blockEventsOptions: () => ({ deadline: Date.now() + 300_000 }), // a hang guard
  });
  const corruptServed: number[] = [];
  let intactServed = 0;
  let refusal: string | undefined;
  const events = await gateway.getNetwork('metrology').getBlockEvents({ startBlock: 0n });
  try {
    for await (const block of events) {
      const n = Number(block.getHeader()!.getNumber());
      if (Buffer.compare(Buffer.from(block.serializeBinary()), Buffer.from(original[n] ?? new Uint8Array())) === 0) intactServed++;
      else corruptServed.push(n);
      if (n >= original.length - 1) break;
    }
  } catch (err) {
    refusal = `${(err as { code?: number }).code ?? ''} ${(err as Error).message}`.trim();
  } finally {
    events.close();
    gateway.close();
    connection.close();
  }
  return { corruptServed, intactServed, ...(refusal !== undefined && { refusal }) };
}
