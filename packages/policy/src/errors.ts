// SPDX-License-Identifier: Apache-2.0

export type PolicyErrorCode =
  | 'SYNTAX' // the text is not Fabric signature-policy syntax (details.position: 0-based offset)
  | 'INVALID' // well-formed but meaningless, e.g. OutOf(n, ...) with n < 0 or n > count + 1
  | 'MALFORMED_ENVELOPE' // bytes are not a usable common.SignaturePolicyEnvelope (or ImplicitMetaPolicy)
  | 'UNKNOWN_REFERENCE'; // a channel-config policy reference or ImplicitMeta rule the channel configuration cannot resolve

/** The one error class of @metroledger/policy; branch on `code`, never on the message. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: PolicyErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'PolicyError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
