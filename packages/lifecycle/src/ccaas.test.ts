// SPDX-License-Identifier: Apache-2.0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  buildCcaasPackage,
  buildChaincodePackage,
  ccaasLabel,
  CODE_DECLARATION_FILE,
  CONNECTION_FILE,
  declaredCodeDigest,
  LifecycleError,
  parseAddress,
  readCcaasPackage,
  readChaincodePackage,
  type CcaasConnection,
  type ChaincodePackage,
  type LifecycleErrorCode,
} from './index';
import { gunzipBounded } from './gzip';
import { readTar } from './tar';

function isCode(code: LifecycleErrorCode) {
  return (e: unknown) => e instanceof LifecycleError && e.code === code;
}

const NODE: ChaincodePackage = buildChaincodePackage({
  label: 'demo_1.0',
  files: new Map([
    ['src/package.json', Buffer.from('{"name":"demo","version":"1.0.0","main":"dist/index.js"}')],
    ['src/dist/index.js', Buffer.from('exports.contracts = [];')],
  ]),
});
const PLAIN: CcaasConnection = { address: 'demo.provider.example:9999', dialTimeout: '10s', tlsRequired: false };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUD3X=\n-----END CERTIFICATE-----\n';

function ccaas(connection: CcaasConnection = PLAIN, node: ChaincodePackage = NODE): ChaincodePackage {
  return buildCcaasPackage({ nodePackage: node, chaincodeName: 'demo', chaincodeVersion: '1.0', connection });
}

test('a ccaas package is metadata.json {type,label} and code.tar.gz {connection.json, META-INF}, byte for byte the same for the same inputs', () => {
  const a = ccaas();
  assert.deepEqual(ccaas().bytes, a.bytes);
  assert.equal(a.packageId, `${a.label}:${createHash('sha256').update(a.bytes).digest('hex')}`);
  assert.equal(a.label, `demo_1.0_ccaas_${NODE.codeDigest}`);
  const outer = readTar(gunzipBounded(a.bytes, 1 << 20, 'package'), { maxFiles: 8, maxTotalBytes: 1 << 20 }, 'package');
  assert.deepEqual(outer.map((f) => f.path).sort(), ['code.tar.gz', 'metadata.json']);
  assert.equal(Buffer.from(outer.find((f) => f.path === 'metadata.json')!.content).toString(), `{"type":"ccaas","label":"${a.label}"}`);
  const code = readTar(
    gunzipBounded(outer.find((f) => f.path === 'code.tar.gz')!.content, 1 << 20, 'code'),
    { maxFiles: 8, maxTotalBytes: 1 << 20 },
    'code',
  );
  assert.deepEqual(code.map((f) => f.path).sort(), [CODE_DECLARATION_FILE, CONNECTION_FILE]);
  assert.equal(
    Buffer.from(code.find((f) => f.path === CONNECTION_FILE)!.content).toString(),
    '{\n  "address": "demo.provider.example:9999",\n  "dial_timeout": "10s",\n  "tls_required": false\n}\n',
  );
  const read = readCcaasPackage(readChaincodePackage(a.bytes));
  assert.deepEqual(read.connection, PLAIN);
  assert.deepEqual(read.declaration, {
    chaincodeName: 'demo',
    chaincodeVersion: '1.0',
    codeDigest: NODE.codeDigest,
    nodePackageId: NODE.packageId,
  });
});

test('the ccaas id changes with the connection and the code, the declared code only with the code', () => {
  const base = ccaas();
  const elsewhere = ccaas({ ...PLAIN, address: 'other.example:9999' });
  const slower = ccaas({ ...PLAIN, dialTimeout: '30s' });
  const otherCode = buildChaincodePackage({ label: 'demo_1.0', files: new Map([...NODE.files, ['src/dist/extra.js', Buffer.from('1;')]]) });
  const changed = ccaas(PLAIN, otherCode);
  assert.equal(new Set([base, elsewhere, slower, changed].map((p) => p.packageId)).size, 4);
  assert.equal(declaredCodeDigest(elsewhere.packageId), NODE.codeDigest);
  assert.equal(declaredCodeDigest(slower.label), NODE.codeDigest);
  assert.equal(declaredCodeDigest(changed.packageId), otherCode.codeDigest);
  assert.equal(declaredCodeDigest(NODE.packageId), undefined);
});

