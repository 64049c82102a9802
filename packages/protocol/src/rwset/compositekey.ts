// SPDX-License-Identifier: Apache-2.0
// Fabric's composite state keys, as ChaincodeStub.createCompositeKey writes them:
// U+0000, the object type, U+0000, then each attribute followed by U+0000. For readers of read/write
// sets that have no stub (the audit, the devnet); the chaincodes own their key schemas.

const SEP = '\u0000';

/** The key of `type` with these attributes; with fewer attributes, the prefix of a partial-key range. */
export function compositeKey(type: string, attributes: readonly string[]): string {
  return `${SEP}${type}${SEP}${attributes.map((a) => a + SEP).join('')}`;
}

/** The object type and attributes of a composite key; undefined for a simple (non-composite) key. */
export function splitCompositeKey(key: string): { type: string; attributes: string[] } | undefined {
  if (!key.startsWith(SEP) || !key.endsWith(SEP) || key.length < 2) return undefined;
  const [type, ...attributes] = key.slice(1, -1).split(SEP);
  return { type: type!, attributes };
}
