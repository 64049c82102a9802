// SPDX-License-Identifier: Apache-2.0
export { SignatureVerifierPool, type SignatureVerifierPoolOptions } from './pool.js';