test('TLS fields go into connection.json as Fabric reads them; what a peer would refuse is refused here', () => {
  const tls = readChaincodePackage(
    ccaas({
      ...PLAIN,
      tlsRequired: true,
      rootCert: PEM,
      clientAuthRequired: true,
      clientCert: PEM,
      clientKey: PEM.replace(/CERTIFICATE/g, 'PRIVATE KEY'),
    }).bytes,
  );
  assert.deepEqual(Object.keys(JSON.parse(Buffer.from(tls.files.get(CONNECTION_FILE)!).toString()) as object), [
    'address',
    'dial_timeout',
    'tls_required',
    'client_auth_required',
    'root_cert',
    'client_cert',
    'client_key',
  ]);
  assert.equal(readCcaasPackage(tls).connection.rootCert, PEM);
  // Fabric's ccaas builder expands templates in the address per peer
  assert.equal(readCcaasPackage(ccaas({ ...PLAIN, address: '{{.peername}}-lr:9999' })).connection.address, '{{.peername}}-lr:9999');
  for (const [c, code] of [
    [{ ...PLAIN, tlsRequired: true }, 'BAD_CONNECTION'],
    [{ ...PLAIN, tlsRequired: true, rootCert: PEM, clientAuthRequired: true }, 'BAD_CONNECTION'],
    [{ ...PLAIN, rootCert: PEM }, 'BAD_CONNECTION'],
    [{ ...PLAIN, tlsRequired: true, rootCert: 'not pem' }, 'BAD_CONNECTION'],
    [{ ...PLAIN, dialTimeout: '10' }, 'BAD_CONNECTION'],
    [{ ...PLAIN, address: 'no-port' }, 'BAD_ADDRESS'],
    [{ ...PLAIN, address: 'h:65536' }, 'BAD_ADDRESS'],
    [{ ...PLAIN, address: 'two words:1' }, 'BAD_ADDRESS'],
  ] as const) {
    assert.throws(() => ccaas(c as CcaasConnection), isCode(code), JSON.stringify(c));
  }
  assert.deepEqual(parseAddress('[::1]:7052'), { host: '::1', port: 7052 });
  assert.deepEqual(parseAddress('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
});

test('a ccaas package must agree with itself about its code, and holds nothing but the connection and META-INF', () => {
  const good = ccaas();
  const files = (over: [string, string][]): Map<string, Uint8Array> =>
    new Map([...good.files, ...over.map(([p, c]) => [p, Buffer.from(c)] as [string, Uint8Array])]);
  const decl = JSON.parse(Buffer.from(good.files.get(CODE_DECLARATION_FILE)!).toString()) as Record<string, string>;
  const other = '0'.repeat(64);
  const lying = buildChaincodePackage({
    label: good.label,
    type: 'ccaas',
    files: files([[CODE_DECLARATION_FILE, JSON.stringify({ ...decl, codeDigest: other })]]),
  });
  assert.throws(() => readCcaasPackage(lying), isCode('CODE_DIGEST_MISMATCH'));
  const relabelled = buildChaincodePackage({ label: ccaasLabel('demo_1.0', other), type: 'ccaas', files: good.files });
  assert.throws(() => readCcaasPackage(relabelled), isCode('CODE_DIGEST_MISMATCH'));
  const undeclared = buildChaincodePackage({
    label: 'demo_1.0',
    type: 'ccaas',
    files: new Map([[CONNECTION_FILE, good.files.get(CONNECTION_FILE)!]]),
  });
  assert.equal(readCcaasPackage(undeclared).declaration, undefined, 'a ccaas package from another tool reads, declaring nothing');
  const labelOnly = buildChaincodePackage({
    label: good.label,
    type: 'ccaas',
    files: new Map([[CONNECTION_FILE, good.files.get(CONNECTION_FILE)!]]),
  });
  assert.throws(() => readCcaasPackage(labelOnly), isCode('CODE_NOT_DECLARED'));
  const withCode = buildChaincodePackage({ label: good.label, type: 'ccaas', files: files([['src/index.js', 'evil()']]) });
  assert.throws(() => readCcaasPackage(withCode), isCode('MALFORMED_PACKAGE'));
  assert.throws(
    () =>
      readCcaasPackage(
        buildChaincodePackage({ label: good.label, type: 'ccaas', files: files([[CODE_DECLARATION_FILE, '{"type":"other"}']]) }),
      ),
    isCode('CODE_NOT_DECLARED'),
  );
  assert.throws(
    () => readCcaasPackage(buildChaincodePackage({ label: good.label, type: 'ccaas', files: files([[CONNECTION_FILE, '[]']]) })),
    isCode('MALFORMED_PACKAGE'),
  );
  assert.throws(() => readCcaasPackage(NODE), isCode('UNSUPPORTED_PACKAGE_TYPE'));
});
