// SPDX-License-Identifier: Apache-2.0
// The main job: São Paulo at rush hour (paper, section VII-A). 1,000 meters × 0.76 vehicles/s.
import { Meter } from '@metroledger/meter';
import {
  ClientError,
  MetroledgerClient,
  NotifiedBodyClient,
  newGrpcConnection,
  type GatewayTlsOptions,
  type LrSoftwareToApprove,
  type RetryPolicy,
} from '@metroledger/client';
import { bootstrapRegistry, type BootstrapReport, type OrganizationToAdmit } from './bootstrap';
import { ScenarioError } from './errors';
import { planArrivals, planMeters, type PlannedMeter, type ScenarioPlanOptions } from './plan';
import type { TrafficProgress } from './progress';
import { runTraffic, type TrafficResult } from './traffic';

export interface OrgCredentials {
  readonly mspId: string;
  readonly certificatePem: string | Uint8Array;
  readonly privateKeyPem: string | Uint8Array;
}

/** How to reach a network: a gateway endpoint and the identities the scenario acts as. */
export interface NetworkAccess {
  readonly endpoint: string;
  readonly tlsRootCertPem: string | Uint8Array;
  /** TLS server name: a host name in the gateway's certificate (needed when `endpoint` is an IP address). */
  readonly serverNameOverride?: string;
  /** Client TLS certificate and key (PEM), for a gateway that requires mutual TLS. */
  readonly clientTls?: { readonly certPem: string | Uint8Array; readonly keyPem: string | Uint8Array };
  /** Registers the meters (Inmetro). */
  readonly notifiedBody: OrgCredentials;
  /** Approves the LR software and the meter model (an Inmetro admin). */
  readonly notifiedBodyAdmin: OrgCredentials;
  /** The organizations the notified body admits: computing providers and the meter owner. */
  readonly organizations: readonly OrganizationToAdmit[];
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
  /** The meter owner's retry policy (over the client's defaults). Default: 20 attempts, backoff up to 3 s. */
  readonly retry?: Partial<RetryPolicy>;
}

/** The organizations the notified body admits for the case study: two computing providers and the meter owner. */
export const CASE_STUDY_ORGANIZATIONS: readonly OrganizationToAdmit[] = Object.freeze([
  { mspId: 'LaSIGEMSP', name: 'LaSIGE', roles: ['COMPUTING_PROVIDER'] },
  { mspId: 'PUCPRMSP', name: 'PUCPR', roles: ['COMPUTING_PROVIDER'] },
  { mspId: 'CETSPMSP', name: 'CET-SP', roles: ['METER_OWNER'] },
]);

/** The type-approved meter model every simulated meter is an instance of. */
export const METER_MODEL = 'metroledger dual-loop DL-2';

/**
 * What the registry of `access`'s network must hold before its meters are registered: its
 * organizations admitted, its LR software approved, and {@link METER_MODEL} type-approved for it.
 */
export function mainJobRegistry(access: Pick<NetworkAccess, 'organizations' | 'lrSoftware'>): Parameters<typeof bootstrapRegistry>[2] {
  return {
    organizations: access.organizations,
    lrSoftware: access.lrSoftware,
    meterModel: {
      model: METER_MODEL,
      manufacturer: 'metroledger reference design',
      chaincodeName: access.lrSoftware.chaincodeName,
      approvedLrVersions: [access.lrSoftware.version],
      certificateRef: 'Inmetro type-approval certificate (simulated) DL-2',
    },
  };
}

export const DEFAULT_SCENARIO: ScenarioOptions = Object.freeze({
  meters: 1000,
  seconds: 60,
  vehiclesPerSecond: 0.76,
  seed: 'sao-paulo',
  meterIdPrefix: 'SP',
  speedup: 1,
  faultShare: 0.01,
  registrationConcurrency: 100,
});

/**
 * Readings must not be lost while peers lag a block or two behind (real Fabric's blocks take up to
 * its batch timeout, 2 s by default): attempts spread over about 40 s before a reading is abandoned.
 */
const OWNER_RETRY: Partial<RetryPolicy> = { maxAttempts: 20, maxDelayMs: 3000 };

