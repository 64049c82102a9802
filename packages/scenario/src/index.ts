// SPDX-License-Identifier: Apache-2.0
// The São Paulo rush-hour scenario (the main job).
export {};
