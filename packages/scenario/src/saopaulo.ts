// SPDX-License-Identifier: Apache-2.0
// The main job: São Paulo at rush hour (paper, section VII-A). 1,000 meters × 0.76 vehicles/s.
import { Meter } from '@metroledger/meter';
import { MetroledgerClient, NotifiedBodyClient, newGrpcConnection, type LrSoftwareToApprove } from '@metroledger/client';
import { planArrivals, planMeters, type ScenarioPlanOptions } from './plan';
import { runTraffic, type TrafficProgress, type TrafficResult } from './traffic';

export interface OrgCredentials {
  readonly mspId: string;
  readonly certificatePem: string | Uint8Array;
  readonly privateKeyPem: string | Uint8Array;
}

/** How to reach a network: a gateway endpoint and the identities the scenario acts as. */
export interface NetworkAccess {
  readonly endpoint: string;
  readonly tlsRootCertPem: string | Uint8Array;
  readonly serverNameOverride?: string;
  /** Registers the meters (Inmetro). */
  readonly notifiedBody: OrgCredentials;
  /** Approves the LR software and the meter model (an Inmetro admin). */
  readonly notifiedBodyAdmin: OrgCredentials;
  /** The organizations the notified body admits: computing providers and the meter owner. */
  readonly organizations: readonly { readonly mspId: string; readonly name: string; readonly roles: readonly ('COMPUTING_PROVIDER' | 'METER_OWNER' | 'AUDITOR')[] }[];
  /** The LR software the notified body approves before any meter is registered. */
  readonly lrSoftware: LrSoftwareToApprove;
  /** Operates the meters and submits their readings (CET-SP). */
  readonly meterOwner: OrgCredentials;
  readonly channel?: string;
  readonly chaincode?: string;
}

export interface ScenarioOptions extends ScenarioPlanOptions {
  /** Simulated seconds per wall-clock second. Default 1 (real time). */
  readonly speedup: number;
  /** Share of passages that are sensor faults or incomplete events. Default 0.01. */
  readonly faultShare: number;
  /** Meter registrations in flight at once. Default 100. */
  readonly registrationConcurrency: number;
}

/** The type-approved meter model every simulated meter is an instance of. */
export const METER_MODEL = 'metroledger dual-loop DL-2';

export const DEFAULT_SCENARIO: ScenarioOptions = Object.freeze({
  meters: 1000, seconds: 60, vehiclesPerSecond: 0.76, seed: 'sao-paulo', speedup: 1, faultShare: 0.01, registrationConcurrency: 100,
});

export interface ScenarioHooks {
  readonly onPhase?: (phase: 'approve' | 'register' | 'traffic', total: number) => void;
  readonly onProgress?: (done: number, detail: TrafficProgress | undefined) => void;
}

export interface ScenarioReport {
  readonly options: ScenarioOptions;
  readonly approvedLrSoftware: LrSoftwareToApprove;
  readonly meterModel: string;
  readonly registeredMeters: number;
  readonly registrationSeconds: number;
  readonly traffic: TrafficResult;
}

