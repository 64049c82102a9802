// SPDX-License-Identifier: Apache-2.0
// Reading identities from a Fabric MSP directory (cryptogen / fabric-ca-client layout).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MspIdentityFiles {
  readonly certificatePem: Buffer;
  readonly privateKeyPem: Buffer;
}

/** Loads `signcerts/*.pem` and `keystore/*` (the first file of each) from an MSP directory. */
export async function loadMspIdentity(mspDir: string): Promise<MspIdentityFiles> {
  const first = async (dir: string) => {
    const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
    if (names.length === 0) throw new Error(`no file in ${dir}`);
    return readFile(join(dir, names[0]!));
  };
  return { certificatePem: await first(join(mspDir, 'signcerts')), privateKeyPem: await first(join(mspDir, 'keystore')) };
}
