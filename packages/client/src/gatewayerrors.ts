// SPDX-License-Identifier: Apache-2.0
// A gateway error as one line a person can act on. Fabric's gateway attaches one detail per
// endorser, each wrapping the chaincode's own message ("chaincode response 500, METER_EXISTS: …");
// the reason is that message, said once, with the endorser that gave it.
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { GatewayError } from '@hyperledger/fabric-gateway';

export interface DescribedGatewayError {
  /** The reason, e.g. `METER_EXISTS: meter M1 is already registered [LaSIGEMSP@peer0.lasige.example.com:7051]`. */
  readonly text: string;
  /** The chaincode's error code, when a chaincode refused. */
  readonly chaincodeCode?: string;
  /** The connection failed in the TLS handshake (not retryable: a CA or name is wrong). */
  readonly tlsFailure: boolean;
}

const CHAINCODE_RESPONSE = /^chaincode response \d+, ([\s\S]*)$/;
const CHAINCODE_CODE = /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+): /;
const TLS_FAILURE = /certificate|SSL routines|alert|handshake|TLS/i;

/** The chaincode's error code: the contracts prefix their messages with `CODE: `. */
export function chaincodeCodeOf(messages: readonly string[]): string | undefined {
  for (const m of messages) {
    const match = CHAINCODE_CODE.exec(m);
    if (match) return match[1];
  }
  return undefined;
}

export function describeGatewayError(err: GatewayError): DescribedGatewayError {
  const statusName = GrpcStatus[err.code] ?? String(err.code);
  const rpcMessage =
    ((err.cause as { details?: unknown } | undefined)?.details as string | undefined) ?? err.message.replace(/^\d+ [A-Z_]+: /, '');
  if (err.code === GrpcStatus.UNAVAILABLE && err.details.length === 0) {
    if (/ECONNREFUSED/.test(rpcMessage))
      return { text: `UNAVAILABLE: nothing listens at the gateway's address (${rpcMessage})`, tlsFailure: false };
    if (TLS_FAILURE.test(rpcMessage)) return { text: `the TLS handshake with the gateway failed (${rpcMessage})`, tlsFailure: true };
  }
  const chaincodeReplies = err.details
    .map((d) => ({ d, reply: CHAINCODE_RESPONSE.exec(d.message)?.[1] }))
    .filter((x): x is { d: (typeof err.details)[number]; reply: string } => x.reply !== undefined);
  const chaincodeCode = chaincodeCodeOf([...err.details.map((d) => d.message), rpcMessage]);
  if (chaincodeReplies.length > 0) {
    const { d, reply } = chaincodeReplies[0]!;
    const others = new Set(
      chaincodeReplies
        .slice(1)
        .map((r) => r.reply)
        .filter((r) => r !== reply),
    );
    const also = others.size > 0 ? `; other endorsers: ${[...others].join('; ')}` : '';
    return { text: `${reply} [${d.mspId}@${d.address}]${also}`, chaincodeCode, tlsFailure: false };
  }
  const summary = rpcMessage.replace(/, see attached details for more info$/, '');
  const details = [...new Set(err.details.map((d) => `${d.mspId}@${d.address}: ${d.message}`))];
  return {
    text: `${statusName}: ${summary}${details.length > 0 ? `: ${details.join('; ')}` : ''}`,
    ...(chaincodeCode !== undefined && { chaincodeCode }),
    tlsFailure: false,
  };
}
