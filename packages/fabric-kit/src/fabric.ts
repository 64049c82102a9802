// SPDX-License-Identifier: Apache-2.0
// Finding the user's Fabric binaries and configuration, and running Fabric's CLI tools.
import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FabricKitError } from './errors.js';

export const FABRIC_BINARIES = ['peer', 'orderer', 'configtxgen', 'osnadmin'] as const;

export interface FabricInstall {
  /** Directory of peer, orderer, configtxgen, osnadmin. */
  readonly binDir: string;
  /** Directory holding Fabric's core.yaml and orderer.yaml (release `config/` or source `sampleconfig/`). */
  readonly configDir: string;
  /** e.g. '3.0.0', from `peer version`. */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function hasFabricConfig(dir: string): Promise<boolean> {
  return (await isFile(join(dir, 'core.yaml'))) && (await isFile(join(dir, 'orderer.yaml')));
}

/**
 * The release of the binaries: `peer version`; a development build (`go build` without Fabric's
 * Makefile) says `latest`, then `versionHint` (FABRIC_VERSION), else the major version from the orderer binary
 * (SmartBFT appeared in 3.0).
 */
async function fabricVersion(bin: string, versionHint: string | undefined): Promise<{ version: string; major: number; minor: number }> {
  const text = await run(join(bin, 'peer'), ['version'], { env: { PATH: process.env.PATH, FABRIC_CFG_PATH: '/nonexistent' } });
  const parse = (v: string | undefined) => (v === undefined ? null : /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim()));
  const m = parse(/Version:\s*(\S+)/.exec(text)?.[1]) ?? parse(versionHint);
  if (m !== null) return { version: `${m[1]}.${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}`, major: Number(m[1]), minor: Number(m[2]) };
  const orderer = await readFile(join(bin, 'orderer'));
  const major = orderer.includes('hyperledger-labs/SmartBFT') ? 3 : 2;
  return { version: `${major}.x (development build)`, major, minor: major === 3 ? 0 : 5 };
}

/**
 * Locates the binaries (`binDir`, usually FABRIC_BIN) and Fabric's configuration: `configDir` when
 * given (FABRIC_CFG), else `<bin>/../config` (a release tarball), `<bin>/../sampleconfig` (a source
 * tree built in place) or `<bin-X>/../src-X/sampleconfig` (FABRIC-NOTES' build layout).
 * @throws {@link FabricKitError} FABRIC_BIN_MISSING, FABRIC_CONFIG_MISSING
 */
export async function locateFabric(binDir: string | undefined, configDir?: string, versionHint?: string): Promise<FabricInstall> {
  if (binDir === undefined || binDir === '') {
    throw new FabricKitError(
      'FABRIC_BIN_MISSING',
      'FABRIC_BIN is unset: point it at the directory holding peer, orderer, configtxgen and osnadmin',
    );
  }
  const bin = resolve(binDir);
  for (const name of FABRIC_BINARIES) {
    const path = join(bin, name);
    const ok = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!ok) throw new FabricKitError('FABRIC_BIN_MISSING', `${path} is missing or not executable`, { binDir: bin, binary: name });
  }
  const { version, major, minor } = await fabricVersion(bin, versionHint);
  const candidates =
    configDir !== undefined && configDir !== ''
      ? [resolve(configDir)]
      : [
          join(bin, '..', 'config'),
          join(bin, '..', 'sampleconfig'),
          join(bin, '..', basename(bin).replace(/^bin-/, 'src-'), 'sampleconfig'),
        ];
  for (const dir of candidates) {
    if (await hasFabricConfig(dir)) return { binDir: bin, configDir: resolve(dir), version, major, minor };
  }
  throw new FabricKitError(
    'FABRIC_CONFIG_MISSING',
    `no core.yaml and orderer.yaml in ${candidates.join(', ')}: set FABRIC_CFG to Fabric ${version}'s config directory (sampleconfig/ in its source)`,
    { candidates },
  );
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs a command to completion and returns stdout + stderr (Fabric tools log to stderr).
 * @throws {@link FabricKitError} COMMAND_FAILED with the command's output
 */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (err) {
          reject(
            new FabricKitError(
              'COMMAND_FAILED',
              `${file.split('/').pop()} ${args.join(' ')} failed: ${output.trim().split('\n').slice(-8).join('\n') || err.message}`,
              { file, args: [...args], output },
              { cause: err },
            ),
          );
        } else resolvePromise(output);
      },
    );
  });
}
