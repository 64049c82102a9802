// SPDX-License-Identifier: Apache-2.0
// Private data as Fabric records it: the names of implicit collections, the hashes that go in blocks
// (SHA-256 of the key's UTF-8 bytes and of the value, util.ComputeHash), and where the hashed state
// lives in the world state (Fabric's derived namespace `<chaincode>$$h<collection>`).
import { createHash } from 'node:crypto';

/** Fabric's prefix of an organization's implicit collection (lifecycle.ImplicitCollectionNameForOrg). */
export const IMPLICIT_COLLECTION_PREFIX = '_implicit_org_';

/** `_implicit_org_<MSP id>`: the collection every chaincode has for each channel organization, without any collection config. */
export function implicitCollectionName(mspId: string): string {
  return IMPLICIT_COLLECTION_PREFIX + mspId;
}

/** The MSP id whose implicit collection this is, or undefined for any other name. */
export function implicitCollectionOrg(collection: string): string | undefined {
  if (!collection.startsWith(IMPLICIT_COLLECTION_PREFIX) || collection.length === IMPLICIT_COLLECTION_PREFIX.length) return undefined;
  return collection.slice(IMPLICIT_COLLECTION_PREFIX.length);
}

/** SHA-256, as Fabric hashes private keys (their UTF-8 bytes) and values. */
export function privateDataHash(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
      .digest(),
  );
}

/**
 * Where a collection's key hash is kept in the world state, which every peer holds: Fabric's
 * derived namespace `<chaincode>$$h<collection>`; the key is the hash in hex (Fabric uses its raw
 * bytes; our state keys are UTF-8 strings). The value is the value's hash, with the writer's version.
 */
export function hashedStateKey(namespace: string, collection: string, keyHash: Uint8Array): { readonly ns: string; readonly key: string } {
  return { ns: `${namespace}$$h${collection}`, key: Buffer.from(keyHash.buffer, keyHash.byteOffset, keyHash.byteLength).toString('hex') };
}

/** The chaincode and collection of a hashed-state namespace (`<chaincode>$$h<collection>`), or undefined for any other namespace. */
export function parseHashedNamespace(ns: string): { readonly namespace: string; readonly collection: string } | undefined {
  const at = ns.indexOf('$$h');
  return at <= 0 ? undefined : { namespace: ns.slice(0, at), collection: ns.slice(at + 3) };
}

/** Byte equality of two hashes. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0
  );
}
