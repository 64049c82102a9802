// SPDX-License-Identifier: Apache-2.0
// Fabric Gateway and Deliver gRPC services over TLS.
export {};
