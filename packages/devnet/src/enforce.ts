// SPDX-License-Identifier: Apache-2.0
// Wires the registry-governed chaincodes into the devnet's peers: installation from package files,
// the fingerprint guard in front of each peer's chaincode, incident reports, and the policies
// read from the ledger (governed.ts). devnet.ts calls this at a few points only.
import { readFile } from 'node:fs/promises';
import { hostChaincodeModule, type ChaincodeResolver, type HostedChaincode } from '@metroledger/chaincode-host';
import { nodePaths, type OrgMaterial } from '@metroledger/identity';
import { packageLrChaincode, type ChaincodePackage } from '@metroledger/lifecycle';
import { guardChaincode } from '@metroledger/peer';
import type { Policy } from '@metroledger/policy';
import { DevnetError } from './errors.js';
import { GovernedRegistry, IncidentReporter, statedVersion, withVersion } from './governed.js';
import { installChaincodePackage, installedPackage, prepareInstalledPackage, tamperedPackage } from './lifecycle.js';
import type { ChaincodeConfig } from './network.js';
import type { ChaincodeSpec } from './endorsement/messages.js';

/** A provider that replaced a chaincode on its own peers and removed the fingerprint check (paper attacks 3 and 4). */
export interface SubvertedPeerConfig {
  readonly mspId: string;
  readonly chaincode: string;
  /** Module (directory or file) exporting fabric-contract-api `contracts`. */
  readonly module: string;
}

export interface EnforcementOptions {
  readonly dataDir: string;
  readonly channelId: string;
  readonly chaincodes: readonly ChaincodeConfig[];
  readonly policies: Map<string, Policy>;
  /** MSP ids whose peers install a tampered copy of each governed package (one changed byte). */
  readonly tamperedPackageOn?: readonly string[];
  readonly subvertedPeers?: readonly SubvertedPeerConfig[];
}

/** What a devnet peer runs for a governed chaincode. */
export interface PeerPackage {
  readonly peer: string;
  readonly mspId: string;
  readonly chaincodeName: string;
  /** The version the package states (LR_CHAINCODE_VERSION), checked against the registry. */
  readonly version: string;
  readonly packageId: string;
}

let lrPackage: Promise<ChaincodePackage> | undefined;

/** The LR chaincode's deterministic package from the built repository (built once per process). */
export function defaultLrPackage(): Promise<ChaincodePackage> {
  return (lrPackage ??= packageLrChaincode().catch((err: unknown) => {
    lrPackage = undefined;
    throw err;
  }));
}

async function sourcePackage(cc: ChaincodeConfig): Promise<ChaincodePackage> {
  if (cc.packageFile === undefined) return defaultLrPackage();
  const { readChaincodePackage } = await import('@metroledger/lifecycle');
  return readChaincodePackage(await readFile(cc.packageFile));
}

export class Enforcement {
  readonly registry: GovernedRegistry;
  readonly reporter = new IncidentReporter();
  readonly #o: EnforcementOptions;
  readonly #governed: ReadonlyMap<string, ChaincodeConfig>;
  readonly #modules = new Map<string, { moduleDir: string; packageId: string }>(); // `${peer}\0${cc}` -> extracted package
  readonly #packages: PeerPackage[] = [];

