// SPDX-License-Identifier: Apache-2.0
// Test kit: what the ledger holds of a meter, read through the client as an auditor would.
import type { MetroledgerClient } from '@metroledger/client';

/** Every measurement record of `meterId` on the ledger, by sequence. */
export async function ledgerSequences(client: MetroledgerClient, meterId: string): Promise<number[]> {
  const out: number[] = [];
  let bookmark = '';
  do {
    const page = await client.queryMeasurements(meterId, 0, Number.MAX_SAFE_INTEGER, 100, bookmark);
    out.push(...page.records.map((r) => r.sequence));
    bookmark = page.records.length === 0 ? '' : page.bookmark;
  } while (bookmark !== '');
  return out.sort((a, b) => a - b);
}
