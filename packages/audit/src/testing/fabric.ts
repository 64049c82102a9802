// SPDX-License-Identifier: Apache-2.0
// Test kit for Fabric's own formats: the recorded real ledgers under testdata/fabric (see its
// README.md), and builders of Fabric `_lifecycle` and configuration transactions for forged ledgers.
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { common, peer } from '@hyperledger/fabric-protos';
import type { ChaincodeResult } from '@metroledger/chaincode-host';
import type { SigningIdentity } from '@metroledger/identity';
import { parsePolicy, toSignaturePolicyEnvelope } from '@metroledger/policy';
import { encodeCollectionConfigPackage, type CollectionConfig, type KVWrite } from '@metroledger/protocol';

/** The recorded ledgers: one Fabric peer's files each (testdata/fabric/README.md). */
export const FABRIC_FIXTURES = ['fabric-2.5-raft', 'fabric-3.0-raft', 'fabric-3.0-bft'] as const;
export type FabricFixture = (typeof FABRIC_FIXTURES)[number];

/** The recorded ledgers of record.sh's private data scenario: a collection with its own endorsement policy (testdata/fabric/README.md). */
export const PDC_FABRIC_FIXTURES = ['fabric-3.0-raft-pdc', 'fabric-2.5-raft-pdc'] as const;
export type RecordedFabricFixture = FabricFixture | (typeof PDC_FABRIC_FIXTURES)[number];

const fixtureDir = (name: RecordedFabricFixture): string => join(__dirname, '..', '..', 'testdata', 'fabric', name);

/**
 * The LR 1.1.0 chaincode package (node form) whose package id and code digest the recorded ledgers
 * under testdata/fabric-<version>/ approve (testdata/README.md): their 1.1.0 readings re-execute
 * through it (`lrPackages`), whatever LR version this auditor bundles.
 */
export const LR_1_1_0_PACKAGE = join(__dirname, '..', '..', 'testdata', 'lr-1.1.0-node.tgz');

/** The recorded Fabric ledgers with a chaincode definition upgrade, which approve {@link LR_1_1_0_PACKAGE}. */
export const UPGRADE_FIXTURES = ['3.0.0', '2.5.12'] as const;

/**
 * Lays testdata/fabric-<version>/ out under `root` as a peer's file system holds it
 * (root/ledgersData/chains/chains/metrology/blockfile_000000, no index); returns `root`.
 */
export async function unpackUpgradeFixture(version: (typeof UPGRADE_FIXTURES)[number], root: string): Promise<string> {
  const chains = join(root, 'ledgersData', 'chains', 'chains', 'metrology');
  await mkdir(chains, { recursive: true });
  await writeFile(
    join(chains, 'blockfile_000000'),
    gunzipSync(await readFile(join(__dirname, '..', '..', 'testdata', `fabric-${version}`, 'chains', 'metrology', 'blockfile_000000.gz'))),
  );
  return root;
}

/**
 * The LR software of {@link LR_1_1_0_PACKAGE}, extracted under `dir` (absent or empty), as a module
 * path for `lrModules`: for the older recordings under testdata/fabric/, whose approval names a
 * placeholder code digest, so the package itself cannot be verified against them.
 */
export async function extractLr110Module(dir: string): Promise<string> {
  const { extractChaincodePackage } = await import('@metroledger/lifecycle');
  const extracted = await extractChaincodePackage(await readFile(LR_1_1_0_PACKAGE), dir);
  return join(extracted.moduleDir, 'lib', '@metroledger', 'lr', 'dist', 'index.js');
}

/**
 * Lays a recorded ledger out under `root` as a peer's file system holds it
 * (root/ledgersData/chains/{chains/metrology/blockfile_000000, index/}); returns `root`.
 */
export async function unpackFabricFixture(name: RecordedFabricFixture, root: string): Promise<string> {
  const chains = join(root, 'ledgersData', 'chains');
  await mkdir(join(chains, 'chains', 'metrology'), { recursive: true });
  await mkdir(join(chains, 'index'), { recursive: true });
  await writeFile(
    join(chains, 'chains', 'metrology', 'blockfile_000000'),
    gunzipSync(await readFile(join(fixtureDir(name), 'blockfile_000000.gz'))),
  );
  for (const f of await readdir(join(fixtureDir(name), 'index')))
    await copyFile(join(fixtureDir(name), 'index', f), join(chains, 'index', f));
  return root;
}

