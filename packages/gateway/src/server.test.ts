// SPDX-License-Identifier: Apache-2.0
// The gateway server over real gRPC and TLS, as a hostile or careless client meets it: message
// bounds, undecodable requests, the channel's Readers policy, slow subscribers, mutual TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Contract, type Gateway } from '@hyperledger/fabric-gateway';
import { gateway as gw } from '@hyperledger/fabric-protos';
import { IdentityDeserializer, MspRegistry, type NodeMaterial, type OrgMaterial } from '@metroledger/identity';
import { parsePolicy } from '@metroledger/policy';
import { newBlock, setTransactionFilter } from '@metroledger/protocol';
import { buildTransaction, testNetwork, type TestNetwork } from '@metroledger/protocol/testing/validation';
import { EndorseError } from '@hyperledger/fabric-gateway';
import { GatewayServerError, startGatewayServer, type EndorsingPeer, type GatewayServer, type LedgerPort } from './index.js';

const CHANNEL = 'mychannel';
const SERVER_NAME = 'peer0.org1.example.com';
const ABSOLUTE_MAX_BYTES = 1024 * 1024;

/** `height` blocks, each built when first read: one valid transaction of chaincode `events` whose event carries `eventBytes`. */
class GeneratedLedger implements LedgerPort {
  /** Blocks handed to the gateway so far. */
  read = 0;
  readonly #net: TestNetwork;
  readonly #eventBytes: number;

  constructor(
    net: TestNetwork,
    readonly height: number,
    eventBytes: number,
  ) {
    this.#net = net;
    this.#eventBytes = eventBytes;
  }

  async getTx(): Promise<undefined> {
    return undefined;
  }

  #block(n: number): Uint8Array {
    const tx = buildTransaction({
      client: this.#net.org1.signingIdentity('User1'),
      endorsers: [this.#net.org1.signingIdentity('peer0')],
      rwsets: [],
      channelId: CHANNEL,
      chaincodeName: 'events',
      event: { name: 'Tick', payload: Buffer.alloc(this.#eventBytes, n % 251) },
    });
    const block = newBlock(n, new Uint8Array(32), [tx.envelope]);
    setTransactionFilter(block, [0]);
    return block.serializeBinary();
  }

  async *iterate(from: number, opts: { signal?: AbortSignal }): AsyncIterable<Uint8Array> {
    for (let n = from; n < this.height && opts.signal?.aborted !== true; n++) {
      this.read++;
      yield this.#block(n);
    }
    if (opts.signal?.aborted !== true) await new Promise((resolve) => opts.signal?.addEventListener('abort', resolve, { once: true }));
  }
}

interface ServerOptions {
  clientAuth?: boolean;
  port?: number;
  peers?: EndorsingPeer[];
  policies?: Map<string, string>;
  maxConcurrentEndorsements?: number;
  maxQueuedEndorsements?: number;
}

async function startServer(net: TestNetwork, ledger: LedgerPort, opts: ServerOptions = {}): Promise<GatewayServer> {
  const peerNode = net.org1.node('peer0');
  return startGatewayServer({
    channelId: CHANNEL,
    mspId: 'Org1MSP',
    peers: opts.peers ?? [],
    endorsementPolicies: new Map([...(opts.policies ?? new Map<string, string>())].map(([cc, p]) => [cc, parsePolicy(p)])),
    orderer: { broadcast: async () => undefined },
    commits: {
      waitForTransaction: (_txId, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    },
    ledger,
    msps: new MspRegistry([net.org1.mspConfig(), net.org2.mspConfig(), net.ordererOrg.mspConfig()]),
    deserializer: new IdentityDeserializer(),
    readers: parsePolicy("OR('Org1MSP.member', 'Org2MSP.member')"),
    batch: { absoluteMaxBytes: ABSOLUTE_MAX_BYTES, preferredMaxBytes: ABSOLUTE_MAX_BYTES / 2 },
    port: opts.port ?? 0,
    ...(opts.maxConcurrentEndorsements !== undefined && { maxConcurrentEndorsements: opts.maxConcurrentEndorsements }),
    ...(opts.maxQueuedEndorsements !== undefined && { maxQueuedEndorsements: opts.maxQueuedEndorsements }),
    tls: { certPem: peerNode.tls.certPem, keyPem: peerNode.tls.keyPem, clientAuthRequired: opts.clientAuth === true },
  });
}

function grpcClient(server: GatewayServer, net: TestNetwork, tlsClient?: NodeMaterial): grpc.Client {
  const ca = Buffer.from(net.org1.tlsCa.certPem);
  const credentials =
    tlsClient === undefined
      ? grpc.credentials.createSsl(ca)
      : grpc.credentials.createSsl(ca, Buffer.from(tlsClient.tls.keyPem), Buffer.from(tlsClient.tls.certPem));
  return new grpc.Client(server.endpoint, credentials, { 'grpc.ssl_target_name_override': SERVER_NAME });
}

function gatewayAs(client: grpc.Client, org: OrgMaterial, name: string): Gateway {
  const node = org.node(name);
  return connect({
    client,
    identity: { mspId: org.spec.mspId, credentials: Buffer.from(node.sign.certPem) },
    signer: signers.newPrivateKeySigner(createPrivateKey(node.sign.keyPem)),
    hash: hash.sha256,
  });
}

const identity = (b: Buffer): Buffer => b;

/** A unary call with raw request bytes; resolves with the error or the response bytes. */
function rawUnary(client: grpc.Client, path: string, request: Buffer): Promise<grpc.ServiceError | Buffer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, request, { deadline: Date.now() + 120_000 /* a hang guard */ }, (err, value) =>
      resolve(err ?? value!),
    );
  });
}

