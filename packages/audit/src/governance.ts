// SPDX-License-Identifier: Apache-2.0
// The governance registry as the ledger says it was at each point (the notified body's approvals of
// LR software with their endorsement policies, and the endorsers' integrity incident reports),
// rebuilt from the valid writes of the governance chaincode (its state layout: @metroledger/governance/api).
import { GovernanceKeyTypes } from '@metroledger/governance/api';
import { parsePolicy, type Policy } from '@metroledger/policy';
import { compositeKey, splitCompositeKey } from '@metroledger/protocol';
import type { AuditPlugin, PluginReport, SoftwareApprovalView, ValidTxView } from './plugins';

interface SoftwareEntry {
  readonly status: string;
  readonly endorsementPolicy: string;
  readonly packageId: string;
  /** The approved code digest (sourceSha256); absent in snapshots written before it was kept. */
  readonly codeDigest?: string;
  readonly blockNum?: number;
  readonly txId?: string;
}

interface GovernanceSnapshot {
  readonly software: Record<string, SoftwareEntry>;
}

const text = new TextDecoder();
const SW_PREFIX = compositeKey(GovernanceKeyTypes.LR_SOFTWARE, []);
const INCIDENT_PREFIX = compositeKey(GovernanceKeyTypes.INCIDENT, []);

/**
 * Plugin for the governance chaincode: endorsement policies come from the approved LR software
 * record of the chaincode version that ran; a transaction of a governed chaincode (one with any
 * approval on the ledger) whose version is not approved at that point is UNAPPROVED_LR_VERSION;
 * every integrity incident a peer recorded is reported.
 */
export function governancePlugin(opts: { namespace?: string } = {}): AuditPlugin {
  const namespace = opts.namespace ?? 'governance';
  const software = new Map<string, SoftwareEntry>();
  const governed = new Set<string>();
  const policies = new Map<string, Policy | null>();
  const id = (cc: string, version: string): string => `${cc}\u0000${version}`;

  function learn(k: string, e: SoftwareEntry): void {
    software.set(k, e);
    governed.add(k.split('\u0000')[0]!);
  }

  return {
    name: 'governance',
    namespaces: [namespace],
    endorsementPolicy(cc, version) {
      const e = software.get(id(cc, version));
      if (e === undefined || e.endorsementPolicy === '') return undefined;
      let p = policies.get(e.endorsementPolicy);
      if (p === undefined) {
        try {
          p = parsePolicy(e.endorsementPolicy);
        } catch {
          p = null;
        }
        policies.set(e.endorsementPolicy, p);
      }
      return p ?? undefined;
    },
    onValidTransaction(tx: ValidTxView, report: PluginReport) {
      if (governed.has(tx.chaincodeName)) {
        const e = software.get(id(tx.chaincodeName, tx.chaincodeVersion));
        if (e === undefined || e.status !== 'APPROVED') {
          report(
            'UNAPPROVED_LR_VERSION',
            `${tx.chaincodeName} version ${JSON.stringify(tx.chaincodeVersion)} ran this transaction but is ${e === undefined ? 'not approved' : `${e.status.toLowerCase()}`} in the governance registry at this point`,
            { details: { chaincode: tx.chaincodeName, version: tx.chaincodeVersion } },
          );
        }
      }
      for (const w of tx.writes) {
        if (w.ns !== namespace || w.isDelete) continue;
        if (w.key.startsWith(SW_PREFIX)) {
          const [cc, version] = splitCompositeKey(w.key)?.attributes ?? [];
          try {
            const r = JSON.parse(text.decode(w.value)) as {
              status?: string;
              endorsementPolicy?: string;
              packageId?: string;
              sourceSha256?: string;
            };
            const k = id(cc ?? '', version ?? '');
            // A withdrawal rewrites the record: where it was approved stays that of the approval.
            const approvedAt = software.get(k)?.packageId === String(r.packageId ?? '') ? software.get(k) : undefined;
            learn(k, {
              status: String(r.status ?? ''),
              endorsementPolicy: String(r.endorsementPolicy ?? ''),
              packageId: String(r.packageId ?? ''),
              ...(typeof r.sourceSha256 === 'string' ? { codeDigest: r.sourceSha256 } : {}),
              blockNum: approvedAt?.blockNum ?? tx.blockNum,
              txId: approvedAt?.txId ?? tx.txId,
            });
          } catch {
            // Not a record the governance chaincode writes; nothing to learn.
          }
        } else if (w.key.startsWith(INCIDENT_PREFIX)) {
          let r: Record<string, unknown> = {};
          try {
            r = JSON.parse(text.decode(w.value)) as Record<string, unknown>;
          } catch {
            // reported with what the key says
          }
          report(
            'INTEGRITY_INCIDENT',
            `${String(r['organization'] ?? '?')} peer ${String(r['peer'] ?? '?')} reported ${String(r['kind'] ?? 'an integrity incident')} for ${String(r['chaincodeName'] ?? '?')}: expected package ${JSON.stringify(r['expectedPackageId'] ?? '')}, found ${JSON.stringify(r['foundPackageId'] ?? '')}`,
            { details: r },
          );
        }
      }
    },
    softwareApprovals(chaincodeName: string): SoftwareApprovalView[] {
      const out: SoftwareApprovalView[] = [];
      for (const [k, e] of software) {
        const [cc, version] = k.split('\u0000') as [string, string];
        if (cc !== chaincodeName || e.packageId === '') continue;
        out.push({
          chaincodeName: cc,
          chaincodeVersion: version,
          packageId: e.packageId,
          ...(e.codeDigest === undefined ? {} : { codeDigest: e.codeDigest }),
          ...(e.blockNum === undefined ? {} : { blockNum: e.blockNum }),
          ...(e.txId === undefined ? {} : { txId: e.txId }),
        });
      }
      return out;
    },
    snapshot(): GovernanceSnapshot {
      return { software: Object.fromEntries(software) };
    },
    restore(state: unknown) {
      const s = state as GovernanceSnapshot;
      for (const [k, e] of Object.entries(s.software ?? {})) learn(k, e);
    },
  };
}
