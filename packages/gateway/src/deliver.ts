// SPDX-License-Identifier: Apache-2.0
// The peer Deliver service (protos.Deliver): blocks, filtered blocks and blocks with (no) private
// data, streamed from the ledger from a seek position, waiting for new blocks.
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { Authenticator, envelopeHeader } from './access.js';
import { filteredBlockFromBytes } from './filtered.js';
import type { LedgerPort } from './gateway.js';
import { PacedWriter } from './paced.js';
import { RejectedRequest } from './requests.js';
import { rpcError, Status as GrpcStatus } from './rpcerror.js';
import { describeError } from '@metroledger/errors';

type Kind = 'block' | 'filtered' | 'private';
type Call = ServerDuplexStream<common.Envelope | RejectedRequest, peer.DeliverResponse>;

// Fabric's ACL resources for the three services: all three need the channel's Readers policy.
const RESOURCE: Record<Kind, string> = { block: 'event/Block', filtered: 'event/FilteredBlock', private: 'event/Block' };

const { Status } = common;

export interface DeliverOptions {
  channelId: string;
  ledger: LedgerPort;
  authenticator: Authenticator;
}

export class DeliverService {
  readonly #o: DeliverOptions;

  constructor(options: DeliverOptions) {
    this.#o = options;
  }

  handlers(): UntypedServiceImplementation {
    return {
      deliver: (call: Call) => this.#serve(call, 'block'),
      deliverFiltered: (call: Call) => this.#serve(call, 'filtered'),
      deliverWithPrivateData: (call: Call) => this.#serve(call, 'private'),
    };
  }

  #serve(call: Call, kind: Kind): void {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    call.on('error', () => abort.abort());
    const writer = new PacedWriter<peer.DeliverResponse>(call, abort.signal);
    // Seek requests on one stream are served one after the other, as Fabric's deliver handler does.
    let queue: Promise<void> = Promise.resolve();
    call.on('data', (envelope: common.Envelope | RejectedRequest) => {
      if (envelope instanceof RejectedRequest) {
        // the stream's bytes are not a message: no Deliver status can answer that, a gRPC status does
        abort.abort();
        call.emit('error', rpcError(envelope.code, envelope.message));
        return;
      }
      queue = queue
        .then(() => this.#seek(writer, kind, envelope, abort.signal))
        .catch((err: unknown) => {
          if (!abort.signal.aborted) call.emit('error', deliverError(err));
          abort.abort();
        });
    });
    call.on('end', () => {
      void queue.then(() => call.end());
    });
  }

  async #seek(writer: PacedWriter<peer.DeliverResponse>, kind: Kind, envelope: common.Envelope, signal: AbortSignal): Promise<void> {
    const sendStatus = async (status: common.StatusMap[keyof common.StatusMap]): Promise<void> => {
      const response = new peer.DeliverResponse();
      response.setStatus(status);
      await writer.write(response);
    };
    const header = envelopeHeader(envelope);
    if (header === undefined || header.type !== common.HeaderType.DELIVER_SEEK_INFO) return sendStatus(Status.BAD_REQUEST);
    if (header.channelId !== this.#o.channelId) return sendStatus(Status.NOT_FOUND);
    if (typeof this.#o.authenticator.checkReader(RESOURCE[kind], header.creator, header.payloadBytes, header.signature) === 'string')
      return sendStatus(Status.FORBIDDEN);
    let seek: orderer.SeekInfo;
    try {
      seek = orderer.SeekInfo.deserializeBinary(header.data);
    } catch {
      return sendStatus(Status.BAD_REQUEST);
    }
    const height = this.#o.ledger.height;
    const start = position(seek.getStart(), height, height);
    const stop = position(seek.getStop(), height, Number.MAX_SAFE_INTEGER);
    if (start === undefined || stop === undefined || stop < start) return sendStatus(Status.BAD_REQUEST);
    if (seek.getBehavior() === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY && start >= height) return sendStatus(Status.NOT_FOUND);

    let n = start;
    for await (const bytes of this.#o.ledger.iterate(start, { signal })) {
      const response = new peer.DeliverResponse();
      if (kind === 'filtered') response.setFilteredBlock(filteredBlockFromBytes(bytes, this.#o.channelId));
      else {
        const block = common.Block.deserializeBinary(bytes);
        if (kind === 'block') response.setBlock(block);
        else {
          const bp = new peer.BlockAndPrivateData();
          bp.setBlock(block);
          response.setBlockAndPrivateData(bp);
        }
      }
      if (!(await writer.write(response))) return;
      // the ledger yields blocks start, start + 1, ...
      if (n++ >= stop) break;
    }
    if (!signal.aborted) await sendStatus(Status.SUCCESS);
  }
}

/**
 * A ledger that cannot read a block ends the stream with a gRPC status instead of leaving the
 * client waiting: DATA_LOSS for a damaged block (never served), UNAVAILABLE otherwise.
 */
function deliverError(err: unknown): ReturnType<typeof rpcError> {
  if ((err as { code?: unknown }).code === 'CORRUPT_BLOCK_FILE')
    return rpcError(GrpcStatus.DATA_LOSS, `the peer's ledger holds a damaged block and will not serve it: ${describeError(err)}`);
  return rpcError(GrpcStatus.UNAVAILABLE, `the peer cannot read its ledger: ${describeError(err)}`);
}

/** The block number a seek position designates; undefined for an unsupported position. */
function position(p: orderer.SeekPosition | undefined, height: number, absent: number): number | undefined {
  if (p === undefined) return absent;
  switch (p.getTypeCase()) {
    case orderer.SeekPosition.TypeCase.OLDEST:
      return 0;
    case orderer.SeekPosition.TypeCase.NEWEST:
      return Math.max(0, height - 1);
    case orderer.SeekPosition.TypeCase.SPECIFIED:
      return p.getSpecified()!.getNumber();
    case orderer.SeekPosition.TypeCase.NEXT_COMMIT:
      return height;
    default:
      return absent;
  }
}
