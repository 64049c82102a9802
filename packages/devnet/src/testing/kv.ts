// SPDX-License-Identifier: Apache-2.0
// A minimal deterministic key-value chaincode (test fixture).
import { Context, Contract, Transaction } from 'fabric-contract-api';

export class KvContract extends Contract {
  constructor() {
    super('kv');
  }

  @Transaction()
  async put(ctx: Context, key: string, value: string): Promise<string> {
    await ctx.stub.putState(key, Buffer.from(value));
    ctx.stub.setEvent('Put', Buffer.from(key));
    return value;
  }

  @Transaction(false)
  async get(ctx: Context, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getState(key)).toString();
  }
}

export const contracts = [KvContract];
