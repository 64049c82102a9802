// SPDX-License-Identifier: Apache-2.0
// The devnet's Prometheus metrics, served at the operations service's GET /metrics as a Fabric
// peer's and orderer's are: Fabric's metric names and labels where Fabric has the metric
// (docs/source/metrics_reference.rst; the gateway's calls are grpc_server_*, as Fabric counts
// them), and metroledger's own under `metroledger_`. One devnet process plays every peer and
// orderer, so per-node metrics carry a `peer` or `consenter` label.
import { performance } from 'node:perf_hooks';
import { ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DevnetBft } from './ordering.js';
import type { BlockSummary } from './observe.js';
import type { ProposalObserver } from './peers.js';

const GRPC_CODE_NAMES = new Map<number, string>(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

/** Seconds over which `metroledger_readings_per_second` averages. */
export const READINGS_RATE_WINDOW_S = 10;

export interface DevnetMetricsSources {
  readonly channelId: string;
  /** Blocks committed. */
  height(): number;
  /** 0 serving, 1 halted. */
  halted(): boolean;
  readonly bft?: DevnetBft;
}

/** The devnet's metrics registry and the hooks that feed it. */
export class DevnetMetrics {
  readonly registry = new Registry();
  readonly #channel: string;
  readonly #transactions: Counter<'channel' | 'transaction_type' | 'chaincode' | 'validation_code'>;
  readonly #proposalsReceived: Counter<'peer'>;
  readonly #proposalsSuccessful: Counter<'peer'>;
  readonly #proposalDuration: Histogram<'channel' | 'chaincode' | 'success' | 'peer'>;
  readonly #endorsementFailures: Counter<'channel' | 'chaincode' | 'chaincodeerror' | 'peer'>;
  readonly #validationFailures: Counter<'peer'>;
  readonly #broadcastProcessed: Counter<'channel' | 'type' | 'status'>;
  readonly #broadcastEnqueue: Histogram<'channel' | 'type' | 'status'>;
  readonly #grpc: {
    received: Counter<'service' | 'method'>;
    completed: Counter<'service' | 'method' | 'code'>;
    duration: Histogram<'service' | 'method' | 'code'>;
    streamReceived: Counter<'service' | 'method'>;
    streamCompleted: Counter<'service' | 'method' | 'code'>;
    streamDuration: Histogram<'service' | 'method' | 'code'>;
  };
  readonly #readings: Counter<'status'>;
  readonly #refusals: Counter<'code'>;
  readonly #violations: Counter;
  /** Readings committed per second of the rate window, newest last: [unix second, count]. */
  readonly #recent: [number, number][] = [];

  constructor(sources: DevnetMetricsSources) {
    const registers = [this.registry];
    const channel = (this.#channel = sources.channelId);
    collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'ledger_blockchain_height',
      help: 'Height of the chain in blocks.',
      labelNames: ['channel'],
      registers,
      collect() {
        this.set({ channel }, sources.height());
      },
    });
    this.#transactions = new Counter({
      name: 'ledger_transaction_count',
      help: 'Number of transactions processed.',
      labelNames: ['channel', 'transaction_type', 'chaincode', 'validation_code'],
      registers,
    });

    this.#proposalsReceived = new Counter({
      name: 'endorser_proposals_received',
      help: 'The number of proposals received.',
      labelNames: ['peer'],
      registers,
    });
    this.#proposalsSuccessful = new Counter({
      name: 'endorser_successful_proposals',
      help: 'The number of successful proposals.',
      labelNames: ['peer'],
      registers,
    });
    this.#proposalDuration = new Histogram({
      name: 'endorser_proposal_duration',
      help: 'The time to complete a proposal.',
      labelNames: ['channel', 'chaincode', 'success', 'peer'],
      registers,
    });
    this.#endorsementFailures = new Counter({
      name: 'endorser_endorsement_failures',
      help: 'The number of failed endorsements.',
      labelNames: ['channel', 'chaincode', 'chaincodeerror', 'peer'],
      registers,
    });
    this.#validationFailures = new Counter({
      name: 'endorser_proposal_validation_failures',
      help: 'The number of proposals that have failed initial validation.',
      labelNames: ['peer'],
      registers,
    });

    this.#broadcastProcessed = new Counter({
      name: 'broadcast_processed_count',
      help: 'The number of transactions processed.',
      labelNames: ['channel', 'type', 'status'],
      registers,
    });
    this.#broadcastEnqueue = new Histogram({
      name: 'broadcast_enqueue_duration',
      help: 'The time to enqueue a transaction in seconds.',
      labelNames: ['channel', 'type', 'status'],
      registers,
    });

    this.#grpc = {
      received: new Counter({
        name: 'grpc_server_unary_requests_received',
        help: 'The number of unary requests received.',
        labelNames: ['service', 'method'],
        registers,
      }),
      completed: new Counter({
        name: 'grpc_server_unary_requests_completed',
        help: 'The number of unary requests completed.',
        labelNames: ['service', 'method', 'code'],
        registers,
      }),
      duration: new Histogram({
        name: 'grpc_server_unary_request_duration',
        help: 'The time to complete a unary request.',
        labelNames: ['service', 'method', 'code'],
        registers,
      }),
      streamReceived: new Counter({
        name: 'grpc_server_stream_requests_received',
        help: 'The number of stream requests received.',
        labelNames: ['service', 'method'],
        registers,
      }),
      streamCompleted: new Counter({
        name: 'grpc_server_stream_requests_completed',
        help: 'The number of stream requests completed.',
        labelNames: ['service', 'method', 'code'],
        registers,
      }),
      streamDuration: new Histogram({
        name: 'grpc_server_stream_request_duration',
        help: 'The time to complete a stream request.',
        labelNames: ['service', 'method', 'code'],
        registers,
      }),
    };

    const bft = sources.bft;
    if (bft !== undefined) {
      const consenters = Array.from({ length: bft.replicas }, (_, i) => String(i + 1));
      new Gauge({
        name: 'consensus_smartbft_view_number',
        help: 'The View number value.',
        labelNames: ['channel', 'consenter'],
        registers,
        async collect() {
          (await bft.replicaViews()).forEach((v, i) =>
            v !== undefined ? this.set({ channel, consenter: consenters[i]! }, v) : this.remove({ channel, consenter: consenters[i]! }),
          );
        },
      });
      new Gauge({
        name: 'consensus_smartbft_view_leader_id',
        help: 'The leader id.',
        labelNames: ['channel', 'consenter'],
        registers,
        async collect() {
          (await bft.replicaViews()).forEach((v, i) =>
            v !== undefined
              ? this.set({ channel, consenter: consenters[i]! }, (v % bft.replicas) + 1)
              : this.remove({ channel, consenter: consenters[i]! }),
          );
        },
      });
      new Gauge({
        name: 'metroledger_bft_replica_height',
        help: "A BFT replica's decided height (blocks); absent while the replica is stopped.",
        labelNames: ['channel', 'consenter'],
        registers,
        async collect() {
          (await bft.replicaHeights()).forEach((h, i) =>
            h !== undefined ? this.set({ channel, consenter: consenters[i]! }, h) : this.remove({ channel, consenter: consenters[i]! }),
          );
        },
      });
      new Gauge({
        name: 'metroledger_bft_replica_up',
        help: 'Whether a BFT replica runs (1) or is stopped (0).',
        labelNames: ['channel', 'consenter'],
        registers,
        async collect() {
          const up = await Promise.all(consenters.map((_, i) => bft.isReplicaRunning(i)));
          consenters.forEach((c, i) => this.set({ channel, consenter: c }, up[i] ? 1 : 0));
        },
      });
      new Gauge({
        name: 'metroledger_bft_fault_tolerance',
        help: 'f: the faulty consenters the BFT ordering service tolerates (n = 3f+1).',
        labelNames: ['channel'],
        registers,
        collect() {
          this.set({ channel }, bft.f);
        },
      });
    }

    this.#readings = new Counter({
      name: 'metroledger_readings_total',
      help: 'Readings committed by the LR chaincode: MEASURED, REFUSED by the LR software, REJECTED (revoked meter).',
      labelNames: ['status'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'metroledger_lr_refusals_total',
      help: 'Readings the LR software refused, by its refusal code.',
      labelNames: ['code'],
      registers,
    });
    this.#violations = new Counter({
      name: 'metroledger_speed_limit_violations_total',
      help: 'Measurements over the speed limit registered for their meter.',
      registers,
    });
    // every status present from the start, at 0: a dashboard's rate() needs the series before the first reading
    for (const status of ['MEASURED', 'REFUSED', 'REJECTED']) this.#readings.inc({ status }, 0);
    const recent = this.#recent;
    new Gauge({
      name: 'metroledger_readings_per_second',
      help: `Readings committed per second, averaged over the last ${READINGS_RATE_WINDOW_S} s.`,
      registers,
      collect() {
        const now = Math.floor(Date.now() / 1000);
        const total = recent.filter(([s]) => s > now - READINGS_RATE_WINDOW_S).reduce((a, [, n]) => a + n, 0);
        this.set(total / READINGS_RATE_WINDOW_S);
      },
    });
    new Gauge({
      name: 'metroledger_devnet_halted',
      help: 'Whether the devnet halted on a ledger I/O failure (1) or serves (0).',
      registers,
      collect() {
        this.set(sources.halted() ? 1 : 0);
      },
    });
  }

  /** Counts a committed block's transactions and readings. */
  onBlock(block: BlockSummary): void {
    for (const tx of block.txs)
      this.#transactions.inc({
        channel: this.#channel,
        transaction_type: tx.type,
        chaincode: tx.chaincode,
        validation_code: tx.validationCode,
      });
    for (const r of block.readings) {
      this.#readings.inc({ status: r.status });
      if (r.status === 'REFUSED') this.#refusals.inc({ code: r.refusalCode ?? 'UNKNOWN' });
      if (r.speedLimitExceeded === true) this.#violations.inc();
    }
    if (block.readings.length > 0) {
      const second = Math.floor(Date.now() / 1000);
      const last = this.#recent.at(-1);
      if (last !== undefined && last[0] === second) last[1] += block.readings.length;
      else this.#recent.push([second, block.readings.length]);
      while (this.#recent.length > 0 && this.#recent[0]![0] <= second - READINGS_RATE_WINDOW_S) this.#recent.shift();
    }
  }

  /** The endorser metrics of each proposal a peer processes. */
  readonly proposals: ProposalObserver = (peer, chaincode) => {
    const labels = { peer: peer.address.split(':')[0]! };
    this.#proposalsReceived.inc(labels);
    const start = performance.now();
    return (outcome) => {
      const seconds = (performance.now() - start) / 1000;
      this.#proposalDuration.observe({ channel: this.#channel, chaincode, success: String(outcome === 'endorsed'), ...labels }, seconds);
      if (outcome === 'endorsed') this.#proposalsSuccessful.inc(labels);
      else if (outcome === 'refused') this.#validationFailures.inc(labels);
      else
        this.#endorsementFailures.inc({
          channel: this.#channel,
          chaincode,
          chaincodeerror: String(outcome === 'chaincode_error'),
          ...labels,
        });
    };
  };

  /** `orderer` whose broadcasts are counted and timed (broadcast_processed_count, broadcast_enqueue_duration). */
  broadcasts<O extends { broadcast(envelope: Uint8Array): Promise<void> }>(orderer: O): { broadcast(envelope: Uint8Array): Promise<void> } {
    return {
      broadcast: async (envelope) => {
        const start = performance.now();
        const labels = { channel: this.#channel, type: 'ENDORSER_TRANSACTION', status: 'SUCCESS' };
        try {
          await orderer.broadcast(envelope);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          labels.status =
            code === 'BUSY' || code === 'SERVICE_UNAVAILABLE'
              ? 'SERVICE_UNAVAILABLE'
              : code === 'BAD_REQUEST'
                ? 'BAD_REQUEST'
                : 'INTERNAL_SERVER_ERROR';
          throw err;
        } finally {
          this.#broadcastProcessed.inc(labels);
          this.#broadcastEnqueue.observe(labels, (performance.now() - start) / 1000);
        }
      },
    };
  }

  /** A grpc-js server interceptor counting and timing every call by service, method and status code. */
  readonly grpcInterceptor: ServerInterceptor = (descriptor, call) => {
    const [service = '', method = ''] = descriptor.path.replace(/^\//, '').split('/');
    const stream = descriptor.requestStream || descriptor.responseStream;
    const m = this.#grpc;
    (stream ? m.streamReceived : m.received).inc({ service, method });
    const start = performance.now();
    return new ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        const labels = { service, method, code: GRPC_CODE_NAMES.get(status.code ?? 0) ?? String(status.code) };
        (stream ? m.streamCompleted : m.completed).inc(labels);
        (stream ? m.streamDuration : m.duration).observe(labels, (performance.now() - start) / 1000);
        next(status);
      },
    });
  };
}