/** One raw message on a Deliver stream; resolves with the stream's error, or undefined if it ended without one. */
function rawDeliver(client: grpc.Client, message: Buffer): Promise<grpc.ServiceError | undefined> {
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest('/protos.Deliver/Deliver', identity, identity, {
      deadline: Date.now() + 120_000 /* a hang guard */,
    });
    call.on('data', () => undefined);
    call.on('error', (err: grpc.ServiceError) => resolve(err));
    call.on('end', () => resolve(undefined));
    call.write(message);
    call.end();
  });
}

function isServiceError(x: unknown): x is grpc.ServiceError {
  return x instanceof Error && typeof (x as grpc.ServiceError).code === 'number';
}

/** Bytes that are not a protobuf message: field 1 with wire type 7, which does not exist. */
const NOT_PROTOBUF = Buffer.from([0x0f, 0x01, 0x02]);

test('a request above what the channel allows is refused with RESOURCE_EXHAUSTED on every service', async () => {
  const net = await testNetwork();
  const server = await startServer(net, new GeneratedLedger(net, 1, 16));
  const client = grpcClient(server, net);
  try {
    // a transaction request may carry up to absoluteMaxBytes of envelope, not more
    const endorse = await rawUnary(client, '/gateway.Gateway/Endorse', Buffer.alloc(ABSOLUTE_MAX_BYTES + 128 * 1024));
    assert.ok(isServiceError(endorse));
    assert.equal(endorse.code, grpc.status.RESOURCE_EXHAUSTED);
    // control requests (commit status, events, seek) are a few signed fields
    const status = await rawUnary(client, '/gateway.Gateway/CommitStatus', Buffer.alloc(200 * 1024));
    assert.ok(isServiceError(status));
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /exceeds the 65536-byte bound for gateway\.SignedCommitStatusRequest/);
    const seek = await rawDeliver(client, Buffer.alloc(200 * 1024));
    assert.equal(seek?.code, grpc.status.RESOURCE_EXHAUSTED);
    // and the server keeps serving well-formed requests
    const blocks = await gatewayAs(client, net.org1, 'User1').getNetwork(CHANNEL).getBlockEvents({ startBlock: 0n });
    try {
      const first = await blocks[Symbol.asyncIterator]().next();
      assert.equal(first.value?.getHeader()?.getNumber(), 0);
    } finally {
      blocks.close();
    }
  } finally {
    client.close();
    await server.stop();
  }
});

test('an undecodable request is INVALID_ARGUMENT naming the message type, not INTERNAL', async () => {
  const net = await testNetwork();
  const server = await startServer(net, new GeneratedLedger(net, 1, 16));
  const client = grpcClient(server, net);
  try {
    for (const [path, type] of [
      ['/gateway.Gateway/Endorse', 'gateway.EndorseRequest'],
      ['/gateway.Gateway/Evaluate', 'gateway.EvaluateRequest'],
      ['/gateway.Gateway/Submit', 'gateway.SubmitRequest'],
      ['/gateway.Gateway/CommitStatus', 'gateway.SignedCommitStatusRequest'],
    ] as const) {
      const err = await rawUnary(client, path, NOT_PROTOBUF);
      assert.ok(isServiceError(err), path);
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT, path);
      assert.ok(err.details.includes(`does not parse as ${type}`), err.details);
      assert.doesNotMatch(err.details, /%s/);
    }
    const seek = await rawDeliver(client, NOT_PROTOBUF);
    assert.equal(seek?.code, grpc.status.INVALID_ARGUMENT);
  } finally {
    client.close();
    await server.stop();
  }
});

