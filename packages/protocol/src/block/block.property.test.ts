// SPDX-License-Identifier: Apache-2.0
// Property tests of block decoding as peers, auditors and Deliver clients do it: header, envelopes,
// filter and orderer signatures come back as written, and damaged blocks (or config blocks) give
// ProtocolError, never another exception. Protobuf has no canonical encoding; the block's hashes
// and signatures pin its bytes.
// Fixed seeds: fast-check prints the seed and the shrunk counterexample of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { nearby } from '@metroledger/proptest';
import { verifySignature } from '@metroledger/identity';
import { ProtocolError } from '../transaction/errors.js';
import { testNetwork } from '../validation/testkit.js';
import {
  blockEnvelopes,
  blockHeaderFields,
  blockSignatures,
  decodeBlock,
  getLastConfigIndex,
  getTransactionFilter,
  newBlock,
  newBlockSignature,
  ordererBlockMetadata,
  setBlockSignatures,
  setTransactionFilter,
} from './block.js';
import { newGenesisBlock, parseChannelConfig } from './config.js';

/** Runs every reader a peer or an auditor applies to a block; any exception but a ProtocolError fails the property. */
function readAll(bytes: Uint8Array): void {
  try {
    const b = decodeBlock(bytes);
    blockHeaderFields(b);
    blockEnvelopes(b);
    getTransactionFilter(b);
    blockSignatures(b);
    getLastConfigIndex(b);
    parseChannelConfig(b);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

const spec = fc.record({
  number: fc.nat({ max: 2 ** 40 }),
  previousHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  envelopes: fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 5 }),
  lastConfig: fc.nat({ max: 1000 }),
  consenterMetadata: fc.uint8Array({ maxLength: 12 }),
  signers: fc.subarray([0, 1, 2, 3], { minLength: 1 }),
  byId: fc.boolean(),
});

test('a block decodes to its header, envelopes and filter, and its orderer signatures verify', async () => {
  const net = await testNetwork();
  const orderers = [0, 1, 2, 3].map((i) => net.ordererOrg.signingIdentity(`orderer${i}`));
  const keys = orderers.map((o) => new X509Certificate(o.certPem).publicKey);
  fc.assert(
    fc.property(spec, fc.array(fc.nat({ max: 255 }), { maxLength: 5 }), (s, codes) => {
      const block = newBlock(s.number, s.previousHash, s.envelopes);
      setTransactionFilter(
        block,
        s.envelopes.map((_, i) => codes[i] ?? 0),
      );
      const value = ordererBlockMetadata(s.lastConfig, s.consenterMetadata);
      setBlockSignatures(
        block,
        value,
        s.signers.map((i) => newBlockSignature(block.getHeader()!, value, orderers[i]!, s.byId ? { consenterId: i + 1 } : {})),
      );
      const back = decodeBlock(block.serializeBinary());
      const h = blockHeaderFields(back);
      assert.equal(h.number, s.number);
      assert.deepEqual([...h.previousHash], [...s.previousHash]);
      assert.deepEqual(
        blockEnvelopes(back).map((e) => [...e]),
        s.envelopes.map((e) => [...e]),
      );
      assert.deepEqual(
        [...getTransactionFilter(back)],
        s.envelopes.map((_, i) => codes[i] ?? 0),
      );
      assert.equal(getLastConfigIndex(back), s.lastConfig);
      const sigs = blockSignatures(back);
      assert.equal(sigs.length, s.signers.length);
      sigs.forEach((sig, k) => {
        const signer = s.signers[k]!;
        if (s.byId) assert.equal(sig.consenterId, signer + 1);
        else assert.deepEqual([...sig.creator!], [...orderers[signer]!.serialize()]);
        assert.ok(verifySignature(keys[signer]!, sig.message, sig.signature));
      });
    }),
    { seed: 0xb10c_0001, numRuns: 50 },
  );
});

test('damaged blocks and config blocks give ProtocolError or a block, never another exception', async () => {
  const net = await testNetwork();
  const orderer = net.ordererOrg.signingIdentity('orderer0');
  const genesis = newGenesisBlock(
    {
      channelId: 'metrology',
      applicationOrgs: [net.org1.mspConfig(), net.org2.mspConfig()],
      ordererOrgs: [net.ordererOrg.mspConfig()],
      batch: { maxMessageCount: 10, preferredMaxBytes: 1 << 20, absoluteMaxBytes: 1 << 21, batchTimeoutMs: 100 },
      consensus: {
        type: 'BFT',
        consenters: [0, 1, 2, 3].map((i) => ({
          id: i + 1,
          mspId: 'OrdererMSP',
          host: `orderer${i}.example.com`,
          port: 7050,
          identityPem: net.ordererOrg.signingIdentity(`orderer${i}`).certPem,
        })),
      },
    },
    { timestampMs: 1_700_000_000_000 },
  );
  // Signing is the slow part: damage 20 blocks (drawn once, by seed), and the genesis block, in many ways.
  const blocks = fc.sample(spec, { seed: 0xb10c_0002, numRuns: 20 }).map((s) => {
    const block = newBlock(s.number, s.previousHash, s.envelopes);
    setTransactionFilter(
      block,
      s.envelopes.map(() => 0),
    );
    const value = ordererBlockMetadata(s.lastConfig, s.consenterMetadata);
    setBlockSignatures(block, value, [newBlockSignature(block.getHeader()!, value, orderer, s.byId ? { consenterId: 1 } : {})]);
    return block.serializeBinary();
  });
  fc.assert(fc.property(nearby(fc.constantFrom(...blocks)), readAll), { seed: 0xb10c_0003, numRuns: 1000 });
  // a config block takes ~10 ms to read (certificates): fewer runs
  fc.assert(fc.property(nearby(fc.constant(genesis.serializeBinary())), readAll), { seed: 0xb10c_0004, numRuns: 150 });
});
