// SPDX-License-Identifier: Apache-2.0
// Application client for metroledger on any Fabric network (fabric-gateway), with retry and backoff.
export { MetroledgerClient } from './client';
export type { MetroledgerClientOptions, MeasurementRecord, SubmittedReading, ClientStats } from './client';
export { newGrpcConnection, connectGateway, checkGatewayConnection, splitEndpoint } from './connection';
export type { GatewayTlsOptions, GatewayEndpointOptions } from './connection';
export { ClientError } from './errors';
export type { ClientErrorCode } from './errors';
export { DEFAULT_RETRY_POLICY, backoffDelayMs } from './retry';
export type { RetryPolicy } from './retry';
export { loadMspIdentity } from './files';
export type { MspIdentityFiles } from './files';
export { NotifiedBodyClient, RegistryReader } from './governance';
export type { OrganizationRole, LrSoftwareToApprove, MeterModelToApprove, LrSoftwareRecord, IntegrityIncident } from './governance';
export { encodeReadingBatch, decodeReadingBatch, submitReadingBatch, MAX_BATCH_READINGS, MAX_BATCH_BYTES } from './batch';
export type { BatchReadingOutcome, SubmittedBatch, BatchSubmitter } from './batch';
