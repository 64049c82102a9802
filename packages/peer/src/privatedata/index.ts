// SPDX-License-Identifier: Apache-2.0
export { TransientStore, DEFAULT_TRANSIENT_RETENTION } from './transient.js';
export type { EndorserPrivateData, CommitterPrivateData, PrivateDataStore, MissingPrivateData } from './types.js';
