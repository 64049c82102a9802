// SPDX-License-Identifier: Apache-2.0
// Governance bootstrap and the main job on the kit's network, through the gateway of a computing
// provider's peer, with the unmodified scenario library (@metroledger/scenario).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMspIdentity } from '@metroledger/client';
import { packageLrChaincode } from '@metroledger/lifecycle';
import { formatReport, runSaoPaulo, type NetworkAccess, type ScenarioOptions, type ScenarioReport } from '@metroledger/scenario';
import { tlsCaFile, userFiles } from './crypto.js';
import type { Log } from './network.js';
import type { NetworkState } from './state.js';
import { CHANNEL, ENDORSEMENT_POLICY, GATEWAY_PEER, HOST, PEERS, type PeerNode } from './topology.js';

export function gatewayPeer(): PeerNode {
  return PEERS.find((p) => p.fqdn === GATEWAY_PEER)!;
}

/** The gateway endpoint and the identities the scenario acts as, from the network's crypto material. */
export async function networkAccess(state: NetworkState): Promise<NetworkAccess> {
  const msp = (mspId: string, user: string) => loadMspIdentity(userFiles(state.dir, state.profile, mspId, user).mspDir);
  const gateway = gatewayPeer();
  const lr = state.chaincodes.find((c) => c.name === 'lr');
  // What the notified body approves: the deterministic node package of the LR chaincode (its code
  // digest names the code every provider's ccaas server must run).
  const lrPackage = await packageLrChaincode();
  return {
    endpoint: `${HOST}:${gateway.port}`,
    serverNameOverride: gateway.fqdn,
    tlsRootCertPem: await readFile(tlsCaFile(state.dir, state.profile, gateway.mspId)),
    channel: CHANNEL,
    notifiedBody: { mspId: 'InmetroMSP', ...(await msp('InmetroMSP', 'User1')) },
    notifiedBodyAdmin: { mspId: 'InmetroMSP', ...(await msp('InmetroMSP', 'Admin')) },
    organizations: [
      { mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER'] },
      { mspId: 'PUCPRMSP', name: 'PUCPR', roles: ['COMPUTING_PROVIDER'] },
      { mspId: 'CETSPMSP', name: 'CET-SP', roles: ['METER_OWNER'] },
    ],
    lrSoftware: {
      chaincodeName: 'lr', version: lr?.version ?? '1.0', packageId: lrPackage.packageId, sourceSha256: lrPackage.codeDigest,
      endorsementPolicy: lr?.endorsementPolicy ?? ENDORSEMENT_POLICY.lr,
    },
    meterOwner: { mspId: 'CETSPMSP', ...(await msp('CETSPMSP', 'User1')) },
  };
}

/** Bootstraps governance (organizations, LR approval, meter model, meters) and runs the traffic. */
export async function runMainJob(state: NetworkState, options: ScenarioOptions, log: Log): Promise<ScenarioReport> {
  const access = await networkAccess(state);
  log(`main job: ${options.meters} meters × ${options.vehiclesPerSecond} vehicles/s × ${options.seconds} s through the gateway of ${GATEWAY_PEER} (${access.endpoint})`);
  let phaseStart = performance.now();
  const report = await runSaoPaulo(access, options, {
    onPhase: (phase, total) => {
      phaseStart = performance.now();
      log(`  ${phase}: ${total} ${phase === 'traffic' ? 'readings' : phase === 'register' ? 'meters' : 'steps'}`);
    },
    onProgress: (done, detail) => {
      if (detail !== undefined && done % 1000 === 0) log(`    ${done} done (${detail.abandoned} abandoned), ${((performance.now() - phaseStart) / 1000).toFixed(0)} s`);
    },
  });
  log(formatReport(report));
  await writeFile(join(state.dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}