export async function runSaoPaulo(access: NetworkAccess, options: ScenarioOptions, hooks: ScenarioHooks = {}): Promise<ScenarioReport> {
  const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, access.serverNameOverride);
  const common = { connection, channel: access.channel, chaincode: access.chaincode };
  const inmetro = new MetroledgerClient({ ...common, ...access.notifiedBody });
  const owner = new MetroledgerClient({ ...common, ...access.meterOwner });
  const admin = new MetroledgerClient({ ...common, ...access.notifiedBodyAdmin });
  try {
    // Type approval on the ledger: the notified body admits the organizations, approves the LR
    // software by its package fingerprint, and approves the meter model for that software.
    hooks.onPhase?.('approve', access.organizations.length + 2);
    const notifiedBody = new NotifiedBodyClient(admin, access.notifiedBodyAdmin);
    let approvals = 0;
    for (const org of access.organizations) {
      await notifiedBody.registerOrganization(org.mspId, org.name, org.roles);
      approvals++;
      hooks.onProgress?.(approvals, undefined);
    }
    await notifiedBody.approveLrSoftware(access.lrSoftware);
    approvals++;
    hooks.onProgress?.(approvals, undefined);
    await notifiedBody.approveMeterModel({
      model: METER_MODEL, manufacturer: 'metroledger reference design', chaincodeName: access.lrSoftware.chaincodeName,
      approvedLrVersions: [access.lrSoftware.version], certificateRef: 'Inmetro type-approval certificate (simulated) DL-2',
    });
    approvals++;
    hooks.onProgress?.(approvals, undefined);

    const plan = planMeters(options);
    const meters = plan.map((p) => Meter.create({ meterId: p.meterId, geometry: p.geometry }));

    hooks.onPhase?.('register', plan.length);
    const registrationStart = performance.now();
    let next = 0, registered = 0;
    const registerWorker = async () => {
      for (let i = next++; i < plan.length; i = next++) {
        const p = plan[i]!;
        await inmetro.registerMeter({
          meterId: p.meterId, ownerMspId: access.meterOwner.mspId, publicKeyPem: meters[i]!.publicKeyPem,
          geometry: p.geometry, location: p.location, speedLimitKmh: p.speedLimitKmh, model: METER_MODEL,
        });
        registered++; // not inside the optional call: `f?.(++x)` skips the increment when f is absent
        hooks.onProgress?.(registered, undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.registrationConcurrency, plan.length) }, registerWorker));
    const registrationSeconds = (performance.now() - registrationStart) / 1000;

    const schedule = planArrivals(options);
    hooks.onPhase?.('traffic', schedule.timeMs.length);
    const traffic = await runTraffic({
      client: owner, plan, meters, schedule, speedup: options.speedup, faultShare: options.faultShare, seed: options.seed,
      clockStartMs: Date.now(),
      onProgress: (p) => hooks.onProgress?.(p.committed + p.failed, p),
    });
    return { options, approvedLrSoftware: access.lrSoftware, meterModel: METER_MODEL, registeredMeters: registered, registrationSeconds, traffic };
  } finally {
    admin.close();
    inmetro.close();
    owner.close();
    connection.close();
  }
}

export function formatReport(r: ScenarioReport): string {
  const t = r.traffic;
  const refused = Object.values(t.refused).reduce((a, b) => a + b, 0);
  const failed = Object.values(t.failed).reduce((a, b) => a + b, 0);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const breakdown = (rec: Readonly<Record<string, number>>) => Object.entries(rec).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `São Paulo at rush hour: ${r.options.meters} meters × ${r.options.vehiclesPerSecond} vehicles/s × ${r.options.seconds} s` +
      (r.options.speedup !== 1 ? ` (time ×${r.options.speedup})` : ''),
    `  LR software approved     ${r.approvedLrSoftware.chaincodeName} ${r.approvedLrSoftware.version} (${r.approvedLrSoftware.packageId})`,
    `  endorsement policy       ${r.approvedLrSoftware.endorsementPolicy}`,
    `  meters registered        ${r.registeredMeters} in ${r.registrationSeconds.toFixed(1)} s (model ${r.meterModel})`,
    `  readings signed          ${t.planned}`,
    `  measurements committed   ${t.measured}`,
    `  refused by LR software   ${refused}${refused ? ` (${breakdown(t.refused)})` : ''}  (recorded on the ledger as refused)`,
    `  not committed            ${failed}${failed ? ` (${breakdown(t.failed)})` : ''}`,
    `  speed-limit violations   ${t.speedLimitViolations}`,
    `  throughput               ${t.committedPerSecond.toFixed(0)} tx/s over ${t.wallSeconds.toFixed(1)} s`,
    `  latency capture→commit   p50 ${ms(t.latency.p50Ms)}  p95 ${ms(t.latency.p95Ms)}  p99 ${ms(t.latency.p99Ms)}  max ${ms(t.latency.maxMs)}`,
    `  latency endorse→commit   p50 ${ms(t.serviceLatency.p50Ms)}  p95 ${ms(t.serviceLatency.p95Ms)}  p99 ${ms(t.serviceLatency.p99Ms)}`,
    `  blocks                   ${t.lastBlockNumber + 1} (last block ${t.lastBlockNumber})`,
    `  client retries           ${t.retries}${t.retries ? ` (${breakdown(t.retriesByCause)})` : ''}`,
  ];
  return lines.join('\n');
}
