// SPDX-License-Identifier: Apache-2.0
// Governance enforced by the network, and the attacks of the paper's §VI-E that software can
// address, end to end with the unmodified @hyperledger/fabric-gateway client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CommitError, EndorseError, StatusCode, type Contract } from '@hyperledger/fabric-gateway';
import { buildChaincodePackage } from '@metroledger/lifecycle';
import { verifyLrSoftwareApproval } from '@metroledger/governance/api';
import { encodeSignedReading } from '@metroledger/lr';
import { generateEvent, Meter, newRng } from '@metroledger/meter';
import { startDevnet, type Devnet, type StartDevnetOptions } from './index.js';
import { defaultLrPackage } from './enforce.js';
import { installChaincodePackage } from './lifecycle.js';
import type { ClientConnection } from './testing/client.js';
import { approveLr, asNotifiedBody, bootstrapGovernance, connectAs, TEST_MODEL } from './testing/governance.js';

const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 10_000 };
const utf8 = new TextDecoder();
const rng = newRng('governance-test');
const dirs: string[] = [];

interface Net {
  devnet: Devnet;
  cetsp: ClientConnection;
  inmetro: ClientConnection;
  lr: Contract;
  registry: Contract;
  gov: Contract;
  close(): Promise<void>;
}

async function startNet(opts: Partial<StartDevnetOptions> = {}, dataDir?: string): Promise<Net> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'metroledger-gov-')));
  if (dataDir === undefined) dirs.push(dir);
  const devnet = await startDevnet({ dataDir: dir, port: 0, batch: { batchTimeoutMs: 5 }, ...opts });
  const [cetsp, inmetro] = await Promise.all([connectAs(devnet, 'CETSPMSP'), connectAs(devnet, 'InmetroMSP')]);
  return {
    devnet,
    cetsp,
    inmetro,
    lr: cetsp.gateway.getNetwork('metrology').getContract('lr'),
    registry: inmetro.gateway.getNetwork('metrology').getContract('lr'),
    gov: cetsp.gateway.getNetwork('metrology').getContract('governance'),
    close: async () => {
      cetsp.close();
      inmetro.close();
      await devnet.stop();
    },
  };
}

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function registerMeter(net: Net, meterId: string): Promise<Meter> {
  const meter = Meter.create({ meterId, geometry: GEOMETRY });
  await net.registry.submitTransaction(
    'registerMeter',
    JSON.stringify({
      meterId,
      ownerMspId: 'CETSPMSP',
      publicKeyPem: meter.publicKeyPem,
      geometry: GEOMETRY,
      location: { text: 'Av. Paulista 1000, São Paulo', lat: -23.56, lon: -46.65 },
      speedLimitKmh: 60,
      model: TEST_MODEL,
    }),
  );
  return meter;
}

let captureMs = 1_700_000_000_000;
function signedReading(meter: Meter): string {
  const event = generateEvent(rng, { scenario: 'valid', geometry: GEOMETRY } as never);
  captureMs += 1000;
  return Buffer.from(
    encodeSignedReading(meter.capture({ loopA: event.loopA, loopB: event.loopB, captureTimeMs: captureMs } as never)),
  ).toString('base64');
}

interface Incident {
  kind: string;
  organization: string;
  peer: string;
  expectedPackageId: string;
  foundPackageId: string;
  chaincodeName: string;
  detectedAt: string;
  txId: string;
}

async function incidents(net: Net): Promise<Incident[]> {
  return (JSON.parse(utf8.decode(await net.gov.evaluateTransaction('listIntegrityIncidents', '100', ''))) as { records: Incident[] })
    .records;
}

