// SPDX-License-Identifier: Apache-2.0
// The devnet's data directory: what makes one recognisable, and the only way one is deleted.
//
// A devnet marks its data directory with a marker file when it first starts there, and it starts
// only in a new or empty directory or in one it marked before. `resetDevnetData` deletes nothing
// else, so a mistyped `--data` (a home directory, a project folder) is refused, never erased.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DevnetError } from './errors.js';
import { runningDevnet, RUN_FILE } from './runfile.js';

/** Where every `metroledger` command finds the devnet unless told otherwise (relative to the working directory). */
export const DEFAULT_DATA_DIR = join('.metroledger', 'devnet');

/** The marker file in every devnet data directory. */
export const DATA_DIR_MARKER = '.metroledger-devnet';

// What a devnet of an earlier version (before the marker) created: recognised by its crypto
// material's completion marker, and only when nothing else is there.
const LEGACY_SIGNATURE = join('organizations', '.complete');
const DEVNET_ENTRIES = new Set([
  DATA_DIR_MARKER,
  'organizations',
  'ledger',
  'orderers',
  'peers',
  RUN_FILE,
  `${RUN_FILE}.tmp`,
  'devnet.log',
  'report.json',
  'chaincodes.json',
  'chaincodes.json.tmp',
]);

type Kind = { kind: 'missing' } | { kind: 'file' } | { kind: 'devnet' } | { kind: 'empty' } | { kind: 'other'; entries: string[] };

async function inspect(dataDir: string): Promise<Kind> {
  const st = await stat(dataDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    if (e.code === 'ENOTDIR') return 'file' as const;
    throw e;
  });
  if (st === undefined) return { kind: 'missing' };
  if (st === 'file' || !st.isDirectory()) return { kind: 'file' };
  const entries = await readdir(dataDir);
  if (entries.length === 0) return { kind: 'empty' };
  if (entries.includes(DATA_DIR_MARKER)) return { kind: 'devnet' };
  const legacy = await stat(join(dataDir, LEGACY_SIGNATURE)).then(
    () => true,
    () => false,
  );
  const foreign = entries.filter((e) => !DEVNET_ENTRIES.has(e));
  if (legacy && foreign.length === 0) return { kind: 'devnet' };
  return { kind: 'other', entries: foreign.length > 0 ? foreign : entries };
}

function notADirectory(dataDir: string): DevnetError {
  return new DevnetError(
    'BAD_DATA_DIR',
    `the data directory ${dataDir} is a file (or lies under one), not a directory: pass a directory to --data`,
    { dataDir },
  );
}

function describe(entries: readonly string[]): string {
  return entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
}

/**
 * Makes sure `dataDir` can hold a devnet and marks it as a devnet's: creates it when missing, marks
 * an empty one, accepts one marked before (or made by an earlier version, which it marks).
 * @throws {@link DevnetError} BAD_DATA_DIR (a file), NOT_A_DEVNET_DIR (a directory with other contents).
 */
export async function prepareDataDir(dataDir: string): Promise<void> {
  const dir = resolve(dataDir);
  const found = await inspect(dir);
  if (found.kind === 'file') throw notADirectory(dir);
  if (found.kind === 'other') {
    throw new DevnetError(
      'NOT_A_DEVNET_DIR',
      `${dir} is not empty and is not a devnet data directory (it has no ${DATA_DIR_MARKER} and holds ${describe(found.entries)}): choose a new or empty directory for --data`,
      { dataDir: dir },
    );
  }
  if (found.kind === 'devnet') {
    await writeFile(join(dir, DATA_DIR_MARKER), markerText(), { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return;
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') throw notADirectory(dir);
    throw e;
  }
  await writeFile(join(dir, DATA_DIR_MARKER), markerText());
}

function markerText(): string {
  return JSON.stringify({ kind: 'metroledger devnet data directory', createdAt: new Date().toISOString() }) + '\n';
}

/**
 * Deletes the devnet data directory `dataDir`, and nothing that is not one.
 * @throws {@link DevnetError} NO_DATA_DIR (it does not exist: nothing was reset), BAD_DATA_DIR (a
 *   file), NOT_A_DEVNET_DIR (no devnet marker), ALREADY_RUNNING (a devnet runs on it).
 */
export async function resetDevnetData(dataDir: string): Promise<void> {
  const dir = resolve(dataDir);
  const found = await inspect(dir);
  switch (found.kind) {
    case 'missing':
      throw new DevnetError('NO_DATA_DIR', `${dir} does not exist: there is no devnet to reset there (check --data)`, { dataDir: dir });
    case 'file':
      throw notADirectory(dir);
    case 'empty':
    case 'other':
      throw new DevnetError(
        'NOT_A_DEVNET_DIR',
        `${dir} is not a devnet data directory (no ${DATA_DIR_MARKER}${found.kind === 'other' ? `; it holds ${describe(found.entries)}` : '; it is empty'}): refusing to delete it`,
        { dataDir: dir },
      );
    case 'devnet': {
      const info = await runningDevnet(dir);
      if (info !== undefined)
        throw new DevnetError(
          'ALREADY_RUNNING',
          `a devnet (pid ${info.pid}) runs on ${dir}: stop it first (metroledger devnet down --data ${dir})`,
          { dataDir: dir, pid: info.pid },
        );
      await rm(dir, { recursive: true, force: true });
    }
  }
}
