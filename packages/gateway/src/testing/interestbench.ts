// SPDX-License-Identifier: Apache-2.0
// What planning from the chaincode interest adds to the gateway's work per endorsed transaction:
// node packages/gateway/dist/testing/interestbench.js [calls=5000] [rounds=6]
// For an LR-sized response that touches no collection: the wire-format scan the gateway now does
// (touchesCollections), the full decode it skips for such a response (chaincodeInterest), and for
// scale the envelope assembly it did for every transaction before (newTransactionEnvelope). The
// variants alternate within each round, so a loaded machine slows them alike: compare the
// ratios, rerun on a quiet machine for absolute figures.
import { performance } from 'node:perf_hooks';
import { newEndorsement, newTransactionEnvelope, parseSignedProposal, type NsReadWriteSet } from '@metroledger/protocol';
import { newTestSignedProposal } from '@metroledger/protocol/testing/proposal';
import { testNetwork } from '@metroledger/protocol/testing/validation';
import { chaincodeInterest, touchesCollections } from '../interest.js';

async function main(): Promise<void> {
  const txs = Number(process.argv[2] ?? 5000);
  const rounds = Number(process.argv[3] ?? 6);
  const net = await testNetwork();
  const client = net.org1.signingIdentity('User1');
  const endorser = net.org1.signingIdentity('peer0');
  const signed = newTestSignedProposal(client, { args: ['submitReading', Buffer.alloc(9_900, 3)] });
  const p = parseSignedProposal(signed.bytes);
  // As a São Paulo reading: reads of the meter, its model and approval, and the measurement
  // record (about 5.5 KB with the raw signals) with its sequence and time index entries.
  const rwset: NsReadWriteSet = {
    namespace: 'lr',
    reads: ['meter\u0000SP-0042\u0000', 'seq\u0000SP-0042\u00000000000000012345\u0000'].map((key) => ({
      key,
      version: { blockNum: 120, txNum: 3 },
    })),
    rangeQueries: [],
    writes: [
      { key: 'measurement\u0000SP-0042\u00001733350000000\u00000000000000012345\u0000', isDelete: false, value: Buffer.alloc(5_500, 9) },
      { key: 'seq\u0000SP-0042\u00000000000000012345\u0000', isDelete: false, value: Buffer.from('1733350000000') },
    ],
  };
  const governance: NsReadWriteSet = {
    namespace: 'governance',
    reads: ['model\u0000X1\u0000', 'approval\u0000lr\u0000'].map((key) => ({ key, version: { blockNum: 2, txNum: 0 } })),
    rangeQueries: [],
    writes: [],
  };
  const response = newEndorsement(
    p,
    { response: { status: 200, message: '', payload: Buffer.from('{"speed":61.2}') }, rwset, rwsets: [rwset, governance] },
    { name: 'lr', version: '1.0' },
    endorser,
  );
  let sink = 0;
  const variants: Record<string, () => void> = {
    // what the gateway did per transaction before, for scale
    'assemble the envelope': () => {
      sink += newTransactionEnvelope(p, [response]).length & 1;
    },
    // what the plan now adds to a transaction that touches no collection
    'scan for collections': () => {
      if (touchesCollections(response.prpBytes, 'lr')) sink++;
    },
    // what it would cost to decode every response instead
    'decode the interest': () => {
      sink += chaincodeInterest(response.prpBytes, 'lr').writes.collections.length;
    },
  };
  const run = (fn: () => void): number => {
    const t = performance.now();
    for (let i = 0; i < txs; i++) fn();
    return ((performance.now() - t) * 1000) / txs;
  };
  const times = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) run(fn); // warm-up
  for (let r = 0; r < rounds; r++) for (const [name, fn] of Object.entries(variants)) times.get(name)!.push(run(fn));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = times.get('assemble the envelope')!;
  console.log(`prp ${response.prpBytes.length} bytes; ${txs} calls per round, ${rounds} rounds, variants alternated`);
  for (const [name, ts] of times) {
    const ratios = ts.map((t, i) => t / base[i]!);
    console.log(`${name.padEnd(22)} median ${median(ts).toFixed(2)} µs per call, ${median(ratios).toFixed(3)} × assembling the envelope`);
  }
  if (sink < 0) console.log(sink);
}

void main();
