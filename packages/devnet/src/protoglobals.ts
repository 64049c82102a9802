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

let restored = false;

/** Re-registers every class of the project's @hyperledger/fabric-protos in google-protobuf's global namespace. */
export function restoreFabricProtosGlobals(): void {
  if (restored) return;
  restored = true;
  const root = dirname(require.resolve('@hyperledger/fabric-protos/package.json'));
  const g = globalThis as unknown as { proto?: Record<string, unknown> };
  for (const file of pbFiles(join(root, 'lib'))) {
    const source = readFileSync(file, 'utf8');
    const pkg = PACKAGE_RE.exec(source)?.[1];
    if (pkg === undefined) continue;
    const exported = require(file) as Record<string, unknown>;
    for (const [, symbol] of source.matchAll(EXPORT_RE)) {
      if (!symbol!.startsWith(pkg + '.')) continue;
      let value: unknown = exported;
      for (const part of symbol!.slice(pkg.length + 1).split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
      if (value === undefined) continue;
      const path = symbol!.split('.').slice(1);
      let ns = (g.proto ??= {}) as Record<string, unknown>;
      for (const part of path.slice(0, -1)) ns = (ns[part] ??= {}) as Record<string, unknown>;
      ns[path[path.length - 1]!] = value;
    }
  }
}
