// SPDX-License-Identifier: Apache-2.0
// The commands the CLI suggests (to stop, restart, audit a devnet), written so that they can be
// pasted as printed: with the --data, --port and other options of the devnet they are about.
import { relative, resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '@metroledger/devnet';

/** A shell word: quoted when it holds anything but plain path characters. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `dataDir` as the user may type it: relative to the working directory when inside it. */
export function displayPath(dir: string): string {
  const rel = relative(process.cwd(), resolve(dir));
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/') ? rel : resolve(dir);
}

/** `--data DIR`, or nothing for the default data directory (every command's default). */
export function dataOption(dataDir: string): string[] {
  return resolve(dataDir) === resolve(DEFAULT_DATA_DIR) ? [] : ['--data', displayPath(dataDir)];
}

/** `--devnet DIR` of the network commands, or nothing for the default data directory. */
export function devnetOption(dataDir: string): string[] {
  return resolve(dataDir) === resolve(DEFAULT_DATA_DIR) ? [] : ['--devnet', displayPath(dataDir)];
}

/** `metroledger <words…>` with the data directory's option, ready to paste. */
export function command(words: readonly string[], dataDir?: string, more: readonly string[] = []): string {
  return ['metroledger', ...words, ...(dataDir === undefined ? [] : dataOption(dataDir)), ...more].map(shellWord).join(' ');
}
