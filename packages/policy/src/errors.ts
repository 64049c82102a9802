// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type PolicyErrorCode =
  | 'SYNTAX' // the text is not Fabric signature-policy syntax (details.position: 0-based offset)
  | 'INVALID' // well-formed but meaningless, e.g. OutOf(n, ...) with n < 0 or n > count + 1
  | 'MALFORMED_ENVELOPE' // bytes are not a usable common.SignaturePolicyEnvelope (or ImplicitMetaPolicy)
  | 'UNKNOWN_REFERENCE'; // a channel-config policy reference or ImplicitMeta rule the channel configuration cannot resolve

/** The one error class of @metroledger/policy; branch on `code`, never on the message. */
export class PolicyError extends MetroledgerError<PolicyErrorCode> {}
