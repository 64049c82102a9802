// SPDX-License-Identifier: Apache-2.0
// The endorser's fingerprint check (paper §VI-E, attack 2): before a peer runs a governed chaincode
// it compares the id of the package it installed with the one the notified body approved for that
// chaincode version on the ledger, and refuses to endorse (or evaluate) anything else. Fabric 2.x
// does not bind the installed package to the chaincode definition, so this check is ours.
import type { ChaincodeResult, HostedChaincode, StateReader } from '@metroledger/chaincode-host';

/** What the notified body's registry says about one chaincode version. */
export interface PackageApproval {
  readonly packageId: string;
  readonly status: 'APPROVED' | 'WITHDRAWN';
}

/** Why a peer refuses to run its installed package (also the integrity incident kind). */
export type FingerprintRefusalCode = 'FINGERPRINT_MISMATCH' | 'UNAPPROVED_PACKAGE' | 'WITHDRAWN_PACKAGE';

/** One refusal episode, as reported to the ledger. */
export interface FingerprintIncident {
  readonly kind: FingerprintRefusalCode;
  readonly chaincodeName: string;
  readonly version: string;
  /** The approved package id ('' when the version has no approval). */
  readonly expectedPackageId: string;
  readonly foundPackageId: string;
  /** The peer's name (its certificate's common name) and organization. */
  readonly peer: string;
  readonly organization: string;
  readonly detail: string;
}

export interface FingerprintGuardOptions {
  /** The peer's name (certificate common name, e.g. peer0.pucpr.example.com) and MSP id. */
  readonly peer: string;
  readonly organization: string;
  /** The installed package's id (`label:sha256` of the package file the peer installed). */
  readonly installedPackageId: string;
  /**
   * The approval in force for `chaincodeName` at `version`, read from the ledger (world state);
   * undefined when the registry has none. Called on every proposal: keep it cheap.
   */
  approval(chaincodeName: string, version: string, state: StateReader): PackageApproval | undefined | Promise<PackageApproval | undefined>;
  /**
   * Told once per refusal episode (the episode ends when the check passes again or what is
   * expected or found changes); e.g. to submit `reportIntegrityIncident` signed by this peer.
   */
  onIncident?(incident: FingerprintIncident): void;
  /** Told when a refusal episode ends (the check passes again), for a host that keeps episodes across threads. */
  onEpisodeEnd?(): void;
}

const EMPTY = new Uint8Array(0);

/** The outcome of comparing the installed package with the approval in force. */
export function checkFingerprint(
  installedPackageId: string,
  approval: PackageApproval | undefined,
): { ok: true } | { ok: false; code: FingerprintRefusalCode; expected: string } {
  if (approval === undefined) return { ok: false, code: 'UNAPPROVED_PACKAGE', expected: '' };
  if (approval.packageId !== installedPackageId) return { ok: false, code: 'FINGERPRINT_MISMATCH', expected: approval.packageId };
  if (approval.status !== 'APPROVED') return { ok: false, code: 'WITHDRAWN_PACKAGE', expected: approval.packageId };
  return { ok: true };
}

/**
 * Wraps an installed chaincode so that every invocation first checks the installed package
 * against the approval on the ledger. A refusal is a chaincode response with status 500 and the
 * message `<CODE>: <peer> ...`, so the endorser signs nothing and the gateway reports the peer
 * and the code in its error details. UNAPPROVED_PACKAGE (no record for the version: nothing to
 * compare with, e.g. before the notified body's first approval) is refused without an incident.
 */
export function guardChaincode(chaincode: HostedChaincode, opts: FingerprintGuardOptions): HostedChaincode {
  let episode: string | undefined;
  const refuse = (code: FingerprintRefusalCode, expected: string): ChaincodeResult => {
    const found = opts.installedPackageId;
    const detail =
      code === 'UNAPPROVED_PACKAGE'
        ? `${opts.peer} (${opts.organization}) refuses to run ${chaincode.name} ${chaincode.version}: the notified body has not approved this version (installed package ${found})`
        : code === 'WITHDRAWN_PACKAGE'
          ? `${opts.peer} (${opts.organization}) refuses to run ${chaincode.name} ${chaincode.version}: the notified body withdrew this version (package ${found})`
          : `${opts.peer} (${opts.organization}) refuses to run ${chaincode.name} ${chaincode.version}: installed package ${found} is not the approved package ${expected}`;
    const key = `${code}\n${expected}\n${found}`;
    if (code !== 'UNAPPROVED_PACKAGE' && episode !== key) {
      episode = key;
      opts.onIncident?.({
        kind: code,
        chaincodeName: chaincode.name,
        version: chaincode.version,
        expectedPackageId: expected,
        foundPackageId: found,
        peer: opts.peer,
        organization: opts.organization,
        detail,
      });
    }
    const rwset = { namespace: chaincode.name, reads: [], rangeQueries: [], writes: [] };
    return { response: { status: 500, message: `${code}: ${detail}`, payload: EMPTY }, rwsets: [rwset], rwset };
  };
  return {
    name: chaincode.name,
    version: chaincode.version,
    async invoke(inv, state, options) {
      const verdict = checkFingerprint(opts.installedPackageId, await opts.approval(chaincode.name, chaincode.version, state));
      if (!verdict.ok) return refuse(verdict.code, verdict.expected);
      if (episode !== undefined) {
        episode = undefined;
        opts.onEpisodeEnd?.();
      }
      return chaincode.invoke(inv, state, options);
    },
  };
}
