// SPDX-License-Identifier: Apache-2.0
// Fabric protocol cores: identities, signatures, endorsement policies, proposals, transactions, blocks, validation.
export {};
