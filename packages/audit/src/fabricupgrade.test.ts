// SPDX-License-Identifier: Apache-2.0
// The fabric kit's recorded ledgers (testdata/fabric-<version>/, see testdata/README.md): real
// Fabric 3.0.0 SmartBFT and 2.5.12 Raft ledgers whose lr definition was upgraded to sequence 2. That
// commit writes only the _lifecycle fields that changed (Fabric's serializer skips equal values); the
// audit must carry the others over from sequence 1, as the peer's state does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { formatPolicy, parsePolicy } from '@metroledger/policy';
import { governancePlugin, ledgerDirectorySource, runAudit } from './index';
import { LR_1_1_0_PACKAGE } from './testing/fabric';

interface Expected {
  readonly height: number;
  readonly chaincodes: readonly { name: string; version: string; sequence: number; endorsementPolicy: string }[];
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'metroledger-audit-upgrade-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

for (const version of ['3.0.0', '2.5.12']) {
  describe(`real Fabric ${version} ledger with a chaincode definition upgrade`, () => {
    const fixture = join(__dirname, '..', 'testdata', `fabric-${version}`);
    test('passes with zero findings; every definition, the upgrade included, is what Fabric committed', async () => {
      const expected = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as Expected;
      const chains = join(root, version, 'ledgersData', 'chains', 'chains', 'metrology');
      await mkdir(chains, { recursive: true });
      await writeFile(
        join(chains, 'blockfile_000000'),
        gunzipSync(await readFile(join(fixture, 'chains', 'metrology', 'blockfile_000000.gz'))),
      );
      // The 1.1.0 readings re-execute through the approved 1.1.0 package, whatever LR version is bundled.
      const { report } = await runAudit(ledgerDirectorySource(join(root, version)), {
        plugins: [governancePlugin()],
        workers: 0,
        lrPackages: [LR_1_1_0_PACKAGE],
      });
      assert.deepEqual(report.findings, []);
      assert.equal(report.counts.reexecuted, report.counts.readings);
      assert.equal(report.lrSoftware.find((u) => u.from === 'package' && u.version === '1.1.0')?.readings, report.counts.readings);
      assert.equal(report.verdict, 'PASS');
      assert.equal(report.toBlock, expected.height - 1);
      const last = new Map(report.chaincodeDefinitions.map((d) => [d.name, d]));
      for (const want of expected.chaincodes) {
        const got = last.get(want.name);
        assert.ok(got, `definition of ${want.name}`);
        assert.equal(got.sequence, want.sequence);
        assert.equal(got.version, want.version);
        assert.equal(got.policy, formatPolicy(parsePolicy(want.endorsementPolicy)));
      }
      assert.equal(report.chaincodeDefinitions.filter((d) => d.name === 'lr').length, 2);
    });
  });
}
