// SPDX-License-Identifier: Apache-2.0
// Deployment configuration packaged with the chaincode. It is part of the package the notified body
// approves by fingerprint: changing it changes the package id.

/**
 * The MSP id of the notified body's organization: the only one that may register, re-key or
 * revoke meters. The same as the governance chaincode's (a test checks they agree).
 */
export const NOTIFIED_BODY_MSP_ID = 'InmetroMSP';

/** The governance chaincode's name on the channel, read with stub.invokeChaincode. */
export const GOVERNANCE_CHAINCODE_NAME = 'governance';

/** This chaincode's name on the channel: the name its versions are approved under in the governance registry. */
export const LR_CHAINCODE_NAME = 'lr';

/**
 * This chaincode's version: the chaincode definition's version it must be deployed with, and the
 * version the notified body approves (with the package id) in the governance registry. A chaincode
 * cannot read its own definition, so the code states it; every measurement records it.
 */
export const LR_CHAINCODE_VERSION = '1.0';

/**
 * How many readings of a revoked meter are still recorded (as rejections) before further ones are
 * refused outright. Each one needs a fresh sequence and a valid signature of the meter's key, but
 * a stolen key (a reason to revoke) could otherwise fill the ledger.
 */
export const MAX_RECORDED_REJECTIONS = 1000;
