// SPDX-License-Identifier: Apache-2.0
// The embedded devnet: organizations, crypto material, network assembly, service lifecycle.
export {};
