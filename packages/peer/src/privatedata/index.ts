// SPDX-License-Identifier: Apache-2.0
export type { EndorserPrivateData, CommitterPrivateData, PrivateDataStore, MissingPrivateData } from './types.js';