test('CommitStatus says what is wrong with a malformed inner request without printf placeholders', async () => {
  const net = await testNetwork();
  const server = await startServer(net, new GeneratedLedger(net, 1, 16));
  const client = grpcClient(server, net);
  try {
    const signed = new gw.SignedCommitStatusRequest();
    signed.setRequest(NOT_PROTOBUF);
    signed.setSignature(Buffer.from('x'));
    const err = await rawUnary(client, '/gateway.Gateway/CommitStatus', Buffer.from(signed.serializeBinary()));
    assert.ok(isServiceError(err));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /^invalid status request: /);
    assert.doesNotMatch(err.details, /%[sdv]/);
  } finally {
    client.close();
    await server.stop();
  }
});

test("only the channel's Readers get blocks, commit statuses and chaincode events: an orderer organization is refused", async () => {
  const net = await testNetwork();
  const server = await startServer(net, new GeneratedLedger(net, 3, 16));
  const client = grpcClient(server, net);
  const reader = gatewayAs(client, net.org2, 'User1').getNetwork(CHANNEL);
  const orderer = gatewayAs(client, net.ordererOrg, 'Admin').getNetwork(CHANNEL);
  try {
    const blocks = await reader.getBlockEvents({ startBlock: 0n });
    try {
      assert.equal((await blocks[Symbol.asyncIterator]().next()).value?.getHeader()?.getNumber(), 0);
    } finally {
      blocks.close();
    }
    // Deliver answers a seek it refuses with status FORBIDDEN, as Fabric's peer does
    for (const events of [await orderer.getBlockEvents({ startBlock: 0n }), await orderer.getFilteredBlockEvents({ startBlock: 0n })]) {
      try {
        await assert.rejects(events[Symbol.asyncIterator]().next(), /status response: 403/); // common.Status.FORBIDDEN
      } finally {
        events.close();
      }
    }
    const ccEvents = await orderer.getChaincodeEvents('events', { startBlock: 0n });
    try {
      await assert.rejects(ccEvents[Symbol.asyncIterator]().next(), (err: { code?: number; message?: string }) => {
        assert.equal(err.code, grpc.status.PERMISSION_DENIED);
        assert.match(err.message ?? '', /gateway\/ChaincodeEvents.*Readers/);
        return true;
      });
    } finally {
      ccEvents.close();
    }
    const signed = await commitStatusRequestAs(net.ordererOrg, 'Admin');
    const err = await rawUnary(client, '/gateway.Gateway/CommitStatus', signed);
    assert.ok(isServiceError(err));
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
  } finally {
    client.close();
    await server.stop();
  }
});

async function commitStatusRequestAs(org: OrgMaterial, name: string): Promise<Buffer> {
  const id = org.signingIdentity(name);
  const request = new gw.CommitStatusRequest();
  request.setChannelId(CHANNEL);
  request.setTransactionId('ab'.repeat(32));
  request.setIdentity(id.serialize());
  const bytes = request.serializeBinary();
  const signed = new gw.SignedCommitStatusRequest();
  signed.setRequest(bytes);
  signed.setSignature(id.sign(bytes));
  return Buffer.from(signed.serializeBinary());
}

/**
 * The most blocks the gateway may have read for a subscriber that took one and stopped: what the
 * client itself buffers (grpc-js's stream holds 16 messages, HTTP/2's 64 KiB window two 33 KB
 * blocks), plus the one message the gateway writes and the next it has ready. Writing until
 * grpc-js's own high-water mark (16 more) exceeds it; ignoring back-pressure reads the ledger.
 */
const STALLED_SUBSCRIBER_MAX_BLOCKS = 24;

/**
 * Waits until `ledger.read` stops growing (the producer is blocked or done). A real wait: the
 * gateway is held by real HTTP/2 flow control over a socket, which no clock of ours drives.
 */
async function settled(ledger: GeneratedLedger): Promise<number> {
  let last = -1;
  while (ledger.read !== last) {
    last = ledger.read;
    await new Promise((r) => setTimeout(r, 400));
  }
  return last;
}

