// SPDX-License-Identifier: Apache-2.0
// The LR chaincode's package: packages/chaincode's compiled JS with @metroledger/lr vendored.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { LifecycleError } from './errors';
import type { ChaincodePackage } from './package';
import { packageChaincode, type ChaincodePackageJson } from './source';

/** `metroledger-speed_<LR version>`: the label the notified body approves. */
export const LR_CHAINCODE_LABEL = `${LR_SOFTWARE_NAME}_${LR_SOFTWARE_VERSION}`;

/** Public npm dependencies of the LR chaincode; their versions are pinned from packages/chaincode. */
const PUBLIC_DEPENDENCIES = ['fabric-contract-api', 'fabric-shim'] as const;
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

interface NpmPackageJson { name: string; version: string; description?: string; license?: string; dependencies?: Record<string, string> }

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

export interface PackageLrChaincodeOptions {
  /** Default {@link LR_CHAINCODE_LABEL}. */
  label?: string;
  /** Root of the chaincode package (with package.json and dist/); default: resolved `@metroledger/chaincode`. */
  chaincodeRoot?: string;
  /** Root of the LR package; default: resolved `@metroledger/lr`. */
  lrRoot?: string;
}

/**
 * Packages the LR chaincode from the built repository: packages/chaincode/dist (without its test
 * helpers) as `src/dist/`, packages/lr/dist vendored as `src/lib/@metroledger/lr/`, and a
 * package.json whose only registry dependencies are fabric-contract-api and fabric-shim at the
 * exact versions the repository pins.
 * @throws {@link LifecycleError} SOURCE_NOT_FOUND when the chaincode or LR package is not built.
 */
export async function packageLrChaincode(opts: PackageLrChaincodeOptions = {}): Promise<ChaincodePackage> {
  const chaincodeRoot = opts.chaincodeRoot ?? packageRoot('@metroledger/chaincode');
  const lrRoot = opts.lrRoot ?? packageRoot('@metroledger/lr');
  const chaincode = readPackageJson(chaincodeRoot);
  const lr = readPackageJson(lrRoot);
  const dependencies: Record<string, string> = {};
  for (const dep of PUBLIC_DEPENDENCIES) {
    const version = chaincode.dependencies?.[dep];
    if (version === undefined || !EXACT_VERSION.test(version)) {
      throw new LifecycleError('BAD_SOURCE', `${chaincode.name} must pin ${dep} to an exact version (found ${String(version)})`, { dependency: dep, version });
    }
    dependencies[dep] = version;
  }
  const packageJson: ChaincodePackageJson = {
    name: chaincode.name,
    version: chaincode.version,
    description: chaincode.description ?? 'The LR chaincode',
    license: chaincode.license ?? 'Apache-2.0',
    private: true,
    main: 'dist/index.js',
    engines: { node: '>=18' },
    scripts: { start: 'fabric-chaincode-node start' },
    dependencies,
  };
  return packageChaincode({
    label: opts.label ?? LR_CHAINCODE_LABEL,
    sourceDir: join(chaincodeRoot, 'dist'),
    packageJson,
    vendor: [{ name: lr.name, dir: join(lrRoot, 'dist'), version: lr.version }],
    // test fixtures (certificates, signal generators) are not part of the LR software
    exclude: (p) => p === 'testing' || p.startsWith('testing/'),
  });
}
