// SPDX-License-Identifier: Apache-2.0
export { ProtocolError, TxValidationCode, txValidationCodeName, validationCodeOf } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export {
  compareUtf8,
  encodeTxReadWriteSet,
  decodeTxReadWriteSet,
  encodeKVRWSet,
  decodeKVRWSet,
  encodeCollectionPvtRwSet,
  hashCollectionWrites,
  privateWritesMatch,
  encodeTxPvtReadWriteSet,
  decodeTxPvtReadWriteSet,
} from './rwset.js';
export { parseEnvelope } from './parse.js';
export type { ParsedTransaction, Endorsement, ChaincodeEventRecord, ChaincodeResponse } from './parse.js';
