// SPDX-License-Identifier: Apache-2.0
// A deliberately nondeterministic chaincode (test fixture): each endorser writes a different value,
// so endorsements cannot match.
import { randomUUID } from 'node:crypto';
import { Context, Contract, Transaction } from 'fabric-contract-api';

export class NondeterministicContract extends Contract {
  constructor() {
    super('nondet');
  }

  @Transaction()
  async roll(ctx: Context, key: string): Promise<string> {
    const value = randomUUID();
    await ctx.stub.putState(key, Buffer.from(value));
    return value;
  }
}

export const contracts = [NondeterministicContract];
