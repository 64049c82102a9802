// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onlyIgnoredChecksFail } from './processes';

// A Fabric 3.0.0 peer without Docker, as its operations service answered on this machine.
const dockerOnly =
  '{"status":"Service Unavailable","time":"2026-12-04T20:49:41.102313664Z","failed_checks":[{"component":"docker","reason":"failed to ping to Docker daemon: Get \\"http://unix.sock/_ping\\": dial unix /var/run/docker.sock: connect: no such file or directory"}]}';

test('a peer whose only failed health check is Docker counts as ready when the kit ignores docker', () => {
  assert.equal(onlyIgnoredChecksFail(dockerOnly, ['docker']), true);
});

test('any other failed check, or an unreadable body, keeps the node not ready', () => {
  const couch =
    '{"status":"Service Unavailable","failed_checks":[{"component":"docker","reason":"x"},{"component":"couchdb","reason":"y"}]}';
  assert.equal(onlyIgnoredChecksFail(couch, ['docker']), false);
  assert.equal(onlyIgnoredChecksFail(dockerOnly, []), false);
  assert.equal(onlyIgnoredChecksFail('{"status":"Service Unavailable","failed_checks":[]}', ['docker']), false);
  assert.equal(onlyIgnoredChecksFail('<html>', ['docker']), false);
});
