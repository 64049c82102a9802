// SPDX-License-Identifier: Apache-2.0
// Ordering service interface, batch cutting and the solo orderer.
export {};
