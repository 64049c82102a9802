// SPDX-License-Identifier: Apache-2.0
import { common, msp } from '@hyperledger/fabric-protos';
import { PolicyError } from './errors.js';
import { ROLES, type Policy, type Principal, type Role } from './policy.js';

type MspRoleType = msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap];

const ROLE_TO_PROTO: Record<Role, MspRoleType> = {
  member: msp.MSPRole.MSPRoleType.MEMBER,
  admin: msp.MSPRole.MSPRoleType.ADMIN,
  client: msp.MSPRole.MSPRoleType.CLIENT,
  peer: msp.MSPRole.MSPRoleType.PEER,
  orderer: msp.MSPRole.MSPRoleType.ORDERER,
};

function principalProto(p: Principal): msp.MSPPrincipal {
  const role = new msp.MSPRole();
  role.setMspIdentifier(p.mspId);
  role.setRole(ROLE_TO_PROTO[p.role]);
  const principal = new msp.MSPPrincipal();
  principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
  principal.setPrincipal(role.serializeBinary());
  return principal;
}

/**
 * common.SignaturePolicyEnvelope bytes exactly as Fabric's policydsl.FromString builds them:
 * version 0, one MSPPrincipal (ROLE) per principal occurrence (no deduplication), numbered with
 * nested gates before a gate's own principals (so OR('A.member', AND('B.member','C.member')) has
 * identities [B, C, A]).
 */
export function toSignaturePolicyEnvelope(policy: Policy): Uint8Array {
  const principals: Principal[] = [];
  const signedBy = (principal: Principal): common.SignaturePolicy => {
    const sp = new common.SignaturePolicy();
    sp.setSignedBy(principals.push(principal) - 1);
    return sp;
  };
  const build = (p: Policy): common.SignaturePolicy => {
    if (p.kind === 'signedBy') return signedBy(p.principal);
    // govaluate evaluates a gate's arguments (nested gates) before the gate numbers its own principals
    const rules = p.rules.map((r) => (r.kind === 'outOf' ? build(r) : undefined));
    const nOutOf = new common.SignaturePolicy.NOutOf();
    nOutOf.setN(p.n);
    nOutOf.setRulesList(p.rules.map((r, i) => rules[i] ?? signedBy((r as Extract<Policy, { kind: 'signedBy' }>).principal)));
    const sp = new common.SignaturePolicy();
    sp.setNOutOf(nOutOf);
    return sp;
  };
  const rule = build(policy);
  const env = new common.SignaturePolicyEnvelope();
  env.setVersion(0);
  env.setRule(rule);
  env.setIdentitiesList(principals.map(principalProto));
  return env.serializeBinary();
}

const PROTO_TO_ROLE = new Map<number, Role>(ROLES.map((r) => [ROLE_TO_PROTO[r], r]));

/**
 * Decodes common.SignaturePolicyEnvelope bytes whose identities are all MSPRole principals back
 * into a Policy (e.g. a chaincode definition's endorsement policy).
 * @throws {@link PolicyError} MALFORMED_ENVELOPE for other principal kinds, bad indices or bytes
 */
export function fromSignaturePolicyEnvelope(bytes: Uint8Array): Policy {
  const bad = (message: string, cause?: unknown): PolicyError => new PolicyError('MALFORMED_ENVELOPE', message, undefined, { cause });
  let env: common.SignaturePolicyEnvelope;
  try {
    env = common.SignaturePolicyEnvelope.deserializeBinary(bytes);
  } catch (err) {
    throw bad('bytes are not a common.SignaturePolicyEnvelope', err);
  }
  const principals = env.getIdentitiesList().map((p, i): Principal => {
    if (p.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) throw bad(`identity ${i} is not an MSPRole principal`);
    let role: msp.MSPRole;
    try {
      role = msp.MSPRole.deserializeBinary(p.getPrincipal_asU8());
    } catch (err) {
      throw bad(`identity ${i} holds no MSPRole`, err);
    }
    const name = PROTO_TO_ROLE.get(role.getRole());
    if (name === undefined) throw bad(`identity ${i} has unknown role ${role.getRole()}`);
    return { mspId: role.getMspIdentifier(), role: name };
  });
  const convert = (sp: common.SignaturePolicy | undefined, depth: number): Policy => {
    if (sp === undefined || depth > 64) throw bad('missing or too deeply nested rule');
    switch (sp.getTypeCase()) {
      case common.SignaturePolicy.TypeCase.SIGNED_BY: {
        const principal = principals[sp.getSignedBy()];
        if (principal === undefined) throw bad(`signed_by ${sp.getSignedBy()} is out of range (${principals.length} identities)`);
        return { kind: 'signedBy', principal };
      }
      case common.SignaturePolicy.TypeCase.N_OUT_OF: {
        const n = sp.getNOutOf()!;
        return { kind: 'outOf', n: n.getN(), rules: n.getRulesList().map((r) => convert(r, depth + 1)) };
      }
      default:
        throw bad('rule has neither signed_by nor n_out_of');
    }
  };
  return convert(env.getRule(), 0);
}
