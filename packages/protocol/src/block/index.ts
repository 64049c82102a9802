// SPDX-License-Identifier: Apache-2.0
export {
  BlockMetadataIndex,
  blockDataHash,
  blockEnvelopes,
  blockHeaderBytes,
  blockHeaderFields,
  blockHeaderHash,
  blockSignatures,
  decodeBlock,
  getLastConfigIndex,
  getTransactionFilter,
  newBlock,
  newBlockSignature,
  ordererBlockMetadata,
  setBlockSignatures,
  setTransactionFilter,
  signBlock,
} from './block.js';
export type { Block, BlockSigner, BlockSignatureEntry, HeaderFields, SignatureOptions } from './block.js';
export { newChannelConfig, newGenesisBlock, parseChannelConfig, parseGoDurationMs } from './config.js';
export type { BatchConfig, ChannelConfig, ConsensusConfig, ConsenterConfig, OrgMspConfig } from './config.js';
