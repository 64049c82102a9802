// SPDX-License-Identifier: Apache-2.0
// The LR software versions the auditor can re-execute: each is a module exporting what
// @metroledger/lr exports (LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION, measurementRecord). Keeping every
// approved version available (e.g. `npm i lr-1.0.0@npm:@metroledger/lr@1.0.0`) is what lets old
// measurements be re-run years later.
import { AuditError } from './errors';
import type { LrImplementation } from './analyze';

/** The module specifier (or path) of the LR software this auditor ships with. */
export function bundledLrModule(): string {
  return require.resolve('@metroledger/lr');
}

/** Loads an LR software module; throws AuditError('BAD_OPTION') if it lacks the LR exports. */
export function loadLrImplementation(specifier: string): LrImplementation {
  let mod: { LR_SOFTWARE_NAME?: unknown; LR_SOFTWARE_VERSION?: unknown; measurementRecord?: unknown };
  try {
    mod = require(specifier) as typeof mod;
  } catch (err) {
    throw new AuditError('BAD_OPTION', `LR software module ${specifier} cannot be loaded: ${(err as Error).message}`, { specifier }, { cause: err });
  }
  if (typeof mod.LR_SOFTWARE_NAME !== 'string' || typeof mod.LR_SOFTWARE_VERSION !== 'string' || typeof mod.measurementRecord !== 'function') {
    throw new AuditError('BAD_OPTION', `${specifier} does not export LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION and measurementRecord`, { specifier });
  }
  return { name: mod.LR_SOFTWARE_NAME, version: mod.LR_SOFTWARE_VERSION, measurementRecord: mod.measurementRecord as LrImplementation['measurementRecord'] };
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