test('a chaincode-event subscriber that stops reading stops the gateway reading the ledger for it', async () => {
  const net = await testNetwork();
  // 3,000 blocks of 32 KB events: about 100 MB if the gateway read ahead of its subscriber
  const ledger = new GeneratedLedger(net, 3000, 32 * 1024);
  const server = await startServer(net, ledger);
  const client = grpcClient(server, net);
  try {
    const events = await gatewayAs(client, net.org1, 'User1').getNetwork(CHANNEL).getChaincodeEvents('events', { startBlock: 0n });
    try {
      const iterator = events[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).value?.blockNumber, 0n);
      // the subscriber now reads nothing: what the gateway took from the ledger is what fits in
      // the HTTP/2 window and the client's buffer, not the ledger
      const read = await settled(ledger);
      assert.ok(read <= STALLED_SUBSCRIBER_MAX_BLOCKS, `the gateway read ${read} blocks ahead of a stalled subscriber`);
      // reading again resumes the stream where it stopped
      for (let n = 1n; n <= 5n; n++) assert.equal((await iterator.next()).value?.blockNumber, n);
    } finally {
      events.close();
    }
  } finally {
    client.close();
    await server.stop();
  }
});

test('a Deliver subscriber that stops reading holds a bounded number of blocks', async () => {
  const net = await testNetwork();
  const ledger = new GeneratedLedger(net, 3000, 32 * 1024);
  const server = await startServer(net, ledger);
  const client = grpcClient(server, net);
  try {
    const blocks = await gatewayAs(client, net.org1, 'User1').getNetwork(CHANNEL).getBlockEvents({ startBlock: 0n });
    try {
      const iterator = blocks[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).value?.getHeader()?.getNumber(), 0);
      const read = await settled(ledger);
      assert.ok(read <= STALLED_SUBSCRIBER_MAX_BLOCKS, `the gateway read ${read} blocks ahead of a stalled subscriber`);
      assert.equal((await iterator.next()).value?.getHeader()?.getNumber(), 1);
    } finally {
      blocks.close();
    }
  } finally {
    client.close();
    await server.stop();
  }
});

test('with mutual TLS the gateway serves clients whose certificate a channel TLS CA issued, and no one else', async () => {
  const net = await testNetwork();
  const server = await startServer(net, new GeneratedLedger(net, 1, 16), { clientAuth: true });
  assert.equal(server.clientAuthRequired, true);
  const firstBlock = async (tlsClient: NodeMaterial | undefined): Promise<number> => {
    const client = grpcClient(server, net, tlsClient);
    try {
      const blocks = await gatewayAs(client, net.org1, 'User1').getNetwork(CHANNEL).getBlockEvents({ startBlock: 0n });
      try {
        return (await blocks[Symbol.asyncIterator]().next()).value!.getHeader()!.getNumber();
      } finally {
        blocks.close();
      }
    } finally {
      client.close();
    }
  };
  try {
    assert.equal(await firstBlock(net.org2.node('User1')), 0);
    await assert.rejects(firstBlock(undefined), { code: grpc.status.UNAVAILABLE });
    // a certificate from a TLS CA outside the channel
    await assert.rejects(firstBlock(net.outsider.node('User1')), { code: grpc.status.UNAVAILABLE });
  } finally {
    await server.stop();
  }
});

test('a port already in use is a typed error naming the port', async () => {
  const net = await testNetwork();
  const first = await startServer(net, new GeneratedLedger(net, 1, 16));
  try {
    await assert.rejects(startServer(net, new GeneratedLedger(net, 1, 16), { port: first.port }), (err: unknown) => {
      assert.ok(err instanceof GatewayServerError);
      assert.equal(err.code, 'PORT_IN_USE');
      assert.match(err.message, new RegExp(`^port ${first.port} on 127\\.0\\.0\\.1 is already in use`));
      return true;
    });
  } finally {
    await first.stop();
  }
});

