// SPDX-License-Identifier: Apache-2.0
// The ordering thread (see bft-thread.ts): one BftOrderer with the devnet's n replicas, their
// write-ahead logs and their checks, talking to the event-loop thread by messages.
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { IdentityDeserializer, MspRegistry, SigningIdentity } from '@metroledger/identity';
import { BftOrderer } from '@metroledger/ordering';
import { SignatureVerifierPool } from '@metroledger/peer';
import type { BftThreadEvent, BftThreadOptions, BftThreadRequest, ThreadError } from './bft-thread.js';

function threadError(err: unknown): ThreadError {
  const e = err as { code?: unknown; message?: unknown; details?: unknown };
  return {
    ...(typeof e.code === 'string' && { code: e.code }),
    message: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.details === 'object' && e.details !== null && { details: e.details as Record<string, unknown> }),
  };
}

if (parentPort !== null) {
  const port = parentPort;
  const o = workerData as BftThreadOptions;
  const pool = o.verifyThreads > 0 ? new SignatureVerifierPool({ threads: o.verifyThreads }) : undefined;
  const orderer = new BftOrderer({
    channelId: o.channelId,
    batch: o.batch,
    consenters: o.consenters.map((c) => ({
      config: c.config,
      signer: new SigningIdentity(c.mspId, c.certPem, createPrivateKey(c.keyPem)),
    })),
    dataDir: o.dataDir,
    genesisHeaderHash: o.genesisHeaderHash,
    deliverFrom: o.deliverFrom,
    deserializer: new IdentityDeserializer(),
    msps: new MspRegistry([...o.msps]),
    ...(o.replicasDown !== undefined && { replicasDown: o.replicasDown }),
    ...(o.timings !== undefined && { timings: o.timings }),
    ...(pool !== undefined && { verifier: pool.verifier }),
  });
  // The block bytes are shared with the replica's WAL: posted as a copy, never transferred.
  orderer.onBlockBytes((bytes, num) => port.postMessage({ t: 'block', num, bytes } satisfies BftThreadEvent));

  // Answers of one turn go back together.
  let results: { id: number; value?: unknown; error?: ThreadError }[] = [];
  const answer = (id: number, outcome: { value?: unknown; error?: ThreadError }): void => {
    if (results.length === 0) {
      setImmediate(() => {
        const done = results;
        results = [];
        port.postMessage({ t: 'done', results: done } satisfies BftThreadEvent);
      });
    }
    results.push({ id, ...outcome });
  };
  const settle = (id: number, run: () => unknown): void => {
    let out: unknown;
    try {
      out = run();
    } catch (err) {
      answer(id, { error: threadError(err) });
      return;
    }
    Promise.resolve(out).then(
      (value) => answer(id, value === undefined ? {} : { value }),
      (err: unknown) => answer(id, { error: threadError(err) }),
    );
  };

  port.on('message', (m: BftThreadRequest) => {
    if (m.t === 'broadcast') {
      m.envelopes.forEach((envelope, i) => settle(m.ids[i]!, () => orderer.broadcast(envelope)));
      return;
    }
    // Control calls wait for this turn's check phase, after the request forwarding each broadcast
    // scheduled there. Broadcasts run at once, so one may reach a replica that a control call of
    // the same batch of messages stops: BftOrderer.broadcast acknowledges an envelope only once
    // forwarded, and hands it to a running replica if the one that took it stopped first.
    setImmediate(() => control(m));
  });

  const control = (m: Extract<BftThreadRequest, { t: 'call' }>): void => {
    const [a = 0, b = 0] = m.args;
    switch (m.op) {
      case 'start':
        return settle(m.id, () => orderer.start());
      case 'stop':
        return settle(m.id, async () => {
          await orderer.stop();
          await pool?.close();
        });
      case 'stopReplica':
        return settle(m.id, () => orderer.stopReplica(a));
      case 'startReplica':
        return settle(m.id, () => orderer.startReplica(a));
      case 'isReplicaRunning':
        return settle(m.id, () => orderer.isReplicaRunning(a));
      case 'replicaHeights':
        return settle(m.id, () => orderer.replicaHeights());
      case 'replicaViews':
        return settle(m.id, () => orderer.replicaViews());
      case 'replicaBlock':
        return settle(m.id, () => orderer.replicaBlock(a, b));
    }
  };
}
