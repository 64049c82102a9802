// SPDX-License-Identifier: Apache-2.0
// Fabric 2.x/3.x chaincode packages: an outer tar.gz holding metadata.json and code.tar.gz, whose
// package id is `label:hex(sha256(package bytes))` (core/chaincode/persistence in Fabric).
import { createHash } from 'node:crypto';
// The pure module only: the package index would load fabric-contract-api.
import { codeDigest } from '@metroledger/chaincode/api';
import { gunzipBounded, gzipStored } from './gzip';
import { LifecycleError } from './errors';
import { comparePaths, readTar, writeTar, type TarFile } from './tar';

export const METADATA_FILE = 'metadata.json';
export const CODE_PACKAGE_FILE = 'code.tar.gz';

/**
 * Fabric's label syntax as documented: alphanumerics, separated by single '.', '+', '-' or '_'.
 * (Fabric's Go regexp writes the class as `[.+-_]`, which is the range '+'..'_' and so also lets
 * through ':' or '/'; we keep to the documented set, so every label we accept Fabric accepts.)
 */
export const LABEL_PATTERN = /^[a-zA-Z0-9]+([.+\-_][a-zA-Z0-9]+)*$/;
const PACKAGE_ID_PATTERN = /^([^:]+):([0-9a-f]{64})$/;

/** The contents of metadata.json, as Fabric's ChaincodePackageMetadata. */
export interface PackageMetadata {
  type: string;
  label: string;
  path: string;
}

export interface PackageLimits {
  /** Largest package file accepted (compressed). Default 64 MiB. */
  maxPackageBytes?: number;
  /** Largest sum of file sizes, outer and inner archive each. Default 256 MiB. */
  maxUnpackedBytes?: number;
  /** Most files in the code archive. Default 10,000. */
  maxFiles?: number;
}

/** A chaincode package, read or built: its bytes, fingerprint and source files. */
export interface ChaincodePackage {
  /** The package file (what `peer lifecycle chaincode install` takes). */
  bytes: Uint8Array;
  /** `label:sha256hex` of `bytes`, exactly as Fabric computes it. */
  packageId: string;
  label: string;
  metadata: PackageMetadata;
  /** The code archive's files by path (`src/package.json`, ...), in byte order of their paths. */
  files: Map<string, Uint8Array>;
  /** {@link sourceDigest} of `files`: the code, independent of how it was archived. */
  codeDigest: string;
}

export function checkLabel(label: string): string {
  if (typeof label !== 'string' || !LABEL_PATTERN.test(label)) {
    throw new LifecycleError('BAD_LABEL', `invalid label ${JSON.stringify(label)}: alphanumerics, separated by one of '.+-_'`, { label });
  }
  return label;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Fabric's package id: `label:hex(sha256(bytes))`. */
export function computePackageId(label: string, bytes: Uint8Array): string {
  return `${checkLabel(label)}:${sha256Hex(bytes)}`;
}

/** Splits a package id into its label and SHA-256; throws BAD_PACKAGE_ID. */
export function parsePackageId(packageId: string): { label: string; sha256: string } {
  const m = typeof packageId === 'string' ? PACKAGE_ID_PATTERN.exec(packageId) : null;
  if (!m || !LABEL_PATTERN.test(m[1]!)) {
    throw new LifecycleError('BAD_PACKAGE_ID', `invalid package id ${JSON.stringify(packageId)}: expected label:<64 lowercase hex>`, {
      packageId,
    });
  }
  return { label: m[1]!, sha256: m[2]! };
}

/**
 * The code digest (@metroledger/chaincode's codeDigest): SHA-256 over the files sorted by path
 * (UTF-8 byte order), each as path, NUL, 8-byte big-endian length, content. Two packages with the
 * same files have the same digest however they were archived or compressed; this is what a
 * registry record names as "the source" and what a ccaas package declares.
 */
export function sourceDigest(files: Iterable<readonly [string, Uint8Array]> | Map<string, Uint8Array>): string {
  const entries = [...files];
  const paths = new Set<string>();
  for (const [path] of entries) {
    if (paths.has(path)) throw new LifecycleError('BAD_SOURCE', `duplicate path ${path}`, { path });
    paths.add(path);
  }
  return codeDigest(entries);
}

/**
 * Builds a package from in-memory files (paths relative to the code archive root, e.g.
 * `src/package.json`). Pure: the bytes depend only on label, type and files.
 */
export function buildChaincodePackage(opts: { label: string; type?: string; files: Map<string, Uint8Array> }): ChaincodePackage {
  const label = checkLabel(opts.label);
  const type = opts.type ?? 'node';
  const sorted = new Map([...opts.files].sort((a, b) => comparePaths(a[0], b[0])));
  const code = gzipStored(writeTar([...sorted].map(([path, content]) => ({ path, content }))));
  // Key order as Fabric's peer CLI marshals it; the path stays empty: an absolute build path
  // would make the fingerprint depend on where the repository was checked out. A ccaas package's
  // metadata.json is `{"type":"ccaas","label":…}`, as Fabric's samples and ccaas builder write it.
  const metadata: PackageMetadata = { path: '', type, label };
  const metadataBytes = Buffer.from(type === 'ccaas' ? JSON.stringify({ type, label }) : JSON.stringify(metadata), 'utf8');
  const bytes = gzipStored(
    writeTar([
      { path: METADATA_FILE, content: metadataBytes },
      { path: CODE_PACKAGE_FILE, content: code },
    ]),
  );
  return { bytes, packageId: computePackageId(label, bytes), label, metadata, files: sorted, codeDigest: sourceDigest(sorted) };
}

function parseMetadata(content: Uint8Array): PackageMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content));
  } catch (err) {
    throw new LifecycleError('MALFORMED_PACKAGE', `${METADATA_FILE} is not JSON`, undefined, { cause: err });
  }
  const m = parsed as Partial<Record<keyof PackageMetadata, unknown>> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    Array.isArray(m) ||
    typeof m.type !== 'string' ||
    typeof m.label !== 'string' ||
    (m.path !== undefined && typeof m.path !== 'string')
  ) {
    throw new LifecycleError('MALFORMED_PACKAGE', `${METADATA_FILE} must be an object with string type and label`);
  }
  return { path: (m.path as string | undefined) ?? '', type: m.type, label: checkLabel(m.label) };
}

