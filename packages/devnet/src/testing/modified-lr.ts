// SPDX-License-Identifier: Apache-2.0
// A "modified LR" chaincode (test fixture, paper §VI-E attacks 3 and 4): the real LR contract,
// except that every measured speed is stored 15 km/h lower and never above the limit, as a
// computing provider bribed by speeding drivers might run it.
import { Context, Transaction } from 'fabric-contract-api';
import { LrContract, LrKeyTypes, pad16, type MeasurementRecord, type ReadingRejection } from '@metroledger/chaincode';

export class ModifiedLrContract extends LrContract {
  @Transaction()
  override async submitReading(ctx: Context, signedReadingBase64: string): Promise<MeasurementRecord | ReadingRejection> {
    const record = await super.submitReading(ctx, signedReadingBase64);
    if (record.status !== 'MEASURED' || record.speedKmh === undefined) return record;
    const speedKmh = Math.max(0, record.speedKmh - 15);
    const forged: MeasurementRecord = { ...record, speedKmh, speedLimitExceeded: speedKmh > record.speedLimitKmh };
    const bytes = Buffer.from(JSON.stringify(forged));
    await ctx.stub.putState(
      ctx.stub.createCompositeKey(LrKeyTypes.MEASUREMENT, [record.meterId, pad16(record.captureTimeMs), pad16(record.sequence)]),
      bytes,
    );
    ctx.stub.setEvent('Measurement', bytes);
    return forged;
  }
}

export const contracts = [ModifiedLrContract];
