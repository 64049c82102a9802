// SPDX-License-Identifier: Apache-2.0
// One @hyperledger/fabric-protos in the process (the root package.json's `overrides` entry): the
// copy fabric-shim loads with a chaincode is the project's, so google-protobuf's global namespace
// keeps the 0.3.x classes and a block's metadata still decodes Fabric 3's BFT signature fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { common } from '@hyperledger/fabric-protos';

test("fabric-shim resolves the project's fabric-protos, not a copy of its own", () => {
  // fabric-shim as the chaincode host finds it, and fabric-protos as that fabric-shim finds it
  const shim = createRequire(createRequire(require.resolve('@metroledger/chaincode-host')).resolve('fabric-shim'));
  assert.equal(shim.resolve('@hyperledger/fabric-protos'), require.resolve('@hyperledger/fabric-protos'));
});

test('after a chaincode loads fabric-shim, block metadata still decodes into classes with identifier headers', () => {
  const sig = new common.MetadataSignature();
  sig.setIdentifierHeader(new common.IdentifierHeader().serializeBinary());
  sig.setSignature(Uint8Array.of(1, 2, 3));
  const metadata = new common.Metadata();
  metadata.setSignaturesList([sig]);
  const bytes = metadata.serializeBinary();
  // the chaincode host loads fabric-shim's stub and dispatch, as the devnet's peers do
  require('@metroledger/chaincode-host');
  const decoded = common.Metadata.deserializeBinary(bytes).getSignaturesList()[0]!;
  assert.equal(typeof decoded.getIdentifierHeader, 'function');
  assert.deepEqual(decoded.getSignature_asU8(), Uint8Array.of(1, 2, 3));
});
