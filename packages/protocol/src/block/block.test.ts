// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { verifySignature } from '@metroledger/identity';
import { testNetwork } from '../validation/testkit.js';
import {
  blockHeaderBytes,
  blockHeaderHash,
  blockSignatures,
  decodeBlock,
  getLastConfigIndex,
  getTransactionFilter,
  newBlock,
  newBlockSignature,
  ordererBlockMetadata,
  setBlockSignatures,
  setTransactionFilter,
  signBlock,
} from './block.js';
import { newGenesisBlock, parseChannelConfig, parseGoDurationMs, type ChannelConfig } from './config.js';

test('header bytes are the DER SEQUENCE{INTEGER, OCTET STRING, OCTET STRING} Fabric hashes', () => {
  const prev = Buffer.alloc(32, 0xaa);
  const data = Buffer.alloc(32, 0xbb);
  const der = Buffer.from(blockHeaderBytes({ number: 128, previousHash: prev, dataHash: data }));
  // 128 needs a leading zero byte to stay a positive INTEGER
  const expected = Buffer.concat([Buffer.from([0x30, 0x48, 0x02, 0x02, 0x00, 0x80, 0x04, 0x20]), prev, Buffer.from([0x04, 0x20]), data]);
  assert.deepEqual(der, expected);
  const genesis = Buffer.from(blockHeaderBytes({ number: 0, previousHash: new Uint8Array(0), dataHash: data }));
  assert.deepEqual(genesis.subarray(0, 7), Buffer.from([0x30, 0x27, 0x02, 0x01, 0x00, 0x04, 0x00]));
  assert.deepEqual(
    Buffer.from(blockHeaderHash({ number: 128, previousHash: prev, dataHash: data })),
    createHash('sha256').update(expected).digest(),
  );
});

test('newBlock computes the data hash, chains by header hash and has five metadata slots', () => {
  const b0 = newBlock(0, new Uint8Array(0), [Buffer.from('a'), Buffer.from('bc')]);
  assert.deepEqual(Buffer.from(b0.getHeader()!.getDataHash_asU8()), createHash('sha256').update('abc').digest());
  const b1 = newBlock(1, blockHeaderHash(b0.getHeader()!), []);
  assert.deepEqual(b1.getHeader()!.getPreviousHash_asU8(), blockHeaderHash(b0.getHeader()!));
  assert.equal(b1.getMetadata()!.getMetadataList().length, 5);
  setTransactionFilter(b0, [0, 11]);
  const back = decodeBlock(b0.serializeBinary());
  assert.deepEqual([...getTransactionFilter(back)], [0, 11]);
  assert.throws(() => setTransactionFilter(b0, [0]));
});

test('an orderer signature covers value ‖ signature header ‖ header bytes and verifies with the orderer key', async () => {
  const net = await testNetwork();
  const orderer = net.ordererOrg.signingIdentity('orderer0');
  const block = newBlock(5, Buffer.alloc(32, 1), [Buffer.from('tx')]);
  signBlock(block, orderer, { lastConfigIndex: 0 });
  const sigs = blockSignatures(decodeBlock(block.serializeBinary()));
  assert.equal(sigs.length, 1);
  assert.deepEqual(sigs[0]!.creator, orderer.serialize());
  const key = new X509Certificate(orderer.certPem).publicKey;
  assert.ok(verifySignature(key, sigs[0]!.message, sigs[0]!.signature));
  assert.equal(getLastConfigIndex(block), 0);
  // the signature does not carry over to a different block
  block.getHeader()!.setNumber(6);
  const moved = blockSignatures(block);
  assert.equal(verifySignature(key, moved[0]!.message, moved[0]!.signature), false);
});

test('BFT signatures may name the consenter by id (IdentifierHeader) and still verify', async () => {
  const net = await testNetwork();
  const block = newBlock(9, Buffer.alloc(32, 2), []);
  const value = ordererBlockMetadata(0, Buffer.from('view 3'));
  const signers = ['orderer0', 'orderer1', 'orderer2'].map((n) => net.ordererOrg.signingIdentity(n));
  setBlockSignatures(
    block,
    value,
    signers.map((s, i) => newBlockSignature(block.getHeader()!, value, s, i === 0 ? {} : { consenterId: i + 1 })),
  );
  const sigs = blockSignatures(block);
  assert.deepEqual(
    sigs.map((s) => s.consenterId),
    [undefined, 2, 3],
  );
  sigs.forEach((s, i) => assert.ok(verifySignature(new X509Certificate(signers[i]!.certPem).publicKey, s.message, s.signature)));
});

const NODE_OUS = { enable: true, clientOU: 'client', peerOU: 'peer', adminOU: 'admin', ordererOU: 'orderer' };

test('the genesis block carries the channel configuration, readable back from the block alone', async () => {
  const net = await testNetwork();
  const o = net.ordererOrg.signingIdentity('orderer0');
  const cfg: ChannelConfig = {
    channelId: 'mychannel',
    applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()].map((m) => ({
      mspId: m.mspId,
      rootCertsPem: m.rootCertsPem,
      tlsRootCertsPem: m.tlsRootCertsPem ?? [],
      nodeOUs: NODE_OUS,
    })),
    ordererOrgs: [{ mspId: 'OrdererMSP', rootCertsPem: net.ordererOrg.mspConfig().rootCertsPem, nodeOUs: { enable: false } }],
    batch: { maxMessageCount: 500, preferredMaxBytes: 2 * 1024 * 1024, absoluteMaxBytes: 10 * 1024 * 1024, batchTimeoutMs: 250 },
    consensus: { type: 'BFT', consenters: [{ id: 1, mspId: 'OrdererMSP', host: '127.0.0.1', port: 7050, identityPem: o.certPem }] },
  };
  const block = decodeBlock(newGenesisBlock(cfg).serializeBinary());
  assert.equal(block.getHeader()!.getNumber(), 0);
  const back = parseChannelConfig(block);
  assert.deepEqual(back, cfg);
  // what an auditor reads from the ledger is enough to validate the members' identities
  const { MspRegistry, IdentityDeserializer } = await import('@metroledger/identity');
  const registry = new MspRegistry([...back.applicationOrgs, ...back.ordererOrgs]);
  assert.ok(registry.isValid(new IdentityDeserializer().deserialize(net.org1.signingIdentity('peer0').serialize())));
  assert.equal(parseGoDurationMs('1m30s'), 90_000);
  assert.equal(parseGoDurationMs('2s'), 2000);
  assert.throws(() => parseGoDurationMs('2 s'));
});
