// SPDX-License-Identifier: Apache-2.0
// The packages of the repository's two chaincodes, built from the compiled workspace: the LR
// chaincode (packages/chaincode, with @metroledger/lr vendored) and the governance chaincode
// (packages/governance, with @metroledger/policy vendored).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { LifecycleError } from './errors';
import type { ChaincodePackage } from './package';
import { packageChaincode, type ChaincodePackageJson } from './source';

/** The LR chaincode's package label, `<LR software name>_<LR version>`: the label the notified body approves. */
export function lrChaincodeLabel(name: string, version: string): string {
  return `${name}_${version}`;
}

/** The LR version a package label states for LR software `name`, or undefined when the label is not of that form. */
export function lrChaincodeLabelVersion(label: string, name: string): string | undefined {
  const prefix = lrChaincodeLabel(name, '');
  return label.startsWith(prefix) ? label.slice(prefix.length) : undefined;
}

/** The bundled LR version's label (`metroledger-speed_<LR version>`). */
export const LR_CHAINCODE_LABEL = lrChaincodeLabel(LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION);

/** The repository's chaincodes that can be packaged and served. */
export type WorkspaceChaincode = 'lr' | 'governance';
export const WORKSPACE_CHAINCODES: readonly WorkspaceChaincode[] = ['lr', 'governance'];

const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

interface NpmPackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  dependencies?: Record<string, string>;
}

interface ChaincodeSpec {
  /** The workspace module whose dist/ is the chaincode. */
  module: string;
  /** Workspace modules the chaincode requires at run time, vendored under src/lib/. */
  vendored: readonly string[];
  /** Registry modules the packaged code requires; each pinned to the exact version its requirer's package.json gives. */
  registryDependencies: readonly string[];
  label(chaincode: NpmPackageJson): string;
}

const SPECS: Record<WorkspaceChaincode, ChaincodeSpec> = {
  lr: {
    module: '@metroledger/chaincode',
    vendored: ['@metroledger/lr', '@metroledger/errors'],
    registryDependencies: ['fabric-contract-api', 'fabric-shim'],
    label: () => LR_CHAINCODE_LABEL,
  },
  governance: {
    module: '@metroledger/governance',
    vendored: ['@metroledger/policy', '@metroledger/errors'],
    // @metroledger/policy's index loads its Fabric policy-envelope codec
    registryDependencies: ['fabric-contract-api', 'fabric-shim', '@hyperledger/fabric-protos'],
    label: (pj) => `metroledger-governance_${pj.version}`,
  },
};

function packageRoot(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (err) {
    throw new LifecycleError('SOURCE_NOT_FOUND', `cannot find ${name} (is the workspace installed?)`, { module: name }, { cause: err });
  }
}

function readPackageJson(root: string): NpmPackageJson {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as NpmPackageJson;
}

/**
 * The `overrides` of the repository's root package.json (the workspace this module is installed
 * in). They pin transitive dependencies the chaincodes were tested with — class-transformer 0.4.0:
 * 0.4.1, which fabric-contract-api's `^0.4.0` admits, breaks every object return value — and go
 * into the packaged package.json, where a Docker peer's `npm install` applies them too.
 */
function workspaceOverrides(): Record<string, string> {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    let pj: { workspaces?: unknown; overrides?: Record<string, string> } | undefined;
    try {
      pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pj;
    } catch {
      pj = undefined;
    }
    if (pj?.workspaces !== undefined) return pj.overrides ?? {};
    if (dirname(dir) === dir)
      throw new LifecycleError(
        'SOURCE_NOT_FOUND',
        `no workspace root package.json above ${__dirname} (its overrides pin the chaincodes' transitive dependencies)`,
      );
  }
}

export interface PackageWorkspaceChaincodeOptions {
  /** Default: the chaincode's own label (`metroledger-speed_<LR version>`, `metroledger-governance_<version>`). */
  label?: string;
  /** Root of the chaincode's workspace package (with package.json and dist/); default: resolved from node_modules. */
  chaincodeRoot?: string;
  /** Roots of the vendored workspace packages by name; default: resolved from node_modules. */
  vendorRoots?: Record<string, string>;
  /** npm overrides for the packaged package.json; default: the workspace root package.json's. */
  overrides?: Record<string, string>;
}

/** The chaincode name (and version, when the code states one) the compiled chaincode states in its dist/config.js. */
export function statedChaincode(
  chaincode: WorkspaceChaincode,
  chaincodeRoot?: string,
): { chaincodeName: string; chaincodeVersion?: string } {
  const spec = SPECS[chaincode];
  const root = chaincodeRoot ?? packageRoot(spec.module);
  let config: Record<string, unknown>;
  try {
    // config.js holds constants only: loading it does not load fabric-contract-api
    config = require(join(root, 'dist', 'config.js')) as Record<string, unknown>;
  } catch (err) {
    throw new LifecycleError(
      'SOURCE_NOT_FOUND',
      `${join(root, 'dist', 'config.js')} cannot be loaded (is it built?)`,
      { dir: root },
      { cause: err },
    );
  }
  const name = config[chaincode === 'lr' ? 'LR_CHAINCODE_NAME' : 'GOVERNANCE_CHAINCODE_NAME'];
  const version = chaincode === 'lr' ? config['LR_CHAINCODE_VERSION'] : undefined;
  if (typeof name !== 'string') throw new LifecycleError('BAD_SOURCE', `${root}/dist/config.js states no chaincode name`);
  return { chaincodeName: name, ...(typeof version === 'string' ? { chaincodeVersion: version } : {}) };
}

