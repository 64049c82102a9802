// SPDX-License-Identifier: Apache-2.0
// The data directory of a `metroledger start` run: the default one every command reads, made
// fresh. A previous devnet there is kept, moved under runs/ beside it, never deleted.
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DATA_DIR_MARKER, DEFAULT_DATA_DIR, DevnetError, readRunFile, runningDevnet } from '@metroledger/devnet';
import { command } from './hints';

/**
 * A fresh data directory for a run: `given` (--data, or the configuration file's), by default
 * DEFAULT_DATA_DIR. A devnet already there is moved to `runs/<its start time>` beside it, never
 * deleted; a directory with anything else in it is refused.
 * Returns the directory and, when one was moved, where to.
 * @throws {@link DevnetError} ALREADY_RUNNING (a devnet runs there), NOT_A_DEVNET_DIR
 */
export async function freshRunDir(given: string | undefined): Promise<{ dataDir: string; archived?: string }> {
  const dataDir = resolve(given ?? DEFAULT_DATA_DIR);
  const entries = await readdir(dataDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  if (entries.length === 0) {
    await mkdir(dataDir, { recursive: true });
    return { dataDir };
  }
  if (!entries.includes(DATA_DIR_MARKER))
    throw new DevnetError(
      'NOT_A_DEVNET_DIR',
      `${dataDir} holds something else than a devnet: the main job runs on a new directory, or moves a previous devnet aside`,
      { dataDir },
    );
  const running = await runningDevnet(dataDir);
  if (running !== undefined)
    throw new DevnetError(
      'ALREADY_RUNNING',
      `a devnet (pid ${running.pid}) runs on ${dataDir}: stop it (\`${command(['devnet', 'down'], dataDir)}\`) or run on another directory with --data DIR`,
      { dataDir },
    );
  const since = (await readRunFile(dataDir))?.startedAt ?? (await stat(join(dataDir, DATA_DIR_MARKER))).mtime.toISOString();
  const archived = join(dirname(dataDir), 'runs', since.replace(/[:.]/g, '-'));
  await mkdir(dirname(archived), { recursive: true });
  await rename(dataDir, archived);
  await mkdir(dataDir, { recursive: true });
  return { dataDir, archived };
}

/** What to run next on a finished run's data directory: audit, surveil, serve it again. */
export function nextSteps(dataDir: string, upArgs: readonly string[]): string[] {
  return [
    `  audit it                 ${command(['audit'], dataDir, ['--html', 'audit.html'])}`,
    `  surveil it               ${command(['surveil'], dataDir, ['--html', 'surveil.html'])}`,
    `  serve it again           ${command(['devnet', 'up'], dataDir, upArgs)}   (then every command reads it; Ctrl-C stops it)`,
  ];
}
