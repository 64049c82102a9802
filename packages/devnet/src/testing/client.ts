// SPDX-License-Identifier: Apache-2.0
// A Fabric client built only on @hyperledger/fabric-gateway and the cryptogen files on disk, as an
// application would connect to the devnet (test helper).
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway } from '@hyperledger/fabric-gateway';

export interface ClientConnection {
  readonly gateway: Gateway;
  readonly client: grpc.Client;
  close(): void;
}

export interface ClientConnectOptions {
  readonly endpoint: string;
  readonly tlsCaCertPath: string;
  /** The gateway certificate's host name (Devnet.tlsServerName); default localhost, which devnet certificates also name. */
  readonly tlsServerName?: string;
  /** A client TLS pair, for a gateway that requires mutual TLS. */
  readonly tlsCertPath?: string;
  readonly tlsKeyPath?: string;
  readonly mspId: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export async function connectClient(opts: ClientConnectOptions): Promise<ClientConnection> {
  const [tlsCa, cert, key] = await Promise.all([readFile(opts.tlsCaCertPath), readFile(opts.certPath), readFile(opts.keyPath)]);
  const credentials =
    opts.tlsCertPath !== undefined && opts.tlsKeyPath !== undefined
      ? grpc.credentials.createSsl(tlsCa, await readFile(opts.tlsKeyPath), await readFile(opts.tlsCertPath))
      : grpc.credentials.createSsl(tlsCa);
  const client = new grpc.Client(opts.endpoint, credentials, { 'grpc.ssl_target_name_override': opts.tlsServerName ?? 'localhost' });
  const gateway = connect({
    client,
    identity: { mspId: opts.mspId, credentials: cert },
    signer: signers.newPrivateKeySigner(createPrivateKey(key)),
    hash: hash.sha256,
    // Hang guards for tests, not speed targets: a loaded machine may take long to answer.
    evaluateOptions: () => ({ deadline: Date.now() + 120_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 120_000 }),
    submitOptions: () => ({ deadline: Date.now() + 120_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 120_000 }),
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

/** Connects as the first user of organization `mspId` of a running devnet (its gateway, TLS CA and that user's cryptogen files). */
export async function connectDevnetUser(
  devnet: {
    readonly endpoint: string;
    readonly tlsCaCertPath: string;
    readonly users: Readonly<Record<string, readonly { certPath: string; keyPath: string }[]>>;
  },
  mspId: string,
): Promise<ClientConnection> {
  const u = devnet.users[mspId]?.[0];
  assert.ok(u !== undefined, `the devnet has no user of ${mspId}`);
  return connectClient({ endpoint: devnet.endpoint, tlsCaCertPath: devnet.tlsCaCertPath, mspId, certPath: u.certPath, keyPath: u.keyPath });
}

/** What a gateway call that must be refused says: the error's message and each peer's, joined by ' | '. */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { message: string; details?: { message: string }[] };
    return [e.message, ...(e.details ?? []).map((d) => d.message)].join(' | ');
  }
  assert.fail('expected a refusal');
}
