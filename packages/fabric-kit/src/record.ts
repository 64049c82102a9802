// SPDX-License-Identifier: Apache-2.0
// Records a real ledger for offline tests: a peer's own block file (chains/<channel>/blockfile_*)
// and what Fabric's own tools say about every block (expected.json, decoded by configtxlator, the
// chain's height and hash from `peer channel getinfo`), so a parser can be checked against Fabric.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FabricKitError } from './errors.js';
import { run } from './fabric.js';
import { peerAdminEnv, type Log } from './network.js';
import type { NetworkState } from './state.js';
import { CHANNEL, peersAt } from './topology.js';

/** Fabric's TxValidationCode names (peer/transaction.proto) for the codes a ledger usually holds. */
const VALIDATION_CODES: Readonly<Record<number, string>> = {
  0: 'VALID',
  1: 'NIL_ENVELOPE',
  2: 'BAD_PAYLOAD',
  3: 'BAD_COMMON_HEADER',
  4: 'BAD_CREATOR_SIGNATURE',
  5: 'INVALID_ENDORSER_TRANSACTION',
  6: 'INVALID_CONFIG_TRANSACTION',
  7: 'UNSUPPORTED_TX_PAYLOAD',
  8: 'BAD_PROPOSAL_TXID',
  9: 'DUPLICATE_TXID',
  10: 'ENDORSEMENT_POLICY_FAILURE',
  11: 'MVCC_READ_CONFLICT',
  12: 'PHANTOM_READ_CONFLICT',
  13: 'UNKNOWN_TX_TYPE',
  14: 'TARGET_CHAIN_NOT_FOUND',
  15: 'MARSHAL_TX_ERROR',
  16: 'NIL_TXACTION',
  17: 'EXPIRED_CHAINCODE',
  18: 'CHAINCODE_VERSION_CONFLICT',
  19: 'BAD_HEADER_EXTENSION',
  20: 'BAD_CHANNEL_HEADER',
  21: 'BAD_RESPONSE_PAYLOAD',
  22: 'BAD_RWSET',
  23: 'ILLEGAL_WRITESET',
  24: 'INVALID_WRITESET',
  25: 'INVALID_CHAINCODE',
  254: 'NOT_VALIDATED',
  255: 'INVALID_OTHER_REASON',
};
const HEADER_TYPES: Readonly<Record<number, string>> = { 1: 'CONFIG', 3: 'ENDORSER_TRANSACTION' };

export interface RecordedTransaction {
  readonly txId: string;
  readonly type: string;
  /** Chaincode invoked (ENDORSER_TRANSACTION), e.g. '_lifecycle', 'lr'. */
  readonly chaincode?: string;
  /** First argument of the invocation, e.g. 'CommitChaincodeDefinition', 'submitReading'. */
  readonly function?: string;
  readonly validationCode: string;
}

export interface RecordedBlock {
  readonly number: number;
  readonly previousHash: string;
  readonly dataHash: string;
  /**
   * Who signed the block (SIGNATURES metadata slot): the orderer's MSP id under Raft, each
   * consenter's id (ConsenterMapping ID) under BFT, a quorum of them. Empty for the genesis block.
   */
  readonly ordererSigners: (string | number)[];
  readonly transactions: RecordedTransaction[];
}

type Json = Record<string, any>; // configtxlator's JSON rendering of common.Block

const hex = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('hex');

/** The fields of a protobuf message, by number (only what the summary needs: varints and bytes). */
function protoFields(bytes: Buffer): Map<number, (bigint | Buffer)[]> {
  const fields = new Map<number, (bigint | Buffer)[]>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < bytes.length) {
    const key = Number(varint());
    const wire = key & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const n = Number(varint());
      value = bytes.subarray(i, i + n);
      i += n;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
    fields.set(key >> 3, [...(fields.get(key >> 3) ?? []), value]);
  }
  return fields;
}

/** Signers of a common.Metadata as configtxlator renders it: BFT identifier headers or Raft signature headers. */
export function metadataSigners(metadata: Json | undefined): (string | number)[] {
  return ((metadata?.signatures as Json[] | undefined) ?? []).map((sig) => {
    if (sig.identifier_header) return Number(protoFields(Buffer.from(sig.identifier_header as string, 'base64')).get(1)?.[0] ?? 0n);
    const creator = protoFields(Buffer.from(sig.signature_header as string, 'base64')).get(1)?.[0] as Buffer; // SignatureHeader.creator
    return (protoFields(creator).get(1)?.[0] as Buffer).toString('utf8'); // SerializedIdentity.mspid
  });
}

