// SPDX-License-Identifier: Apache-2.0
// The LR software's identity: every measurement record names it, and the chaincode package label is built from it.
export const LR_SOFTWARE_NAME = 'metroledger-speed';
export const LR_SOFTWARE_VERSION = '1.3.0';
