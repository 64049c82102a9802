// SPDX-License-Identifier: Apache-2.0
// A meter process for the crash test: captures as fast as it can into the outbox at argv[2] and
// prints each sequence once its capture resolved (stored and synced). The parent kills it with -9.
import { FieldMeter } from '../fieldmeter';
import { OutboxStore } from '../store';

async function main(): Promise<void> {
  const [dir, meterId, keyPem] = [process.argv[2]!, process.argv[3]!, Buffer.from(process.argv[4]!, 'base64').toString()];
  const store = await OutboxStore.open(dir);
  const meter = new FieldMeter({
    store,
    meterId,
    geometry: { loopSpacingM: 3, loopLengthM: 1.8, sampleRateHz: 1000 },
    privateKeyPem: keyPem,
  });
  process.stdout.write(`ready ${store.lastSequence(meterId)}\n`);
  for (let k = 0; ; k++) {
    const image = k % 3 === 0 ? Buffer.alloc(20_000, k % 251) : undefined;
    // several captures in flight: they are serialised by the meter and group-committed by the outbox
    const batch = await Promise.all(
      [0, 1, 2, 3].map((j) =>
        meter.capture({
          loopA: Int16Array.from([0, 50, 100, 50, 0]),
          loopB: Int16Array.from([0, 0, 50, 100, 50]),
          captureTimeMs: 1_700_000_000_000 + k * 4 + j,
          ...(image !== undefined && j === 0 && { plateImage: Buffer.concat([image, Buffer.from([k & 0xff, k >> 8])]) }),
        }),
      ),
    );
    process.stdout.write(batch.map((e) => `${e.sequence}\n`).join(''));
  }
}

void main();