export type ScenarioPhase = 'approve' | 'register' | 'traffic';

export interface ScenarioHooks {
  readonly onPhase?: (phase: ScenarioPhase, total: number) => void;
  /** `done` of the phase's total; during the traffic `detail` is the traffic's snapshot (also told periodically). */
  readonly onProgress?: (done: number, detail: TrafficProgress | undefined) => void;
  /**
   * Stops the run (Ctrl-C): meter registration and traffic stop taking new work, readings in flight
   * are waited for (up to `inFlightGraceMs`, default 10 s, or until `forceSignal`), and the report
   * says what happened to every reading (`traffic.fates`).
   */
  readonly signal?: AbortSignal;
  readonly forceSignal?: AbortSignal;
  readonly inFlightGraceMs?: number;
}

export interface ScenarioReport {
  readonly options: ScenarioOptions;
  /** The LR software approval in force (this run's, or the network's own). */
  readonly approvedLrSoftware: LrSoftwareToApprove;
  readonly meterModel: string;
  /** Each bootstrap step, done by this run or found done on the ledger. */
  readonly bootstrap: BootstrapReport;
  /** Meters ready for the run: registered now, or found registered and given a new key (`reusedMeters`). */
  readonly registeredMeters: number;
  readonly reusedMeters: number;
  readonly registrationSeconds: number;
  readonly traffic: TrafficResult;
  /** The phase the run was stopped in, when it was (`hooks.signal`). */
  readonly interruptedIn?: ScenarioPhase;
}

/** The TLS options of a network's gateway connection (newGrpcConnection's). */
export function gatewayTls(access: Pick<NetworkAccess, 'serverNameOverride' | 'clientTls'>): GatewayTlsOptions {
  return {
    ...(access.serverNameOverride !== undefined && { serverName: access.serverNameOverride }),
    ...(access.clientTls !== undefined && { clientCertPem: access.clientTls.certPem, clientKeyPem: access.clientTls.keyPem }),
  };
}

export async function runSaoPaulo(access: NetworkAccess, options: ScenarioOptions, hooks: ScenarioHooks = {}): Promise<ScenarioReport> {
  const connection = newGrpcConnection(access.endpoint, access.tlsRootCertPem, gatewayTls(access));
  const common = { connection, channel: access.channel, chaincode: access.chaincode };
  const inmetro = new MetroledgerClient({ ...common, ...access.notifiedBody });
  const owner = new MetroledgerClient({ ...common, ...access.meterOwner, retry: { ...OWNER_RETRY, ...options.retry } });
  const admin = new MetroledgerClient({ ...common, ...access.notifiedBodyAdmin });
  try {
    // Type approval on the ledger: the notified body admits the organizations, approves the LR
    // software by its package fingerprint, and approves the meter model for that software; on a
    // network where this is done already, the ledger's records are verified and kept.
    hooks.onPhase?.('approve', access.organizations.length + 2);
    let approvals = 0;
    const bootstrap = await bootstrapRegistry(admin, new NotifiedBodyClient(admin, access.notifiedBodyAdmin), mainJobRegistry(access), () =>
      hooks.onProgress?.(++approvals, undefined),
    );
    const { outcome: _, ...approvedLrSoftware } = bootstrap.lrSoftware;

    const plan = planMeters(options);
    const meters = plan.map((p) => Meter.create({ meterId: p.meterId, geometry: p.geometry }));

    const stopped = () => hooks.signal?.aborted === true;
    const interruptedIn = (phase: ScenarioPhase) => (stopped() ? { interruptedIn: phase } : {});
    const approvalInterrupted = interruptedIn('approve');
    if (approvalInterrupted.interruptedIn === undefined) hooks.onPhase?.('register', plan.length);
    const registrationStart = performance.now();
    let next = 0,
      registered = 0,
      reused = 0;
    const registerWorker = async () => {
      for (let i = next++; i < plan.length && !stopped(); i = next++) {
        const p = plan[i]!;
        try {
          await inmetro.registerMeter({
            meterId: p.meterId,
            ownerMspId: access.meterOwner.mspId,
            publicKeyPem: meters[i]!.publicKeyPem,
            geometry: p.geometry,
            location: p.location,
            speedLimitKmh: p.speedLimitKmh,
            model: METER_MODEL,
          });
        } catch (err) {
          if (!(err instanceof ClientError) || err.chaincodeCode !== 'METER_EXISTS') throw err;
          const ready = await reuseMeter(inmetro, p, meters[i]!, access.meterOwner.mspId);
          if (ready !== meters[i]) reused++;
          meters[i] = ready;
        }
        registered++; // not inside the optional call: `f?.(++x)` skips the increment when f is absent
        hooks.onProgress?.(registered, undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.registrationConcurrency, plan.length) }, registerWorker));
    const registrationSeconds = (performance.now() - registrationStart) / 1000;
    const before = approvalInterrupted.interruptedIn !== undefined ? approvalInterrupted : interruptedIn('register');

    const schedule = planArrivals(options);
    if (before.interruptedIn === undefined) hooks.onPhase?.('traffic', schedule.timeMs.length);
    // stopped before the traffic: runTraffic captures nothing and reports every reading not captured
    const traffic = await runTraffic({
      client: owner,
      plan,
      meters,
      schedule,
      speedup: options.speedup,
      faultShare: options.faultShare,
      seed: options.seed,
      clockStartMs: Date.now(),
      onProgress: (p) => hooks.onProgress?.(p.committed + p.abandoned, p),
      ...(hooks.signal !== undefined && { signal: hooks.signal }),
      ...(hooks.forceSignal !== undefined && { forceSignal: hooks.forceSignal }),
      ...(hooks.inFlightGraceMs !== undefined && { inFlightGraceMs: hooks.inFlightGraceMs }),
    });
    const interrupted = before.interruptedIn !== undefined ? before : traffic.interrupted ? { interruptedIn: 'traffic' as const } : {};
    return {
      options,
      approvedLrSoftware,
      meterModel: METER_MODEL,
      bootstrap,
      registeredMeters: registered,
      reusedMeters: reused,
      registrationSeconds,
      traffic,
      ...interrupted,
    };
  } finally {
    admin.close();
    inmetro.close();
    owner.close();
    connection.close();
  }
}

