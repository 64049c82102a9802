// SPDX-License-Identifier: Apache-2.0
// Type-approval bench: runs LR software over reference sets and judges it against the legal MPE.
export {};
