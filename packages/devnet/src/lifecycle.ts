// SPDX-License-Identifier: Apache-2.0
// Chaincode installation on the devnet's peers, as `peer lifecycle chaincode install` does on a
// Fabric peer: each peer keeps the package files it installed under
// `<dataDir>/peers/<peer>/chaincodes/`, and `installed.json` says which package it runs for each
// chaincode name (the devnet's equivalent of its organization's `approveformyorg --package-id`).
// At start the package is read again, its id recomputed and its code extracted afresh, so what a
// peer runs is exactly the package file's content.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildChaincodePackage, extractChaincodePackage, readChaincodePackage, type ChaincodePackage } from '@metroledger/lifecycle';
import { DevnetError } from './errors.js';

const INSTALLED_FILE = 'installed.json';

/** One chaincode package a peer has installed and runs. */
export interface InstalledPackage {
  readonly chaincodeName: string;
  readonly packageId: string;
  readonly label: string;
  /** The package file in the peer's directory. */
  readonly file: string;
}

/** `<dataDir>/peers/<peerFqdn>/chaincodes`. */
export function peerChaincodeDir(dataDir: string, peer: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(peer)) throw new DevnetError('BAD_CONFIG', `bad peer name ${JSON.stringify(peer)}`);
  return join(dataDir, 'peers', peer, 'chaincodes');
}

function fileName(packageId: string): string {
  return packageId.replace(':', '.');
}

async function readInstalled(dir: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(join(dir, INSTALLED_FILE), 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new DevnetError('BAD_CONFIG', `${join(dir, INSTALLED_FILE)}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/**
 * Installs a package file on a devnet peer and makes it the package the peer runs for
 * `chaincodeName` from its next start. The package is read and checked (any malformed package is
 * refused with its LifecycleError); the fingerprint is *not* checked here: the peer checks it
 * against the ledger before every endorsement, and `metroledger lr install` checks it first.
 */
export async function installChaincodePackage(
  dataDir: string,
  peer: string,
  chaincodeName: string,
  bytes: Uint8Array,
): Promise<InstalledPackage> {
  const pkg = readChaincodePackage(bytes);
  const dir = peerChaincodeDir(dataDir, peer);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${fileName(pkg.packageId)}.tar.gz`);
  await writeFile(file, pkg.bytes);
  const installed = await readInstalled(dir);
  installed[chaincodeName] = pkg.packageId;
  const tmp = join(dir, `${INSTALLED_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(installed, null, 2) + '\n');
  await rename(tmp, join(dir, INSTALLED_FILE));
  return { chaincodeName, packageId: pkg.packageId, label: pkg.label, file };
}

/** The package a peer runs for `chaincodeName`, if it installed one. */
export async function installedPackage(dataDir: string, peer: string, chaincodeName: string): Promise<InstalledPackage | undefined> {
  const dir = peerChaincodeDir(dataDir, peer);
  const packageId = (await readInstalled(dir))[chaincodeName];
  if (packageId === undefined) return undefined;
  return { chaincodeName, packageId, label: packageId.slice(0, packageId.indexOf(':')), file: join(dir, `${fileName(packageId)}.tar.gz`) };
}

/**
 * Reads the installed package file, recomputes its id, and extracts it afresh into
 * `<chaincodes>/<label>.<sha256>/`. Returns the module directory to host.
 */
export async function prepareInstalledPackage(
  dataDir: string,
  peer: string,
  installed: InstalledPackage,
): Promise<{ packageId: string; moduleDir: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(installed.file);
  } catch (err) {
    throw new DevnetError(
      'CHAINCODE_LOAD',
      `${peer}: installed package ${installed.packageId} is missing (${installed.file})`,
      { peer },
      { cause: err },
    );
  }
  const pkg = readChaincodePackage(bytes);
  const dir = join(peerChaincodeDir(dataDir, peer), fileName(pkg.packageId));
  await rm(dir, { recursive: true, force: true });
  const extracted = await extractChaincodePackage(pkg.bytes, dir);
  // the id is the file's, whatever installed.json claims: a replaced file is what the peer runs and reports
  return { packageId: pkg.packageId, moduleDir: extracted.moduleDir };
}

/**
 * The package with one byte changed in the vendored LR code (a letter in a comment, so it still
 * runs and computes the same results): paper §VI-E attack 2, software modified on one peer.
 */
export function tamperedPackage(pkg: ChaincodePackage): ChaincodePackage {
  const files = new Map(pkg.files);
  for (const [path, content] of files) {
    if (!path.startsWith('src/lib/@metroledger/lr/') || !path.endsWith('.js')) continue;
    const text = Buffer.from(content);
    const at = text.indexOf('// ');
    if (at < 0) continue;
    const copy = Buffer.from(text);
    const i = at + 3;
    copy[i] = copy[i] === 0x78 ? 0x79 : 0x78; // 'x' or 'y': printable, still inside the comment
    files.set(path, copy);
    return buildChaincodePackage({ label: pkg.label, type: pkg.metadata.type, files });
  }
  throw new DevnetError('BAD_CONFIG', 'the LR package has no commented LR source file to tamper with');
}
