// SPDX-License-Identifier: Apache-2.0
import { encodePersistedState, decodePersistedState } from '../codec';
import { BftError } from '../errors';
import type { Decision, PersistedState, Storage } from '../types';

/**
 * In-memory Storage that survives a simulated crash (the simulator keeps it and hands it to the
 * restarted replica). State is stored encoded, so a restart reads back exactly what was written.
 */
export function createMemoryStorage(): Storage & { readonly writes: number } {
  let state: Uint8Array | undefined;
  const log: Decision[] = [];
  let writes = 0;
  return {
    get writes() {
      return writes;
    },
    readState: () => (state ? decodePersistedState(state) : undefined),
    writeState: (s: PersistedState) => {
      state = encodePersistedState(s);
      writes++;
    },
    height: () => log.length,
    readDecision: (seq: number) => log[seq - 1],
    appendDecision: (d: Decision) => {
      if (d.seq !== log.length + 1) throw new BftError('STORAGE_CORRUPT', `append of seq ${d.seq} at height ${log.length}`);
      log.push(d);
      writes++;
    },
  };
}
