// SPDX-License-Identifier: Apache-2.0
// The code digest: one SHA-256 over a chaincode's code files, independent of how they were
// archived. The notified body approves it (with the node package id); a ccaas package declares it;
// the chaincode server and the chaincode itself compute it over the tree they run from. This
// module has no dependencies beyond Node, so the packaging tools (@metroledger/lifecycle) use this
// very definition without loading fabric-contract-api.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * SHA-256 (hex) over the files sorted by path (UTF-8 byte order), each as path, NUL, 8-byte
 * big-endian length, content. Paths are those of the package's code archive (`src/package.json`,
 * `src/dist/index.js`, ...). Throws on a duplicate path.
 */
export function codeDigest(files: Iterable<readonly [string, Uint8Array]>): string {
  const entries = [...files].sort((a, b) => compareUtf8(a[0], b[0]));
  const hash = createHash('sha256');
  const length = Buffer.alloc(8);
  for (let i = 0; i < entries.length; i++) {
    const [path, content] = entries[i]!;
    if (i > 0 && entries[i - 1]![0] === path) throw new Error(`duplicate path ${path}`);
    length.writeBigUInt64BE(BigInt(content.length));
    hash.update(Buffer.from(path, 'utf8')).update(Buffer.of(0)).update(length).update(content);
  }
  return hash.digest('hex');
}

/**
 * The code digest of a chaincode as installed: every regular file under `root` (a node package's
 * `src/` as extracted, or as a Fabric peer's Node builder leaves it), paths prefixed with `src/`,
 * leaving out what installing adds: `node_modules/` directories and the top-level
 * `package-lock.json` that `npm install` writes. Equals the package's codeDigest when the tree
 * is exactly the package's code. undefined when the tree holds a link or special file outside
 * node_modules (not an installed package).
 */
export function installedCodeDigest(root: string): string | undefined {
  const files: [string, Uint8Array][] = [];
  const walk = (rel: string): boolean => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules') continue;
        if (!walk(relPath)) return false;
      } else if (entry.isFile()) {
        if (relPath === 'package-lock.json') continue;
        files.push([`src/${relPath}`, readFileSync(join(root, relPath))]);
      } else {
        return false;
      }
    }
    return true;
  };
  return walk('') ? codeDigest(files) : undefined;
}
