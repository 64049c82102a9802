// SPDX-License-Identifier: Apache-2.0
// A chaincode module (`require(dir).contracts`, as fabric-chaincode-node loads it).
export { contracts, EvidenceCollectionContract, evidenceImageKey, MAX_COLLECTION_IMAGE_BYTES } from './contract';
