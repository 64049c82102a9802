// SPDX-License-Identifier: Apache-2.0
// Simulation cost of a private write against a public one, side by side in one process:
//   node packages/chaincode-host/dist/testing/privatebench.js [invocations per round=2000] [rounds=4]
// Rounds alternate (public, private, public, private, ...) so that a busy machine slows both alike;
// the ratio is the figure to compare, not the absolute rates.
import { performance } from 'node:perf_hooks';
import { hostContracts } from '../host';
import { MemoryState } from '../memorystate';
import type { ChaincodeInvocation } from '../host';
import { selfSignedCertPem } from './certs';
import { KvContract } from './kvcontract';
import { PrivateContract } from './privatecontract';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 4);
  const pem = Buffer.from(await selfSignedCertPem('bench', 'Org1'));
  const inv = (args: string[], transient?: Map<string, Uint8Array>): ChaincodeInvocation => ({
    channelId: 'bench',
    txId: 'tx',
    args: args.map((a) => Buffer.from(a)),
    creator: { mspId: 'Org1MSP', idBytes: pem },
    timestamp: { seconds: 1_700_000_000, nanos: 0 },
    ...(transient !== undefined && { transient }),
  });
  const value = Buffer.alloc(150, 7);
  const kv = hostContracts({ name: 'kv', version: '1', contracts: [KvContract] });
  const pv = hostContracts({ name: 'pv', version: '1', contracts: [PrivateContract] });
  const state = new MemoryState();
  const access = { hasCollection: () => true, get: async () => undefined };
  const publicPut = inv(['kv:put', 'k', value.toString('latin1')]);
  const privatePut = inv(['put', '_implicit_org_Org1MSP', 'k'], new Map([['value', value]]));
  const run = async (priv: boolean): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = priv ? await pv.invoke(privatePut, state, { privateData: access }) : await kv.invoke(publicPut, state);
      if (r.response.status !== 200) throw new Error(r.response.message);
    }
    return n / ((performance.now() - t0) / 1000);
  };
  await run(false);
  await run(true);
  const pub: number[] = [];
  const pvt: number[] = [];
  for (let r = 0; r < rounds; r++) {
    pub.push(await run(false));
    pvt.push(await run(true));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`public putState:       ${pub.map((x) => x.toFixed(0)).join(', ')} invocations/s (median ${median(pub).toFixed(0)})`);
  console.log(`private putPrivateData: ${pvt.map((x) => x.toFixed(0)).join(', ')} invocations/s (median ${median(pvt).toFixed(0)})`);
  console.log(`private / public: ${(median(pvt) / median(pub)).toFixed(2)}`);
}

void main();
