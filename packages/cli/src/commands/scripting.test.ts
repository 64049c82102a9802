// SPDX-License-Identifier: Apache-2.0
// The command in scripts: --version, a bare package id, and no EPIPE error when a pipe closes early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });

test('--version prints the version', () => {
  const r = run('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^metroledger 0\.1\.0 \(Node v\d+\.\d+\.\d+\)\n$/);
});

test('lr package-id --id-only prints the bare package id, --json the fields', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metroledger-pkgid-'));
  try {
    const file = join(dir, 'lr.tar.gz');
    assert.equal(run('lr', 'package', '--out', file).status, 0);
    const bare = run('lr', 'package-id', file, '--id-only');
    assert.equal(bare.status, 0);
    assert.match(bare.stdout, /^metroledger-speed_[\d.]+:[0-9a-f]{64}\n$/);
    const json = JSON.parse(run('lr', 'package-id', file, '--json').stdout) as { packageId: string; type: string };
    assert.equal(json.packageId, bare.stdout.trim());
    assert.equal(json.type, 'node');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('output piped into head ends quietly (no EPIPE error, exit 0)', () => {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${MAIN}" lr generate --count 20000 --seed 1 | head -n 1`], {
    encoding: 'utf8',
  });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.split('\n').filter((l) => l !== '').length, 1);
});

test('--log-level takes pino levels only', () => {
  const r = run('--log-level', 'loud', 'lr', 'generate', '--count', '1', '--seed', '1');
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /option '--log-level <level>' argument 'loud' is invalid. Allowed choices are fatal, error, warn, info, debug, trace, silent/,
  );
});

test("a subcommand's own --version is its own; --log-level and --config also follow the subcommand", () => {
  const dir = mkdtempSync(join(tmpdir(), 'metroledger-opts-'));
  try {
    // lr approve --version V names the chaincode version, it does not print metroledger's
    const approve = run('lr', 'approve', '--version', '2.0', '--devnet', dir);
    assert.equal(approve.status, 1);
    assert.doesNotMatch(approve.stdout, /^metroledger \d/);
    assert.match(approve.stderr, /CONNECTION_FAILED: no running devnet recorded in /);
    const after = run('devnet', 'status', '--data', dir, '--log-level', 'loud');
    assert.equal(after.status, 1);
    assert.match(after.stderr, /option '--log-level <level>' argument 'loud' is invalid/);
    const config = run('devnet', 'status', '--data', dir, '--config', join(dir, 'missing.yaml'));
    assert.equal(config.status, 1);
    assert.match(config.stderr, /BAD_CONFIG_FILE: .*missing\.yaml: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