/** Polls a query until `ok` (real gRPC calls and commits); the limit is a hang guard. */
async function eventually<T>(
  what: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 120_000 /* a hang guard, not a speed target */,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function endorseRefusal(err: unknown, mspId: string, code: RegExp): true {
  assert.ok(err instanceof EndorseError, String(err));
  const detail = err.details.find((d) => d.mspId === mspId);
  assert.ok(detail !== undefined && code.test(detail.message), JSON.stringify(err.details));
  return true;
}

describe('policy and permission to run come from the ledger', () => {
  let net: Net;
  let approvedId: string;
  before(async () => {
    net = await startNet();
  });
  after(() => net.close());

  test('before the notified body approves the LR software, no peer runs it', async () => {
    const height = net.devnet.height();
    await assert.rejects(
      net.lr.evaluateTransaction('getMeter', 'SP-1'),
      /UNAPPROVED_PACKAGE: peer0\.lasige\.example\.com \(LaSIGEMSP\) refuses to run lr 1\.0/,
    );
    await assert.rejects(net.lr.submitTransaction('getMeter', 'SP-1'), (err) => err instanceof EndorseError);
    assert.equal(net.devnet.height(), height);
    approvedId = await bootstrapGovernance(net.devnet);
    assert.ok(
      net.devnet.installedPackages.filter((p) => p.chaincodeName === 'lr').every((p) => p.packageId === approvedId && p.version === '1.0'),
    );
  });

  test('a forged meter reading (not signed by the meter) is refused at endorsement; nothing is written', async () => {
    const meter = await registerMeter(net, 'SP-0001');
    const impostor = Meter.create({ meterId: 'SP-0001', geometry: GEOMETRY });
    const height = net.devnet.height();
    await assert.rejects(net.lr.submitTransaction('submitReading', signedReading(impostor)), (err) =>
      endorseRefusal(err, 'LaSIGEMSP', /BAD_SIGNATURE/),
    );
    assert.equal(net.devnet.height(), height);
    const record = JSON.parse(utf8.decode(await net.lr.submitTransaction('submitReading', signedReading(meter)))) as {
      sequence: number;
      lrSoftware: { chaincodeVersion: string };
    };
    assert.deepEqual([record.sequence, record.lrSoftware.chaincodeVersion], [1, '1.0']);
  });

  test('a revoked meter is refused: its authentic reading is recorded as REJECTED, not measured', async () => {
    const meter = await registerMeter(net, 'SP-0002');
    await net.registry.submitTransaction('revokeMeter', 'SP-0002', 'seal broken');
    const answer = JSON.parse(utf8.decode(await net.lr.submitTransaction('submitReading', signedReading(meter)))) as {
      status: string;
      reason: string;
    };
    assert.deepEqual([answer.status, answer.reason], ['REJECTED', 'METER_REVOKED']);
    const rejections = JSON.parse(utf8.decode(await net.lr.evaluateTransaction('listReadingRejections', 'SP-0002', '10', ''))) as {
      records: { sequence: number }[];
    };
    assert.deepEqual(
      rejections.records.map((r) => r.sequence),
      [1],
    );
    await assert.rejects(net.lr.evaluateTransaction('getMeasurement', 'SP-0002', '1'), /MEASUREMENT_NOT_FOUND/);
  });

  test('unauthorized organizations are refused: a provider cannot register meters or approve software, an unregistered org cannot read', async () => {
    const lasige = await connectAs(net.devnet, 'LaSIGEMSP', 'Admin');
    const height = net.devnet.height();
    try {
      const m = Meter.create({ meterId: 'SP-X', geometry: GEOMETRY });
      await assert.rejects(
        lasige.gateway
          .getNetwork('metrology')
          .getContract('lr')
          .submitTransaction(
            'registerMeter',
            JSON.stringify({
              meterId: 'SP-X',
              ownerMspId: 'CETSPMSP',
              publicKeyPem: m.publicKeyPem,
              geometry: GEOMETRY,
              location: { text: 'x', lat: 0, lon: 0 },
              speedLimitKmh: 60,
              model: TEST_MODEL,
            }),
          ),
        (err) => endorseRefusal(err, 'LaSIGEMSP', /ACCESS_DENIED/),
      );
      await assert.rejects(
        lasige.gateway.getNetwork('metrology').getContract('governance').submitTransaction('withdrawLrSoftware', 'lr', '1.0', 'mine now'),
        (err) => endorseRefusal(err, 'InmetroMSP', /ACCESS_DENIED/),
      );
    } finally {
      lasige.close();
    }
    await assert.rejects(net.lr.submitTransaction('registerMeter', '{}'), (err) => endorseRefusal(err, 'LaSIGEMSP', /ACCESS_DENIED/));
    assert.equal(net.devnet.height(), height);
  });

  test('a policy the notified body approves applies from its block on: loosened to 2 of 3, then tightened to all 3', async () => {
    const meter = await registerMeter(net, 'SP-0003');
    const viaLasigeAndInmetro = async () =>
      (
        await (
          await net.lr
            .newProposal('submitReading', { arguments: [signedReading(meter)], endorsingOrganizations: ['LaSIGEMSP', 'InmetroMSP'] })
            .endorse()
        ).submit()
      ).getStatus();
    assert.equal((await viaLasigeAndInmetro()).code, StatusCode.ENDORSEMENT_POLICY_FAILURE);

    await approveLr(net.devnet, {
      version: '1.1',
      packageId: `metroledger-speed_1.1.0:${'a1'.repeat(32)}`,
      sourceSha256: 'b1'.repeat(32),
      endorsementPolicy: "OutOf(2, 'LaSIGEMSP.peer','PUCPRMSP.peer','InmetroMSP.peer')",
    });
    const loosened = await viaLasigeAndInmetro();
    assert.equal(loosened.code, StatusCode.VALID);

    await approveLr(net.devnet, {
      version: '1.2',
      packageId: `metroledger-speed_1.2.0:${'a2'.repeat(32)}`,
      sourceSha256: 'b2'.repeat(32),
      endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer','InmetroMSP.peer')",
    });
    const providersOnly = await (
      await (
        await net.lr
          .newProposal('submitReading', { arguments: [signedReading(meter)], endorsingOrganizations: ['LaSIGEMSP', 'PUCPRMSP'] })
          .endorse()
      ).submit()
    ).getStatus();
    assert.equal(providersOnly.code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
    // the gateway derives its endorsers from the policy in force: all three now
    const record = JSON.parse(utf8.decode(await net.lr.submitTransaction('submitReading', signedReading(meter)))) as { sequence: number };
    assert.equal(record.sequence, 4); // 1 and 3 were refused at commit, 2 and 4 committed
  });

  test('a withdrawn version: peers refuse to endorse it and report it; its records and approval stay verifiable', async () => {
    await asNotifiedBody(net.devnet, 'withdrawLrSoftware', 'lr', '1.0', 'defect found in the LR software');
    const meter = await registerMeter(net, 'SP-0004').catch((err: unknown) => err);
    assert.ok(meter instanceof EndorseError && meter.details.some((d) => /WITHDRAWN_PACKAGE/.test(d.message)), String(meter));
    const height = net.devnet.height();
    await assert.rejects(net.lr.evaluateTransaction('getMeasurement', 'SP-0001', '1'), /WITHDRAWN_PACKAGE/);
    const reported = await eventually(
      () => incidents(net),
      (r) => r.length >= 3,
    );
    assert.deepEqual(reported.map((i) => [i.kind, i.organization]).sort(), [
      ['WITHDRAWN_PACKAGE', 'InmetroMSP'],
      ['WITHDRAWN_PACKAGE', 'LaSIGEMSP'],
      ['WITHDRAWN_PACKAGE', 'PUCPRMSP'],
    ]);
    assert.ok(net.devnet.height() > height); // only the incident reports were written
    const record = JSON.parse(utf8.decode(await net.gov.evaluateTransaction('getLrSoftware', 'lr', '1.0'))) as {
      status: string;
      packageId: string;
    } & Parameters<typeof verifyLrSoftwareApproval>[0];
    assert.deepEqual([record.status, record.packageId], ['WITHDRAWN', approvedId]);
    assert.equal(verifyLrSoftwareApproval(record), true);
  });
});

describe('attack 2: a tampered LR package on one provider', () => {
  let net: Net;
  before(async () => {
    net = await startNet({ tamperedPackageOn: 'PUCPRMSP' });
  });
  after(() => net.close());

  test('the tampered peer refuses to endorse (FINGERPRINT_MISMATCH) and records one incident on the ledger, readable by auditors', async () => {
    const approved = await bootstrapGovernance(net.devnet);
    const tampered = net.devnet.installedPackages.find((p) => p.mspId === 'PUCPRMSP' && p.chaincodeName === 'lr')!;
    assert.notEqual(tampered.packageId, approved);
    assert.equal(tampered.packageId.split(':')[0], approved.split(':')[0]);

    const meter = await registerMeter(net, 'SP-0100').catch((err: unknown) => err);
    // registerMeter needs the providers' endorsements too: PUCPR's peer refuses
    assert.ok(meter instanceof EndorseError, String(meter));
    const height = net.devnet.height();
    for (let i = 0; i < 3; i++) {
      // the gateway reports the first endorser's failure, as Fabric's does: ask PUCPR's peer alone
      await assert.rejects(net.lr.submit('getMeter', { arguments: ['SP-0100'], endorsingOrganizations: ['PUCPRMSP'] }), (err) => {
        assert.ok(err instanceof EndorseError, String(err));
        const d = err.details.find((x) => x.mspId === 'PUCPRMSP')!;
        assert.equal(d.address, 'peer0.pucpr.example.com:7051');
        assert.match(
          d.message,
          new RegExp(
            `FINGERPRINT_MISMATCH: peer0\\.pucpr\\.example\\.com \\(PUCPRMSP\\) refuses to run lr 1\\.0: installed package ${tampered.packageId} is not the approved package ${approved}`,
          ),
        );
        return true;
      });
    }
    // Every refusal above was answered after its peer's report was under way: once those reports
    // have committed, a second report of the same episode would be on the ledger (no sleep needed).
    await net.devnet.incidentReportsSettled();
    const reported = await incidents(net);
    assert.equal(reported.length, 1, JSON.stringify(reported));
    assert.deepEqual(
      [
        reported[0]!.kind,
        reported[0]!.organization,
        reported[0]!.peer,
        reported[0]!.chaincodeName,
        reported[0]!.expectedPackageId,
        reported[0]!.foundPackageId,
      ],
      ['FINGERPRINT_MISMATCH', 'PUCPRMSP', 'peer0.pucpr.example.com', 'lr', approved, tampered.packageId],
    );
    assert.ok(!Number.isNaN(Date.parse(reported[0]!.detectedAt)));
    assert.equal(net.devnet.height(), height + 1); // the incident, nothing else
    // honest peers still answer queries
    await assert.rejects(net.lr.evaluateTransaction('getMeter', 'SP-0100'), /METER_NOT_FOUND/);
  });
});

describe('attacks 3 and 4: one provider runs modified LR code without the fingerprint check', () => {
  let net: Net;
  before(async () => {
    net = await startNet({
      subvertedPeers: [{ mspId: 'PUCPRMSP', chaincode: 'lr', module: join(__dirname, 'testing', 'modified-lr.js') }],
    });
    await bootstrapGovernance(net.devnet);
  });
  after(() => net.close());

  test('its lone endorsement fails ENDORSEMENT_POLICY_FAILURE, and differing endorsements are refused before ordering', async () => {
    // meter registration computes nothing: both providers agree
    const meter = await registerMeter(net, 'SP-0200');
    const height = net.devnet.height();
    await assert.rejects(net.lr.submitTransaction('submitReading', signedReading(meter)), (err: unknown) => {
      assert.ok(err instanceof EndorseError, String(err));
      assert.equal(err.code, grpc.status.ABORTED);
      assert.ok(
        err.details.some((d) => d.mspId === 'PUCPRMSP' && d.message === 'ProposalResponsePayloads do not match'),
        JSON.stringify(err.details),
      );
      return true;
    });
    assert.equal(net.devnet.height(), height);
    await assert.rejects(
      net.lr.submit('submitReading', { arguments: [signedReading(meter)], endorsingOrganizations: ['PUCPRMSP'] }),
      (err: unknown) => {
        assert.ok(err instanceof CommitError, String(err));
        assert.equal(err.code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
        return true;
      },
    );
    await assert.rejects(net.lr.evaluateTransaction('getMeasurement', 'SP-0200', '1'), /MEASUREMENT_NOT_FOUND/);
    await assert.rejects(net.lr.evaluateTransaction('getMeasurement', 'SP-0200', '2'), /MEASUREMENT_NOT_FOUND/);
  });
});

describe('upgrade: a new version needs its own approval; measurements stay attributed to their version', () => {
  test('1.1 installed and approved while 1.0 records exist; 1.0 withdrawn; both versions stay verifiable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metroledger-upgrade-'));
    dirs.push(dir);
    let net = await startNet({}, dir);
    let meter: Meter;
    let v11: string;
    try {
      await bootstrapGovernance(net.devnet);
      meter = await registerMeter(net, 'SP-0300');
      await net.lr.submitTransaction('submitReading', signedReading(meter));
      // the manufacturer's release 1.1: the same code stating chaincode version 1.1
      const base = await defaultLrPackage();
      const files = new Map(base.files);
      const config = Buffer.from(files.get('src/dist/config.js')!).toString('utf8');
      assert.match(config, /LR_CHAINCODE_VERSION = '1\.0'/);
      files.set('src/dist/config.js', Buffer.from(config.replace("LR_CHAINCODE_VERSION = '1.0'", "LR_CHAINCODE_VERSION = '1.1'")));
      const pkg11 = buildChaincodePackage({ label: 'metroledger-speed_1.1.0', files });
      v11 = pkg11.packageId;
      await net.close();
      for (const p of net.devnet.installedPackages) await installChaincodePackage(dir, p.peer, 'lr', pkg11.bytes);
      net = await startNet({}, dir);
      assert.ok(net.devnet.installedPackages.every((p) => p.version === '1.1' && p.packageId === v11));
      // installed but not approved: refused
      await assert.rejects(net.lr.evaluateTransaction('getMeasurement', 'SP-0300', '1'), /UNAPPROVED_PACKAGE/);
      await approveLr(net.devnet, {
        version: '1.1',
        packageId: v11,
        sourceSha256: pkg11.codeDigest,
        endorsementPolicy: "AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
      });
      // the model must list 1.1 before meters may run with it
      await assert.rejects(net.lr.submitTransaction('submitReading', signedReading(meter)), (err) =>
        endorseRefusal(err, 'LaSIGEMSP', /LR_VERSION_NOT_APPROVED/),
      );
      await asNotifiedBody(
        net.devnet,
        'approveMeterModel',
        JSON.stringify({
          model: TEST_MODEL,
          manufacturer: 'Metro Sensors Ltda.',
          chaincodeName: 'lr',
          approvedLrVersions: ['1.1'],
          certificateRef: 'Portaria Inmetro ML-1 rev. 2',
        }),
      );
      await asNotifiedBody(net.devnet, 'withdrawLrSoftware', 'lr', '1.0', 'superseded by 1.1');
      const r2 = JSON.parse(utf8.decode(await net.lr.submitTransaction('submitReading', signedReading(meter)))) as {
        sequence: number;
        lrSoftware: { chaincodeVersion: string };
      };
      assert.deepEqual([r2.sequence, r2.lrSoftware.chaincodeVersion], [3, '1.1']); // 2 was refused at endorsement
      const r1 = JSON.parse(utf8.decode(await net.lr.evaluateTransaction('getMeasurement', 'SP-0300', '1'))) as {
        lrSoftware: { chaincodeVersion: string };
      };
      assert.equal(r1.lrSoftware.chaincodeVersion, '1.0');
      const listed = JSON.parse(utf8.decode(await net.gov.evaluateTransaction('listLrSoftware', 'lr'))) as ({
        version: string;
        status: string;
      } & Parameters<typeof verifyLrSoftwareApproval>[0])[];
      assert.deepEqual(
        listed.map((r) => [r.version, r.status]),
        [
          ['1.0', 'WITHDRAWN'],
          ['1.1', 'APPROVED'],
        ],
      );
      assert.ok(listed.every(verifyLrSoftwareApproval));
    } finally {
      await net.close();
    }
  });
});
