// SPDX-License-Identifier: Apache-2.0
// Loading a module vendored in a node chaincode package straight from the package's bytes, for an
// auditor who re-runs the approved code: nothing outside the package is loaded but Node's built-ins
// (no registry module, no copy in the auditor's own node_modules), and nothing is written to disk.
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { runInThisContext } from 'node:vm';
import { LifecycleError } from './errors';
import type { ChaincodePackage } from './package';

const BUILTINS = new Set(builtinModules);
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

function notLoadable(message: string, details?: Record<string, unknown>, cause?: unknown): LifecycleError {
  return new LifecycleError('MODULE_NOT_LOADABLE', message, details, cause === undefined ? undefined : { cause });
}

function jsonOf(pkg: ChaincodePackage, path: string): Record<string, unknown> {
  const bytes = pkg.files.get(path);
  if (bytes === undefined) throw notLoadable(`${pkg.packageId} has no ${path}`, { path });
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw notLoadable(`${pkg.packageId}: ${path} is not a JSON object`, { path }, err);
  }
}

/**
 * The modules vendored in a node package: each `file:` dependency of src/package.json (as a peer's
 * `npm install` lays them out, flat under src/node_modules) and the directory in the package it
 * names. Reads only; runs nothing.
 * @throws {@link LifecycleError} MODULE_NOT_LOADABLE when src/package.json is missing or not JSON.
 */
export function vendoredModules(pkg: ChaincodePackage): Map<string, string> {
  const deps = jsonOf(pkg, 'src/package.json')['dependencies'] ?? {};
  const out = new Map<string, string>();
  if (typeof deps !== 'object' || deps === null) return out;
  for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
    if (typeof spec !== 'string' || !spec.startsWith('file:') || !PACKAGE_NAME.test(name)) continue;
    const dir = posix.normalize(posix.join('src', spec.slice('file:'.length)));
    if (dir.startsWith('src/') && !dir.split('/').includes('..')) out.set(name, dir);
  }
  return out;
}

/**
 * Requires the vendored module `name` of a node chaincode package (e.g. `@metroledger/lr` of the LR
 * chaincode's package) from the package's files, in memory. A module it requires resolves to a file
 * of the package (a relative path, or another vendored module) or to a Node built-in; anything
 * else (a registry module such as fabric-shim) is refused, so what runs is the packaged code only.
 * Each call loads a fresh copy. The code runs in this process: load only approved packages.
 * @throws {@link LifecycleError} MODULE_NOT_LOADABLE (not vendored, a missing file or module, or the
 *   module threw while loading).
 */
export function requirePackagedModule(pkg: ChaincodePackage, name: string): unknown {
  const vendored = vendoredModules(pkg);
  const cache = new Map<string, { exports: unknown }>();

  const fileAt = (path: string): string | undefined => {
    for (const candidate of [path, `${path}.js`, `${path}.json`, `${path}/index.js`]) if (pkg.files.has(candidate)) return candidate;
    return undefined;
  };
  const entryOf = (moduleName: string, subpath: string): string | undefined => {
    const dir = vendored.get(moduleName);
    if (dir === undefined) return undefined;
    if (subpath !== '') return fileAt(posix.join(dir, subpath));
    const pj = pkg.files.has(`${dir}/package.json`) ? jsonOf(pkg, `${dir}/package.json`) : {};
    const main = typeof pj['main'] === 'string' ? pj['main'] : 'index.js';
    return fileAt(posix.normalize(posix.join(dir, main)));
  };

  const load = (path: string): unknown => {
    const cached = cache.get(path);
    if (cached !== undefined) return cached.exports;
    const module = { exports: {} as unknown };
    cache.set(path, module);
    const source = Buffer.from(pkg.files.get(path)!).toString('utf8');
    if (path.endsWith('.json')) {
      try {
        module.exports = JSON.parse(source) as unknown;
      } catch (err) {
        throw notLoadable(`${pkg.packageId}: ${path} is not JSON`, { path }, err);
      }
      return module.exports;
    }
    const requireFrom = (spec: string): unknown => {
      if (spec.startsWith('node:') || BUILTINS.has(spec)) return require(spec);
      let target: string | undefined;
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const joined = posix.normalize(posix.join(posix.dirname(path), spec));
        target = joined.startsWith('src/') ? fileAt(joined) : undefined;
      } else {
        const parts = spec.split('/');
        const n = spec.startsWith('@') ? 2 : 1;
        target = entryOf(parts.slice(0, n).join('/'), parts.slice(n).join('/'));
      }
      if (target === undefined)
        throw notLoadable(
          `${pkg.packageId}: ${path} requires ${spec}, which is neither a file of the package, a module vendored in it nor a Node built-in`,
          { path, module: spec },
        );
      return load(target);
    };
    // The CommonJS wrapper Node itself uses; the file name names the package for stack traces.
    const filename = `${pkg.packageId}/${path}`;
    const wrapper = runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename }) as (
      exports: unknown,
      require: (spec: string) => unknown,
      module: { exports: unknown },
      __filename: string,
      __dirname: string,
    ) => void;
    wrapper.call(module.exports, module.exports, requireFrom, module, filename, posix.dirname(filename));
    return module.exports;
  };

  if (!vendored.has(name))
    throw notLoadable(`${pkg.packageId} vendors no module ${name} (no file: dependency in src/package.json)`, { module: name });
  const entry = entryOf(name, '');
  if (entry === undefined) throw notLoadable(`${pkg.packageId}: the entry file of ${name} is missing`, { module: name });
  try {
    return load(entry);
  } catch (err) {
    if (err instanceof LifecycleError) throw err;
    throw notLoadable(`${pkg.packageId}: ${name} threw while loading: ${(err as Error).message}`, { module: name }, err);
  }
}