/**
 * A meter of the plan found registered by an earlier run: when it is the same meter (owner,
 * geometry, model), the notified body gives it this run's key and the meter continues after the
 * last sequence the ledger accepted; anything else is a conflict. Returns `meter` itself when the
 * registration on the ledger is its own.
 */
async function reuseMeter(inmetro: MetroledgerClient, p: PlannedMeter, meter: Meter, ownerMspId: string): Promise<Meter> {
  const onLedger = (await inmetro.getMeter(p.meterId)) as {
    ownerMspId?: string;
    status?: string;
    model?: string;
    publicKeyPem?: string;
    geometry?: Record<string, number>;
  };
  // this run's own registration, whose answer was lost before a retry
  if (onLedger.publicKeyPem === meter.publicKeyPem) return meter;
  const g = onLedger.geometry ?? {};
  const same =
    onLedger.ownerMspId === ownerMspId &&
    onLedger.status === 'ACTIVE' &&
    onLedger.model === METER_MODEL &&
    g['loopSpacingM'] === p.geometry.loopSpacingM &&
    g['loopLengthM'] === p.geometry.loopLengthM &&
    g['sampleRateHz'] === p.geometry.sampleRateHz;
  if (!same) {
    throw new ScenarioError(
      'METER_CONFLICT',
      `meter ${p.meterId} is registered on this network as another meter (owner, geometry, model or status differ): choose another meter id prefix`,
    );
  }
  const rotated = JSON.parse(
    Buffer.from(
      (await inmetro.submit('rotateMeterKey', [p.meterId, meter.publicKeyPem, 'metroledger start: a new run of the simulated meter']))
        .result,
    ).toString('utf8'),
  ) as { keyHistory: { validFromSequence: number }[] };
  const lastSequence = rotated.keyHistory.at(-1)!.validFromSequence - 1;
  return Meter.create({ meterId: p.meterId, geometry: p.geometry, privateKeyPem: meter.exportPrivateKeyPem(), lastSequence });
}

