// SPDX-License-Identifier: Apache-2.0
// Checks each workspace package's manifest against its imports, so that a package works installed
// on its own and declares nothing it does not use:
//  - every package it imports (import, export … from, import(), require, require.resolve) is
//    declared: in `dependencies` when production code imports it, in either when only test code does;
//  - every declared package is imported (test code may use `devDependencies` only: a dependency
//    only tests import belongs there), bar the few a package needs without importing (UNIMPORTED);
//  - production code reaches no test kit: no `@metroledger/*/testing/*` entry, no file of its
//    own package's testing/ folders;
//  - no script or source reaches another package's `dist/` files (the exports map is the boundary;
//    oxlint's no-restricted-imports sees `import` only, this sees `require` and paths too);
//  - a TypeScript import of a workspace package has a tsconfig.json project reference, and every
//    reference names a declared package.
// Test code: *.test.* files, testing/ folders, testing.ts/testkit.ts files, the package's scripts/.
// Usage: node scripts/check-dependencies.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Declared dependencies a package needs though no file of it imports them, with the reason. */
const UNIMPORTED = {
  '@metroledger/chaincode': {
    'fabric-shim': 'the packaged chaincode starts with `fabric-chaincode-node start`; lifecycle pins its version from here',
  },
  '@metroledger/governance': {
    'fabric-shim': 'the packaged chaincode starts with `fabric-chaincode-node start`; lifecycle pins its version from here',
  },
  '@metroledger/lifecycle': {
    '@metroledger/governance': 'packages the governance chaincode: resolves its built tree by module name',
    '@metroledger/policy': "vendors it into the governance chaincode's package (resolved by module name)",
  },
  '@metroledger/devnet': {
    '@metroledger/chaincode': 'the default network hosts the LR chaincode by module name',
  },
};

/** Test kits that a package's production code may load, with the reason. */
const TEST_KITS_ALLOWED = {
  '@metroledger/chaos': {
    '@metroledger/ledger/testing/tmpfs':
      'the reliability suite is a test harness shipped as a command: it fills a real tmpfs to make the disk full',
  },
};

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const BUILTINS = new Set(builtinModules);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SPECIFIER = [
  /\bfrom\s+['"]([^'"\n]+)['"]/g,
  /\bimport\s+['"]([^'"\n]+)['"]/g,
  /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  /\brequire(?:\.resolve)?\(\s*['"]([^'"\n]+)['"]/g,
];

function* sourceFiles(dir, top = true) {
  if (!existsSync(dir)) return;
  // A nested package with its own node_modules resolves its own imports; one without resolves them
  // from this package's (fabric-kit's chaincode/basic), so its imports are this package's.
  if (!top && existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'node_modules'))) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'testdata' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path, false);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Whether a match starts inside a string literal of its line (code a test writes out as data). */
function insideString(line, at) {
  let quote;
  for (let i = 0; i < at; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (quote === undefined && (c === "'" || c === '"' || c === '`')) quote = c;
    else if (c === quote) quote = undefined;
  }
  return quote !== undefined;
}

/** Module specifiers a file imports; comment lines are skipped (they quote commands and paths). */
function specifiers(path) {
  const found = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) continue;
    for (const re of SPECIFIER) for (const m of line.matchAll(re)) if (!insideString(line, m.index)) found.push(m[1]);
  }
  return found;
}

const packageName = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (spec) => spec.startsWith('node:') || BUILTINS.has(packageName(spec));
const isTestFile = (rel) =>
  /\.test\.[cm]?[jt]s$/.test(rel) || /(^|\/)(testing|scripts|__tests__)\//.test(rel) || /(^|\/)(testing|testkit)\.ts$/.test(rel);
