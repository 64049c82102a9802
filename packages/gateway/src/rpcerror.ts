// SPDX-License-Identifier: Apache-2.0
// gRPC errors in the shape Fabric's gateway sends: status code and message, plus
// grpc-status-details-bin = google.rpc.Status{code, message, details: [Any(gateway.ErrorDetail)]}.
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { gateway, google } from '@hyperledger/fabric-protos';

/** Where a failure happened: the peer or orderer address and its MSP. */
export interface ErrorDetail {
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

// google.protobuf.Any, built through the module fabric-protos' own google.rpc.Status uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Any } = require('google-protobuf/google/protobuf/any_pb.js') as {
  Any: new () => { setTypeUrl(url: string): void; setValue(value: Uint8Array): void };
};

/** `text` without unfilled printf placeholders (google-protobuf's decoder messages carry them). */
export function withoutPlaceholders(text: string): string {
  if (!text.includes('%')) return text;
  return text
    .replace(/\s*\([^()]*%[sdv][^()]*\)/g, '')
    .replace(/:?\s*%[sdv]\.?/g, '')
    .trim();
}

/** A gRPC error as a grpc-js handler passes it to its callback or emits it on a stream. */
export function rpcError(code: Status, message: string, details: readonly ErrorDetail[] = []): Partial<ServiceError> & { code: Status } {
  message = withoutPlaceholders(message);
  details = details.map((d) => ({ ...d, message: withoutPlaceholders(d.message) }));
  const metadata = new Metadata();
  if (details.length > 0) {
    const st = new google.rpc.Status();
    st.setCode(code);
    st.setMessage(message);
    st.setDetailsList(
      details.map((d) => {
        const detail = new gateway.ErrorDetail();
        detail.setAddress(d.address);
        detail.setMspId(d.mspId);
        detail.setMessage(d.message);
        const any = new Any();
        any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
        any.setValue(detail.serializeBinary());
        return any as never;
      }),
    );
    metadata.set('grpc-status-details-bin', Buffer.from(st.serializeBinary()));
  }
  return { code, details: message, message, metadata };
}

export { Status };
