// SPDX-License-Identifier: Apache-2.0
// Which BFT cluster sizes the devnet accepts: every n from 4 (the smallest that tolerates a
// Byzantine consenter) to its process limit, 3f+1 or not, since quorums are bftQuorum(n).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_NETWORK } from './config/default-network.js';
import { DevnetError } from './errors.js';
import { orderingChoice } from './ordering.js';

const refused = (o: Parameters<typeof orderingChoice>[1], what: RegExp) =>
  assert.throws(
    () => orderingChoice(DEFAULT_NETWORK, o),
    (e: unknown) => e instanceof DevnetError && e.code === 'BAD_CONFIG' && what.test(e.message),
  );

test('BFT accepts any n in 4..31 and at most f = floor((n-1)/3) replicas down', () => {
  for (let n = 4; n <= 31; n++) {
    const f = Math.floor((n - 1) / 3);
    const down = Array.from({ length: f }, (_, i) => i);
    assert.deepEqual(orderingChoice(DEFAULT_NETWORK, { ordering: 'bft', bftReplicas: n, bftReplicasDown: down }), {
      type: 'bft',
      replicas: n,
      replicasDown: down,
    });
    refused({ ordering: 'bft', bftReplicas: n, bftReplicasDown: [...down, f] }, new RegExp(`at most f = ${f} of ${n}`));
  }
  for (const n of [0, 1, 2, 3, 32, 4.5, Number.NaN]) refused({ ordering: 'bft', bftReplicas: n }, /BFT needs 4\.\.31 replicas/);
});
