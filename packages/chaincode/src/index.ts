// SPDX-License-Identifier: Apache-2.0
// The LR chaincode (fabric-contract-api): meter registry, measurements, governance.
export {};
