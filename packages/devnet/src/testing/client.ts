// SPDX-License-Identifier: Apache-2.0
// A Fabric client built only on @hyperledger/fabric-gateway and the cryptogen files on disk, as an
// application would connect to the devnet (test helper).
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway } from '@hyperledger/fabric-gateway';

export interface ClientConnection {
  readonly gateway: Gateway;
  readonly client: grpc.Client;
  close(): void;
}

export async function connectClient(opts: { endpoint: string; tlsCaCertPath: string; mspId: string; certPath: string; keyPath: string }): Promise<ClientConnection> {
  const [tlsCa, cert, key] = await Promise.all([readFile(opts.tlsCaCertPath), readFile(opts.certPath), readFile(opts.keyPath)]);
  const client = new grpc.Client(opts.endpoint, grpc.credentials.createSsl(tlsCa));
  const gateway = connect({
    client,
    identity: { mspId: opts.mspId, credentials: cert },
    signer: signers.newPrivateKeySigner(createPrivateKey(key)),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 15_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 30_000 }),
  });
  return {
    gateway,
    client,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}
