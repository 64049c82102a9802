// SPDX-License-Identifier: Apache-2.0
// google-protobuf's generated classes live in one global namespace (`proto.common.Block`, ...), and
// nested messages are decoded through it. fabric-shim carries an older @hyperledger/fabric-protos
// (0.2.x) whose classes, once loaded, replace the 0.3.x ones there: a 0.3.x `common.Metadata` then
// decodes its signatures into 0.2.x objects without `getIdentifierHeader`. This puts the 0.3.x
// classes back, which is safe for fabric-shim (0.3.x messages are a superset).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const EXPORT_RE = /goog\.exportSymbol\('(proto\.[\w.]+)'/g;
const PACKAGE_RE = /goog\.object\.extend\(exports, (proto\.[\w.]+)\);/;

function* pbFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* pbFiles(path);
    else if (entry.name.endsWith('_pb.js') && !entry.name.endsWith('_grpc_pb.js')) yield path;
  }
}

interface Entry {
  readonly path: readonly string[];
  readonly value: unknown;
}

let cache: { entries: Entry[]; exportsOf: { pkg: string; exported: Record<string, unknown> }[] } | undefined;

function scan(): NonNullable<typeof cache> {
  const entries: Entry[] = [];
  const exportsOf: { pkg: string; exported: Record<string, unknown> }[] = [];
  const root = dirname(require.resolve('@hyperledger/fabric-protos/package.json'));
  for (const file of pbFiles(join(root, 'lib'))) {
    const source = readFileSync(file, 'utf8');
    const pkg = PACKAGE_RE.exec(source)?.[1];
    if (pkg === undefined) continue;
    const exported = require(file) as Record<string, unknown>;
    exportsOf.push({ pkg, exported });
    for (const [, symbol] of source.matchAll(EXPORT_RE)) {
      if (!symbol!.startsWith(pkg + '.')) continue;
      const own = symbol!.slice(pkg.length + 1).split('.');
      let value: unknown = exported;
      for (const part of own) value = (value as Record<string, unknown> | undefined)?.[part];
      // a file's own top-level classes are defined by that file, so its exports hold ours
      if (value !== undefined && own.length === 1) entries.push({ path: symbol!.split('.').slice(1), value });
    }
  }
  return { entries, exportsOf };
}

/**
 * Re-registers every class of the project's @hyperledger/fabric-protos in google-protobuf's global
 * namespace, and in the exports of its generated files (each file exports its whole package as
 * it stood when the file loaded, so a file loaded after fabric-shim's copy exports some of the
 * old classes). Call it after anything that may load fabric-shim (chaincode modules included).
 */
export function restoreFabricProtosGlobals(): void {
  cache ??= scan();
  const g = globalThis as unknown as { proto?: Record<string, unknown> };
  const byName = new Map<string, unknown>();
  for (const { path, value } of cache.entries) {
    let ns = (g.proto ??= {}) as Record<string, unknown>;
    for (const part of path.slice(0, -1)) ns = (ns[part] ??= {}) as Record<string, unknown>;
    ns[path[path.length - 1]!] = value;
    byName.set(path.join('.'), value);
  }
  for (const { pkg, exported } of cache.exportsOf) {
    const prefix = pkg.slice('proto.'.length) + '.';
    for (const key of Object.keys(exported)) {
      const ours = byName.get(prefix + key);
      if (ours !== undefined && exported[key] !== ours) exported[key] = ours;
    }
  }
}
