// SPDX-License-Identifier: Apache-2.0
// Chaincode-as-a-service packages: what a Fabric peer without Docker installs. The package holds
// only where the chaincode server listens (connection.json, per deployment), so its package id
// says nothing about the code the server runs. Ours also declare that code: its digest (the
// `codeDigest` of the node package with the same files) in the label and in a META-INF file, so
// that the install check and the server itself can compare it with the notified body's approval.
import { LifecycleError } from './errors';
import { buildChaincodePackage, checkLabel, parsePackageId, type ChaincodePackage } from './package';

export const CONNECTION_FILE = 'connection.json';
/** The code declaration inside a ccaas package's code archive (Fabric's ccaas builder copies META-INF). */
export const CODE_DECLARATION_FILE = 'META-INF/metroledger/code.json';
export const CODE_DECLARATION_TYPE = 'metroledger/ccaas-code/v1';

/** connection.json as Fabric's external-builder ChaincodeServerUserData reads it. */
export interface CcaasConnection {
  /** HOST:PORT the peer dials; Fabric's ccaas builder expands Go templates such as `{{.peername}}`. */
  address: string;
  /** A Go duration, e.g. `10s`. */
  dialTimeout: string;
  tlsRequired: boolean;
  /** PEM of the CA that issued the chaincode server's TLS certificate (required with TLS). */
  rootCert?: string;
  clientAuthRequired?: boolean;
  /** PEM of the peer's TLS client certificate and key toward the server (required with client auth). */
  clientCert?: string;
  clientKey?: string;
}

