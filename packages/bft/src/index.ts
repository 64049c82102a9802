// SPDX-License-Identifier: Apache-2.0
// BFT consensus state machine (PBFT/SmartBFT style) and its deterministic simulator.
export {};
