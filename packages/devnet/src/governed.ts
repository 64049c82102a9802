// SPDX-License-Identifier: Apache-2.0
// Governance enforced by the devnet itself (paper §V, §VI-D/E): for a chaincode governed by the
// notified body's registry, whether it may run, which package each peer may run, and the
// endorsement policy transactions are validated against all come from the ledger (the governance
// chaincode's approved LR software records), never from the configuration.
//
// - The registry's `lrsw` records of every governed chaincode are read from the world state at
//   start and again after every committed block, before the next block is validated, so a policy
//   the notified body approves in block n applies to every transaction from block n+1 (as a
//   Fabric chaincode definition committed in block n does).
// - The policy in force is that of the most recently approved version still APPROVED (commit
//   order): approving a version is this network's chaincode definition upgrade. No active
//   approval: no policy, every transaction of the chaincode is invalid and peers refuse to run it.
// - Each peer runs the package it installed (lifecycle.ts) only if the approval of the version
//   that package states is APPROVED with that very package id (peer's fingerprint guard).
// - On a refusal the peer reports an integrity incident on the ledger, once per episode, as a
//   governance transaction signed by its own identity and sent through the devnet's gateway.
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { HostedChaincode } from '@metroledger/chaincode-host';
import {
  GOVERNANCE_CHAINCODE_NAME,
  GovernanceKeyTypes,
  type IntegrityIncidentReport,
  type LrSoftwareRecord,
} from '@metroledger/governance/api';
import type { CommitterLedger, FingerprintIncident, PackageApproval } from '@metroledger/peer';
import { parsePolicy, type Policy } from '@metroledger/policy';
import { compositeKey, type StateReader } from '@metroledger/protocol';

/** The registry's record of one version, as the devnet keeps it in memory. */
export interface ApprovalInForce extends PackageApproval {
  readonly chaincodeName: string;
  readonly version: string;
  readonly endorsementPolicy: string;
  /** Where the approval was committed (the record's state version). */
  readonly blockNum: number;
  readonly txNum: number;
}

const MAX_RUNE = '\u{10FFFF}';

function lrSoftwarePrefix(chaincodeName: string): string {
  return compositeKey(GovernanceKeyTypes.LR_SOFTWARE, [chaincodeName]);
}

/**
 * The notified body's approvals of the governed chaincodes, mirrored from the world state, and
 * the endorsement policies in force (written into the `policies` map the committer and the
 * gateway read).
 */
export class GovernedRegistry {
  readonly #names: readonly string[];
  readonly #policies: Map<string, Policy>;
  #approvals = new Map<string, ApprovalInForce>();
  #digest = '';
  readonly #parsed = new Map<string, Policy>();
  readonly #listeners = new Set<(approvals: readonly ApprovalInForce[]) => void>();

  constructor(governedChaincodes: readonly string[], policies: Map<string, Policy>) {
    this.#names = governedChaincodes;
    this.#policies = policies;
  }

  get chaincodeNames(): readonly string[] {
    return this.#names;
  }

  /** The approval of `chaincodeName` at `version` (APPROVED or WITHDRAWN), if the registry has one. */
  approval(chaincodeName: string, version: string): ApprovalInForce | undefined {
    return this.#approvals.get(`${chaincodeName}\u0000${version}`);
  }

