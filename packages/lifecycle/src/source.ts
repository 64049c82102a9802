// SPDX-License-Identifier: Apache-2.0
// Collecting a chaincode's compiled tree (and vendored workspace modules) into package files.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { LifecycleError } from './errors';
import { buildChaincodePackage, type ChaincodePackage } from './package';
import { comparePaths } from './tar';

/** A workspace module copied into the package, since a Fabric peer cannot fetch it from npm. */
export interface VendoredModule {
  /** Module name the chaincode requires, e.g. `@metroledger/lr`. */
  name: string;
  /** Its compiled directory (e.g. packages/lr/dist); packaged at `src/lib/<name>/dist/`. */
  dir: string;
  /** Version written into the vendored package.json. */
  version: string;
}

/** The package.json of the chaincode (src/package.json). `main` and `scripts.start` are required. */
export interface ChaincodePackageJson {
  name: string;
  version: string;
  main: string;
  scripts: { start: string } & Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface PackageChaincodeOptions {
  /** Fabric package label, e.g. `metroledger-speed_1.0.0`. */
  label: string;
  /** The chaincode's compiled directory; packaged at `src/<sourceDest>/`. */
  sourceDir: string;
  /** Default `dist`. */
  sourceDest?: string;
  packageJson: ChaincodePackageJson;
  vendor?: VendoredModule[];
  /** Extra exclusions, given the path relative to the directory being collected. */
  exclude?: (relativePath: string) => boolean;
  /** metadata.json type; default `node`. */
  type?: string;
}

/** Runtime files only: no tests, type declarations, source maps, build info or hidden files. */
const INCLUDED_EXTENSIONS = ['.js', '.cjs', '.json'];
function excludedByDefault(relativePath: string): boolean {
  const base = posix.basename(relativePath);
  return (
    base.startsWith('.') ||
    !INCLUDED_EXTENSIONS.some((ext) => base.endsWith(ext)) ||
    /\.test\.[cm]?js$/.test(base) ||
    relativePath.split('/').includes('__tests__')
  );
}

async function collect(
  dir: string,
  exclude: ((p: string) => boolean) | undefined,
  into: Map<string, Uint8Array>,
  prefix: string,
): Promise<void> {
  let rootStat;
  try {
    rootStat = await lstat(dir);
  } catch {
    throw new LifecycleError('SOURCE_NOT_FOUND', `${dir} does not exist (is it built?)`, { dir });
  }
  if (!rootStat.isDirectory()) throw new LifecycleError('SOURCE_NOT_FOUND', `${dir} is not a directory`, { dir });
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => comparePaths(a.name, b.name));
    for (const entry of entries) {
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        // A link's target would make the package depend on the machine; refuse rather than guess.
        throw new LifecycleError('BAD_SOURCE', `symbolic link in the source tree: ${join(dir, relPath)}`, { path: relPath });
      }
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        await walk(relPath);
      } else if (entry.isFile()) {
        if (excludedByDefault(relPath) || exclude?.(relPath)) continue;
        into.set(`${prefix}/${relPath}`, await readFile(join(dir, relPath)));
      }
    }
  };
  await walk('');
}

/** Module names a CommonJS file requires with a literal argument (tsc's CommonJS output). */
function requiredModules(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/\brequire\(\s*(['"])([^'"\n]+)\1\s*\)/g)) names.push(m[2]!);
  return names;
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(builtinModules);

/**
 * Every `require` in the packaged JS must resolve inside the package: a relative file that is
 * there, a Node built-in, or a dependency declared in src/package.json. Otherwise the package
 * would run here (where the repo's node_modules hide the gap) and fail on a Fabric peer.
 */
function checkRequires(files: Map<string, Uint8Array>, dependencies: Record<string, string>): void {
  const exists = (p: string): boolean => files.has(p) || files.has(`${p}.js`) || files.has(`${p}.json`) || files.has(`${p}/index.js`);
  for (const [path, content] of files) {
    if (!/\.c?js$/.test(path)) continue;
    for (const spec of requiredModules(Buffer.from(content).toString('utf8'))) {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const target = posix.normalize(posix.join(posix.dirname(path), spec));
        if (!target.startsWith('src/') || !exists(target)) {
          throw new LifecycleError('UNDECLARED_DEPENDENCY', `${path} requires ${spec}, which is not in the package`, {
            path,
            module: spec,
          });
        }
      } else if (!spec.startsWith('node:') && !BUILTINS.has(spec) && dependencies[packageNameOf(spec)] === undefined) {
        throw new LifecycleError('UNDECLARED_DEPENDENCY', `${path} requires ${spec}, which src/package.json does not declare`, {
          path,
          module: spec,
        });
      }
    }
  }
}

function sortedObject(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => comparePaths(a[0], b[0])));
}

function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
}

/** The code archive's files for a Node chaincode: src/package.json, its compiled tree and vendored modules. */
export async function collectChaincodeFiles(opts: Omit<PackageChaincodeOptions, 'label' | 'type'>): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const dest = opts.sourceDest ?? 'dist';
  if (!/^[A-Za-z0-9._-]+$/.test(dest) || dest === '.' || dest === '..' || dest === 'lib' || dest === 'node_modules') {
    throw new LifecycleError('BAD_SOURCE', `bad sourceDest ${JSON.stringify(dest)}`);
  }
  await collect(opts.sourceDir, opts.exclude, files, `src/${dest}`);
  const dependencies: Record<string, string> = { ...opts.packageJson.dependencies };
  for (const v of opts.vendor ?? []) {
    if (!/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(v.name))
      throw new LifecycleError('BAD_SOURCE', `bad vendored module name ${JSON.stringify(v.name)}`);
    const root = `src/lib/${v.name}`;
    const before = files.size;
    await collect(v.dir, opts.exclude, files, `${root}/dist`);
    if (!files.has(`${root}/dist/index.js`))
      throw new LifecycleError('SOURCE_NOT_FOUND', `vendored ${v.name} has no index.js in ${v.dir}`, { dir: v.dir });
    if (files.size === before) throw new LifecycleError('SOURCE_NOT_FOUND', `vendored ${v.name}: no files in ${v.dir}`);
    files.set(`${root}/package.json`, jsonBytes({ name: v.name, version: v.version, private: true, main: 'dist/index.js' }));
    // npm installs a file: dependency as a link to the directory, so the peer's
    // `npm install --production` keeps it instead of pruning it as extraneous.
    dependencies[v.name] = `file:lib/${v.name}`;
  }
  const pj = opts.packageJson;
  if (
    typeof pj.main !== 'string' ||
    typeof pj.scripts?.start !== 'string' ||
    typeof pj.name !== 'string' ||
    typeof pj.version !== 'string'
  ) {
    throw new LifecycleError('BAD_SOURCE', 'package.json needs name, version, main and scripts.start');
  }
  const main = posix.normalize(pj.main);
  if (!files.has(`src/${main}`))
    throw new LifecycleError('BAD_SOURCE', `package.json main ${pj.main} is not in the package`, { main: pj.main });
  files.set('src/package.json', jsonBytes({ ...pj, dependencies: sortedObject(dependencies) }));
  checkRequires(files, dependencies);
  return files;
}

/**
 * Packages a Node chaincode from its compiled directory. Deterministic: the same files give the
 * same bytes and package id on any machine, whatever their mtimes, owners or permissions.
 */
export async function packageChaincode(opts: PackageChaincodeOptions): Promise<ChaincodePackage> {
  const files = await collectChaincodeFiles(opts);
  return buildChaincodePackage({ label: opts.label, type: opts.type ?? 'node', files });
}