  constructor(opts: EnforcementOptions) {
    this.#o = opts;
    this.#governed = new Map(opts.chaincodes.filter((c) => c.governance === 'registry').map((c) => [c.name, c]));
    this.registry = new GovernedRegistry([...this.#governed.keys()], opts.policies);
    for (const s of opts.subvertedPeers ?? []) {
      if (!this.#governed.has(s.chaincode))
        throw new DevnetError('BAD_CONFIG', `subverted peer of ${s.mspId}: ${s.chaincode} is not a registry-governed chaincode`);
    }
  }

  isGoverned(name: string): boolean {
    return this.#governed.has(name);
  }

  /** What each peer runs for each governed chaincode (after {@link prepare}). */
  get packages(): readonly PeerPackage[] {
    return this.#packages;
  }

  /**
   * Installs (first start: the configured package; tampered where asked) and extracts every
   * governed chaincode on every peer that has it.
   */
  async prepare(appOrgs: readonly OrgMaterial[]): Promise<void> {
    for (const org of appOrgs) {
      for (const cc of this.#governed.values()) {
        if (!cc.installedOn.includes(org.spec.mspId) || this.#subverted(org.spec.mspId, cc.name) !== undefined) continue;
        for (const node of org.peers) {
          const tampered = this.#o.tamperedPackageOn?.includes(org.spec.mspId) ?? false;
          let installed = tampered ? undefined : await installedPackage(this.#o.dataDir, node.fqdn, cc.name);
          if (installed === undefined) {
            const pkg = await sourcePackage(cc);
            installed = await installChaincodePackage(this.#o.dataDir, node.fqdn, cc.name, (tampered ? tamperedPackage(pkg) : pkg).bytes);
          }
          this.#modules.set(`${node.fqdn}\u0000${cc.name}`, await prepareInstalledPackage(this.#o.dataDir, node.fqdn, installed));
        }
      }
    }
  }

  #subverted(mspId: string, chaincode: string): SubvertedPeerConfig | undefined {
    return this.#o.subvertedPeers?.find((s) => s.mspId === mspId && s.chaincode === chaincode);
  }

  /**
   * What an endorsement thread loads for a governed chaincode on a peer (see {@link host}); the
   * version it states is recorded with {@link recordPackage} once loaded. undefined when `cc` is not governed.
   */
  spec(
    cc: ChaincodeConfig,
    org: OrgMaterial,
    node: OrgMaterial['peers'][number],
    moduleOf: (module: string) => string,
  ): ChaincodeSpec | undefined {
    if (!this.#governed.has(cc.name)) return undefined;
    const subverted = this.#subverted(org.spec.mspId, cc.name);
    if (subverted !== undefined) return { name: cc.name, version: cc.version, dir: moduleOf(subverted.module), statedVersion: false };
    const prepared = this.#modules.get(`${node.fqdn}\u0000${cc.name}`);
    if (prepared === undefined) throw new DevnetError('CHAINCODE_LOAD', `${cc.name} is not installed on ${node.fqdn}`);
    return {
      name: cc.name,
      version: cc.version,
      dir: prepared.moduleDir,
      statedVersion: true,
      guard: { installedPackageId: prepared.packageId },
    };
  }

  /** Records what a peer runs for a governed chaincode loaded from {@link spec} (with the version its package states). */
  recordPackage(peer: string, mspId: string, chaincodeName: string, version: string): void {
    const prepared = this.#modules.get(`${peer}\u0000${chaincodeName}`);
    if (prepared === undefined || !this.#governed.has(chaincodeName) || this.#subverted(mspId, chaincodeName) !== undefined) return;
    this.#packages.push({ peer, mspId, chaincodeName, version, packageId: prepared.packageId });
  }

  /** The identity files a peer signs its incident reports with. */
  reporterIdentity(org: OrgMaterial, node: OrgMaterial['peers'][number]): { mspId: string; certPath: string; keyPath: string } {
    const paths = nodePaths(this.#o.dataDir, org.spec, node);
    return { mspId: org.spec.mspId, certPath: paths.signcert, keyPath: paths.keystoreKey };
  }

  /**
   * Hosts a governed chaincode on a peer: its installed package behind the fingerprint guard (or,
   * on a subverted peer, the replacement module without a guard). undefined when `cc` is not governed.
   */
  host(
    cc: ChaincodeConfig,
    org: OrgMaterial,
    node: OrgMaterial['peers'][number],
    resolve: ChaincodeResolver,
    moduleOf: (module: string) => string,
  ): HostedChaincode | undefined {
    if (!this.#governed.has(cc.name)) return undefined;
    const subverted = this.#subverted(org.spec.mspId, cc.name);
    if (subverted !== undefined)
      return hostChaincodeModule({
        name: cc.name,
        version: cc.version,
        dir: moduleOf(subverted.module),
        resolveChaincode: resolve,
        mspId: org.spec.mspId,
      });
    const prepared = this.#modules.get(`${node.fqdn}\u0000${cc.name}`);
    if (prepared === undefined) throw new DevnetError('CHAINCODE_LOAD', `${cc.name} is not installed on ${node.fqdn}`);
    const { moduleDir, packageId } = prepared;
    let hosted: HostedChaincode;
    try {
      hosted = hostChaincodeModule({
        name: cc.name,
        version: cc.version,
        dir: moduleDir,
        resolveChaincode: resolve,
        mspId: org.spec.mspId,
      });
    } catch (err) {
      throw new DevnetError(
        'CHAINCODE_LOAD',
        `${node.fqdn}: installed package of ${cc.name} cannot be loaded: ${(err as Error).message}`,
        { chaincode: cc.name },
        { cause: err },
      );
    }
    hosted = withVersion(hosted, statedVersion(moduleDir, cc.version));
    this.#packages.push({ peer: node.fqdn, mspId: org.spec.mspId, chaincodeName: cc.name, version: hosted.version, packageId });
    const paths = nodePaths(this.#o.dataDir, org.spec, node);
    const identity = { mspId: org.spec.mspId, certPath: paths.signcert, keyPath: paths.keystoreKey };
    return guardChaincode(hosted, {
      peer: node.fqdn,
      organization: org.spec.mspId,
      installedPackageId: packageId,
      approval: (name, version) => this.registry.approval(name, version),
      onIncident: (incident) => this.reporter.report(identity, incident),
    });
  }
}
