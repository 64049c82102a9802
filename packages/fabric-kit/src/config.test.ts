// SPDX-License-Identifier: Apache-2.0
// The kit's configuration without Fabric binaries: configtx.yaml profiles against the topology and
// the crypto layout, the peer and orderer overlays rendered for every node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { writeNetworkCrypto } from './crypto.js';
import { FabricKitError } from './errors.js';
import { checkProfile, configtxFor, defaultProfile, ordererEnv, peerEnv } from './network.js';
import { CONFIG_DIR, renderOverlay } from './overlay.js';
import {
  allPorts,
  CONFIGTX_PROFILE,
  DEFAULT_PORT_BASE,
  HOST,
  ORDERING_PROFILES,
  orderersOf,
  PEER_ORGS,
  peersAt,
  type OrderingProfile,
} from './topology.js';

const PEERS = peersAt(DEFAULT_PORT_BASE);

type Yaml = Record<string, any>; // parsed YAML, checked field by field below

async function configtx(): Promise<Yaml> {
  return parse(await readFile(join(CONFIG_DIR, 'configtx.yaml'), 'utf8'), { merge: true }) as Yaml;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

test('every port of every profile is distinct and within base+1..base+999, so two networks fit in 20000-21999', () => {
  for (const profile of ORDERING_PROFILES) {
    for (const base of [20_000, 21_000]) {
      const ports = allPorts(profile, base);
      assert.equal(new Set(ports).size, ports.length, profile);
      for (const p of ports) assert.ok(p > base && p < base + 1000, `${profile}: port ${p}`);
    }
  }
});

test('another port base moves every port of configtx.yaml, and only ports', async () => {
  const text = await readFile(join(CONFIG_DIR, 'configtx.yaml'), 'utf8');
  const moved = parse(configtxFor({ major: 3 }, text, 21_000), { merge: true }) as Yaml;
  const bft = moved.Profiles.MetrologyBFT;
  assert.deepEqual(
    (bft.Orderer.ConsenterMapping as Yaml[]).map((c) => `${c.Host}:${c.Port}`),
    orderersOf('bft', 21_000).map((o) => `${HOST}:${o.port}`),
  );
  assert.deepEqual(
    (bft.Orderer.Organizations as Yaml[]).flatMap((o) => o.OrdererEndpoints),
    orderersOf('bft', 21_000).map((o) => `${HOST}:${o.port}`),
  );
  assert.deepEqual(
    (bft.Application.Organizations as Yaml[]).flatMap((o) => (o.AnchorPeers ?? []).map((a: Yaml) => a.Port)),
    peersAt(21_000).map((p) => p.port),
  );
  assert.equal(bft.Application.Policies.LifecycleEndorsement.Rule, "AND('InmetroMSP.peer', OutOf(2, 'LaSIGEMSP.peer', 'PUCPRMSP.peer'))");
});

test('configtx.yaml: anchor peers, orderer endpoints and consenters are the topology nodes', async () => {
  const doc = await configtx();
  for (const profile of ORDERING_PROFILES) {
    const p = doc.Profiles[CONFIGTX_PROFILE[profile]];
    assert.ok(p, `profile ${CONFIGTX_PROFILE[profile]}`);
    const apps = p.Application.Organizations as Yaml[];
    assert.deepEqual(
      apps.map((o) => o.ID),
      PEER_ORGS.map((o) => o.spec.mspId),
    );
    for (const peer of PEERS) {
      const org = apps.find((o) => o.ID === peer.mspId)!;
      assert.deepEqual(org.AnchorPeers, [{ Host: HOST, Port: peer.port }], peer.fqdn);
    }
    const orderers = orderersOf(profile, DEFAULT_PORT_BASE);
    const endpoints = (p.Orderer.Organizations as Yaml[]).flatMap((o) => (o.OrdererEndpoints as string[]).map((e) => `${o.ID} ${e}`));
    assert.deepEqual(
      endpoints,
      orderers.map((o) => `${o.mspId} ${HOST}:${o.port}`),
      profile,
    );
    const consenters: Yaml[] = profile === 'bft' ? p.Orderer.ConsenterMapping : p.Orderer.EtcdRaft.Consenters;
    assert.deepEqual(
      consenters.map((c) => `${c.Host}:${c.Port}`),
      orderers.map((o) => `${HOST}:${o.port}`),
      profile,
    );
  }
});

test('configtx.yaml: SmartBFT has 4 consenters of 4 orderer organizations, channel capability V3_0; Raft stays V2_0 for Fabric 2.5', async () => {
  const doc = await configtx();
  const bft = doc.Profiles.MetrologyBFT;
  assert.equal(bft.Orderer.OrdererType, 'BFT');
  assert.deepEqual(bft.Capabilities, { V3_0: true });
  const mapping = bft.Orderer.ConsenterMapping as Yaml[];
  assert.deepEqual(
    mapping.map((c) => c.ID),
    [1, 2, 3, 4],
  );
  assert.equal(new Set(mapping.map((c) => c.MSPID)).size, 4);
  assert.deepEqual(
    mapping.map((c) => c.MSPID),
    (bft.Orderer.Organizations as Yaml[]).map((o) => o.ID),
  );
  assert.ok(bft.Orderer.SmartBFT.RequestBatchMaxBytes >= 1024 * 1024, 'a batch must hold São Paulo readings (about 16 KB each)');
  for (const profile of ['MetrologyRaft', 'MetrologyRaft3']) {
    assert.equal(doc.Profiles[profile].Orderer.OrdererType, 'etcdraft');
    assert.deepEqual(doc.Profiles[profile].Capabilities, { V2_0: true });
    assert.deepEqual(doc.Profiles[profile].Application.Capabilities, { V2_5: true });
  }
});

test("configtx.yaml: the governance policies are the devnet's (LifecycleEndorsement needs the notified body)", async () => {
  const doc = await configtx();
  const devnet = parse(await readFile(join(require.resolve('@metroledger/devnet/package.json'), '..', 'fabric', 'configtx.yaml'), 'utf8'), {
    merge: true,
  }) as Yaml;
  for (const profile of Object.values(CONFIGTX_PROFILE)) {
    assert.deepEqual(doc.Profiles[profile].Application.Policies, devnet.Profiles.MetrologyChannel.Application.Policies, profile);
    const apps = doc.Profiles[profile].Application.Organizations as Yaml[];
    for (const org of devnet.Profiles.MetrologyChannel.Application.Organizations as Yaml[]) {
      assert.deepEqual(apps.find((o) => o.ID === org.ID)?.Policies, org.Policies, `${profile} ${org.ID}`);
    }
  }
  assert.equal(doc.Application.Policies.LifecycleEndorsement.Rule, "AND('InmetroMSP.peer', OutOf(2, 'LaSIGEMSP.peer', 'PUCPRMSP.peer'))");
});

test('configtx.yaml names only files the kit writes (MSP directories, TLS certificates, consenter identities)', async () => {
  const doc = await configtx();
  const dir = await mkdtemp(join(tmpdir(), 'ml-kit-'));
  try {
    for (const profile of ['raft3', 'bft'] as OrderingProfile[]) {
      const net = join(dir, profile);
      await writeNetworkCrypto(net, profile);
      const p = doc.Profiles[CONFIGTX_PROFILE[profile]];
      const paths: string[] = [...p.Application.Organizations, ...p.Orderer.Organizations].map((o: Yaml) => o.MSPDir);
      for (const c of (profile === 'bft' ? p.Orderer.ConsenterMapping : p.Orderer.EtcdRaft.Consenters) as Yaml[]) {
        paths.push(c.ClientTLSCert, c.ServerTLSCert, ...(c.Identity ? [c.Identity] : []));
      }
      for (const path of paths) {
        assert.ok(!isAbsolute(path), path);
        assert.ok(await exists(join(net, path)), `${profile}: ${path}`);
      }
      for (const o of p.Application.Organizations as Yaml[])
        assert.match(await readFile(join(net, o.MSPDir, 'config.yaml'), 'utf8'), /NodeOUs:\n {2}Enable: true/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the overlays render for every peer and orderer, and every file they name exists', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ml-kit-'));
  try {
    for (const profile of ORDERING_PROFILES) {
      const net = join(dir, profile);
      await writeNetworkCrypto(net, profile);
      const rendered = [
        ...(await Promise.all(PEERS.map((p) => peerEnv(net, profile, p)))),
        ...(await Promise.all(orderersOf(profile, DEFAULT_PORT_BASE).map((o) => ordererEnv(net, profile, o)))),
      ];
      for (const env of rendered) {
        for (const [key, value] of Object.entries(env)) {
          assert.match(key, /^(CORE|ORDERER)_[A-Z0-9_]+$/);
          assert.doesNotMatch(value, /\$\{/);
          for (const file of value.replace(/^\[|\]$/g, '').split(',')) {
            if (/(FILE|CERTIFICATE|PRIVATEKEY|ROOTCAS|MSPCONFIGPATH|MSPDIR)$/.test(key))
              assert.ok(await exists(file.trim()), `${key}=${file}`);
          }
        }
      }
      const lasige = await peerEnv(net, profile, PEERS[1]!);
      assert.equal(lasige.CORE_PEER_ADDRESS, `${HOST}:${PEERS[1]!.port}`);
      assert.match(lasige.CORE_CHAINCODE_EXTERNALBUILDERS!, /builders\/ccaas\}\]$/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('for Fabric 2.5 the kit drops only the SmartBFT profile, the last section of configtx.yaml', async () => {
  const text = await readFile(join(CONFIG_DIR, 'configtx.yaml'), 'utf8');
  assert.equal(configtxFor({ major: 3 }, text), text);
  const for25 = parse(configtxFor({ major: 2 }, text), { merge: true }) as Yaml;
  const full = parse(text, { merge: true }) as Yaml;
  assert.deepEqual(Object.keys(for25.Profiles), ['MetrologyRaft', 'MetrologyRaft3']);
  assert.deepEqual(for25.Profiles.MetrologyRaft3, full.Profiles.MetrologyRaft3);
  assert.deepEqual(for25.Organizations, full.Organizations);
  assert.doesNotMatch(JSON.stringify(for25), /"SmartBFT"|"ConsenterMapping"|"BFT"/);
});

test('renderOverlay refuses undefined placeholders, repeated keys and lines that are not KEY=VALUE', () => {
  assert.deepEqual(renderOverlay('# c\n\nA_B=${X}:1\nC=[${X}]\n', { X: 'y' }), { A_B: 'y:1', C: '[y]' });
  const code = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof FabricKitError && e.code === 'BAD_OVERLAY');
  code(() => renderOverlay('A=${MISSING}', {}));
  code(() => renderOverlay('A=1\nA=2', {}));
  code(() => renderOverlay('export A=1', {}));
});

test('SmartBFT is refused on Fabric 2.5 with a clear error; the default ordering follows the version', () => {
  assert.equal(defaultProfile({ major: 3 }), 'bft');
  assert.equal(defaultProfile({ major: 2 }), 'raft');
  assert.throws(
    () => checkProfile({ major: 2, version: '2.5.12' }, 'bft'),
    (e: unknown) => e instanceof FabricKitError && e.code === 'UNSUPPORTED_PROFILE',
  );
  checkProfile({ major: 2, version: '2.5.12' }, 'raft3');
});