/** What the ledger says of the readings that were in flight when the run stopped (after the network stopped). */
export interface InFlightOnLedger {
  /** In flight and found committed (VALID) on the ledger. */
  readonly committed: number;
  /** In flight and not on the ledger: never ordered, so never measured. */
  readonly notOnLedger: number;
}

export function formatReport(r: ScenarioReport, inFlightOnLedger?: InFlightOnLedger): string {
  const t = r.traffic;
  const refused = Object.values(t.refused).reduce((a, b) => a + b, 0);
  const abandoned = Object.values(t.abandoned).reduce((a, b) => a + b, 0);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const breakdown = (rec: Readonly<Record<string, number>>) =>
    Object.entries(rec)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const lines = [
    `São Paulo at rush hour: ${r.options.meters} meters × ${r.options.vehiclesPerSecond} vehicles/s × ${r.options.seconds} s` +
      (r.options.speedup !== 1 ? ` (time ×${r.options.speedup})` : ''),
  ];
  if (r.interruptedIn !== undefined) {
    const when =
      r.interruptedIn === 'traffic'
        ? `during the traffic, ${t.wallSeconds.toFixed(1)} s in`
        : r.interruptedIn === 'register'
          ? 'during meter registration'
          : 'during type approval';
    const f = t.fates;
    const settled =
      inFlightOnLedger === undefined
        ? ''
        : `; on the ledger after the network stopped: ${inFlightOnLedger.committed} committed, ${inFlightOnLedger.notOnLedger} not on the ledger`;
    lines.push(
      `  INTERRUPTED ${when}: the partial report. What became of each of the ${t.planned} planned readings:`,
      `    committed              ${f.committed}  (on the ledger, measured or refused by the LR software)`,
      `    abandoned              ${f.abandoned}${f.abandoned ? ` (${breakdown(t.abandoned)})` : ''}`,
      `    in flight              ${f.inFlight}  (submitted, answer not received before the stop${settled}; listed in report.json)`,
      `    queued in meters       ${f.queued}  (signed, never submitted: not on the ledger)`,
      `    not captured           ${f.notCaptured}  (their vehicles had not passed yet)`,
    );
  }
  lines.push(
    `  LR software approved     ${r.approvedLrSoftware.chaincodeName} ${r.approvedLrSoftware.version} (${r.approvedLrSoftware.packageId})`,
    `  endorsement policy       ${r.approvedLrSoftware.endorsementPolicy}`,
    `  meters registered        ${r.registeredMeters} in ${r.registrationSeconds.toFixed(1)} s (model ${r.meterModel})${r.reusedMeters ? `, ${r.reusedMeters} found registered and given new keys` : ''}`,
    `  readings signed          ${t.planned - t.fates.notCaptured}`,
    `  readings submitted       ${t.submitted}`,
    `  readings committed       ${t.committed}${t.alreadyCommitted ? ` (${t.alreadyCommitted} found committed after a lost answer)` : ''}`,
    `  measurements committed   ${t.measured}`,
    `  refused by LR software   ${refused}${refused ? ` (${breakdown(t.refused)})` : ''}  (recorded on the ledger as refused)`,
    `  abandoned                ${abandoned}${abandoned ? ` (${breakdown(t.abandoned)})` : ''}`,
    `  speed-limit violations   ${t.speedLimitViolations}`,
    `  throughput               ${t.committedPerSecond.toFixed(0)} tx/s over ${t.wallSeconds.toFixed(1)} s`,
    `  latency capture→commit   p50 ${ms(t.latency.p50Ms)}  p95 ${ms(t.latency.p95Ms)}  p99 ${ms(t.latency.p99Ms)}  max ${ms(t.latency.maxMs)}`,
    `  latency endorse→commit   p50 ${ms(t.serviceLatency.p50Ms)}  p95 ${ms(t.serviceLatency.p95Ms)}  p99 ${ms(t.serviceLatency.p99Ms)}`,
    `  blocks                   ${t.lastBlockNumber + 1} (last block ${t.lastBlockNumber})`,
    `  client retries           ${t.retries}${t.retries ? ` (${breakdown(t.retriesByCause)})` : ''}`,
  );
  return lines.join('\n');
}
