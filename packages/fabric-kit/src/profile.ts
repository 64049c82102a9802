// SPDX-License-Identifier: Apache-2.0
// Where the CPU goes: V8 CPU profiles (node --cpu-prof, or the inspector's Profiler) summarized as
// self time per function and per package, idle time left out.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
/** The .cpuprofile format (Chrome DevTools protocol Profiler.Profile). */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}
export interface ProfileSummary {
  /** Busy milliseconds: every sample but (idle). */
  readonly busyMs: number;
  readonly functions: HotSpot[];
  readonly packages: HotSpot[];
  /** Total (inclusive) time of metroledger's own functions: where the application's work goes. */
  readonly application: HotSpot[];
}

/** metroledger's code: the repository's packages, or a chaincode package's own and vendored code. */
function isApplication(url: string): boolean {
  return /packages\/[^/]+\/dist\/|\/lib\/@metroledger\/|metroledger-ccaas-[^/]+\/src\/dist\//.test(url);
}

/** `packages/chaincode/dist/lrcontract.js` or `node_modules/fabric-shim/lib/handler.js`, from a file URL. */
function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm);
  const pk = path.lastIndexOf('packages/');
  if (pk >= 0) return path.slice(pk);
  return path;
}

function packageOf(url: string): string {
  if (url === '') return '(native, GC, program)';
  if (url.startsWith('node:')) return 'node (built-in)';
  const path = shortPath(url);
  let m = /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(path);
  if (m !== null) return m[1]!;
  m = /packages\/([^/]+)/.exec(path);
  if (m !== null) return `@metroledger/${m[1]}`;
  // code extracted from a chaincode package (a temporary directory): its vendored lib/ or its own dist/
  m = /\/lib\/(@[^/]+\/[^/]+)\//.exec(path);
  if (m !== null) return `${m[1]} (packaged)`;
  return path.includes('/dist/') ? 'chaincode package (dist)' : path;
}

/**
 * Self time per function and per package over one or more profiles. Pure. `windows`: only samples
 * taken inside one of these [start, end] intervals, in microseconds of the monotonic clock V8
 * stamps profiles with (process.hrtime's, shared by every process of the machine).
 */
export function summarizeProfiles(
  profiles: readonly CpuProfile[],
  top = 20,
  windows?: readonly (readonly [number, number])[],
): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id);
      const us = profile.timeDeltas[i] ?? 0;
      at += us;
      if (windows !== undefined && !windows.some(([from, to]) => at >= from && at <= to)) return;
      if (frame === undefined || frame.functionName === '(idle)' || us <= 0) return;
      busy += us;
      const where = frame.url === '' ? '' : ` ${shortPath(frame.url)}:${frame.lineNumber + 1}`;
      const key = `${frame.functionName || '(anonymous)'}${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const pkg = packageOf(frame.url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
      const seen = new Set<string>();
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
        const f = nodes.get(n);
        if (f === undefined || !isApplication(f.url)) continue;
        const k = `${f.functionName || '(anonymous)'} ${shortPath(f.url).replace(/^.*\/(src\/dist|lib\/@metroledger)\//, '$1/')}:${f.lineNumber + 1}`;
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + us);
      }
    });
  }
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return { busyMs: busy / 1000, functions: rank(byFunction), packages: rank(byPackage), application: rank(inclusive) };
}

/** Every .cpuprofile under `dir` (one level of subfolders, as node --cpu-prof-dir per process writes). */
export async function readProfiles(dir: string): Promise<CpuProfile[]> {
  const out: CpuProfile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await readProfiles(path)));
    else if (entry.name.endsWith('.cpuprofile')) out.push(JSON.parse(await readFile(path, 'utf8')) as CpuProfile);
  }
  return out;
}

export function formatSummary(title: string, s: ProfileSummary, top = 12): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  return [
    `${title}: ${(s.busyMs / 1000).toFixed(1)} s busy`,
    '  by package:',
    ...s.packages.slice(0, 8).map((h) => `    ${pct(h.share)}  ${h.name}`),
    '  by function (self time):',
    ...s.functions.slice(0, top).map((h) => `    ${pct(h.share)}  ${h.name}`),
    ...(s.application.length > 0
      ? [
          '  metroledger functions (total time, callees included):',
          ...s.application.slice(0, top).map((h) => `    ${pct(h.share)}  ${h.name}`),
        ]
      : []),
  ].join('\n');
}