/**
 * Reads and checks a chaincode package: gzip'd tar with exactly metadata.json and code.tar.gz as
 * regular files, a valid label, and a code archive of regular files at safe relative paths.
 * @throws {@link LifecycleError} MALFORMED_PACKAGE, UNSAFE_PATH, PACKAGE_TOO_LARGE or BAD_LABEL.
 */
export function readChaincodePackage(bytes: Uint8Array, limits: PackageLimits = {}): ChaincodePackage {
  const maxPackageBytes = limits.maxPackageBytes ?? 64 * 1024 * 1024;
  const maxUnpacked = limits.maxUnpackedBytes ?? 256 * 1024 * 1024;
  const maxFiles = limits.maxFiles ?? 10_000;
  if (!(bytes instanceof Uint8Array)) throw new LifecycleError('MALFORMED_PACKAGE', 'package must be bytes');
  if (bytes.length > maxPackageBytes) {
    throw new LifecycleError('PACKAGE_TOO_LARGE', `package is ${bytes.length} bytes, limit ${maxPackageBytes}`, {
      size: bytes.length,
      limit: maxPackageBytes,
    });
  }
  // tar pads to 512-byte blocks: a budget of maxUnpacked + headers is what a valid archive can need.
  const outer = readTar(gunzipBounded(bytes, maxUnpacked + 4096, 'package'), { maxFiles: 16, maxTotalBytes: maxUnpacked }, 'package');
  const byName = new Map(outer.map((f) => [f.path, f.content]));
  const unexpected = outer.map((f) => f.path).filter((p) => p !== METADATA_FILE && p !== CODE_PACKAGE_FILE);
  if (unexpected.length > 0)
    throw new LifecycleError('MALFORMED_PACKAGE', `unexpected file in package: ${unexpected.join(', ')}`, { files: unexpected });
  const metadataBytes = byName.get(METADATA_FILE);
  const code = byName.get(CODE_PACKAGE_FILE);
  if (!metadataBytes) throw new LifecycleError('MALFORMED_PACKAGE', `package has no ${METADATA_FILE}`);
  if (!code) throw new LifecycleError('MALFORMED_PACKAGE', `package has no ${CODE_PACKAGE_FILE}`);
  const metadata = parseMetadata(metadataBytes);
  const codeFiles: TarFile[] = readTar(
    gunzipBounded(code, maxUnpacked + 512 * (maxFiles + 2), CODE_PACKAGE_FILE),
    { maxFiles, maxTotalBytes: maxUnpacked },
    CODE_PACKAGE_FILE,
  );
  const files = new Map(codeFiles.sort((a, b) => comparePaths(a.path, b.path)).map((f) => [f.path, f.content]));
  return {
    bytes,
    packageId: computePackageId(metadata.label, bytes),
    label: metadata.label,
    metadata,
    files,
    codeDigest: sourceDigest(files),
  };
}

/**
 * The check an endorsing peer's operator (or our install tooling) runs before installing: the
 * package's Fabric package id must equal the id the notified body approved.
 * @returns the parsed package when it is the approved one.
 * @throws {@link LifecycleError} FINGERPRINT_MISMATCH with `details.expected` and `details.found`;
 *   BAD_PACKAGE_ID if `approvedPackageId` is not an id; a read error if the approved bytes are not a package.
 */
export function verifyInstalledPackage(bytes: Uint8Array, approvedPackageId: string, limits?: PackageLimits): ChaincodePackage {
  const approved = parsePackageId(approvedPackageId);
  const digest = sha256Hex(bytes);
  if (digest !== approved.sha256) {
    let found = digest;
    try {
      found = readChaincodePackage(bytes, limits).packageId;
    } catch {
      // not even a package: report the bare digest
    }
    throw new LifecycleError('FINGERPRINT_MISMATCH', `chaincode package ${found} is not the approved ${approvedPackageId}`, {
      expected: approvedPackageId,
      found,
    });
  }
  const pkg = readChaincodePackage(bytes, limits);
  if (pkg.packageId !== approvedPackageId) {
    throw new LifecycleError('FINGERPRINT_MISMATCH', `chaincode package ${pkg.packageId} is not the approved ${approvedPackageId}`, {
      expected: approvedPackageId,
      found: pkg.packageId,
    });
  }
  return pkg;
}
