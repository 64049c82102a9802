// SPDX-License-Identifier: Apache-2.0
// The notified body's registry and the meter registry, read with evaluate-only queries of the
// governance and LR chaincodes (what any channel member may read). Each list is read on its own,
// so that one refusal (e.g. UNAPPROVED_PACKAGE for `lr` on a fresh network) leaves the rest shown.
import type { Meter, Page } from '@metroledger/chaincode';
import type { IntegrityIncident, LrSoftwareRecord } from '@metroledger/client';
import type { MeterModelRecord, OrganizationRecord } from '@metroledger/governance';
import type { ChannelPort } from './channel.js';
import type { RegistrySnapshot } from './model.js';

const PAGE = 100;
const text = new TextDecoder();

export interface RegistryReadOptions {
  readonly lrChaincode: string;
  readonly governanceChaincode: string;
  /** Records read per list at most. */
  readonly recordsMax: number;
  /** Meters read at most. */
  readonly metersMax: number;
}

/** The registry's short message for an evaluate that failed: the chaincode's code and message when there is one. */
function reason(err: unknown): string {
  const e = err as { message?: string; details?: { message?: string }[] };
  const chaincode = e.details?.map((d) => d.message).find((m) => typeof m === 'string' && m.length > 0);
  return (chaincode ?? e.message ?? String(err)).slice(0, 500);
}

export async function readRegistry(channel: ChannelPort, opts: RegistryReadOptions, nowMs: () => number): Promise<RegistrySnapshot> {
  const errors: { what: string; message: string }[] = [];
  const read = async <T>(what: string, chaincode: string, fn: string, args: string[], fallback: T): Promise<T> => {
    try {
      return JSON.parse(text.decode(await channel.evaluate(chaincode, fn, args))) as T;
    } catch (err) {
      errors.push({ what, message: reason(err) });
      return fallback;
    }
  };
  const paged = async <T>(what: string, chaincode: string, fn: string, args: (bookmark: string) => string[], max: number): Promise<T[]> => {
    const out: T[] = [];
    let bookmark = '';
    do {
      const page = await read<Page<T> | undefined>(what, chaincode, fn, args(bookmark), undefined);
      if (page === undefined) break;
      out.push(...page.records);
      bookmark = page.records.length === 0 ? '' : page.bookmark;
    } while (bookmark !== '' && out.length < max);
    return out.slice(0, max);
  };
  const gov = opts.governanceChaincode;
  const organizations = (await read<OrganizationRecord[]>('listOrganizations', gov, 'listOrganizations', [], [])).slice(0, opts.recordsMax);
  const lrSoftware = (await read<LrSoftwareRecord[]>('listLrSoftware', gov, 'listLrSoftware', [opts.lrChaincode], [])).slice(
    0,
    opts.recordsMax,
  );
  const meterModels = (await read<MeterModelRecord[]>('listMeterModels', gov, 'listMeterModels', [], [])).slice(0, opts.recordsMax);
  const incidents = await paged<IntegrityIncident>(
    'listIntegrityIncidents',
    gov,
    'listIntegrityIncidents',
    (b) => [String(PAGE), b],
    opts.recordsMax,
  );
  const meters = await paged<Meter>('listMeters', opts.lrChaincode, 'listMeters', (b) => [String(PAGE), b], opts.metersMax);
  return { organizations, lrSoftware, meterModels, incidents, meters, errors, refreshedAtMs: nowMs() };
}