const typesPackage = (name) => `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;

const problems = [];
const report = (where, what) => problems.push(`${where}: ${what}`);

const packagesDir = join(ROOT, 'packages');
const dirs = readdirSync(packagesDir)
  .filter((d) => existsSync(join(packagesDir, d, 'package.json')))
  .sort();
for (const d of dirs) {
  const dir = join(packagesDir, d);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const prod = new Set(Object.keys({ ...pj.dependencies, ...pj.peerDependencies, ...pj.optionalDependencies }));
  const dev = new Set(Object.keys(pj.devDependencies ?? {}));
  for (const name of prod) if (dev.has(name)) report(pj.name, `${name} is in both dependencies and devDependencies`);
  const usedByProd = new Set();
  const usedByTests = new Set();
  const usedByTs = new Set();
  for (const file of sourceFiles(dir)) {
    const rel = relative(dir, file).split(sep).join('/');
    const test = isTestFile(rel);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) {
        if (!test && /(^|\/)testing(\/|\.js$)|(^|\/)testkit\.js$/.test(spec))
          report(`${pj.name} ${rel}`, `production code imports the test kit ${spec}`);
        if (/(^|\/)packages\/[^/]+\/dist\//.test(spec) || /^(\.\.\/)+[a-z-]+\/dist\//.test(spec))
          report(`${pj.name} ${rel}`, `reaches another package's dist/ files (${spec}): import its index or an exports entry`);
        continue;
      }
      if (isBuiltin(spec)) continue;
      const name = packageName(spec);
      if (name === pj.name) continue;
      if (name.startsWith('@metroledger/') && /^@metroledger\/[^/]+\/dist(\/|$)/.test(spec))
        report(`${pj.name} ${rel}`, `imports ${spec}: import the package's index or an exports entry, not its dist/ files`);
      if (!test && /^@metroledger\/[^/]+\/testing(\/|$)/.test(spec) && TEST_KITS_ALLOWED[pj.name]?.[spec] === undefined)
        report(`${pj.name} ${rel}`, `production code imports the test kit ${spec}`);
      (test ? usedByTests : usedByProd).add(name);
      if (/\.[cm]?ts$/.test(rel)) usedByTs.add(name);
      if (!test && !prod.has(name))
        report(
          `${pj.name} ${rel}`,
          `imports ${name}, which dependencies does not declare${dev.has(name) ? ' (it is a devDependency)' : ''}`,
        );
      if (test && !prod.has(name) && !dev.has(name))
        report(`${pj.name} ${rel}`, `imports ${name}, which neither dependencies nor devDependencies declare`);
    }
  }
  // tsc -b builds in the order of the project references: one per workspace package declared.
  const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  const referenced = new Set(
    (tsconfig.references ?? [])
      .map((r) => r.path)
      .filter((p) => /^\.\.\/[a-z-]+$/.test(p))
      .map((p) => `@metroledger/${p.slice(3)}`),
  );
  const workspaceDeclared = [...prod, ...dev].filter((n) => n.startsWith('@metroledger/'));
  for (const name of usedByTs)
    if (name.startsWith('@metroledger/') && !referenced.has(name))
      report(pj.name, `its TypeScript imports ${name} but tsconfig.json has no reference to ../${name.slice(13)}`);
  for (const name of referenced)
    if (!workspaceDeclared.includes(name))
      report(pj.name, `tsconfig.json references ../${name.slice(13)}, which package.json does not declare`);

  const exempt = UNIMPORTED[pj.name] ?? {};
  for (const name of Object.keys(exempt)) {
    if (!prod.has(name)) report(pj.name, `UNIMPORTED lists ${name}, which dependencies does not declare`);
    else if (usedByProd.has(name)) report(pj.name, `UNIMPORTED lists ${name}, which its code imports: drop the entry`);
  }
  const typed = (name, used) => [...used].some((u) => typesPackage(u) === name);
  for (const name of prod) {
    if (name.startsWith('@types/')) {
      report(pj.name, `${name} is only for the compiler: move it to devDependencies`);
      continue;
    }
    if (usedByProd.has(name) || exempt[name] !== undefined) continue;
    if (usedByTests.has(name)) report(pj.name, `${name} is only imported by tests: move it to devDependencies`);
    else report(pj.name, `${name} is declared in dependencies but never imported`);
  }
  for (const name of dev) {
    if (usedByTests.has(name) || typed(name, usedByTests) || typed(name, usedByProd) || exempt[name] !== undefined) continue;
    report(pj.name, `${name} is declared in devDependencies but never imported`);
  }
}

// The repository's own scripts: no package's dist/ files either.
for (const file of sourceFiles(join(ROOT, 'scripts'))) {
  for (const spec of specifiers(file)) {
    if (/(^|\/)packages\/[^/]+\/dist\/|^@metroledger\/[^/]+\/dist(\/|$)/.test(spec)) {
      report(relative(ROOT, file), `reaches a package's dist/ files (${spec}): require the package (its index or an exports entry)`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-dependencies: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`check-dependencies: ${dirs.length} packages, imports and manifests agree`);
