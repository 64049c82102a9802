// SPDX-License-Identifier: Apache-2.0
// Block store (append-only fsync'd files) and world state / indexes in LevelDB.
export {};
