// SPDX-License-Identifier: Apache-2.0
// Which failures are retried, on the errors Fabric's gateway returns (messages as in Fabric 3.0's
// internal/pkg/gateway, which the devnet's gateway reproduces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { abandonReason, ClientError } from './errors';
import { retryCauseOf } from './failures';

function gatewayError(code: number, message: string, details: string[]): GatewayError {
  return new GatewayError({
    code,
    message,
    cause: Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() }),
    details: details.map((m, i) => ({ address: `peer${i}.example.com:7051`, mspId: `Org${i}MSP`, message: m })),
  });
}

const endorse = (g: GatewayError, chaincodeCode?: string) => new ClientError('ENDORSEMENT_FAILED', g.message, { cause: g, chaincodeCode });

test('endorsers that disagree are retried as ENDORSEMENT_MISMATCH; a chaincode refusal is not', () => {
  const mismatch = gatewayError(
    grpc.status.ABORTED,
    'failed to collect enough transaction endorsements, see attached details for more info',
    ['ProposalResponsePayloads do not match'],
  );
  assert.equal(retryCauseOf(endorse(mismatch)), 'ENDORSEMENT_MISMATCH');
  const refused = gatewayError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
    'chaincode response 500, BAD_SIGNATURE: reading 3 is not signed by meter SP-0001',
  ]);
  assert.equal(retryCauseOf(endorse(refused, 'BAD_SIGNATURE')), undefined);
  assert.equal(retryCauseOf(endorse(refused, 'REPLAYED_SEQUENCE')), undefined, 'a replay is settled from the ledger, not retried blindly');
});

test('refusals for state a lagging peer may not have yet are LAGGING_PEER; an unreachable endorser is PEER_UNAVAILABLE', () => {
  const notYet = gatewayError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
    'chaincode response 500, METER_NOT_FOUND: meter SP-0001 is not registered',
  ]);
  assert.equal(retryCauseOf(endorse(notYet, 'METER_NOT_FOUND')), 'LAGGING_PEER');
  const down = gatewayError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
    'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:7051: connect: connection refused"',
  ]);
  assert.equal(retryCauseOf(endorse(down)), 'PEER_UNAVAILABLE');
});

test('the gateway call failing for overload, absence or time is retried by its gRPC status', () => {
  assert.equal(
    retryCauseOf(endorse(gatewayError(grpc.status.DEADLINE_EXCEEDED, 'endorsement timeout expired while collecting endorsements', []))),
    'DEADLINE_EXCEEDED',
  );
  const submit = gatewayError(grpc.status.UNAVAILABLE, 'no orderers could successfully process transaction', [
    'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE',
  ]);
  assert.equal(retryCauseOf(new ClientError('SUBMIT_FAILED', submit.message, { cause: submit })), 'UNAVAILABLE');
  assert.equal(
    retryCauseOf(new ClientError('SUBMIT_FAILED', 'x', { cause: gatewayError(grpc.status.RESOURCE_EXHAUSTED, 'busy', []) })),
    'RESOURCE_EXHAUSTED',
  );
  const badRequest = gatewayError(
    grpc.status.ABORTED,
    'received unsuccessful response from orderer: status=BAD_REQUEST, info=bad signature',
    [],
  );
  assert.equal(retryCauseOf(new ClientError('SUBMIT_FAILED', badRequest.message, { cause: badRequest })), undefined);
});

test('at commit: MVCC and phantom conflicts are endorsed anew, a duplicate id leaves the outcome to the ledger, other codes are final', () => {
  const committed = (validationCode: string) => new ClientError('COMMIT_FAILED', validationCode, { validationCode });
  assert.equal(retryCauseOf(committed('MVCC_READ_CONFLICT')), 'MVCC_READ_CONFLICT');
  assert.equal(retryCauseOf(committed('PHANTOM_READ_CONFLICT')), 'PHANTOM_READ_CONFLICT');
  assert.equal(retryCauseOf(committed('DUPLICATE_TXID')), 'COMMIT_UNKNOWN');
  assert.equal(retryCauseOf(committed('ENDORSEMENT_POLICY_FAILURE')), undefined);
  assert.equal(retryCauseOf(new Error('not a client error')), undefined);
});

test('abandonment reasons name the phase and the code that ended it', () => {
  assert.equal(
    abandonReason(new ClientError('RETRIES_EXHAUSTED', 'x', { retryCause: 'ENDORSEMENT_MISMATCH' })),
    'RETRIES_EXHAUSTED/ENDORSEMENT_MISMATCH',
  );
  assert.equal(
    abandonReason(new ClientError('ENDORSEMENT_FAILED', 'x', { chaincodeCode: 'BAD_SIGNATURE' })),
    'ENDORSEMENT_FAILED/BAD_SIGNATURE',
  );
  assert.equal(
    abandonReason(new ClientError('COMMIT_FAILED', 'x', { validationCode: 'ENDORSEMENT_POLICY_FAILURE' })),
    'COMMIT_FAILED/ENDORSEMENT_POLICY_FAILURE',
  );
  assert.equal(abandonReason(new ClientError('CONNECTION_FAILED', 'x')), 'CONNECTION_FAILED');
  assert.equal(abandonReason(new TypeError('oops')), 'UNEXPECTED');
});
