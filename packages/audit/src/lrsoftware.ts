// SPDX-License-Identifier: Apache-2.0
// The LR software versions the auditor can re-execute: each is a module exporting what
// @metroledger/lr exports (LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION, measurementRecord). The bundled
// version, modules given by path (unverified: a developer's escape hatch), and the LR chaincode's
// node packages, whose code is loaded from the package itself once the notified body's approval of
// its fingerprint is found on the audited ledger. Keeping every approved package is what lets old
// measurements be re-run years later.
import { readFileSync } from 'node:fs';
import {
  LifecycleError,
  lrChaincodeLabelVersion,
  packageForm,
  readChaincodePackage,
  requirePackagedModule,
  vendoredModules,
  type ChaincodePackage,
} from '@metroledger/lifecycle';
import { describeError } from '@metroledger/errors';
import { AuditError } from './errors';
import type { LrImplementation } from './analyze';

/** The vendored module of the LR chaincode's package that holds the LR software. */
export const LR_MODULE = '@metroledger/lr';

/** The module specifier (or path) of the LR software this auditor ships with. */
export function bundledLrModule(): string {
  return require.resolve('@metroledger/lr');
}

type LrExports = { LR_SOFTWARE_NAME?: unknown; LR_SOFTWARE_VERSION?: unknown; measurementRecord?: unknown };

function implementationOf(
  mod: LrExports,
  what: string,
  origin: string,
  code: 'BAD_OPTION' | 'LR_PACKAGE_INVALID',
  details: Record<string, unknown>,
): LrImplementation {
  if (
    typeof mod.LR_SOFTWARE_NAME !== 'string' ||
    typeof mod.LR_SOFTWARE_VERSION !== 'string' ||
    typeof mod.measurementRecord !== 'function'
  ) {
    throw new AuditError(code, `${what} does not export LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION and measurementRecord`, details);
  }
  return {
    name: mod.LR_SOFTWARE_NAME,
    version: mod.LR_SOFTWARE_VERSION,
    measurementRecord: mod.measurementRecord as LrImplementation['measurementRecord'],
    origin,
  };
}

/** The origin the report names for a module given by specifier. */
export function moduleOrigin(specifier: string): string {
  return specifier === bundledLrModule() ? 'bundled' : `module:${specifier}`;
}

/** Loads an LR software module; throws AuditError('BAD_OPTION') if it lacks the LR exports. */
export function loadLrImplementation(specifier: string): LrImplementation {
  let mod: LrExports;
  try {
    mod = require(specifier) as LrExports;
  } catch (err) {
    throw new AuditError(
      'BAD_OPTION',
      `LR software module ${specifier} cannot be loaded: ${(err as Error).message}`,
      { specifier },
      { cause: err },
    );
  }
  return implementationOf(mod, specifier, moduleOrigin(specifier), 'BAD_OPTION', { specifier });
}

/** version -> implementation, from a list of module specifiers (later entries win). */
export function loadLrImplementations(specifiers: readonly string[]): Map<string, LrImplementation> {
  const out = new Map<string, LrImplementation>();
  for (const s of specifiers) {
    const impl = loadLrImplementation(s);
    out.set(impl.version, impl);
  }
  return out;
}

/**
 * Reads an LR chaincode package (bytes, or a file) with @metroledger/lifecycle's reader: its Fabric
 * package id and code digest. Nothing in it is run.
 * @throws {@link AuditError} LR_PACKAGE_INVALID: unreadable, not a chaincode package, a form other
 *   than `node` (a ccaas package holds no code), or no vendored LR module.
 */
export function readLrPackage(source: string | Uint8Array): ChaincodePackage {
  const what = typeof source === 'string' ? source : 'the LR package';
  let pkg: ChaincodePackage;
  try {
    pkg = readChaincodePackage(typeof source === 'string' ? readFileSync(source) : source);
  } catch (err) {
    const code = err instanceof LifecycleError ? ` (${err.code})` : '';
    throw new AuditError(
      'LR_PACKAGE_INVALID',
      `${what} is not a readable chaincode package${code}: ${describeError(err)}`,
      { file: what },
      { cause: err },
    );
  }
  let form: string;
  try {
    form = packageForm(pkg);
  } catch {
    form = pkg.metadata.type;
  }
  if (form !== 'node') {
    throw new AuditError(
      'LR_PACKAGE_INVALID',
      `${what} (${pkg.packageId}) is a ${form} package: only a node package holds the code to re-execute (\`metroledger chaincode package lr --form node\`)`,
      { file: what, packageId: pkg.packageId, form },
    );
  }
  let vendored: boolean;
  try {
    vendored = vendoredModules(pkg).has(LR_MODULE);
  } catch {
    vendored = false;
  }
  if (!vendored)
    throw new AuditError(
      'LR_PACKAGE_INVALID',
      `${what} (${pkg.packageId}) vendors no ${LR_MODULE}: it is not a package of the LR chaincode`,
      { file: what, packageId: pkg.packageId },
    );
  return pkg;
}

/**
 * The LR software inside an LR chaincode package, loaded from the package's own bytes (never from
 * this auditor's node_modules). Call only for a package whose approval was checked.
 * @throws {@link AuditError} LR_PACKAGE_INVALID when the module cannot be loaded or lacks the LR
 *   exports, or when the package's label names another LR version than the module reports.
 */
export function loadPackagedLr(pkg: ChaincodePackage): LrImplementation {
  const details = { packageId: pkg.packageId, codeDigest: pkg.codeDigest };
  let mod: LrExports;
  try {
    mod = requirePackagedModule(pkg, LR_MODULE) as LrExports;
  } catch (err) {
    throw new AuditError(
      'LR_PACKAGE_INVALID',
      `package ${pkg.packageId}: its LR software cannot be loaded: ${describeError(err)}`,
      details,
      { cause: err },
    );
  }
  const impl = implementationOf(
    mod,
    `the ${LR_MODULE} module of package ${pkg.packageId}`,
    `package:${pkg.packageId}`,
    'LR_PACKAGE_INVALID',
    details,
  );
  // The chaincode's own label (lifecycle's lrChaincodeLabel): a label of that name must state the module's version.
  const labelled = lrChaincodeLabelVersion(pkg.label, impl.name);
  if (labelled !== undefined && labelled !== impl.version) {
    throw new AuditError(
      'LR_PACKAGE_INVALID',
      `package ${pkg.packageId} is labelled for ${impl.name} ${labelled}, but its LR software reports version ${impl.version}`,
      { ...details, reported: `${impl.name} ${impl.version}` },
    );
  }
  return impl;
}
