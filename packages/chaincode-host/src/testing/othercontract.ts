// SPDX-License-Identifier: Apache-2.0
// A second chaincode module with its own @Default contract, to host beside another (test fixture).
import { Context, Contract, Default, Transaction } from 'fabric-contract-api';

class Helper extends Contract {
  constructor() {
    super('helper');
  }

  @Transaction(false)
  async hello(): Promise<string> {
    return 'helper';
  }
}

@Default()
class Counter extends Contract {
  constructor() {
    super('counter');
  }

  @Transaction()
  async inc(ctx: Context, key: string): Promise<number> {
    const n = Number(Buffer.from(await ctx.stub.getState(key)).toString() || '0') + 1;
    await ctx.stub.putState(key, Buffer.from(String(n)));
    return n;
  }
}

export const contracts = [Helper, Counter];
