// SPDX-License-Identifier: Apache-2.0
// The traffic authority's evidence store: plate images off-chain with proof (paper, VI-D).
import { join } from 'node:path';
export { EvidenceError, EVIDENCE_ERROR_CODES, isEvidenceErrorCode, type EvidenceErrorCode } from './errors';
export { plateImageStatement, signPlateImage, verifyPlateImageSignature, sha256 } from './statement';
export {
  AUTH_HEADERS,
  RequestAuthenticator,
  signRequest,
  requestSigningBytes,
  type Caller,
  type EvidenceAccessPolicy,
  type EvidenceAction,
  type AdmittedRole,
} from './auth';
export {
  ChainLog,
  canonicalJson,
  verifyChainFile,
  verifyChainText,
  GENESIS_HASH,
  type ChainEntry,
  type ChainHead,
  type ChainFinding,
  type ChainVerification,
} from './chainlog';
export { EvidenceStore, type EvidenceStoreOptions, type EvidenceRecord, type AccessEntry } from './store';
export { EvidenceService, ledgerMeterKeys, staticMeterKeys, readSignedReading, type MeterKeys, type EvidenceSubmission } from './service';
export { startEvidenceServer, type EvidenceServer, type EvidenceServerOptions } from './server';
export { EvidenceClient, type EvidenceClientOptions, type RetrievedEvidence } from './client';
export { proveEvidence, type EvidenceProof, type OnChainReading, type ProofCheck } from './proof';

/** The chaincode module of the evidence store's native Fabric form (images in the traffic authority's implicit collection): a path for a network's chaincode config. */
export const EVIDENCE_CHAINCODE_MODULE: string = join(__dirname, 'chaincode');
export { evidenceImageKey, MAX_COLLECTION_IMAGE_BYTES } from './chaincode/contract';
