// SPDX-License-Identifier: Apache-2.0
// Deployment configuration packaged with the governance chaincode (and, through it, with the LR
// chaincode). It is part of the packages the notified body approves by fingerprint: changing it
// changes their package ids.

/** The MSP id of the notified body's organization: the only one that may approve and register. */
export const NOTIFIED_BODY_MSP_ID = 'InmetroMSP';

/** The governance chaincode's name on the channel (the namespace other chaincodes call). */
export const GOVERNANCE_CHAINCODE_NAME = 'governance';
