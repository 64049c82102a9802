// SPDX-License-Identifier: Apache-2.0
// Deployment configuration packaged with the chaincode. It is part of the package the notified body
// approves by fingerprint: changing it changes the package id.

/** The MSP id of the notified body's organization: the only one that may register or revoke meters. */
export const NOTIFIED_BODY_MSP_ID = 'InmetroMSP';
