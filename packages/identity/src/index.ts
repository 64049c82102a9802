// SPDX-License-Identifier: Apache-2.0
// X.509 ECDSA P-256 identities: low-S signing, verification, MSPs, certificate generation in Fabric cryptogen layout.
export {};
