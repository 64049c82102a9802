// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type IdentityErrorCode =
  | 'MALFORMED_IDENTITY' // bytes are not an msp.SerializedIdentity holding a PEM X.509 certificate
  | 'MALFORMED_KEY' // a private key or certificate file could not be parsed
  | 'UNKNOWN_MSP' // the identity names an MSP the channel does not know
  | 'UNTRUSTED_CERTIFICATE' // not issued by one of the MSP's CAs, or a CA certificate used as identity
  | 'EXPIRED_CERTIFICATE' // outside its validity period (or a CA on its chain is)
  | 'INVALID_NODE_OU' // NodeOUs enabled but the certificate carries no (or several) node OUs
  | 'INVALID_MSP_CONFIG' // MspRegistry given unparseable or non-CA root certificates, or duplicate MSP ids
  | 'INVALID_SPEC' // an OrgSpec that cannot be generated (bad names, duplicates)
  | 'IO'; // reading or writing key material on disk failed

/** The one error class of @metroledger/identity; branch on `code`, never on the message. */
export class IdentityError extends MetroledgerError<IdentityErrorCode> {}
