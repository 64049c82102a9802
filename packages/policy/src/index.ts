// SPDX-License-Identifier: Apache-2.0
// Fabric endorsement policies: parsing the AND/OR/OutOf syntax and evaluating it against signers.
export {};
