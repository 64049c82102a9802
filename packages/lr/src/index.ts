// SPDX-License-Identifier: Apache-2.0
// The legally relevant software: raw-reading codec, meter signature check, dual-loop speed computation.
export {};
