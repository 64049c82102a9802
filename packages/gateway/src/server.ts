// SPDX-License-Identifier: Apache-2.0
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { GatewayService as GatewayServiceDefinition } from '@hyperledger/fabric-protos/lib/gateway/gateway_grpc_pb';
import { DeliverService as DeliverServiceDefinition } from '@hyperledger/fabric-protos/lib/peer/events_grpc_pb';
import { Authenticator } from './access.js';
import { DeliverService } from './deliver.js';
import { GatewayService, type GatewayOptions } from './gateway.js';

export interface GatewayServerOptions extends GatewayOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 lets the OS choose. */
  port: number;
  /** The server's TLS certificate and key (PEM); the certificate should name localhost/127.0.0.1. */
  tls: { certPem: string; keyPem: string };
}

/** A running gRPC server with the gateway.Gateway and protos.Deliver services. */
export interface GatewayServer {
  readonly host: string;
  readonly port: number;
  /** host:port */
  readonly endpoint: string;
  /** Stops accepting calls, cancels open streams, and resolves when the server is down. */
  stop(): Promise<void>;
}

export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const host = options.host ?? '127.0.0.1';
  const server = new Server({ 'grpc.max_receive_message_length': 100 * 1024 * 1024, 'grpc.max_send_message_length': 100 * 1024 * 1024 });
  const gatewayService = new GatewayService(options);
  server.addService(GatewayServiceDefinition, gatewayService.handlers());
  const deliver = new DeliverService({ channelId: options.channelId, ledger: options.ledger, authenticator: new Authenticator(options.msps, options.deserializer) });
  server.addService(DeliverServiceDefinition, deliver.handlers());

  const credentials = ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(options.tls.certPem), private_key: Buffer.from(options.tls.keyPem) }], false);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    host,
    port,
    endpoint: `${host}:${port}`,
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
