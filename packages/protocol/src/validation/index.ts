// SPDX-License-Identifier: Apache-2.0
export {
  planTransaction,
  decideTransaction,
  requiredPolicies,
  chaincodeWrites,
  validateTransaction,
  validateBlockTransactions,
  verifyInline,
} from './validate.js';
export type {
  BlockValidation,
  PlanContext,
  SignatureCheck,
  SignatureVerifier,
  TxDecisionInput,
  TxPlan,
  ValidationContext,
} from './validate.js';
export { checkMvcc } from './mvcc.js';
export type { MvccInput, MvccResult, StateUpdate } from './mvcc.js';
