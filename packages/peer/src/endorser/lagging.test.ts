// SPDX-License-Identifier: Apache-2.0
// The lagging-endorser fault: two peers, one up to date and one behind, endorse the same proposal
// differently (another read version), as Fabric peers at different heights do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { hostContracts, MemoryState } from '@metroledger/chaincode-host';
import { generateOrganization, MspRegistry } from '@metroledger/identity';
import { newTransactionEnvelope, parseEnvelope, parseSignedProposal, type StateReader } from '@metroledger/protocol';
import { newTestSignedProposal } from '@metroledger/protocol/testing/proposal';
import { Endorser } from './endorser.js';
import { LaggingState } from './lagging.js';

class SequenceContract extends Contract {
  constructor() {
    super('seq');
  }

  /** Accepts the next sequence only (as the LR chaincode does a meter's). */
  @Transaction()
  async advance(ctx: Context, next: string): Promise<number> {
    const last = Number(Buffer.from(await ctx.stub.getState('last')).toString() || '0');
    if (Number(next) <= last) throw new Error(`REPLAYED_SEQUENCE: ${next} is not above ${last}`);
    await ctx.stub.putState('last', Buffer.from(next));
    return last;
  }
}

test('a lagging endorser reads what it first read until it has simulated its stale proposals, then the ledger', async () => {
  const [peers, clients] = await Promise.all([
    generateOrganization({ name: 'LaSIGE', mspId: 'LaSIGEMSP', domain: 'lasige.example.com', kind: 'peer', peers: ['peer0', 'peer1'] }),
    generateOrganization({ name: 'CETSP', mspId: 'CETSPMSP', domain: 'cetsp.example.com', kind: 'peer', users: ['User1'] }),
  ]);
  const state = new MemoryState();
  const msps = new MspRegistry([peers.mspConfig(), clients.mspConfig()]);
  const ledger = { state, getTx: async () => undefined };
  const endorser = (name: string, simulationState?: () => StateReader) =>
    new Endorser({
      identity: peers.signingIdentity(name),
      address: `${name}.lasige.example.com:7051`,
      channelId: 'metrology',
      msps,
      ledger,
      chaincodes: [hostContracts({ name: 'seq', version: '1.0', contracts: [SequenceContract] })],
      ...(simulationState && { simulationState }),
    });
  const lag = new LaggingState(state, { proposals: 2 });
  const upToDate = endorser('peer0');
  const behind = endorser('peer1', () => lag.next());
  const user = clients.signingIdentity('User1');
  let block = 1;
  const both = async (next: number) => {
    const { bytes } = newTestSignedProposal(user, { chaincodeName: 'seq', args: ['advance', String(next)] });
    const [a, b] = [await upToDate.processProposal(bytes), await behind.processProposal(bytes)];
    return { a, b, bytes };
  };
  const commit = (bytes: Uint8Array, r: Awaited<ReturnType<Endorser['processProposal']>>) =>
    state.applyAll(parseEnvelope(newTransactionEnvelope(parseSignedProposal(bytes), [r])).rwsets, { blockNum: block++, txNum: 0 });

  const first = await both(1);
  assert.deepEqual(Buffer.from(first.a.prpBytes), Buffer.from(first.b.prpBytes), 'both read the same state: they agree');
  commit(first.bytes, first.a);
  assert.equal(lag.lagging, 1);

  const second = await both(2);
  assert.equal(second.a.status, 200);
  assert.equal(second.b.status, 200);
  assert.notDeepEqual(Buffer.from(second.a.prpBytes), Buffer.from(second.b.prpBytes), 'the lagging peer still reads the key as absent');
  const staleReads = parseEnvelope(newTransactionEnvelope(parseSignedProposal(second.bytes), [second.b])).rwsets[0]!.reads;
  assert.deepEqual(staleReads, [{ key: 'last' }], 'read with no version: absent, as before block 1');
  assert.equal(lag.lagging, 0);

  const third = await both(2);
  assert.deepEqual(Buffer.from(third.a.prpBytes), Buffer.from(third.b.prpBytes), 'caught up: they agree again');
});
