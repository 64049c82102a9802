// SPDX-License-Identifier: Apache-2.0
// Application client for metroledger on any Fabric network (fabric-gateway), with retry and backoff.
export {};
