// SPDX-License-Identifier: Apache-2.0
// The genesis (config) block: the channel configuration as Fabric's configtx structures, so that an
// auditor can read the MSPs and the orderer identities from the ledger itself.
import { createHash } from 'node:crypto';
import { common, msp, orderer } from '../protos.js';
import type { MspConfig } from '@metroledger/identity';
import { ProtocolError } from '../transaction/errors.js';
import { parseEnvelope } from '../transaction/parse.js';
import { blockEnvelopes, newBlock, setBlockSignatures, ordererBlockMetadata } from './block.js';

/** One organization's MSP as the channel knows it: the same shape MspRegistry takes. */
export type OrgMspConfig = MspConfig;

export interface BatchConfig {
  readonly maxMessageCount: number;
  readonly preferredMaxBytes: number;
  readonly absoluteMaxBytes: number;
  readonly batchTimeoutMs: number;
}

export interface ConsenterConfig {
  readonly id: number;
  readonly mspId: string;
  readonly host: string;
  readonly port: number;
  /** The consenter's signing certificate (PEM). */
  readonly identityPem: string;
  readonly clientTlsCertPem?: string;
  readonly serverTlsCertPem?: string;
}

/** The orderer type the channel configuration names: the devnet writes solo or BFT; real Fabric networks also use etcdraft (Raft). */
export type ConsensusConfig =
  { readonly type: 'solo' } | { readonly type: 'etcdraft' } | { readonly type: 'BFT'; readonly consenters: readonly ConsenterConfig[] };

export interface ChannelConfig {
  readonly channelId: string;
  readonly applicationOrgs: readonly OrgMspConfig[];
  readonly ordererOrgs: readonly OrgMspConfig[];
  readonly batch: BatchConfig;
  readonly consensus: ConsensusConfig;
}

// google-protobuf ships no typings; fabric-protos' declarations type the class for us.
type Timestamp = NonNullable<Parameters<common.ChannelHeader['setTimestamp']>[0]>;
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb.js') as { Timestamp: new () => Timestamp };

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

function configValue(message: { serializeBinary(): Uint8Array }, modPolicy = 'Admins'): common.ConfigValue {
  const v = new common.ConfigValue();
  v.setValue(message.serializeBinary());
  v.setModPolicy(modPolicy);
  return v;
}

function policyOf(type: number, value: Uint8Array): common.ConfigPolicy {
  const p = new common.Policy();
  p.setType(type);
  p.setValue(value);
  const cp = new common.ConfigPolicy();
  cp.setPolicy(p);
  cp.setModPolicy('Admins');
  return cp;
}

function implicitMeta(subPolicy: string, rule: 'ANY' | 'ALL' | 'MAJORITY'): common.ConfigPolicy {
  const im = new common.ImplicitMetaPolicy();
  im.setSubPolicy(subPolicy);
  im.setRule(common.ImplicitMetaPolicy.Rule[rule]);
  return policyOf(common.Policy.PolicyType.IMPLICIT_META, im.serializeBinary());
}

type Role = keyof msp.MSPRole.MSPRoleTypeMap;

/** A SignaturePolicyEnvelope for OR('<mspId>.<role>', ...). */
function signedByAnyOf(principals: readonly { mspId: string; role: Role }[]): common.ConfigPolicy {
  const env = new common.SignaturePolicyEnvelope();
  env.setIdentitiesList(
    principals.map(({ mspId, role }) => {
      const r = new msp.MSPRole();
      r.setMspIdentifier(mspId);
      r.setRole(msp.MSPRole.MSPRoleType[role]);
      const p = new msp.MSPPrincipal();
      p.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
      p.setPrincipal(r.serializeBinary());
      return p;
    }),
  );
  const nOf = new common.SignaturePolicy.NOutOf();
  nOf.setN(1);
  nOf.setRulesList(
    principals.map((_, i) => {
      const sp = new common.SignaturePolicy();
      sp.setSignedBy(i);
      return sp;
    }),
  );
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(nOf);
  env.setRule(rule);
  return policyOf(common.Policy.PolicyType.SIGNATURE, env.serializeBinary());
}

