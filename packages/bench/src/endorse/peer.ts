// SPDX-License-Identifier: Apache-2.0
// One endorsing peer as the devnet assembles it (devnet.ts): LaSIGE's peer0 with its identity, the
// channel's MSPs, the ledger's world state and tx index, the governance chaincode and the LR
// chaincode hosted from the package the peer installed, behind the fingerprint guard against the
// notified body's approval on the ledger. Built from a devnet data directory whose ledger already
// holds the bootstrap (organizations, LR approval, meter model, meters) — the endorser only reads it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostChaincodeModule, type HostedChaincode } from '@metroledger/chaincode-host';
import { DEFAULT_NETWORK, GovernedRegistry, installedPackage } from '@metroledger/devnet';
import { GOVERNANCE_CHAINCODE_NAME } from '@metroledger/governance';
import {
  IdentityDeserializer,
  loadOrganization,
  MspRegistry,
  type OrgMaterial,
  type OrgSpec,
  type SigningIdentity,
} from '@metroledger/identity';
import { Ledger } from '@metroledger/ledger';
import { extractChaincodePackage, readChaincodePackage } from '@metroledger/lifecycle';
import { Endorser, guardChaincode, SignatureVerifierPool } from '@metroledger/peer';
import { BenchError } from '../errors';

export const ENDORSING_ORG = 'LaSIGEMSP';
export const ENDORSING_PEER = 'peer0';
export const METER_OWNER_ORG = 'CETSPMSP';

export interface BenchEndorser {
  readonly endorser: Endorser;
  /** The same peer verifying every signature on its own thread (for the CPU split). */
  readonly inlineEndorser: Endorser;
  readonly identity: SigningIdentity;
  /** The meter owner's application identity (CET-SP's User1): the creator of the bench's proposals. */
  readonly owner: SigningIdentity;
  readonly channelId: string;
  readonly deserializer: IdentityDeserializer;
  /** The LR chaincode as the peer runs it (guarded), and its name and version in endorsements. */
  readonly lr: HostedChaincode;
  readonly peerAddress: string;
  /** Verification threads of the endorser's pool (0: it verifies on its thread). */
  readonly verifyThreads: number;
  close(): Promise<void>;
}

function specOf(mspId: string): OrgSpec {
  const org = DEFAULT_NETWORK.organizations.find((o) => o.mspId === mspId);
  if (org === undefined) throw new BenchError('SETUP_FAILED', `${mspId} is not an organization of the devnet's network`);
  return {
    name: org.name,
    mspId: org.mspId,
    domain: org.domain,
    kind: org.kind,
    ...(org.peers && { peers: [...org.peers] }),
    ...(org.users && { users: [...org.users] }),
  };
}

/**
 * Opens `dataDir`'s ledger and assembles LaSIGE's endorsing peer on it. `verifyThreads` as the
 * devnet's option (default: the devnet's, cores − 1 between 1 and 4; 0 verifies on the event loop).
 */
export async function openBenchEndorser(dataDir: string, opts: { verifyThreads?: number } = {}): Promise<BenchEndorser> {
  const appOrgs: OrgMaterial[] = [];
  for (const org of DEFAULT_NETWORK.organizations.filter((o) => o.kind === 'peer'))
    appOrgs.push(await loadOrganization(dataDir, specOf(org.mspId)));
  const own = appOrgs.find((o) => o.spec.mspId === ENDORSING_ORG)!;
  const node = own.peers.find((p) => p.name === ENDORSING_PEER)!;
  const lrConfig = DEFAULT_NETWORK.chaincodes.find((c) => c.name === 'lr')!;
  const govConfig = DEFAULT_NETWORK.chaincodes.find((c) => c.name === GOVERNANCE_CHAINCODE_NAME)!;

  const installed = await installedPackage(dataDir, node.fqdn, lrConfig.name);
  if (installed === undefined) throw new BenchError('SETUP_FAILED', `${node.fqdn} has no LR package installed in ${dataDir}`);
  const pkg = readChaincodePackage(await readFile(installed.file));
  const extracted = await extractChaincodePackage(pkg.bytes, join(dataDir, 'bench-endorser', pkg.packageId.replace(':', '.')));

  const ledger = await Ledger.open(join(dataDir, 'ledger'));
  const closers: (() => Promise<void> | void)[] = [() => ledger.close()];
  try {
    const registry = new GovernedRegistry([lrConfig.name], new Map());
    await registry.refresh(ledger.state);
    const approval = registry.approval(lrConfig.name, lrConfig.version);
    if (approval === undefined)
      throw new BenchError('SETUP_FAILED', `the ledger in ${dataDir} holds no approval of ${lrConfig.name} ${lrConfig.version}`);

    const onPeer = new Map<string, HostedChaincode>();
    const resolveOnPeer = (name: string) => onPeer.get(name);
    onPeer.set(
      govConfig.name,
      hostChaincodeModule({
        name: govConfig.name,
        version: govConfig.version,
        dir: require.resolve(govConfig.module),
        resolveChaincode: resolveOnPeer,
      }),
    );
    const lr = guardChaincode(
      hostChaincodeModule({ name: lrConfig.name, version: lrConfig.version, dir: extracted.moduleDir, resolveChaincode: resolveOnPeer }),
      {
        peer: node.fqdn,
        organization: ENDORSING_ORG,
        installedPackageId: pkg.packageId,
        // the devnet keeps the registry's approvals in memory (refreshed on commit): a lookup, as here
        approval: () => ({ packageId: approval.packageId, status: approval.status }),
      },
    );
    onPeer.set(lrConfig.name, lr);
    const pool =
      opts.verifyThreads === 0
        ? undefined
        : new SignatureVerifierPool({ ...(opts.verifyThreads !== undefined && { threads: opts.verifyThreads }) });
    if (pool !== undefined) closers.push(() => pool.close());
    const deserializer = new IdentityDeserializer();
    const common = {
      identity: own.signingIdentity(node.name),
      address: `${node.fqdn}:7051`,
      channelId: DEFAULT_NETWORK.channelId,
      msps: new MspRegistry(appOrgs.map((o) => o.mspConfig())),
      deserializer,
      ledger,
      chaincodes: [...onPeer.values()],
    };
    return {
      endorser: new Endorser({ ...common, ...(pool !== undefined && { verify: pool.verify.bind(pool) }) }),
      inlineEndorser: new Endorser(common),
      identity: common.identity,
      owner: appOrgs.find((o) => o.spec.mspId === METER_OWNER_ORG)!.signingIdentity('User1'),
      channelId: common.channelId,
      deserializer,
      lr,
      peerAddress: common.address,
      verifyThreads: pool?.threads ?? 0,
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    throw err;
  }
}
