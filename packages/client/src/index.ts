// SPDX-License-Identifier: Apache-2.0
// Application client for metroledger on any Fabric network (fabric-gateway), with retry and backoff.
export { MetroledgerClient } from './client';
export type { MetroledgerClientOptions, MeasurementRecord, SubmittedReading } from './client';
export type { ClientStats, Committed } from './submit';
export { newGrpcConnection, connectGateway, checkGatewayConnection, splitEndpoint } from './connection';
export type { GatewayTlsOptions, GatewayEndpointOptions } from './connection';
export { ClientError, abandonReason } from './errors';
export type { ClientErrorCode } from './errors';
export { DEFAULT_RETRY_POLICY, backoffDelayMs, withRetry, RetryGiveUp } from './retry';
export type { RetryPolicy, RetryCause, Verdict, GiveUp, RetryOptions } from './retry';
export { systemClock, VirtualClock, type Clock } from './clock';
export { retryCauseOf, isEndorsementMismatch } from './failures';
export { readingIdentity } from './replay';
export type { ReadingIdentity } from './replay';
export { loadMspIdentity } from './files';
export type { MspIdentityFiles } from './files';
export { NotifiedBodyClient, RegistryReader } from './governance';
export type { OrganizationRole, LrSoftwareToApprove, MeterModelToApprove, LrSoftwareRecord, IntegrityIncident } from './governance';
export { encodeReadingBatch, decodeReadingBatch, submitReadingBatch, MAX_BATCH_READINGS, MAX_BATCH_BYTES } from './batch';
export type { BatchReadingOutcome, SubmittedBatch, BatchSubmitter } from './batch';
export { parseConnectionProfile } from './profile';
export type { ConnectionProfile, ProfileOrganization, ProfilePeer, PemSource } from './profile';
export { loadConnectionProfile, profileOrganization, resolveGatewayTarget, resolveIdentity } from './options';
export type { ConnectionInput, GatewayTarget, ClientIdentity } from './options';