function capabilities(name: string): common.ConfigValue {
  const caps = new common.Capabilities();
  caps.getCapabilitiesMap().set(name, new common.Capability());
  return configValue(caps);
}

function ouIdentifier(ou: string | undefined, fallback: string): msp.FabricOUIdentifier {
  const id = new msp.FabricOUIdentifier();
  id.setOrganizationalUnitIdentifier(ou ?? fallback);
  return id;
}

function orgGroup(org: OrgMspConfig, memberRole: 'peer' | 'orderer'): common.ConfigGroup {
  if (org.mspId === '' || org.rootCertsPem.length === 0)
    throw new ProtocolError('MALFORMED_CONFIG', `organization ${JSON.stringify(org.mspId)} needs an MSP id and root certificates`);
  const fmc = new msp.FabricMSPConfig();
  fmc.setName(org.mspId);
  fmc.setRootCertsList(org.rootCertsPem.map(utf8));
  fmc.setIntermediateCertsList((org.intermediateCertsPem ?? []).map(utf8));
  fmc.setTlsRootCertsList((org.tlsRootCertsPem ?? []).map(utf8));
  fmc.setAdminsList((org.adminCertsPem ?? []).map(utf8));
  const crypto = new msp.FabricCryptoConfig();
  crypto.setSignatureHashFamily('SHA2');
  crypto.setIdentityIdentifierHashFunction('SHA256');
  fmc.setCryptoConfig(crypto);
  const nodeOUs = org.nodeOUs ?? { enable: true };
  if (nodeOUs.enable) {
    const ous = new msp.FabricNodeOUs();
    ous.setEnable(true);
    ous.setClientOuIdentifier(ouIdentifier(nodeOUs.clientOU, 'client'));
    ous.setPeerOuIdentifier(ouIdentifier(nodeOUs.peerOU, 'peer'));
    ous.setAdminOuIdentifier(ouIdentifier(nodeOUs.adminOU, 'admin'));
    ous.setOrdererOuIdentifier(ouIdentifier(nodeOUs.ordererOU, 'orderer'));
    fmc.setFabricNodeOus(ous);
  }
  const mspConfig = new msp.MSPConfig();
  mspConfig.setType(0); // FABRIC
  mspConfig.setConfig(fmc.serializeBinary());
  const g = new common.ConfigGroup();
  g.setModPolicy('Admins');
  g.getValuesMap().set('MSP', configValue(mspConfig));
  const policies = g.getPoliciesMap();
  policies.set('Readers', signedByAnyOf([{ mspId: org.mspId, role: 'MEMBER' }]));
  policies.set('Writers', signedByAnyOf([{ mspId: org.mspId, role: 'MEMBER' }]));
  policies.set('Admins', signedByAnyOf([{ mspId: org.mspId, role: 'ADMIN' }]));
  if (memberRole === 'peer') policies.set('Endorsement', signedByAnyOf([{ mspId: org.mspId, role: 'PEER' }]));
  return g;
}

function standardPolicies(g: common.ConfigGroup): void {
  const p = g.getPoliciesMap();
  p.set('Readers', implicitMeta('Readers', 'ANY'));
  p.set('Writers', implicitMeta('Writers', 'ANY'));
  p.set('Admins', implicitMeta('Admins', 'MAJORITY'));
}

function checkBatch(b: BatchConfig): void {
  const ints = [b.maxMessageCount, b.preferredMaxBytes, b.absoluteMaxBytes, b.batchTimeoutMs];
  if (!ints.every((n) => Number.isSafeInteger(n) && n > 0) || b.preferredMaxBytes > b.absoluteMaxBytes) {
    throw new ProtocolError(
      'MALFORMED_CONFIG',
      'batch sizes and timeout must be positive integers with preferredMaxBytes <= absoluteMaxBytes',
      { ...b },
    );
  }
}

