// SPDX-License-Identifier: Apache-2.0
// A small contract that exercises the stub the way real contracts do (test fixture).
import { Context, Contract, Transaction } from 'fabric-contract-api';

async function collect(iter: AsyncIterable<{ key: string; value: Uint8Array }>): Promise<string[]> {
  const out: string[] = [];
  for await (const kv of iter) out.push(`${kv.key}=${Buffer.from(kv.value).toString()}`);
  return out;
}

export class KvContract extends Contract {
  constructor() {
    super('kv');
  }

  @Transaction()
  async put(ctx: Context, key: string, value: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from(value));
  }

  @Transaction(false)
  async get(ctx: Context, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getState(key)).toString();
  }

  @Transaction()
  async del(ctx: Context, key: string): Promise<void> {
    await ctx.stub.deleteState(key);
  }

  /** Writes then reads back the same key, twice, and returns what the reads saw. */
  @Transaction()
  async putThenGet(ctx: Context, key: string, value: string): Promise<string[]> {
    const before = Buffer.from(await ctx.stub.getState(key)).toString();
    await ctx.stub.putState(key, Buffer.from(value));
    await ctx.stub.putState(key, Buffer.from(value + '!'));
    const after = Buffer.from(await ctx.stub.getState(key)).toString();
    return [before, after];
  }

  @Transaction()
  async putComposite(ctx: Context, type: string, a: string, b: string, value: string): Promise<string> {
    const key = ctx.stub.createCompositeKey(type, [a, b]);
    await ctx.stub.putState(key, Buffer.from(value));
    return JSON.stringify(ctx.stub.splitCompositeKey(key));
  }

  @Transaction(false)
  async range(ctx: Context, startKey: string, endKey: string): Promise<string[]> {
    return collect(ctx.stub.getStateByRange(startKey, endKey));
  }

  /** Reads only the first `take` results of a range, then breaks out of the loop. */
  @Transaction(false)
  async rangeFirst(ctx: Context, startKey: string, endKey: string, take: number): Promise<string[]> {
    const out: string[] = [];
    for await (const kv of ctx.stub.getStateByRange(startKey, endKey)) {
      if (out.length >= take) break;
      out.push(kv.key);
    }
    return out;
  }

  @Transaction(false)
  async partial(ctx: Context, type: string, a: string): Promise<string[]> {
    return collect(ctx.stub.getStateByPartialCompositeKey(type, a === '' ? [] : [a]));
  }

  @Transaction(false)
  async page(ctx: Context, startKey: string, endKey: string, pageSize: number, bookmark: string): Promise<object> {
    const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(startKey, endKey, pageSize, bookmark);
    const keys: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) keys.push(r.value.key);
    await iterator.close();
    return { keys, bookmark: metadata?.bookmark, count: metadata?.fetchedRecordsCount };
  }

  @Transaction(false)
  async partialPage(ctx: Context, type: string, pageSize: number, bookmark: string): Promise<object> {
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(type, [], pageSize, bookmark);
    const keys: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next())
      keys.push(ctx.stub.splitCompositeKey(r.value.key).attributes.join('/'));
    await iterator.close();
    return { keys, bookmark: metadata.bookmark, count: metadata.fetchedRecordsCount };
  }

  /** A paginated query followed by a write: Fabric refuses the write. */
  @Transaction()
  async pageThenPut(ctx: Context, key: string): Promise<void> {
    await ctx.stub.getStateByRangeWithPagination('', '', 1, '');
    await ctx.stub.putState(key, Buffer.from('x'));
  }

  @Transaction()
  async emit(ctx: Context, name: string, payload: string): Promise<void> {
    ctx.stub.setEvent('first', Buffer.from('ignored'));
    ctx.stub.setEvent(name, Buffer.from(payload));
  }

  @Transaction()
  async failAfterWrite(ctx: Context, key: string, message: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from('written'));
    throw new Error(message);
  }

  @Transaction(false)
  async whoAmI(ctx: Context): Promise<object> {
    const ts = ctx.stub.getTxTimestamp();
    return {
      mspId: ctx.clientIdentity.getMSPID(),
      id: ctx.clientIdentity.getID(),
      creatorMsp: ctx.stub.getCreator().mspid,
      txId: ctx.stub.getTxID(),
      channel: ctx.stub.getChannelID(),
      seconds: ts.seconds.toNumber(),
      nanos: ts.nanos,
      date: ctx.stub.getDateTimestamp().toISOString(),
      transient: Object.fromEntries([...ctx.stub.getTransient()].map(([k, v]) => [k, Buffer.from(v).toString()])),
    };
  }

  @Transaction(false)
  async proposal(ctx: Context): Promise<object> {
    const sp = ctx.stub.getSignedProposal();
    return { hasProposal: sp !== undefined, binding: ctx.stub.getBinding() ?? null };
  }

  /** A key with a lone surrogate has no UTF-8 encoding. */
  @Transaction()
  async badKey(ctx: Context): Promise<void> {
    await ctx.stub.putState('bad\ud800', Buffer.from('x'));
  }

  @Transaction(false)
  async history(ctx: Context, key: string): Promise<number> {
    let n = 0;
    for await (const _ of ctx.stub.getHistoryForKey(key)) n++;
    return n;
  }

  @Transaction()
  async noop(): Promise<void> {}

  /**
   * Writes `key`, then calls `fn(...args)` of chaincode `target` (args as a JSON array; channel ''
   * = this one) and returns what the call gave, or the error it raised.
   */
  @Transaction()
  async putAndCall(ctx: Context, key: string, target: string, channel: string, argsJson: string): Promise<object> {
    await ctx.stub.putState(key, Buffer.from('caller'));
    const args = JSON.parse(argsJson) as string[];
    try {
      const r = await ctx.stub.invokeChaincode(target, args, channel);
      return { status: r.status, message: r.message, payload: Buffer.from(r.payload ?? []).toString() };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** Calls the same function of another chaincode twice. */
  @Transaction(false)
  async callTwice(ctx: Context, target: string, argsJson: string): Promise<string[]> {
    const args = JSON.parse(argsJson) as string[];
    const out: string[] = [];
    for (let i = 0; i < 2; i++) out.push(Buffer.from((await ctx.stub.invokeChaincode(target, args, '')).payload ?? []).toString());
    return out;
  }
}