  /** Every approval of the governed chaincodes (APPROVED or WITHDRAWN). */
  get approvals(): readonly ApprovalInForce[] {
    return [...this.#approvals.values()];
  }

  /** Called after a refresh that changed the approvals. Returns a function that removes the listener. */
  onChange(listener: (approvals: readonly ApprovalInForce[]) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The approval whose endorsement policy is in force for `chaincodeName`, if any. */
  inForce(chaincodeName: string): ApprovalInForce | undefined {
    let best: ApprovalInForce | undefined;
    for (const a of this.#approvals.values()) {
      if (a.chaincodeName !== chaincodeName || a.status !== 'APPROVED') continue;
      if (best === undefined || a.blockNum > best.blockNum || (a.blockNum === best.blockNum && a.txNum > best.txNum)) best = a;
    }
    return best;
  }

  /** Re-reads the governed chaincodes' records from the world state and updates the policies. */
  async refresh(state: StateReader): Promise<void> {
    const approvals = new Map<string, ApprovalInForce>();
    for (const name of this.#names) {
      const prefix = lrSoftwarePrefix(name);
      for await (const kv of state.range(GOVERNANCE_CHAINCODE_NAME, prefix, prefix + MAX_RUNE)) {
        let r: LrSoftwareRecord;
        try {
          r = JSON.parse(Buffer.from(kv.value).toString('utf8')) as LrSoftwareRecord;
        } catch {
          continue; // the governance chaincode writes JSON; anything else is not an approval
        }
        if (r.chaincodeName !== name || typeof r.version !== 'string') continue;
        approvals.set(`${name}\u0000${r.version}`, {
          chaincodeName: name,
          version: r.version,
          packageId: r.packageId,
          status: r.status,
          endorsementPolicy: r.endorsementPolicy,
          blockNum: kv.version.blockNum,
          txNum: kv.version.txNum,
        });
      }
    }
    this.#approvals = approvals;
    const digest = JSON.stringify([...approvals.values()]);
    if (digest !== this.#digest) {
      this.#digest = digest;
      const list = [...approvals.values()];
      for (const l of this.#listeners) l(list);
    }
    for (const name of this.#names) {
      const current = this.inForce(name);
      const policy = current === undefined ? undefined : this.#policy(current.endorsementPolicy);
      if (policy === undefined) this.#policies.delete(name);
      else if (this.#policies.get(name) !== policy) this.#policies.set(name, policy);
    }
  }

  #policy(text: string): Policy | undefined {
    let p = this.#parsed.get(text);
    if (p === undefined) {
      try {
        p = parsePolicy(text);
      } catch {
        return undefined; // approveLrSoftware refuses unparseable policies; a bad one means no policy
      }
      this.#parsed.set(text, p);
    }
    return p;
  }
}

/** The committer's ledger, refreshing the registry after every commit (before the next block is validated). */
export function governedLedger<L extends CommitterLedger>(ledger: L, registry: GovernedRegistry): CommitterLedger {
  return {
    get height() {
      return ledger.height;
    },
    get state() {
      return ledger.state;
    },
    getTx: (txId) => ledger.getTx(txId),
    commit: async (block) => {
      const r = await ledger.commit(block);
      await registry.refresh(ledger.state);
      return r;
    },
  };
}

/** The devnet's own gateway, as the incident reporter connects to it. */
export interface ReportTarget {
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  /** The TLS server name (the gateway certificate's host name; never the endpoint's IP). */
  readonly tlsServerName: string;
  /** A client TLS pair, when the gateway requires one. */
  readonly tlsClient?: { readonly certPem: string; readonly keyPem: string };
  readonly channelId: string;
}

/** Where a peer's identity lives, to sign its incident reports. */
export interface PeerIdentityFiles {
  readonly mspId: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * Submits peers' integrity incidents (`reportIntegrityIncident`) through the devnet's own gateway
 * with the unmodified fabric-gateway client, signed by the reporting peer's identity. Reports are
 * asynchronous: a refused proposal is answered at once; the incident commits shortly after.
 */
export class IncidentReporter {
  #target: ReportTarget | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #connections = new Map<string, Promise<{ submit(json: string): Promise<void>; close(): void }>>();
  #closed = false;

  /** Sets the gateway to report through (known once the gateway server listens). */
  connect(target: ReportTarget): void {
    this.#target = target;
  }

  report(identity: PeerIdentityFiles, incident: FingerprintIncident): void {
    if (this.#closed) return;
    const body: IntegrityIncidentReport = {
      kind: incident.kind,
      chaincodeName: incident.chaincodeName,
      expectedPackageId: incident.expectedPackageId,
      foundPackageId: incident.foundPackageId,
      peer: incident.peer,
      organization: incident.organization,
      detail: incident.detail.slice(0, 1024),
    };
    const p = this.#submit(identity, JSON.stringify(body)).catch((err: unknown) => {
      process.emitWarning(`devnet: ${incident.peer} could not record its integrity incident (${incident.kind}): ${(err as Error).message}`);
    });
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #submit(identity: PeerIdentityFiles, json: string): Promise<void> {
    const target = this.#target;
    if (target === undefined) throw new Error('no gateway to report through yet');
    let conn = this.#connections.get(identity.certPath);
    if (conn === undefined) {
      conn = openConnection(target, identity);
      this.#connections.set(identity.certPath, conn);
    }
    await (await conn).submit(json);
  }

  /** Resolves once every report under way has been submitted and committed (or failed, with a warning). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Waits for the reports under way, then closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pending]);
    for (const c of this.#connections.values())
      await c.then(
        (x) => x.close(),
        () => undefined,
      );
    this.#connections.clear();
  }
}

async function openConnection(
  target: ReportTarget,
  identity: PeerIdentityFiles,
): Promise<{ submit(json: string): Promise<void>; close(): void }> {
  // loaded on first use: most devnet runs never report an incident
  const grpc = await import('@grpc/grpc-js');
  const { connect, hash, signers } = await import('@hyperledger/fabric-gateway');
  const [tlsCa, cert, key] = await Promise.all([readFile(target.tlsCaCertPath), readFile(identity.certPath), readFile(identity.keyPath)]);
  const tlsClient = target.tlsClient;
  const credentials =
    tlsClient === undefined
      ? grpc.credentials.createSsl(tlsCa)
      : grpc.credentials.createSsl(tlsCa, Buffer.from(tlsClient.keyPem), Buffer.from(tlsClient.certPem));
  const client = new grpc.Client(target.endpoint, credentials, { 'grpc.ssl_target_name_override': target.tlsServerName });
  const gateway = connect({
    client,
    identity: { mspId: identity.mspId, credentials: cert },
    signer: signers.newPrivateKeySigner(createPrivateKey(key)),
    hash: hash.sha256,
    endorseOptions: () => ({ deadline: Date.now() + 15_000 }),
    submitOptions: () => ({ deadline: Date.now() + 15_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 30_000 }),
  });
  const contract = gateway.getNetwork(target.channelId).getContract(GOVERNANCE_CHAINCODE_NAME);
  return {
    submit: async (json) => {
      await contract.submitTransaction('reportIntegrityIncident', json);
    },
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

/** The version a governed chaincode module states it is (`LR_CHAINCODE_VERSION`), else `fallback`. */
export function statedVersion(moduleDir: string, fallback: string): string {
  const v = (require(moduleDir) as { LR_CHAINCODE_VERSION?: unknown }).LR_CHAINCODE_VERSION;
  return typeof v === 'string' && v !== '' ? v : fallback;
}

/** A hosted chaincode under another version label (the one its package states). */
export function withVersion(cc: HostedChaincode, version: string): HostedChaincode {
  if (cc.version === version) return cc;
  return { name: cc.name, version, invoke: (inv, state, options) => cc.invoke(inv, state, options) };
}
