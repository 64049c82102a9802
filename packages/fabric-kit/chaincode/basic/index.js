// SPDX-License-Identifier: Apache-2.0
// A baseline for "lean on Fabric": the same work as asset-transfer-basic's CreateAsset (Fabric's
// own sample), written here from its documented behaviour: refuse an existing id, store the asset
// as JSON with sorted keys. Plain JavaScript, no decorators, as the sample's JavaScript version.
'use strict';

const { Contract } = require('fabric-contract-api');

class BasicContract extends Contract {
  constructor() {
    super('basic');
  }

  async CreateAsset(ctx, id, color, size, owner, appraisedValue) {
    const existing = await ctx.stub.getState(id);
    if (existing && existing.length > 0) throw new Error(`The asset ${id} already exists`);
    const asset = { AppraisedValue: Number(appraisedValue), Color: color, ID: id, Owner: owner, Size: Number(size) };
    await ctx.stub.putState(id, Buffer.from(JSON.stringify(asset)));
    return JSON.stringify(asset);
  }

  async ReadAsset(ctx, id) {
    const bytes = await ctx.stub.getState(id);
    if (!bytes || bytes.length === 0) throw new Error(`The asset ${id} does not exist`);
    return bytes.toString();
  }
}

module.exports.contracts = [BasicContract];