/** The channel configuration as a common.Config (sequence 0). */
export function newChannelConfig(cfg: ChannelConfig): common.Config {
  checkBatch(cfg.batch);
  const application = new common.ConfigGroup();
  application.setModPolicy('Admins');
  for (const org of cfg.applicationOrgs) application.getGroupsMap().set(org.mspId, orgGroup(org, 'peer'));
  standardPolicies(application);
  application.getPoliciesMap().set('Endorsement', implicitMeta('Endorsement', 'MAJORITY'));
  application.getPoliciesMap().set('LifecycleEndorsement', implicitMeta('Endorsement', 'MAJORITY'));
  application.getValuesMap().set('Capabilities', capabilities('V2_5'));

  const ord = new common.ConfigGroup();
  ord.setModPolicy('Admins');
  for (const org of cfg.ordererOrgs) ord.getGroupsMap().set(org.mspId, orgGroup(org, 'orderer'));
  standardPolicies(ord);
  ord.getPoliciesMap().set('BlockValidation', implicitMeta('Writers', 'ANY'));
  const batchSize = new orderer.BatchSize();
  batchSize.setMaxMessageCount(cfg.batch.maxMessageCount);
  batchSize.setAbsoluteMaxBytes(cfg.batch.absoluteMaxBytes);
  batchSize.setPreferredMaxBytes(cfg.batch.preferredMaxBytes);
  ord.getValuesMap().set('BatchSize', configValue(batchSize));
  const timeout = new orderer.BatchTimeout();
  timeout.setTimeout(`${cfg.batch.batchTimeoutMs}ms`);
  ord.getValuesMap().set('BatchTimeout', configValue(timeout));
  const consensus = new orderer.ConsensusType();
  consensus.setType(cfg.consensus.type);
  ord.getValuesMap().set('ConsensusType', configValue(consensus));
  if (cfg.consensus.type === 'BFT') {
    const orderers = new common.Orderers();
    orderers.setConsenterMappingList(
      cfg.consensus.consenters.map((c) => {
        const m = new common.Consenter();
        m.setId(c.id);
        m.setHost(c.host);
        m.setPort(c.port);
        m.setMspId(c.mspId);
        m.setIdentity(utf8(c.identityPem));
        if (c.clientTlsCertPem !== undefined) m.setClientTlsCert(utf8(c.clientTlsCertPem));
        if (c.serverTlsCertPem !== undefined) m.setServerTlsCert(utf8(c.serverTlsCertPem));
        return m;
      }),
    );
    ord.getValuesMap().set('Orderers', configValue(orderers));
  }
  ord.getValuesMap().set('Capabilities', capabilities('V2_0'));

  const channel = new common.ConfigGroup();
  channel.setModPolicy('Admins');
  channel.getGroupsMap().set('Application', application);
  channel.getGroupsMap().set('Orderer', ord);
  standardPolicies(channel);
  const hashing = new common.HashingAlgorithm();
  hashing.setName('SHA256');
  channel.getValuesMap().set('HashingAlgorithm', configValue(hashing));
  const dataHashing = new common.BlockDataHashingStructure();
  dataHashing.setWidth(0xffffffff);
  channel.getValuesMap().set('BlockDataHashingStructure', configValue(dataHashing));
  channel.getValuesMap().set('Capabilities', capabilities('V2_0'));

  const config = new common.Config();
  config.setSequence(0);
  config.setChannelGroup(channel);
  return config;
}

/**
 * Block 0 of a channel: one unsigned CONFIG envelope (as configtxgen writes it) holding the
 * ConfigEnvelope, and OrdererBlockMetadata{last_config: 0} with no signatures.
 */
