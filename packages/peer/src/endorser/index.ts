// SPDX-License-Identifier: Apache-2.0
export { Endorser, type EndorserLedger, type EndorserOptions } from './endorser.js';
export { PeerError, type PeerErrorCode } from './errors.js';
