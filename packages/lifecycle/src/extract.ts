// SPDX-License-Identifier: Apache-2.0
// Unpacking a chaincode package so the in-process devnet can require() exactly what was approved.
import { mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LifecycleError } from './errors';
import { readChaincodePackage, type ChaincodePackage, type PackageLimits } from './package';

export interface ExtractOptions {
  /**
   * Where to resolve the registry dependencies (fabric-contract-api, fabric-shim) from; default
   * this module's own location, i.e. the repository's node_modules.
   */
  resolveFrom?: string;
  limits?: PackageLimits;
}

export interface ExtractedChaincode {
  package: ChaincodePackage;
  /** The extraction directory. */
  dir: string;
  /** The chaincode module (`<dir>/src`): give it to chaincode-host's `hostChaincodeModule`. */
  moduleDir: string;
  /** Each dependency name and the directory its node_modules link points to. */
  dependencies: Map<string, string>;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Writes the package's code tree to `dir` (which must be absent or empty) and links
 * `src/node_modules/<dep>` for every dependency of src/package.json, as a peer's
 * `npm install --production` would:
 * - `file:` dependencies (the vendored LR module) link to their directory inside the package, so
 *   the chaincode runs the vendored code, never the repository's copy;
 * - registry dependencies link to the installed copy resolved from `resolveFrom`, which must be
 *   exactly the pinned version (fabric-contract-api must be the very module instance the devnet's
 *   chaincode host uses, so it is linked rather than copied).
 * @throws {@link LifecycleError} EXTRACT_TARGET_NOT_EMPTY, DEPENDENCY_MISMATCH, or a read error.
 */
export async function extractChaincodePackage(bytes: Uint8Array, dir: string, opts: ExtractOptions = {}): Promise<ExtractedChaincode> {
  const pkg = readChaincodePackage(bytes, opts.limits);
  const root = resolve(dir);
  let existing: string[] = [];
  try {
    existing = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing.length > 0) throw new LifecycleError('EXTRACT_TARGET_NOT_EMPTY', `${root} is not empty`, { dir: root });

  const pjBytes = pkg.files.get('src/package.json');
  if (!pjBytes) throw new LifecycleError('MALFORMED_PACKAGE', 'a Node chaincode package needs src/package.json');
  let dependencies: Record<string, unknown>;
  try {
    const pj = JSON.parse(Buffer.from(pjBytes).toString('utf8')) as { dependencies?: Record<string, unknown> };
    dependencies = pj.dependencies ?? {};
    if (typeof dependencies !== 'object' || dependencies === null || Array.isArray(dependencies))
      throw new Error('dependencies is not an object');
  } catch (err) {
    throw new LifecycleError('MALFORMED_PACKAGE', `src/package.json: ${(err as Error).message}`, undefined, { cause: err });
  }

  await mkdir(root, { recursive: true });
  for (const [path, content] of pkg.files) {
    const target = resolve(root, path);
    if (!inside(root, target)) throw new LifecycleError('UNSAFE_PATH', `entry ${path} leaves the extraction directory`, { path });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { flag: 'wx', mode: 0o644 });
  }

  const moduleDir = join(root, 'src');
  const resolveFrom = opts.resolveFrom ?? __dirname;
  const linked = new Map<string, string>();
  for (const [name, spec] of Object.entries(dependencies)) {
    if (typeof spec !== 'string' || !/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(name)) {
      throw new LifecycleError('MALFORMED_PACKAGE', `src/package.json: bad dependency ${name}`, { dependency: name });
    }
    let targetDir: string;
    if (spec.startsWith('file:')) {
      targetDir = resolve(moduleDir, spec.slice('file:'.length));
      if (!inside(moduleDir, targetDir) || ![...pkg.files.keys()].some((p) => resolve(root, p).startsWith(targetDir + sep))) {
        throw new LifecycleError('MALFORMED_PACKAGE', `dependency ${name} (${spec}) is not a directory inside the package`, {
          dependency: name,
          spec,
        });
      }
    } else {
      let installedRoot: string;
      try {
        installedRoot = dirname(require.resolve(`${name}/package.json`, { paths: [resolveFrom] }));
      } catch (err) {
        throw new LifecycleError(
          'DEPENDENCY_MISMATCH',
          `dependency ${name}@${spec} is not installed near ${resolveFrom}`,
          { dependency: name, spec },
          { cause: err },
        );
      }
      const installed = (JSON.parse(await readFile(join(installedRoot, 'package.json'), 'utf8')) as { version?: string }).version;
      if (installed !== spec) {
        throw new LifecycleError('DEPENDENCY_MISMATCH', `the package pins ${name}@${spec} but ${name}@${String(installed)} is installed`, {
          dependency: name,
          pinned: spec,
          installed,
        });
      }
      targetDir = await realpath(installedRoot);
    }
    const link = join(moduleDir, 'node_modules', ...name.split('/'));
    await mkdir(dirname(link), { recursive: true });
    // 'junction' makes directory links work on Windows without privileges; POSIX ignores it.
    await symlink(targetDir, link, 'junction');
    linked.set(name, targetDir);
  }
  return { package: pkg, dir: root, moduleDir, dependencies: linked };
}