test("the first endorser's failure is the answer, as Fabric's gateway gives it, not every endorser's", async () => {
  const net = await testNetwork();
  // two organizations' peers whose chaincode refuses alike (the chaincode is the port's concern here)
  const refusing = (mspId: string, host: string): EndorsingPeer => ({
    mspId,
    address: `${host}:7051`,
    hasChaincode: () => true,
    processProposal: async () => ({
      status: 500,
      message: 'METER_EXISTS: meter SP-1 is already registered',
      payload: new Uint8Array(0),
      prpBytes: Buffer.from('refused'),
    }),
  });
  const server = await startServer(net, new GeneratedLedger(net, 1, 16), {
    peers: [refusing('Org1MSP', 'peer0.org1.example.com'), refusing('Org2MSP', 'peer0.org2.example.com')],
    policies: new Map([['registry', "AND('Org1MSP.peer', 'Org2MSP.peer')"]]),
  });
  const client = grpcClient(server, net);
  try {
    const contract = gatewayAs(client, net.org1, 'User1').getNetwork(CHANNEL).getContract('registry');
    await assert.rejects(contract.submitTransaction('registerMeter', '{}'), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.ABORTED);
      assert.deepEqual(
        err.details.map((d) => [d.mspId, d.address, d.message]),
        [['Org1MSP', 'peer0.org1.example.com:7051', 'chaincode response 500, METER_EXISTS: meter SP-1 is already registered']],
      );
      return true;
    });
  } finally {
    client.close();
    await server.stop();
  }
});

/** A peer that holds each proposal until released, and records the functions it was asked to run. */
function heldPeer(): { peer: EndorsingPeer; seen: string[]; entered: () => Promise<void>; releaseAll: () => void } {
  const seen: string[] = [];
  const held: (() => void)[] = [];
  let onEnter: (() => void) | undefined;
  let released = false;
  return {
    seen,
    entered: () => new Promise<void>((resolve) => (onEnter = resolve)),
    releaseAll: () => {
      released = true;
      held.splice(0).forEach((r) => r());
    },
    peer: {
      mspId: 'Org1MSP',
      address: 'peer0.org1.example.com:7051',
      hasChaincode: () => true,
      processProposal: async (p) => {
        seen.push(Buffer.from(p.args[0]!).toString());
        onEnter?.();
        if (!released) await new Promise<void>((r) => held.push(r));
        return { status: 500, message: 'REFUSED: held', payload: new Uint8Array(0), prpBytes: Buffer.from('refused') };
      },
    },
  };
}

/**
 * A gateway with one endorsement slot and `maxQueued` places in its queue, whose slot holds the
 * proposal 'first' (the peer keeps it until released) while `body` runs.
 */
async function withSlotTaken(
  maxQueued: number,
  body: (g: { contract: Contract; held: ReturnType<typeof heldPeer>; first: Promise<unknown> }) => Promise<void>,
): Promise<void> {
  const net = await testNetwork();
  const held = heldPeer();
  const server = await startServer(net, new GeneratedLedger(net, 1, 16), {
    peers: [held.peer],
    policies: new Map([['lr', "OR('Org1MSP.peer')"]]),
    maxConcurrentEndorsements: 1,
    maxQueuedEndorsements: maxQueued,
  });
  const client = grpcClient(server, net);
  try {
    const contract = gatewayAs(client, net.org1, 'User1').getNetwork(CHANNEL).getContract('lr');
    const entered = held.entered();
    const first = contract
      .newProposal('first')
      .endorse()
      .catch((err: unknown) => err);
    await entered;
    await body({ contract, held, first });
  } finally {
    client.close();
    await server.stop();
  }
}

test('endorsements beyond the concurrency limit are refused at once with RESOURCE_EXHAUSTED, as a Fabric peer throttles', async () => {
  await withSlotTaken(0, async ({ contract, held, first }) => {
    await assert.rejects(contract.newProposal('second').endorse(), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.deepEqual(err.details, []);
      assert.match(err.message, /too many requests/);
      return true;
    });
    held.releaseAll();
    assert.ok((await first) instanceof EndorseError); // ran, and the peer's refusal came back
    assert.deepEqual(held.seen, ['first']);
  });
});

test('an endorsement whose caller gave up while it waited is never run: the peers work only for callers still there', async () => {
  await withSlotTaken(1, async ({ contract, held, first }) => {
    // waits behind `first` until its deadline passes: the client sees DEADLINE_EXCEEDED
    await assert.rejects(contract.newProposal('abandoned').endorse({ deadline: Date.now() + 300 }), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
      return true;
    });
    // the abandoned request left the queue: there is room for this one (the bound is 1)
    const kept = contract
      .newProposal('kept')
      .endorse()
      .catch((err: unknown) => err);
    held.releaseAll();
    const keptOutcome = await kept;
    assert.ok(keptOutcome instanceof EndorseError && keptOutcome.code === grpc.status.ABORTED, `kept ran: ${String(keptOutcome)}`);
    await first;
    assert.deepEqual(held.seen, ['first', 'kept']);
  });
});