/** What a ccaas package states about the code its server must run. */
export interface CodeDeclaration {
  /** The chaincode name the code states (e.g. `lr`, `governance`). */
  chaincodeName: string;
  /** The chaincode version the code states, when it states one (the LR chaincode's LR_CHAINCODE_VERSION). */
  chaincodeVersion?: string;
  /** `codeDigest` of the code: the same as the node package of that code has. */
  codeDigest: string;
  /** The package id of the deterministic node package of the same code (what the notified body approves). */
  nodePackageId: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const CCAAS_LABEL = /^(.+)_ccaas_([0-9a-f]{64})$/;
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const PEM = /^-----BEGIN [A-Z0-9 ]+-----\r?\n[A-Za-z0-9+/=\r\n]+-----END [A-Z0-9 ]+-----\r?\n?$/;

/** The label of the ccaas package of the code labelled `nodeLabel` with digest `codeDigest`. */
export function ccaasLabel(nodeLabel: string, codeDigest: string): string {
  if (!SHA256_HEX.test(codeDigest))
    throw new LifecycleError('CODE_NOT_DECLARED', `code digest must be 64 lowercase hex digits, got ${JSON.stringify(codeDigest)}`);
  return checkLabel(`${checkLabel(nodeLabel)}_ccaas_${codeDigest}`);
}

/** The code digest a ccaas label or package id declares, or undefined when it declares none. */
export function declaredCodeDigest(labelOrPackageId: string): string | undefined {
  const label = labelOrPackageId.includes(':') ? parsePackageId(labelOrPackageId).label : labelOrPackageId;
  return CCAAS_LABEL.exec(label)?.[2];
}

/** Splits HOST:PORT (IPv6 in brackets); port 0..65535. Throws BAD_ADDRESS. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = typeof address === 'string' ? /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):([0-9]{1,5})$/.exec(address) : null;
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535)
    throw new LifecycleError('BAD_ADDRESS', `invalid address ${JSON.stringify(address)}: expected HOST:PORT`, { address });
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function badConnection(message: string): LifecycleError {
  return new LifecycleError('BAD_CONNECTION', message);
}

/** Checks a connection as Fabric's peer would on launch, so a package that cannot work is never made. */
export function checkConnection(c: CcaasConnection): CcaasConnection {
  // Fabric's ccaas builder expands templates in the address; only a literal address is checked.
  if (typeof c.address !== 'string' || (!c.address.includes('{{') && !/^\S+:[0-9]{1,5}$/.test(c.address))) {
    throw new LifecycleError('BAD_ADDRESS', `invalid chaincode server address ${JSON.stringify(c.address)}: expected HOST:PORT`, {
      address: c.address,
    });
  }
  if (!c.address.includes('{{')) parseAddress(c.address);
  if (typeof c.dialTimeout !== 'string' || !GO_DURATION.test(c.dialTimeout))
    throw badConnection(`dial timeout ${JSON.stringify(c.dialTimeout)} is not a Go duration (e.g. 10s)`);
  for (const [name, pem] of [
    ['root certificate', c.rootCert],
    ['client certificate', c.clientCert],
    ['client key', c.clientKey],
  ] as const) {
    if (pem !== undefined && (typeof pem !== 'string' || !PEM.test(pem))) throw badConnection(`${name} is not PEM`);
  }
  if (!c.tlsRequired && (c.rootCert !== undefined || c.clientAuthRequired || c.clientCert !== undefined || c.clientKey !== undefined)) {
    throw badConnection('TLS material given without tls_required');
  }
  if (c.tlsRequired && c.rootCert === undefined)
    throw badConnection('tls_required needs the root certificate of the chaincode server (Fabric: "chaincode tls root cert not provided")');
  if (c.clientAuthRequired && (c.clientCert === undefined || c.clientKey === undefined))
    throw badConnection('client_auth_required needs the client certificate and key');
  return c;
}

/** connection.json's bytes: Fabric's field names, fixed key order, 2-space JSON and a newline. */
export function connectionJson(c: CcaasConnection): Uint8Array {
  checkConnection(c);
  const json: Record<string, unknown> = { address: c.address, dial_timeout: c.dialTimeout, tls_required: c.tlsRequired };
  if (c.tlsRequired) {
    json['client_auth_required'] = c.clientAuthRequired ?? false;
    json['root_cert'] = c.rootCert;
    if (c.clientCert !== undefined) json['client_cert'] = c.clientCert;
    if (c.clientKey !== undefined) json['client_key'] = c.clientKey;
  }
  return Buffer.from(`${JSON.stringify(json, null, 2)}\n`, 'utf8');
}

function declarationJson(d: CodeDeclaration): Uint8Array {
  const json: Record<string, string> = { type: CODE_DECLARATION_TYPE, chaincodeName: d.chaincodeName };
  if (d.chaincodeVersion !== undefined) json['chaincodeVersion'] = d.chaincodeVersion;
  json['codeDigest'] = d.codeDigest;
  json['nodePackageId'] = d.nodePackageId;
  return Buffer.from(`${JSON.stringify(json, null, 2)}\n`, 'utf8');
}

/**
 * The ccaas package that runs the code of `nodePackage` as a service at `connection`. Pure and
 * deterministic: the same node package and connection give the same bytes and package id.
 * Label `<node label>_ccaas_<code digest>`; code archive: connection.json and
 * META-INF/metroledger/code.json.
 */
export function buildCcaasPackage(opts: {
  nodePackage: Pick<ChaincodePackage, 'packageId' | 'label' | 'codeDigest'>;
  chaincodeName: string;
  chaincodeVersion?: string;
  connection: CcaasConnection;
}): ChaincodePackage {
  const declaration: CodeDeclaration = {
    chaincodeName: opts.chaincodeName,
    ...(opts.chaincodeVersion !== undefined ? { chaincodeVersion: opts.chaincodeVersion } : {}),
    codeDigest: opts.nodePackage.codeDigest,
    nodePackageId: opts.nodePackage.packageId,
  };
  checkDeclaration(declaration);
  return buildChaincodePackage({
    label: ccaasLabel(opts.nodePackage.label, declaration.codeDigest),
    type: 'ccaas',
    files: new Map([
      [CONNECTION_FILE, connectionJson(opts.connection)],
      [CODE_DECLARATION_FILE, declarationJson(declaration)],
    ]),
  });
}

function checkDeclaration(d: CodeDeclaration): CodeDeclaration {
  if (typeof d.chaincodeName !== 'string' || !/^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/.test(d.chaincodeName))
    throw new LifecycleError('CODE_NOT_DECLARED', `bad declared chaincode name ${JSON.stringify(d.chaincodeName)}`);
  if (d.chaincodeVersion !== undefined && (typeof d.chaincodeVersion !== 'string' || !/^[A-Za-z0-9_.+-]{1,64}$/.test(d.chaincodeVersion))) {
    throw new LifecycleError('CODE_NOT_DECLARED', `bad declared chaincode version ${JSON.stringify(d.chaincodeVersion)}`);
  }
  if (typeof d.codeDigest !== 'string' || !SHA256_HEX.test(d.codeDigest))
    throw new LifecycleError('CODE_NOT_DECLARED', 'the declared code digest is not 64 lowercase hex digits');
  parsePackageId(d.nodePackageId);
  return d;
}

/** A ccaas package read back: its connection and the code it declares. */
export interface CcaasPackage {
  package: ChaincodePackage;
  connection: CcaasConnection;
  /** undefined when the package declares no code (made by another tool). */
  declaration: CodeDeclaration | undefined;
}

function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new LifecycleError('MALFORMED_PACKAGE', `${what} is not JSON`, undefined, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new LifecycleError('MALFORMED_PACKAGE', `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Reads a ccaas package's connection.json and code declaration. The label and the declaration
 * must agree on the code digest.
 * @throws {@link LifecycleError} UNSUPPORTED_PACKAGE_TYPE (not ccaas), MALFORMED_PACKAGE,
 *   BAD_CONNECTION / BAD_ADDRESS, CODE_NOT_DECLARED, CODE_DIGEST_MISMATCH.
 */
export function readCcaasPackage(pkg: ChaincodePackage): CcaasPackage {
  if (pkg.metadata.type.toLowerCase() !== 'ccaas') {
    throw new LifecycleError('UNSUPPORTED_PACKAGE_TYPE', `${pkg.packageId} is a ${pkg.metadata.type} package, not ccaas`, {
      type: pkg.metadata.type,
    });
  }
  const other = [...pkg.files.keys()].filter((p) => p !== CONNECTION_FILE && !p.startsWith('META-INF/'));
  if (other.length > 0)
    throw new LifecycleError(
      'MALFORMED_PACKAGE',
      `a ccaas code archive holds connection.json and META-INF/ only; found ${other.join(', ')}`,
      { files: other },
    );
  const conn = pkg.files.get(CONNECTION_FILE);
  if (conn === undefined) throw new LifecycleError('MALFORMED_PACKAGE', `ccaas package ${pkg.packageId} has no ${CONNECTION_FILE}`);
  const c = parseJsonObject(conn, CONNECTION_FILE);
  const str = (k: string): string | undefined => (typeof c[k] === 'string' && c[k] !== '' ? (c[k] as string) : undefined);
  const connection: CcaasConnection = {
    address: String(c['address'] ?? ''),
    dialTimeout: typeof c['dial_timeout'] === 'string' ? c['dial_timeout'] : '3s',
    tlsRequired: c['tls_required'] === true,
  };
  if (connection.tlsRequired) {
    connection.clientAuthRequired = c['client_auth_required'] === true;
    const rootCert = str('root_cert');
    const clientCert = str('client_cert');
    const clientKey = str('client_key');
    if (rootCert !== undefined) connection.rootCert = rootCert;
    if (clientCert !== undefined) connection.clientCert = clientCert;
    if (clientKey !== undefined) connection.clientKey = clientKey;
  }
  checkConnection(connection);

  const labelDigest = declaredCodeDigest(pkg.label);
  const decl = pkg.files.get(CODE_DECLARATION_FILE);
  if (decl === undefined) {
    if (labelDigest !== undefined)
      throw new LifecycleError(
        'CODE_NOT_DECLARED',
        `${pkg.packageId}: the label names code ${labelDigest} but ${CODE_DECLARATION_FILE} is missing`,
      );
    return { package: pkg, connection, declaration: undefined };
  }
  const d = parseJsonObject(decl, CODE_DECLARATION_FILE);
  if (d['type'] !== CODE_DECLARATION_TYPE)
    throw new LifecycleError('CODE_NOT_DECLARED', `${CODE_DECLARATION_FILE} is not a ${CODE_DECLARATION_TYPE} declaration`);
  const declaration = checkDeclaration({
    chaincodeName: d['chaincodeName'] as string,
    ...(d['chaincodeVersion'] !== undefined ? { chaincodeVersion: d['chaincodeVersion'] as string } : {}),
    codeDigest: d['codeDigest'] as string,
    nodePackageId: d['nodePackageId'] as string,
  });
  if (labelDigest !== declaration.codeDigest) {
    throw new LifecycleError(
      'CODE_DIGEST_MISMATCH',
      `${pkg.packageId}: the label declares code ${String(labelDigest)} but ${CODE_DECLARATION_FILE} declares ${declaration.codeDigest}`,
      { label: labelDigest, declared: declaration.codeDigest },
    );
  }
  return { package: pkg, connection, declaration };
}
