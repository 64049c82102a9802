// SPDX-License-Identifier: Apache-2.0
import type { common } from '@hyperledger/fabric-protos';

/** Hands a block to every listener; a listener's bug must not stop ordering, nor go unnoticed. */
export function deliverBlock(listeners: Iterable<(block: common.Block) => void>, block: common.Block): void {
  for (const listener of listeners) {
    try {
      listener(block);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}
