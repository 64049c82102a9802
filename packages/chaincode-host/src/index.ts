// SPDX-License-Identifier: Apache-2.0
// Runs a fabric-contract-api chaincode in-process with a simulated ChaincodeStub that records a read/write set.
export {};