export function newGenesisBlock(cfg: ChannelConfig, opts: { timestampMs?: number } = {}): common.Block {
  const configEnv = new common.ConfigEnvelope();
  configEnv.setConfig(newChannelConfig(cfg));
  const sh = new common.SignatureHeader();
  const shBytes = sh.serializeBinary();
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.CONFIG);
  ch.setChannelId(cfg.channelId);
  const ms = opts.timestampMs ?? Date.now();
  const ts = new Timestamp();
  ts.setSeconds(Math.floor(ms / 1000));
  ts.setNanos((ms % 1000) * 1e6);
  ch.setTimestamp(ts);
  const chBytes = ch.serializeBinary();
  // configtxgen leaves tx_id empty; a deterministic id keeps the tx index meaningful.
  ch.setTxId(createHash('sha256').update(chBytes).digest('hex'));
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(shBytes);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(configEnv.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  const block = newBlock(0, new Uint8Array(0), [env.serializeBinary()]);
  setBlockSignatures(block, ordererBlockMetadata(0), []);
  return block;
}

function valueOf<T>(group: common.ConfigGroup, key: string, decode: (b: Uint8Array) => T): T | undefined {
  const v = group.getValuesMap().get(key);
  if (v === undefined) return undefined;
  try {
    return decode(v.getValue_asU8());
  } catch (err) {
    throw new ProtocolError('MALFORMED_CONFIG', `config value ${key} does not parse`, { key }, { cause: err });
  }
}

