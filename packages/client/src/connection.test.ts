// SPDX-License-Identifier: Apache-2.0
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { generateOrganization, type OrgMaterial } from '@metroledger/identity';
import { MetroledgerClient } from './client';
import { checkGatewayConnection, connectGateway, newGrpcConnection } from './connection';
import { ClientError } from './errors';
import { describeGatewayError } from './gatewayerrors';

let org: OrgMaterial;
let other: OrgMaterial;
let plain: { server: grpc.Server; endpoint: string };
let mutual: { server: grpc.Server; endpoint: string };

async function tlsServer(clientAuth: boolean): Promise<{ server: grpc.Server; endpoint: string }> {
  const server = new grpc.Server();
  const peer = org.node('peer0');
  const credentials = grpc.ServerCredentials.createSsl(
    clientAuth ? Buffer.from(org.tlsCa.certPem) : null,
    [{ cert_chain: Buffer.from(peer.tls.certPem), private_key: Buffer.from(peer.tls.keyPem) }],
    clientAuth,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, endpoint: `127.0.0.1:${port}` };
}

before(async () => {
  [org, other] = await Promise.all([
    generateOrganization({ name: 'Org1', mspId: 'Org1MSP', domain: 'org1.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] }),
    generateOrganization({ name: 'Org2', mspId: 'Org2MSP', domain: 'org2.example.com', kind: 'peer', peers: ['peer0'], users: ['User1'] }),
  ]);
  [plain, mutual] = await Promise.all([tlsServer(false), tlsServer(true)]);
});

after(() => {
  plain.server.forceShutdown();
  mutual.server.forceShutdown();
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const rejectsWith = (code: string, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ClientError, String(err));
  assert.equal(err.code, code, err.message);
  assert.match(err.message, message);
  return true;
};

test("an endpoint given by IP address is reached with the certificate's host name, and Node warns of nothing", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code ?? ''} ${w.message}`);
  process.on('warning', onWarning);
  try {
    assert.deepEqual(await checkGatewayConnection({ endpoint: plain.endpoint, tlsRootCertPem: org.tlsCa.certPem }), {
      serverName: 'peer0.org1.example.com',
    });
    const client = await connectGateway({ endpoint: plain.endpoint, tlsRootCertPem: org.tlsCa.certPem });
    try {
      // the server has no services: the call gets as far as an answer over TLS
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          '/x.Y/Z',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (e) => resolve(e),
        ),
      );
      assert.equal(err?.code, grpc.status.UNIMPLEMENTED);
    } finally {
      client.close();
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings, []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('nothing listening, a CA that did not issue the certificate, and a name it does not carry are three different failures', async () => {
  await assert.rejects(
    checkGatewayConnection({ endpoint: `127.0.0.1:${await closedPort()}`, tlsRootCertPem: org.tlsCa.certPem }),
    rejectsWith('CONNECTION_REFUSED', /nothing listens at 127\.0\.0\.1:\d+ \(connection refused\)/),
  );
  await assert.rejects(
    checkGatewayConnection({ endpoint: plain.endpoint, tlsRootCertPem: other.tlsCa.certPem }),
    rejectsWith('TLS_FAILED', /is not issued by the given TLS CA/),
  );
  await assert.rejects(
    checkGatewayConnection({ endpoint: plain.endpoint, tlsRootCertPem: org.tlsCa.certPem, serverName: 'peer0.org2.example.com' }),
    rejectsWith('TLS_FAILED', /is for peer0\.org1\.example\.com, peer0, localhost, 127\.0\.0\.1, not peer0\.org2\.example\.com/),
  );
});

test('a gateway requiring mutual TLS: no client certificate, and one from a foreign CA, are told apart from success', async () => {
  const user = org.node('User1');
  const stranger = other.node('User1');
  await assert.rejects(
    checkGatewayConnection({ endpoint: mutual.endpoint, tlsRootCertPem: org.tlsCa.certPem }),
    rejectsWith('TLS_FAILED', /requires a client TLS certificate \(mutual TLS\)/),
  );
  await assert.rejects(
    checkGatewayConnection({
      endpoint: mutual.endpoint,
      tlsRootCertPem: org.tlsCa.certPem,
      clientCertPem: stranger.tls.certPem,
      clientKeyPem: stranger.tls.keyPem,
    }),
    rejectsWith('TLS_FAILED', /refused the client TLS certificate/),
  );
  assert.deepEqual(
    await checkGatewayConnection({
      endpoint: mutual.endpoint,
      tlsRootCertPem: org.tlsCa.certPem,
      clientCertPem: user.tls.certPem,
      clientKeyPem: user.tls.keyPem,
    }),
    { serverName: 'peer0.org1.example.com' },
  );
});

test('a connection to an IP address without a server name is refused up front', () => {
  assert.throws(
    () => newGrpcConnection('127.0.0.1:7051', org.tlsCa.certPem),
    rejectsWith('BAD_REQUEST', /127\.0\.0\.1:7051 is an IP address: give the TLS server name/),
  );
  newGrpcConnection('localhost:7051', org.tlsCa.certPem).close();
  newGrpcConnection('127.0.0.1:7051', org.tlsCa.certPem, 'peer0.org1.example.com').close();
});

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

test("an endorsement failure reads as the chaincode's code and message, once", () => {
  const reply = 'chaincode response 500, METER_EXISTS: meter SP-1 is already registered';
  const err = new GatewayError({
    code: grpc.status.ABORTED,
    message: '10 ABORTED: failed to endorse transaction, see attached details for more info',
    cause: serviceError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info'),
    details: [
      { address: 'peer0.lasige.example.com:7051', mspId: 'LaSIGEMSP', message: reply },
      { address: 'peer0.pucpr.example.com:7051', mspId: 'PUCPRMSP', message: reply },
    ],
  });
  assert.deepEqual(describeGatewayError(err), {
    text: 'METER_EXISTS: meter SP-1 is already registered [LaSIGEMSP@peer0.lasige.example.com:7051]',
    chaincodeCode: 'METER_EXISTS',
    tlsFailure: false,
  });
  const denied = new GatewayError({
    code: grpc.status.ABORTED,
    message: '10 ABORTED: failed to endorse transaction, see attached details for more info',
    cause: serviceError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info'),
    details: [
      {
        address: 'peer0.lasige.example.com:7051',
        mspId: 'LaSIGEMSP',
        message: 'access denied: channel [metrology] creator org [Orderer1MSP]',
      },
    ],
  });
  assert.equal(
    describeGatewayError(denied).text,
    'ABORTED: failed to endorse transaction: LaSIGEMSP@peer0.lasige.example.com:7051: access denied: channel [metrology] creator org [Orderer1MSP]',
  );
});

test('a client whose TLS CA did not issue the gateway certificate fails TLS_FAILED at once, not after its retries', async () => {
  const user = org.node('User1');
  const connection = newGrpcConnection(plain.endpoint, other.tlsCa.certPem, 'peer0.org1.example.com');
  const client = new MetroledgerClient({
    connection,
    mspId: 'Org1MSP',
    certificatePem: user.sign.certPem,
    privateKeyPem: user.sign.keyPem,
    retry: { maxAttempts: 5, initialDelayMs: 200 },
  });
  try {
    await assert.rejects(
      client.evaluate('getMeter', ['SP-1']),
      rejectsWith(
        'TLS_FAILED',
        /^getMeter: the TLS handshake with the gateway failed \(No connection established\. Last error: Error: unable to verify the first certificate/,
      ),
    );
    assert.equal(client.stats.retries, 0);
  } finally {
    client.close();
    connection.close();
  }
});
