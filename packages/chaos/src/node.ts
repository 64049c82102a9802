// SPDX-License-Identifier: Apache-2.0
// One devnet as a child process of the chaos suite: `node node.js <json options>`. It prints one line
// `READY {endpoint, tlsCaCertPath, tlsServerName}` once the gateway listens, exits 74 when the devnet
// halts (as `metroledger devnet up` does), and 0 after SIGTERM. With `quotaBytes` its block files sit
// on a disk that fills up; with `replicaChaos` (BFT) it crashes and restarts replicas, one at a time,
// on a seeded schedule counted in blocks while the load runs.
import { DEVNET_HALT_EXIT_CODE, describeHalt, startDevnet, type StartDevnetOptions } from '@metroledger/devnet';
import { newRng } from '@metroledger/meter';
import { QuotaFileSystem } from './quota';

export interface ChaosNodeOptions {
  readonly dataDir: string;
  readonly ordering: 'solo' | 'bft';
  /** Bytes the block files may still grow by (a disk that fills up); unlimited when absent. */
  readonly quotaBytes?: number;
  /** Seed of the replica crash/restart schedule (BFT only). */
  readonly replicaChaos?: string;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as ChaosNodeOptions;
  const opts: StartDevnetOptions = {
    dataDir: o.dataDir,
    ordering: o.ordering,
    batch: { batchTimeoutMs: 20, maxMessageCount: 20 },
    verifyThreads: 0,
    ...(o.quotaBytes !== undefined && { ledgerFileSystem: new QuotaFileSystem(o.quotaBytes) }),
  };
  const devnet = await startDevnet(opts);
  devnet.onHalt((halt) => {
    process.stderr.write(`chaos node HALTED: ${describeHalt(halt, o.dataDir)}\n`);
    process.exit(DEVNET_HALT_EXIT_CODE);
  });
  process.once(
    'SIGTERM',
    () =>
      void devnet.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      ),
  );
  const bft = devnet.bft;
  if (o.replicaChaos !== undefined && bft !== undefined) {
    // One replica at a time: crash it after a seeded 1..4 more blocks, restart it after 1..4 more
    // (the others, a quorum, keep ordering meanwhile), and crash the next one only once the restarted
    // one has caught up, so that no more than f are ever behind; churn faster than that has no
    // quorum and is the simulator's business (docs/BFT.md), not a lost-reading question.
    const rng = newRng(o.replicaChaos);
    let down: number | undefined;
    let catchingUp: number | undefined;
    let nextAt = devnet.height() + rng.int(1, 4);
    // the replicas may run in the ordering thread: their controls answer asynchronously, one tick at a time
    const tick = async (): Promise<void> => {
      const height = devnet.height();
      if (catchingUp !== undefined) {
        const heights = await bft.replicaHeights();
        const top = Math.max(...heights.map((h) => h ?? 0));
        if ((heights[catchingUp] ?? -1) < top) return;
        catchingUp = undefined;
        nextAt = height + rng.int(1, 4);
      }
      if (height < nextAt) return;
      if (down === undefined) {
        down = rng.int(0, bft.replicas - 1);
        await bft.stopReplica(down);
        process.stderr.write(`chaos node: replica ${down} crashed at height ${height}\n`);
      } else {
        await bft.startReplica(down);
        process.stderr.write(`chaos node: replica ${down} restarted at height ${height}\n`);
        catchingUp = down;
        down = undefined;
      }
      nextAt = height + rng.int(1, 4);
    };
    let ticking = false;
    setInterval(() => {
      if (ticking) return;
      ticking = true;
      tick().then(
        () => (ticking = false),
        (err: unknown) => {
          process.stderr.write(`chaos node: replica chaos failed: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        },
      );
    }, 20).unref();
  }
  process.stdout.write(
    `READY ${JSON.stringify({ endpoint: devnet.endpoint, tlsCaCertPath: devnet.tlsCaCertPath, tlsServerName: devnet.tlsServerName })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos node failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
