// SPDX-License-Identifier: Apache-2.0
// Checks that every installed package accepts the Node versions this repository declares: the
// root package.json's `engines.node` range must lie inside each package's own `engines.node`
// (so that `npm install` on any Node we claim prints no EBADENGINE), and the running Node must
// satisfy the root range. Exit 1 listing each package that does not.
// Usage: node scripts/check-engines.mjs [--quiet]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const root = JSON.parse(readFileSync('package.json', 'utf8'));
const declared = root.engines?.node;
if (typeof declared !== 'string' || semver.validRange(declared) === null) {
  console.error(`check-engines: the root package.json must declare engines.node (got ${JSON.stringify(declared)})`);
  process.exit(1);
}

/** Every package.json under a node_modules tree (nested ones and scoped ones included). */
function* installedPackages(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (name.startsWith('@')) {
      yield* installedPackages(path);
      continue;
    }
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    yield { path, manifest };
    yield* installedPackages(join(path, 'node_modules'));
  }
}

const problems = [];
let checked = 0;
const trees = ['node_modules', ...readdirSync('packages').map((p) => join('packages', p, 'node_modules'))];
const workspaces = readdirSync('packages')
  .filter((p) => statSync(join('packages', p)).isDirectory())
  .map((p) => ({ path: join('packages', p), manifest: JSON.parse(readFileSync(join('packages', p, 'package.json'), 'utf8')) }));
for (const pkg of [...workspaces, ...trees.flatMap((t) => [...installedPackages(t)])]) {
  const wants = pkg.manifest.engines?.node;
  if (typeof wants !== 'string') continue;
  checked++;
  const range = semver.validRange(wants);
  if (range === null) {
    problems.push(`${pkg.manifest.name}@${pkg.manifest.version} (${pkg.path}): unreadable engines.node ${JSON.stringify(wants)}`);
  } else if (!semver.subset(declared, range)) {
    problems.push(
      `${pkg.manifest.name}@${pkg.manifest.version} (${pkg.path}) wants node ${wants}, narrower than the repository's ${declared}`,
    );
  }
}
if (!semver.satisfies(process.version, declared))
  problems.push(`this Node ${process.version} is outside the repository's engines.node ${declared}`);

if (problems.length > 0) {
  console.error(`check-engines: ${problems.length} package(s) do not accept every Node the repository declares (${declared}):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
if (!process.argv.includes('--quiet'))
  console.log(`check-engines: ${checked} installed packages with engines.node all accept node ${declared} (running ${process.version})`);