/** The node-form package label a chaincode gets by default. */
export function defaultChaincodeLabel(chaincode: WorkspaceChaincode, chaincodeRoot?: string): string {
  const spec = SPECS[chaincode];
  return spec.label(readPackageJson(chaincodeRoot ?? packageRoot(spec.module)));
}

/**
 * Packages one of the repository's chaincodes from the built workspace: its dist/ (without test
 * helpers) as `src/dist/`, each workspace module it requires vendored verbatim under
 * `src/lib/<name>/`, and a package.json whose registry dependencies are pinned to the exact
 * versions the repository pins. Deterministic (see docs/LIFECYCLE.md).
 * @throws {@link LifecycleError} SOURCE_NOT_FOUND when a package is not built; BAD_SOURCE when a
 *   registry dependency is not pinned exactly.
 */
export async function packageWorkspaceChaincode(
  chaincode: WorkspaceChaincode,
  opts: PackageWorkspaceChaincodeOptions = {},
): Promise<ChaincodePackage> {
  const spec = SPECS[chaincode];
  if (spec === undefined)
    throw new LifecycleError('BAD_SOURCE', `unknown chaincode ${JSON.stringify(chaincode)}: one of ${WORKSPACE_CHAINCODES.join(', ')}`);
  const chaincodeRoot = opts.chaincodeRoot ?? packageRoot(spec.module);
  const pj = readPackageJson(chaincodeRoot);
  const vendored = spec.vendored.map((name) => {
    const root = opts.vendorRoots?.[name] ?? packageRoot(name);
    return { name, root, pj: readPackageJson(root) };
  });
  const dependencies: Record<string, string> = {};
  for (const dep of spec.registryDependencies) {
    const owner = [pj, ...vendored.map((v) => v.pj)].find((p) => p.dependencies?.[dep] !== undefined);
    const version = owner?.dependencies?.[dep];
    if (version === undefined || !EXACT_VERSION.test(version)) {
      throw new LifecycleError('BAD_SOURCE', `${owner?.name ?? pj.name} must pin ${dep} to an exact version (found ${String(version)})`, {
        dependency: dep,
        version,
      });
    }
    dependencies[dep] = version;
  }
  const packageJson: ChaincodePackageJson = {
    name: pj.name,
    version: pj.version,
    description: pj.description ?? `The ${chaincode} chaincode`,
    license: pj.license ?? 'Apache-2.0',
    private: true,
    main: 'dist/index.js',
    engines: { node: '>=18' },
    scripts: { start: 'fabric-chaincode-node start' },
    dependencies,
  };
  const overrides = opts.overrides ?? workspaceOverrides();
  if (Object.keys(overrides).length > 0)
    packageJson['overrides'] = Object.fromEntries(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return packageChaincode({
    label: opts.label ?? spec.label(pj),
    sourceDir: join(chaincodeRoot, 'dist'),
    packageJson,
    vendor: vendored.map((v) => ({ name: v.name, dir: join(v.root, 'dist'), version: v.pj.version })),
    // test fixtures (certificates, signal generators, test networks) are not part of the software
    exclude: (p) => p === 'testing' || p.startsWith('testing/'),
  });
}

export interface PackageLrChaincodeOptions {
  /** Default {@link LR_CHAINCODE_LABEL}. */
  label?: string;
  /** Root of the chaincode package (with package.json and dist/); default: resolved `@metroledger/chaincode`. */
  chaincodeRoot?: string;
  /** Root of the LR package; default: resolved `@metroledger/lr`. */
  lrRoot?: string;
}

/**
 * The LR chaincode's node package: packages/chaincode/dist with packages/lr/dist vendored as
 * `src/lib/@metroledger/lr/`, and fabric-contract-api and fabric-shim pinned.
 * @throws {@link LifecycleError} SOURCE_NOT_FOUND when the chaincode or LR package is not built.
 */
export function packageLrChaincode(opts: PackageLrChaincodeOptions = {}): Promise<ChaincodePackage> {
  return packageWorkspaceChaincode('lr', {
    ...(opts.label !== undefined ? { label: opts.label } : {}),
    ...(opts.chaincodeRoot !== undefined ? { chaincodeRoot: opts.chaincodeRoot } : {}),
    ...(opts.lrRoot !== undefined ? { vendorRoots: { '@metroledger/lr': opts.lrRoot } } : {}),
  });
}
