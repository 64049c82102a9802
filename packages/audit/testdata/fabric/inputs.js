// SPDX-License-Identifier: Apache-2.0
// Arguments of the transactions record.sh submits, as JSON: node inputs.js <work dir> <lr package id> <out file>
// Uses the built repository (governance approval signing, meters, the event generator).
'use strict';
// fabric-contract-api (loaded with the governance package) logs at INFO to stdout unless told before it loads.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = 'error';
const { readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { createPrivateKey } = require('node:crypto');
const repo = join(__dirname, '..', '..', '..', '..');
const { signLrSoftwareApproval } = require(join(repo, 'packages/governance/dist/index.js'));
const { signLowS } = require(join(repo, 'packages/identity/dist/index.js'));
const { encodeSignedReading } = require(join(repo, 'packages/lr/dist/index.js'));
const { Meter, generateEvent, newRng } = require(join(repo, 'packages/meter/dist/index.js'));

const [work, lrPackageId, outFile] = process.argv.slice(2);
const adminMsp = join(work, 'organizations/peerOrganizations/inmetro.example.com/users/Admin@inmetro.example.com/msp');
const certPem = readFileSync(join(adminMsp, 'signcerts', readdirSync(join(adminMsp, 'signcerts'))[0]), 'utf8');
const key = createPrivateKey(readFileSync(join(adminMsp, 'keystore', readdirSync(join(adminMsp, 'keystore'))[0])));
const LR_POLICY = "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";
const GEOMETRY = { loopSpacingM: 3, loopLengthM: 1.5, sampleRateHz: 2000 };
const MODEL = 'ML-1';
const rng = newRng('fabric-fixture');

const approval = signLrSoftwareApproval(
  { chaincodeName: 'lr', version: '1.0', packageId: lrPackageId, sourceSha256: 'cd'.repeat(32), endorsementPolicy: LR_POLICY },
  { mspId: 'InmetroMSP', certificatePem: certPem, sign: (m) => signLowS(key, m) },
);
const governance = [
  ['registerOrganization', JSON.stringify({ mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER'] })],
  ['registerOrganization', JSON.stringify({ mspId: 'PUCPRMSP', name: 'PUCPR', roles: ['COMPUTING_PROVIDER'] })],
  ['registerOrganization', JSON.stringify({ mspId: 'CETSPMSP', name: 'CETSP', roles: ['METER_OWNER'] })],
  ['approveLrSoftware', JSON.stringify(approval)],
  ['approveMeterModel', JSON.stringify({ model: MODEL, manufacturer: 'Metro Sensors Ltda.', chaincodeName: 'lr', approvedLrVersions: ['1.0'], certificateRef: 'Portaria Inmetro ML-1' })],
];
const meters = ['SP-0001', 'SP-0002'].map((meterId) => Meter.create({ meterId, geometry: GEOMETRY }));
const lrAdmin = meters.map((m, i) => [
  'registerMeter',
  JSON.stringify({ meterId: m.meterId, ownerMspId: 'CETSPMSP', publicKeyPem: m.publicKeyPem, geometry: m.geometry, location: { text: `Av. Paulista ${1000 + i}, São Paulo`, lat: -23.56, lon: -46.65 }, speedLimitKmh: 60, model: MODEL }),
]);
let clock = Date.now();
const reading = (m, scenario = 'valid') => {
  clock += 1500;
  const ev = generateEvent(rng, { geometry: m.geometry, scenario });
  return ['submitReading', Buffer.from(encodeSignedReading(m.capture({ loopA: ev.loopA, loopB: ev.loopB, captureTimeMs: clock }))).toString('base64')];
};
const readings = [reading(meters[0]), reading(meters[1]), reading(meters[0]), reading(meters[1], 'noise-only'), reading(meters[0])];
// The last reading of meter SP-0002, endorsed by one provider only: marked invalid, so no sequence gap follows it.
const invalid = reading(meters[1]);
const after = reading(meters[0]);
writeFileSync(outFile, JSON.stringify({ governance, lrAdmin, readings, invalid, after }) + '\n');