function orgsOf(group: common.ConfigGroup | undefined): OrgMspConfig[] {
  if (group === undefined) return [];
  const orgs: OrgMspConfig[] = [];
  for (const [name, g] of group.getGroupsMap().entries() as unknown as Iterable<[string, common.ConfigGroup]>) {
    const mc = valueOf(g, 'MSP', (b) => msp.MSPConfig.deserializeBinary(b));
    if (mc === undefined) throw new ProtocolError('MALFORMED_CONFIG', `organization group ${name} has no MSP value`, { org: name });
    if (mc.getType() !== 0)
      throw new ProtocolError('MALFORMED_CONFIG', `organization ${name} uses an unsupported MSP type ${mc.getType()}`, { org: name });
    let fmc: msp.FabricMSPConfig;
    try {
      fmc = msp.FabricMSPConfig.deserializeBinary(mc.getConfig_asU8());
    } catch (err) {
      throw new ProtocolError('MALFORMED_CONFIG', `MSP config of ${name} does not parse`, { org: name }, { cause: err });
    }
    const inter = fmc.getIntermediateCertsList_asU8().map(text);
    const tls = fmc.getTlsRootCertsList_asU8().map(text);
    const admins = fmc.getAdminsList_asU8().map(text);
    const ous = fmc.getFabricNodeOus();
    const ou = (id: msp.FabricOUIdentifier | undefined, fallback: string) => id?.getOrganizationalUnitIdentifier() || fallback;
    const nodeOUs =
      ous?.getEnable() === true
        ? {
            enable: true,
            clientOU: ou(ous.getClientOuIdentifier(), 'client'),
            peerOU: ou(ous.getPeerOuIdentifier(), 'peer'),
            adminOU: ou(ous.getAdminOuIdentifier(), 'admin'),
            ordererOU: ou(ous.getOrdererOuIdentifier(), 'orderer'),
          }
        : { enable: false };
    orgs.push({
      mspId: fmc.getName(),
      rootCertsPem: fmc.getRootCertsList_asU8().map(text),
      ...(inter.length > 0 ? { intermediateCertsPem: inter } : {}),
      ...(tls.length > 0 ? { tlsRootCertsPem: tls } : {}),
      ...(admins.length > 0 ? { adminCertsPem: admins } : {}),
      nodeOUs,
    });
  }
  return orgs.sort((a, b) => (a.mspId < b.mspId ? -1 : a.mspId > b.mspId ? 1 : 0));
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/** Parses a Go duration string ('2s', '250ms', '1m30s') into milliseconds. */
export function parseGoDurationMs(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (s.length === 0 || end !== s.length) throw new ProtocolError('MALFORMED_CONFIG', `bad duration ${JSON.stringify(s)}`);
  return total;
}

/** Reads the channel configuration back out of a config block (block 0 or a later config block). */
export function parseChannelConfig(block: common.Block): ChannelConfig {
  const envs = blockEnvelopes(block);
  if (envs.length !== 1) throw new ProtocolError('MALFORMED_CONFIG', `a config block holds exactly one envelope, found ${envs.length}`);
  let tx;
  try {
    tx = parseEnvelope(envs[0]!);
  } catch (err) {
    throw new ProtocolError('MALFORMED_CONFIG', 'config envelope does not parse', undefined, { cause: err });
  }
  if (tx.configEnvelope === undefined) throw new ProtocolError('MALFORMED_CONFIG', 'block is not a config block');
  let config: common.Config | undefined;
  try {
    config = common.ConfigEnvelope.deserializeBinary(tx.configEnvelope).getConfig();
  } catch (err) {
    throw new ProtocolError('MALFORMED_CONFIG', 'ConfigEnvelope does not parse', undefined, { cause: err });
  }
  const channel = config?.getChannelGroup();
  if (channel === undefined) throw new ProtocolError('MALFORMED_CONFIG', 'config has no channel group');
  const ord = channel.getGroupsMap().get('Orderer');
  if (ord === undefined) throw new ProtocolError('MALFORMED_CONFIG', 'config has no Orderer group');
  const bs = valueOf(ord, 'BatchSize', (b) => orderer.BatchSize.deserializeBinary(b));
  const bt = valueOf(ord, 'BatchTimeout', (b) => orderer.BatchTimeout.deserializeBinary(b));
  const ct = valueOf(ord, 'ConsensusType', (b) => orderer.ConsensusType.deserializeBinary(b));
  if (bs === undefined || bt === undefined || ct === undefined)
    throw new ProtocolError('MALFORMED_CONFIG', 'Orderer group lacks BatchSize, BatchTimeout or ConsensusType');
  const batch: BatchConfig = {
    maxMessageCount: bs.getMaxMessageCount(),
    preferredMaxBytes: bs.getPreferredMaxBytes(),
    absoluteMaxBytes: bs.getAbsoluteMaxBytes(),
    batchTimeoutMs: parseGoDurationMs(bt.getTimeout()),
  };
  let consensus: ConsensusConfig;
  if (ct.getType() === 'BFT') {
    const orderers = valueOf(ord, 'Orderers', (b) => common.Orderers.deserializeBinary(b));
    consensus = {
      type: 'BFT',
      consenters: (orderers?.getConsenterMappingList() ?? []).map((c) => {
        const client = c.getClientTlsCert_asU8();
        const server = c.getServerTlsCert_asU8();
        return {
          id: c.getId(),
          mspId: c.getMspId(),
          host: c.getHost(),
          port: c.getPort(),
          identityPem: text(c.getIdentity_asU8()),
          ...(client.length > 0 ? { clientTlsCertPem: text(client) } : {}),
          ...(server.length > 0 ? { serverTlsCertPem: text(server) } : {}),
        };
      }),
    };
  } else if (ct.getType() === 'solo' || ct.getType() === 'etcdraft') {
    consensus = { type: ct.getType() as 'solo' | 'etcdraft' };
  } else {
    throw new ProtocolError('MALFORMED_CONFIG', `unsupported consensus type ${JSON.stringify(ct.getType())}`);
  }
  return {
    channelId: tx.channelId,
    applicationOrgs: orgsOf(channel.getGroupsMap().get('Application')),
    ordererOrgs: orgsOf(ord),
    batch,
    consensus,
  };
}