/** Summary of one block as configtxlator decodes it (`signatures`: its decoded SIGNATURES metadata). */
export function summarizeBlock(block: Json, signatures: Json | undefined): RecordedBlock {
  const filter = Buffer.from((block.metadata?.metadata?.[2] as string | undefined) ?? '', 'base64');
  const txs = ((block.data?.data as Json[] | undefined) ?? []).map((env, i): RecordedTransaction => {
    const ch = env.payload?.header?.channel_header as Json;
    const type = HEADER_TYPES[ch.type as number] ?? String(ch.type);
    const code = filter.length > i ? filter[i]! : 254;
    const tx: { -readonly [K in keyof RecordedTransaction]: RecordedTransaction[K] } = {
      txId: ch.tx_id as string,
      type,
      validationCode: VALIDATION_CODES[code] ?? String(code),
    };
    if (type === 'ENDORSER_TRANSACTION') {
      const spec = env.payload?.data?.actions?.[0]?.payload?.chaincode_proposal_payload?.input?.chaincode_spec as Json | undefined;
      tx.chaincode = (ch.extension?.chaincode_id?.name ?? spec?.chaincode_id?.name) as string;
      const arg0 = spec?.input?.args?.[0] as string | undefined;
      if (arg0 !== undefined) tx.function = Buffer.from(arg0, 'base64').toString('utf8');
    }
    return tx;
  });
  return {
    number: Number(block.header.number),
    previousHash: hex(block.header.previous_hash),
    dataHash: hex(block.header.data_hash),
    ordererSigners: metadataSigners(signatures),
    transactions: txs,
  };
}

/**
 * Writes `<out>/chains/<channel>/blockfile_*` (the Inmetro peer's own files) and `<out>/expected.json`.
 * Stop the peer first or record while idle: the block file is copied as it is on disk.
 */
export async function recordLedger(state: NetworkState, out: string, log: Log): Promise<{ height: number; bytes: number }> {
  const peer = peersAt(state.portBase)[0]!;
  const env = peerAdminEnv(state, peer);
  const peerBin = join(state.fabric.binDir, 'peer');
  const configtxlator = join(state.fabric.binDir, 'configtxlator');
  const infoText = await run(peerBin, ['channel', 'getinfo', '-c', CHANNEL], { env });
  const info = JSON.parse(infoText.slice(infoText.indexOf('{'))) as { height: number; currentBlockHash: string };
  const tmp = await mkdtemp(join(tmpdir(), 'ml-record-'));
  const blocks: RecordedBlock[] = [];
  try {
    for (let n = 0; n < info.height; n++) {
      const file = join(tmp, `${n}.block`);
      await run(peerBin, ['channel', 'fetch', String(n), file, '-c', CHANNEL], { env });
      // --output: configtxlator opens /dev/stdout, which a socket (node's child stdio) cannot be
      await run(configtxlator, ['proto_decode', '--type', 'common.Block', '--input', file, '--output', `${file}.json`], { env });
      const block = JSON.parse(await readFile(`${file}.json`, 'utf8')) as Json;
      await writeFile(`${file}.sig`, Buffer.from((block.metadata?.metadata?.[0] as string | undefined) ?? '', 'base64'));
      await run(configtxlator, ['proto_decode', '--type', 'common.Metadata', '--input', `${file}.sig`, '--output', `${file}.sig.json`], {
        env,
      });
      blocks.push(summarizeBlock(block, JSON.parse(await readFile(`${file}.sig.json`, 'utf8')) as Json));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const chains = join(state.dir, 'nodes', peer.fqdn, 'data', 'ledgersData', 'chains', 'chains', CHANNEL);
  const target = join(out, 'chains', CHANNEL);
  await mkdir(target, { recursive: true });
  let bytes = 0;
  for (const name of (await readdir(chains)).filter((f) => f.startsWith('blockfile_')).sort()) {
    await copyFile(join(chains, name), join(target, name));
    bytes += (await readFile(join(target, name))).length;
  }
  if (bytes === 0) throw new FabricKitError('COMMAND_FAILED', `no block file in ${chains}`);
  const ordering = state.profile === 'bft' ? 'BFT' : 'etcdraft';
  const expected = {
    fabricVersion: state.fabric.version,
    ordering,
    consenters: state.profile === 'bft' ? 4 : state.profile === 'raft3' ? 3 : 1,
    channel: CHANNEL,
    peer: peer.fqdn,
    height: info.height,
    currentBlockHash: hex(info.currentBlockHash),
    chaincodes: state.chaincodes.map((c) => ({
      name: c.name,
      version: c.version,
      sequence: c.sequence,
      endorsementPolicy: c.endorsementPolicy,
    })),
    blocks,
  };
  await writeFile(join(out, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
  log(`recorded ${info.height} blocks (${bytes} bytes of block files) from ${peer.fqdn} in ${out}`);
  return { height: info.height, bytes };
}
