// SPDX-License-Identifier: Apache-2.0
// A contract that uses private data collections (test fixture): values come in the transient map.
import { Context, Contract, Transaction } from 'fabric-contract-api';

export class PrivateContract extends Contract {
  constructor() {
    super('private');
  }

  @Transaction()
  async put(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.putPrivateData(collection, key, ctx.stub.getTransient().get('value')!);
  }

  @Transaction()
  async del(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.deletePrivateData(collection, key);
  }

  @Transaction()
  async purge(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.purgePrivateData(collection, key);
  }

  @Transaction(false)
  async get(ctx: Context, collection: string, key: string): Promise<string> {
    try {
      return Buffer.from(await ctx.stub.getPrivateData(collection, key)).toString();
    } catch (err) {
      // the host's typed error, as the contract sees it
      throw new Error(`${(err as { code?: string }).code}: ${(err as Error).message}`);
    }
  }

  @Transaction(false)
  async hash(ctx: Context, collection: string, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getPrivateDataHash(collection, key)).toString('hex');
  }

  @Transaction(false)
  async range(ctx: Context, collection: string): Promise<number> {
    let n = 0;
    for await (const _ of ctx.stub.getPrivateDataByRange(collection, '', '')) n++;
    return n;
  }

  @Transaction()
  async putThenRange(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.putPrivateData(collection, key, ctx.stub.getTransient().get('value')!);
    for await (const _ of ctx.stub.getPrivateDataByRange(collection, '', '')) break;
  }

  @Transaction()
  async rangeThenPut(ctx: Context, collection: string, key: string): Promise<void> {
    for await (const _ of ctx.stub.getPrivateDataByRange(collection, '', '')) break;
    await ctx.stub.putPrivateData(collection, key, ctx.stub.getTransient().get('value')!);
  }

  @Transaction(false)
  async byPartialKey(ctx: Context, collection: string, objectType: string, first: string): Promise<number> {
    let n = 0;
    for await (const _ of ctx.stub.getPrivateDataByPartialCompositeKey(collection, objectType, [first])) n++;
    return n;
  }
}
