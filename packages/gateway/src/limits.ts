// SPDX-License-Identifier: Apache-2.0
// How large a gRPC message may be, derived from the channel's batch configuration rather than
// grpc's 4 MB default or Fabric's 100 MB: every byte of a request is held in memory before anyone
// knows who sent it, so the bound is what the protocol needs and no more.
//
// - Submit carries a prepared transaction, which the orderer refuses above absoluteMaxBytes.
// - Endorse and Evaluate carry a signed proposal; it becomes that transaction (plus read/write sets
//   and endorsements), so it is smaller. Transient data is the exception: it counts against the same bound.
// - CommitStatus, ChaincodeEvents and Deliver's seek requests are a few signed fields with the
//   client's certificate (about 2 KB): CONTROL_REQUEST_BYTES.
// - A block sent by Deliver holds at most absoluteMaxBytes of envelopes (a larger batch is cut
//   before preferredMaxBytes; one envelope above it goes alone), plus header and metadata: orderer
//   or consenter signatures with their certificates and the transaction filter, BLOCK_OVERHEAD_BYTES.

/** The batch-size fields of the channel's orderer configuration (Orderer/BatchSize). */
export interface BatchSizeConfig {
  readonly absoluteMaxBytes: number;
  readonly preferredMaxBytes: number;
}

/** Room for the request wrapper around an envelope or proposal: transaction id, channel id, organization names. */
export const REQUEST_OVERHEAD_BYTES = 64 * 1024;
/** The largest CommitStatus, ChaincodeEvents or Deliver seek request. */
export const CONTROL_REQUEST_BYTES = 64 * 1024;
/** Block header and metadata beyond the envelopes (31 consenters' signatures and certificates fit many times). */
export const BLOCK_OVERHEAD_BYTES = 1024 * 1024;

export interface MessageLimits {
  /** Endorse, Evaluate and Submit requests. */
  readonly transactionRequestBytes: number;
  /** CommitStatus, ChaincodeEvents and Deliver requests. */
  readonly controlRequestBytes: number;
  /** Any response, a block the largest. */
  readonly sendBytes: number;
}

/** The message bounds for a channel with this batch configuration. */
export function messageLimits(batch: BatchSizeConfig): MessageLimits {
  const largestBatch = Math.max(batch.absoluteMaxBytes, batch.preferredMaxBytes);
  return {
    transactionRequestBytes: batch.absoluteMaxBytes + REQUEST_OVERHEAD_BYTES,
    controlRequestBytes: CONTROL_REQUEST_BYTES,
    sendBytes: largestBatch + BLOCK_OVERHEAD_BYTES,
  };
}
