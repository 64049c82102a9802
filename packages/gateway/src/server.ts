// SPDX-License-Identifier: Apache-2.0
import { createServer } from 'node:net';
import { Server, ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import { GatewayService as GatewayServiceDefinition } from '@hyperledger/fabric-protos/lib/gateway/gateway_grpc_pb';
import { DeliverService as DeliverServiceDefinition } from '@hyperledger/fabric-protos/lib/peer/events_grpc_pb';
import { Authenticator } from './access.js';
import { DeliverService } from './deliver.js';
import { GatewayServerError } from './errors.js';
import { GatewayService, type GatewayOptions } from './gateway.js';
import { messageLimits, type BatchSizeConfig } from './limits.js';
import { guardedService } from './requests.js';

export interface GatewayServerOptions extends GatewayOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 lets the OS choose. */
  port: number;
  tls: {
    /** The server's TLS certificate (PEM); its subject alternative names are the host names clients connect with. */
    certPem: string;
    keyPem: string;
    /**
     * Mutual TLS (Fabric's `peer.tls.clientAuthRequired`): refuse connections whose client
     * certificate is not issued by the TLS root CA of one of the channel's MSPs. Default false.
     */
    clientAuthRequired?: boolean;
  };
  /** The channel's batch size (Orderer/BatchSize): bounds every message (see limits.ts). */
  batch: BatchSizeConfig;
  /** grpc-js server interceptors around every call (e.g. the devnet's request metrics). */
  interceptors?: readonly ServerInterceptor[];
}

/** A running gRPC server with the gateway.Gateway and protos.Deliver services. */
export interface GatewayServer {
  readonly host: string;
  readonly port: number;
  /** host:port */
  readonly endpoint: string;
  /** Whether clients must present a TLS certificate. */
  readonly clientAuthRequired: boolean;
  /** Stops accepting calls, cancels open streams, and resolves when the server is down. */
  stop(): Promise<void>;
}

/** The TLS root CA certificates of the channel's MSPs (msp/tlscacerts): who may issue client certificates. */
function channelTlsRoots(options: GatewayServerOptions): string[] {
  return options.msps.mspIds.flatMap((id) => options.msps.getConfig(id)?.tlsRootCertsPem ?? []);
}

/**
 * Starts the gateway.Gateway and protos.Deliver services over TLS.
 * @throws {@link GatewayServerError} PORT_IN_USE | BIND_FAILED | BAD_CONFIG
 */
export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const host = options.host ?? '127.0.0.1';
  const limits = messageLimits(options.batch);
  const server = new Server({
    // grpc-js refuses a larger message from its length prefix, before buffering it (RESOURCE_EXHAUSTED)
    'grpc.max_receive_message_length': Math.max(limits.transactionRequestBytes, limits.controlRequestBytes),
    'grpc.max_send_message_length': limits.sendBytes,
    ...(options.interceptors !== undefined && { interceptors: [...options.interceptors] }),
  });
  const transaction = limits.transactionRequestBytes;
  const control = limits.controlRequestBytes;
  const gatewayService = new GatewayService(options);
  server.addService(
    guardedService(GatewayServiceDefinition, {
      endorse: { typeName: 'gateway.EndorseRequest', maxBytes: transaction },
      evaluate: { typeName: 'gateway.EvaluateRequest', maxBytes: transaction },
      submit: { typeName: 'gateway.SubmitRequest', maxBytes: transaction },
      commitStatus: { typeName: 'gateway.SignedCommitStatusRequest', maxBytes: control },
      chaincodeEvents: { typeName: 'gateway.SignedChaincodeEventsRequest', maxBytes: control },
    }),
    gatewayService.handlers(),
  );
  const deliver = new DeliverService({
    channelId: options.channelId,
    ledger: options.ledger,
    authenticator: new Authenticator(options.msps, options.deserializer, options.readers),
  });
  const seek = { typeName: 'common.Envelope', maxBytes: control };
  server.addService(
    guardedService(DeliverServiceDefinition, { deliver: seek, deliverFiltered: seek, deliverWithPrivateData: seek }),
    deliver.handlers(),
  );

  const clientAuthRequired = options.tls.clientAuthRequired === true;
  let roots: Buffer | null = null;
  if (clientAuthRequired) {
    const pems = channelTlsRoots(options);
    if (pems.length === 0)
      throw new GatewayServerError('BAD_CONFIG', 'mutual TLS needs the TLS root CA certificates of the channel MSPs, and none has any');
    roots = Buffer.from(pems.join('\n'));
  }
  // grpc-js logs a failed bind on stderr as a raw line before reporting it: find a taken port first
  if (options.port !== 0) await checkPortFree(host, options.port);
  const credentials = ServerCredentials.createSsl(
    roots,
    [{ cert_chain: Buffer.from(options.tls.certPem), private_key: Buffer.from(options.tls.keyPem) }],
    clientAuthRequired,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, credentials, (err, bound) =>
      err ? reject(bindError(err, host, options.port)) : resolve(bound),
    );
  });
  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    clientAuthRequired,
    stop: () =>
      new Promise<void>((resolve) => {
        // event streams never end by themselves: give unary calls a moment, then cut the rest
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 500);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

function checkPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(bindError(err, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** grpc-js reports a failed bind as one line ("No address added out of total 1 resolved errors: [listen EADDRINUSE …]"). */
function bindError(err: Error, host: string, port: number): GatewayServerError {
  const details = { host, port };
  if (/EADDRINUSE/.test(err.message)) {
    return new GatewayServerError(
      'PORT_IN_USE',
      `port ${port} on ${host} is already in use (another devnet or peer listens there)`,
      details,
      { cause: err },
    );
  }
  const reason = /listen (E[A-Z]+[^\]]*)/.exec(err.message)?.[1] ?? err.message;
  return new GatewayServerError('BIND_FAILED', `cannot listen on ${host}:${port}: ${reason}`, details, { cause: err });
}