/** SHA-256 (hex) of each block as the peer's Deliver served it when the ledger was recorded. */
export async function deliveredBlockDigests(name: RecordedFabricFixture): Promise<string[]> {
  const lines = (await readFile(join(fixtureDir(name), 'deliver.sha256'), 'utf8')).trim().split('\n');
  return lines.map((l) => l.split(' ')[1]!);
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** The fields of a chaincode definition in `_lifecycle`'s state. */
export type DefinitionField = 'Collections' | 'EndorsementInfo' | 'Sequence' | 'ValidationInfo';

/**
 * The simulation result of Fabric's `_lifecycle` CommitChaincodeDefinition: the definition's fields
 * as its Serializer writes them (namespaces/metadata/<name>, namespaces/fields/<name>/<Field>):
 * every field for a new definition; only those that changed (`fields`) for an upgrade.
 */
export function lifecycleCommitResult(
  name: string,
  sequence: number,
  version: string,
  policy: string,
  opts: { collections?: readonly CollectionConfig[]; fields?: readonly DefinitionField[] } = {},
): ChaincodeResult {
  const lb = peer.lifecycle;
  const data = (set: (d: InstanceType<typeof lb.StateData>) => void): Uint8Array => {
    const d = new lb.StateData();
    set(d);
    return d.serializeBinary();
  };
  const endorsement = new lb.ChaincodeEndorsementInfo();
  endorsement.setVersion(version);
  endorsement.setEndorsementPlugin('escc');
  const ap = new peer.ApplicationPolicy();
  ap.setSignaturePolicy(common.SignaturePolicyEnvelope.deserializeBinary(toSignaturePolicyEnvelope(parsePolicy(policy))));
  const validation = new lb.ChaincodeValidationInfo();
  validation.setValidationPlugin('vscc');
  validation.setValidationParameter(ap.serializeBinary());
  const metadata = new lb.StateMetadata();
  metadata.setDatatype('ChaincodeDefinition');
  metadata.setFieldsList(['Sequence', 'EndorsementInfo', 'ValidationInfo', 'Collections']);
  const collections = opts.collections === undefined ? new Uint8Array(0) : encodeCollectionConfigPackage(opts.collections);
  const fields = opts.fields ?? ['Collections', 'EndorsementInfo', 'Sequence', 'ValidationInfo'];
  const writes: KVWrite[] = [
    { key: `namespaces/fields/${name}/Collections`, isDelete: false, value: data((d) => d.setBytes(collections)) },
    { key: `namespaces/fields/${name}/EndorsementInfo`, isDelete: false, value: data((d) => d.setBytes(endorsement.serializeBinary())) },
    { key: `namespaces/fields/${name}/Sequence`, isDelete: false, value: data((d) => d.setInt64(sequence)) },
    { key: `namespaces/fields/${name}/ValidationInfo`, isDelete: false, value: data((d) => d.setBytes(validation.serializeBinary())) },
    { key: `namespaces/metadata/${name}`, isDelete: false, value: metadata.serializeBinary() },
  ].filter((w) => !w.key.startsWith('namespaces/fields/') || fields.includes(w.key.slice(w.key.lastIndexOf('/') + 1) as DefinitionField));
  const rwset = { namespace: '_lifecycle', reads: [{ key: `namespaces/fields/${name}/Sequence` }], rangeQueries: [], writes };
  return { response: { status: 200, message: '', payload: new Uint8Array(0) }, rwset, rwsets: [rwset] };
}

let made = 0;

function signatureHeader(signer: SigningIdentity): Uint8Array {
  const sh = new common.SignatureHeader();
  sh.setCreator(signer.serialize());
  sh.setNonce(utf8(`nonce-${++made}`));
  return sh.serializeBinary();
}

/**
 * A CONFIG transaction as an orderer makes it from a channel configuration update: the new config
 * (`change` applied to a copy of `previous`, sequence + 1) and the update it applied, signed by
 * `updateSigners`; the envelope is signed by `orderer`.
 */
export function configTransaction(
  channelId: string,
  previous: common.Config,
  change: (next: common.Config) => void,
  updateSigners: readonly SigningIdentity[],
  orderer: SigningIdentity,
): Uint8Array {
  const next = common.Config.deserializeBinary(previous.serializeBinary());
  next.setSequence(previous.getSequence() + 1);
  change(next);
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  // The audit compares the previous and the new configuration; the read and write sets only carry the story.
  update.setReadSet(previous.getChannelGroup());
  update.setWriteSet(next.getChannelGroup());
  const updateBytes = update.serializeBinary();
  const cue = new common.ConfigUpdateEnvelope();
  cue.setConfigUpdate(updateBytes);
  cue.setSignaturesList(
    updateSigners.map((s) => {
      const sh = signatureHeader(s);
      const sig = new common.ConfigSignature();
      sig.setSignatureHeader(sh);
      sig.setSignature(s.sign(Buffer.concat([sh, updateBytes])));
      return sig;
    }),
  );
  const lastUpdate = envelope(channelId, common.HeaderType.CONFIG_UPDATE, cue.serializeBinary(), undefined);
  const env = new common.ConfigEnvelope();
  env.setConfig(next);
  env.setLastUpdate(common.Envelope.deserializeBinary(lastUpdate));
  return envelope(channelId, common.HeaderType.CONFIG, env.serializeBinary(), orderer);
}

function envelope(channelId: string, type: number, data: Uint8Array, signer: SigningIdentity | undefined): Uint8Array {
  const ch = new common.ChannelHeader();
  ch.setType(type);
  ch.setChannelId(channelId);
  ch.setTxId(`config-${++made}`);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(signer === undefined ? new Uint8Array(0) : signatureHeader(signer));
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(data);
  const env = new common.Envelope();
  const bytes = payload.serializeBinary();
  env.setPayload(bytes);
  if (signer !== undefined) env.setSignature(signer.sign(bytes));
  return env.serializeBinary();
}

/** Sets a value of the config group at `path` (['Orderer']) and bumps its version, as an authorized update does. */
export function setConfigValue(config: common.Config, path: readonly string[], key: string, value: Uint8Array, bumpVersion = true): void {
  let g = config.getChannelGroup()!;
  for (const p of path) g = g.getGroupsMap().get(p)!;
  const v = g.getValuesMap().get(key)!;
  v.setValue(value);
  if (bumpVersion) v.setVersion(v.getVersion() + 1);
}
