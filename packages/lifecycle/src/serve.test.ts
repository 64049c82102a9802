// SPDX-License-Identifier: Apache-2.0
// The chaincode server under fabric-shim, driven by a peer stand-in over real gRPC (and TLS):
// it serves exactly the packaged code, and refuses code other than the package id declares.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOrganization, type OrgMaterial } from '@metroledger/identity';
import {
  buildCcaasPackage,
  buildChaincodePackage,
  LifecycleError,
  packageWorkspaceChaincode,
  serveChaincode,
  statedChaincode,
  type ChaincodePackage,
  type ChaincodeServer,
  type LifecycleErrorCode,
} from './index';
import { ChaincodePeerStandIn } from './testing/peer';

function isCode(code: LifecycleErrorCode) {
  return (e: unknown) => e instanceof LifecycleError && e.code === code;
}

const CONNECTION = { address: 'lr.provider.example:9999', dialTimeout: '10s', tlsRequired: false };

let lr: ChaincodePackage;
let governance: ChaincodePackage;
let inmetro: OrgMaterial;
const servers: ChaincodeServer[] = [];

before(async () => {
  [lr, governance, inmetro] = await Promise.all([
    packageWorkspaceChaincode('lr'),
    packageWorkspaceChaincode('governance'),
    generateOrganization({
      name: 'Inmetro',
      mspId: 'InmetroMSP',
      domain: 'inmetro.example.com',
      kind: 'peer',
      peers: ['peer0'],
      users: ['User1'],
    }),
  ]);
});

after(async () => {
  for (const s of servers) await s.close(100);
});

function ccaasId(code: ChaincodePackage, chaincode: 'lr' | 'governance'): string {
  return buildCcaasPackage({ nodePackage: code, ...statedChaincode(chaincode), connection: CONNECTION }).packageId;
}

async function serve(...args: Parameters<typeof serveChaincode>): Promise<ChaincodeServer> {
  const s = await serveChaincode(...args);
  servers.push(s);
  return s;
}

