// SPDX-License-Identifier: Apache-2.0
// A chaincode that uses private data collections as Fabric contracts do (test fixture): values come
// in the transient map, so that they are in no transaction either.
import { Context, Contract, Transaction } from 'fabric-contract-api';

function transientValue(ctx: Context): Uint8Array {
  const v = ctx.stub.getTransient().get('value');
  if (v === undefined || v.length === 0) throw new Error('the transient map has no "value"');
  return v;
}

export class PdcContract extends Contract {
  constructor() {
    super('pdc');
  }

  @Transaction()
  async putPrivate(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.putPrivateData(collection, key, transientValue(ctx));
  }

  /** A public write only. */
  @Transaction()
  async putPublic(ctx: Context, key: string, value: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from(value));
  }

  /** The transient value both as a public key and in a collection. */
  @Transaction()
  async putBoth(ctx: Context, collection: string, key: string): Promise<void> {
    const value = transientValue(ctx);
    await ctx.stub.putState(key, value);
    await ctx.stub.putPrivateData(collection, key, value);
  }

  /** Reads a private value (only a member peer holds it) and writes it under another key. */
  @Transaction()
  async copyPrivate(ctx: Context, collection: string, fromKey: string, toKey: string): Promise<void> {
    const value = await ctx.stub.getPrivateData(collection, fromKey);
    if (value.length === 0) throw new Error(`no private value ${fromKey}`);
    await ctx.stub.putPrivateData(collection, toKey, value);
  }

  /** Reads a private value's hash (no membership needed) and writes it, hex, under another key: no transient data. */
  @Transaction()
  async copyHash(ctx: Context, collection: string, fromKey: string, toKey: string): Promise<void> {
    const hash = await ctx.stub.getPrivateDataHash(collection, fromKey);
    await ctx.stub.putPrivateData(collection, toKey, Buffer.from(Buffer.from(hash).toString('hex')));
  }

  /** Writes the key only if its hash is still the one given (hex, '' for absent): a read of the key hash, then a write. */
  @Transaction()
  async replacePrivate(ctx: Context, collection: string, key: string, expectedHashHex: string): Promise<void> {
    const now = Buffer.from(await ctx.stub.getPrivateDataHash(collection, key)).toString('hex');
    if (now !== expectedHashHex) throw new Error(`hash is ${now}, not ${expectedHashHex}`);
    await ctx.stub.putPrivateData(collection, key, transientValue(ctx));
  }

  @Transaction()
  async deletePrivate(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.deletePrivateData(collection, key);
  }

  @Transaction(false)
  async getPrivate(ctx: Context, collection: string, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getPrivateData(collection, key)).toString();
  }

  @Transaction(false)
  async getPrivateHash(ctx: Context, collection: string, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getPrivateDataHash(collection, key)).toString('hex');
  }

  @Transaction()
  async purgePrivate(ctx: Context, collection: string, key: string): Promise<void> {
    await ctx.stub.purgePrivateData(collection, key);
  }

  /** The keys of a private range, as this peer holds them (JSON array). */
  @Transaction(false)
  async rangePrivate(ctx: Context, collection: string, startKey: string, endKey: string): Promise<string> {
    const keys: string[] = [];
    for await (const kv of ctx.stub.getPrivateDataByRange(collection, startKey, endKey)) keys.push(kv.key);
    return JSON.stringify(keys);
  }
}

export const contracts = [PdcContract];
