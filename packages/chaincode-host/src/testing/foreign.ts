// SPDX-License-Identifier: Apache-2.0
// A chaincode built in its own folder with its own node_modules, as a Fabric developer has one:
// fixtures/asset-transfer-basic copied to a directory, with a separate copy of fabric-contract-api
// (and every package it needs) in that directory's node_modules, as `npm install` would leave it.
// Copied from this workspace's installation, so tests need no network.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** The fixture: an asset-transfer chaincode in the shape of fabric-samples' asset-transfer-basic. */
export const ASSET_TRANSFER_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'asset-transfer-basic');

/** The package.json of `name` as Node finds it from `fromDir` (node_modules of it and of each parent; `exports` aside). */
function findPackage(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`package ${name} is not installed above ${fromDir}`);
  }
}

/** `<pkg>/package.json` of each package in the dependency closure of `name`, found as Node would from `from`. */
function dependencyClosure(name: string, from: string): string[] {
  const seen = new Set<string>();
  const visit = (pkg: string, fromDir: string): void => {
    const manifestPath = findPackage(pkg, fromDir);
    if (seen.has(manifestPath)) return;
    seen.add(manifestPath);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dirname(manifestPath));
  };
  visit(name, from);
  return [...seen];
}

/** Where an installed package sits below its node_modules tree (`a/node_modules/b` for a nested one). */
function treePath(packageDir: string): string {
  const marker = `${sep}node_modules${sep}`;
  const at = packageDir.indexOf(marker);
  if (at < 0) throw new Error(`${packageDir} is not inside a node_modules directory`);
  return packageDir.slice(at + marker.length);
}

/**
 * Writes the asset-transfer chaincode to `dir` with its own copy of fabric-contract-api and that
 * package's dependencies under `dir/node_modules` (the layout of this workspace's node_modules,
 * nested versions included). Returns `dir`.
 */
export function writeAssetTransferChaincode(dir: string): string {
  cpSync(ASSET_TRANSFER_FIXTURE, dir, { recursive: true });
  for (const manifest of dependencyClosure('fabric-contract-api', __dirname)) {
    const packageDir = dirname(manifest);
    // nested node_modules are copied as packages of the closure, where they belong
    cpSync(packageDir, join(dir, 'node_modules', treePath(packageDir)), {
      recursive: true,
      filter: (src) => src === packageDir || !src.slice(packageDir.length).includes(`${sep}node_modules`),
    });
  }
  return dir;
}
