// SPDX-License-Identifier: Apache-2.0
// The configuration file gives commands their flags' values; flags override it; its mistakes are
// named; its relative paths are the file's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, 'main.js');
const run = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, METROLEDGER_CONFIG: '' } });

function project(yaml: string, file = 'metroledger.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'metroledger-config-'));
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, file), yaml);
  return dir;
}

test('metroledger.yaml sets the data directory of every command; a flag overrides it', () => {
  const dir = project('data: nets/main\nnetwork:\n  channel: metrology\n');
  try {
    let r = run(dir, 'meter', 'list');
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`no running devnet recorded in ${join(dir, 'nets', 'main').replace(/[/.]/g, '\\$&')}:`));
    r = run(dir, 'meter', 'list', '--devnet', 'other');
    assert.match(r.stderr, new RegExp(`no running devnet recorded in ${join(dir, 'other').replace(/[/.]/g, '\\$&')}:`));
    r = run(dir, 'devnet', 'status');
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`no devnet runs on ${join(dir, 'nets', 'main').replace(/[/.]/g, '\\$&')}`));
    r = run(dir, 'ledger', 'verify');
    assert.match(r.stderr, /nets\/main/);
    // start (and bench) start a devnet of their own there, they do not drive a running one
    r = run(dir, 'start', '--ordering', 'raft');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /BAD_CONFIG: --ordering must be solo or bft, not raft/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("devnet up takes its options from the file's devnet section, flags first", () => {
  const dir = project('devnet:\n  ordering: raft\n  chaincodes:\n    - name: basic\n      path: ./no-such-chaincode\n');
  try {
    let r = run(dir, 'devnet', 'up', '--data', 'net');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /BAD_CONFIG: --ordering must be solo or bft, not raft/);
    r = run(dir, 'devnet', 'up', '--data', 'net', '--ordering', 'solo');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`BAD_CONFIG: chaincode basic: ${join(dir, 'no-such-chaincode').replace(/[/.]/g, '\\$&')} is not a directory`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the file's connection profile names the network: no default devnet then", () => {
  const dir = project('network:\n  profile: conf/missing-profile.yaml\n');
  try {
    const r = run(dir, 'meter', 'list');
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /no running devnet/);
    assert.match(r.stderr, new RegExp(join(dir, 'conf', 'missing-profile.yaml').replace(/[/.]/g, '\\$&')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--config names another file; its relative paths are relative to it', () => {
  const dir = project('data: ../elsewhere\n', join('conf', 'ops.yaml'));
  try {
    const r = run(dir, '--config', join('conf', 'ops.yaml'), 'devnet', 'status');
    assert.match(r.stdout, new RegExp(`no devnet runs on ${join(dir, 'elsewhere').replace(/[/.]/g, '\\$&')}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mistakes in the file are named: an unknown key, a wrong type, a bad level', () => {
  for (const [yaml, message] of [
    ['datadir: x\n', /BAD_CONFIG_FILE: .*metroledger\.yaml: unknown key datadir \(known: data, logLevel, devnet, network\)/],
    ['network:\n  endpoint: [1, 2]\n', /BAD_CONFIG_FILE: .*: network\.endpoint must be a string/],
    ['network:\n  port: 7051\n', /BAD_CONFIG_FILE: .*: unknown key network\.port \(known: endpoint, gateway, tlsCa/],
    ['logLevel: loud\n', /BAD_CONFIG_FILE: .*: logLevel must be one of fatal, error, warn, info, debug, trace, silent, not loud/],
    ['data: [unclosed\n', /BAD_CONFIG_FILE: .*metroledger\.yaml: /],
  ] as const) {
    const dir = project(yaml);
    try {
      const r = run(dir, 'devnet', 'status');
      assert.equal(r.status, 1, yaml);
      assert.match(r.stderr, message, yaml);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
