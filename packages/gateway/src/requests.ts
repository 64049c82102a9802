// SPDX-License-Identifier: Apache-2.0
// Request decoding at the gRPC seam. grpc-js answers a request that fails to deserialize with
// INTERNAL, as if the server were at fault; a request the client got wrong is INVALID_ARGUMENT,
// and one above its method's size bound is RESOURCE_EXHAUSTED. The service definitions are
// wrapped so that decoding never throws: a bad request reaches the handler as a RejectedRequest,
// which the handler answers with that typed status.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { Status, withoutPlaceholders } from './rpcerror.js';

/** A request that did not become a message: answer it with `code` and `message`. */
export class RejectedRequest {
  readonly code: Status;
  readonly message: string;

  constructor(code: Status, message: string) {
    this.code = code;
    this.message = message;
  }
}

/**
 * google-protobuf's decoder errors carry printf placeholders it never fills in
 * ("Failure: Invalid wire type: %s (at position %s)"); keep the words, drop the placeholders.
 */
export function decoderMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const words = withoutPlaceholders(raw).replace(/^(Failure|Assertion failed):?\s*/, '');
  return words === '' ? 'malformed protobuf' : words;
}

/** What a method's request must be: its protobuf message type and its size bound. */
export interface RequestShape {
  readonly typeName: string;
  readonly maxBytes: number;
}

/**
 * A copy of `definition` whose request decoders return a RejectedRequest instead of throwing, and
 * refuse a request above its method's bound before decoding it. `shapes` is keyed by method
 * (e.g. `endorse`); every method of the definition must have one.
 */
export function guardedService(definition: ServiceDefinition, shapes: Readonly<Record<string, RequestShape>>): ServiceDefinition {
  const out: Record<string, unknown> = {};
  for (const [method, def] of Object.entries(definition)) {
    const shape = shapes[method];
    if (shape === undefined) throw new Error(`no request shape for ${def.path}`);
    const decode = def.requestDeserialize;
    out[method] = {
      ...def,
      requestDeserialize: (bytes: Buffer): unknown => {
        if (bytes.length > shape.maxBytes) {
          return new RejectedRequest(
            Status.RESOURCE_EXHAUSTED,
            `${def.path}: a request of ${bytes.length} bytes exceeds the ${shape.maxBytes}-byte bound for ${shape.typeName}`,
          );
        }
        try {
          return decode(bytes);
        } catch (err) {
          return new RejectedRequest(
            Status.INVALID_ARGUMENT,
            `${def.path}: the request does not parse as ${shape.typeName}: ${decoderMessage(err)}`,
          );
        }
      },
    };
  }
  return out as ServiceDefinition;
}