describe('chaincode server', () => {
  it('serves the LR code as its ccaas package declares: registers with the package id and reports the packaged code digest', async () => {
    const packageId = ccaasId(lr, 'lr');
    const server = await serve({ code: lr, address: '127.0.0.1:0', packageId });
    assert.ok(server.port > 0);
    assert.equal(server.codeDigest, lr.codeDigest);
    const peer = await ChaincodePeerStandIn.connect(`127.0.0.1:${server.port}`);
    try {
      assert.equal(peer.registeredId, packageId, 'a Fabric peer accepts the registration only under the installed package id');
      const who = { mspId: 'InmetroMSP', certPem: inmetro.node('User1').sign.certPem };
      const sw = await peer.invoke(['lr:getRunningSoftware'], who);
      assert.equal(sw.status, 200, sw.message);
      const reported = JSON.parse(sw.payload.toString('utf8')) as { chaincodeName: string; chaincodeVersion: string; codeDigest?: string };
      assert.deepEqual(
        [reported.chaincodeName, reported.codeDigest],
        ['lr', lr.codeDigest],
        'the served chaincode computes the digest of the code it runs',
      );
      const meta = await peer.invoke(['org.hyperledger.fabric:GetMetadata'], who);
      assert.equal(meta.status, 200, meta.message);
      assert.ok(
        Object.keys((JSON.parse(meta.payload.toString('utf8')) as { contracts: Record<string, unknown> }).contracts).includes('lr'),
      );
    } finally {
      peer.close();
    }
  });

  it('serves the governance chaincode, whose transactions read and write state through the peer', async () => {
    const server = await serve({ code: governance, address: '127.0.0.1:0', packageId: ccaasId(governance, 'governance') });
    const peer = await ChaincodePeerStandIn.connect(`127.0.0.1:${server.port}`);
    try {
      const admin = { mspId: 'InmetroMSP', certPem: inmetro.node('Admin').sign.certPem };
      const reg = await peer.invoke(
        ['registerOrganization', JSON.stringify({ mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER'] })],
        admin,
      );
      assert.equal(reg.status, 200, reg.message);
      assert.equal(reg.event?.name, 'OrganizationRegistered');
      assert.equal(reg.writes.size, 1);
      const read = await peer.invoke(['getOrganization', 'LaSIGEMSP'], {
        mspId: 'InmetroMSP',
        certPem: inmetro.node('User1').sign.certPem,
      });
      assert.equal(read.status, 200, read.message);
      assert.equal((JSON.parse(read.payload.toString('utf8')) as { name: string }).name, 'LaSIGE');
      const denied = await peer.invoke(
        ['registerOrganization', JSON.stringify({ mspId: 'PUCPRMSP', name: 'PUCPR', roles: ['COMPUTING_PROVIDER'] })],
        { mspId: 'InmetroMSP', certPem: inmetro.node('User1').sign.certPem },
      );
      assert.equal(denied.status, 500);
      assert.match(denied.message, /^ACCESS_DENIED: /);
      assert.equal(denied.writes.size, 0);
    } finally {
      peer.close();
    }
  });

  it("speaks TLS, and requires the peer's client certificate when given a client CA", async () => {
    const tls = { cert: Buffer.from(inmetro.node('peer0').tls.certPem), key: Buffer.from(inmetro.node('peer0').tls.keyPem) };
    const packageId = ccaasId(lr, 'lr');
    const plain = await serve({ code: lr, address: '127.0.0.1:0', packageId, tls });
    const peer = await ChaincodePeerStandIn.connect(`127.0.0.1:${plain.port}`, { tls: { rootCert: inmetro.tlsCa.certPem } });
    assert.equal(peer.registeredId, packageId);
    peer.close();
    const mutual = await serve({
      code: lr,
      address: '127.0.0.1:0',
      packageId,
      tls: { ...tls, clientCa: Buffer.from(inmetro.tlsCa.certPem) },
    });
    await assert.rejects(
      ChaincodePeerStandIn.connect(`127.0.0.1:${mutual.port}`, { tls: { rootCert: inmetro.tlsCa.certPem }, timeoutMs: 5000 }),
    );
    const client = inmetro.node('User1').tls;
    const withCert = await ChaincodePeerStandIn.connect(`127.0.0.1:${mutual.port}`, {
      tls: { rootCert: inmetro.tlsCa.certPem, clientCert: client.certPem, clientKey: client.keyPem },
    });
    assert.equal(withCert.registeredId, packageId);
    withCert.close();
  });

  it('refuses to start for code other than the package id declares, a package id that declares none, or a bad address', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'ml-serve-'));
    try {
      // one changed byte in the vendored LR code: another code digest
      const files = new Map(lr.files);
      const path = [...files.keys()].find((p) => p.startsWith('src/lib/@metroledger/lr/dist/') && p.endsWith('.js'))!;
      files.set(path, Buffer.concat([Buffer.from(files.get(path)!), Buffer.from('\n')]));
      const modified = buildChaincodePackage({ label: lr.label, files });
      await assert.rejects(
        serveChaincode({ code: modified, address: '127.0.0.1:0', packageId: ccaasId(lr, 'lr'), workDir }),
        isCode('CODE_DIGEST_MISMATCH'),
      );
      await assert.rejects(
        serveChaincode({ code: governance, address: '127.0.0.1:0', packageId: ccaasId(lr, 'lr'), workDir }),
        isCode('CODE_DIGEST_MISMATCH'),
      );
      await assert.rejects(
        serveChaincode({ code: lr, address: '127.0.0.1:0', packageId: lr.packageId, workDir }),
        isCode('CODE_NOT_DECLARED'),
      );
      await assert.rejects(serveChaincode({ code: lr, address: '127.0.0.1:0', packageId: 'not an id', workDir }), isCode('BAD_PACKAGE_ID'));
      for (const address of ['127.0.0.1', '127.0.0.1:99999', ':9999', 'host name:1']) {
        await assert.rejects(serveChaincode({ code: lr, address, packageId: ccaasId(lr, 'lr'), workDir }), isCode('BAD_ADDRESS'), address);
      }
      assert.deepEqual(await readdir(workDir), [], 'nothing extracted for a refused start');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it('reports an address it cannot listen on as SERVER_FAILED, and removes its temporary code directory when closed', async () => {
    const server = await serveChaincode({ code: governance, address: '127.0.0.1:0', packageId: ccaasId(governance, 'governance') });
    assert.ok(existsSync(server.moduleDir));
    await assert.rejects(
      serveChaincode({ code: governance, address: `127.0.0.1:${server.port}`, packageId: ccaasId(governance, 'governance') }),
      isCode('SERVER_FAILED'),
    );
    await server.close(100);
    assert.equal(existsSync(server.moduleDir), false);
  });
});
