// SPDX-License-Identifier: Apache-2.0
import { PolicyError } from './errors.js';

export type Role = 'member' | 'admin' | 'client' | 'peer' | 'orderer';
export type Principal = { readonly mspId: string; readonly role: Role };
export type Policy =
  | { readonly kind: 'signedBy'; readonly principal: Principal }
  | { readonly kind: 'outOf'; readonly n: number; readonly rules: readonly Policy[] };

/** Satisfied by no set of signatures: a collection the chaincode lacks, a reference the channel configuration lacks. */
export const UNSATISFIABLE: Policy = { kind: 'outOf', n: 1, rules: [] };

export const ROLES: readonly Role[] = ['member', 'admin', 'client', 'peer', 'orderer'];

// Fabric policydsl: ^([[:alnum:].-]+)([.])(admin|member|client|peer|orderer)$ (greedy MSP id)
const PRINCIPAL_RE = /^([A-Za-z0-9.-]+)\.(admin|member|client|peer|orderer)$/;
// govaluate function names registered by policydsl.FromString: exact, lower and upper case only
const GATES: Record<string, 'and' | 'or' | 'outof'> = {
  And: 'and',
  and: 'and',
  AND: 'and',
  Or: 'or',
  or: 'or',
  OR: 'or',
  OutOf: 'outof',
  outof: 'outof',
  OUTOF: 'outof',
};

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: number; raw: string; pos: number }
  | { t: 'punct'; v: '(' | ')' | ','; pos: number }
  | { t: 'end'; pos: number };

function syntax(text: string, pos: number, message: string): PolicyError {
  return new PolicyError('SYNTAX', `${message} at position ${pos} in ${JSON.stringify(text)}`, { position: pos });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', v: c, pos: i });
      i++;
    } else if (c === "'" || c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw syntax(text, start, 'unterminated string');
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ t: 'string', v: value, pos: start });
    } else if ((c >= '0' && c <= '9') || c === '-' || c === '+') {
      const m = /^[-+]?\d+(\.\d+)?/.exec(text.slice(i));
      if (m === null) throw syntax(text, i, `unexpected ${JSON.stringify(c)}`);
      tokens.push({ t: 'number', v: Number(m[0]), raw: m[0], pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ t: 'ident', v: m[0], pos: i });
      i += m[0].length;
    } else {
      throw syntax(text, i, `unexpected ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ t: 'end', pos: text.length });
  return tokens;
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'end':
      return 'end of policy';
    case 'string':
      return `'${tok.v}'`;
    case 'number':
      return tok.raw;
    default:
      return JSON.stringify(tok.v);
  }
}

/** Parses 'MSPID.role'; null if it does not match Fabric's principal pattern. */
export function parsePrincipal(s: string): Principal | null {
  const m = PRINCIPAL_RE.exec(s);
  return m === null ? null : { mspId: m[1]!, role: m[2] as Role };
}

/**
 * Parses Fabric's signature-policy syntax as `peer lifecycle chaincode approveformyorg
 * --signature-policy` accepts it: AND(...), OR(...), OutOf(n, ...) (each also all-lower or
 * all-upper case), nested, principals 'MSPID.role' in single or double quotes. As Fabric,
 * OutOf accepts 0 <= n <= count + 1 (n = count + 1 never holds) and a quoted n ('2').
 * Unlike Fabric's CLI, a lone principal ('Org1MSP.peer') is accepted as a policy.
 * @throws {@link PolicyError} SYNTAX (details.position) or INVALID
 */
export function parsePolicy(text: string): Policy {
  if (typeof text !== 'string') throw new PolicyError('SYNTAX', 'policy must be a string', { position: 0 });
  const tokens = tokenize(text);
  let k = 0;
  const peek = (): Token => tokens[k]!;
  const next = (): Token => tokens[k++]!;
  const expectPunct = (v: '(' | ')' | ','): void => {
    const tok = next();
    if (tok.t !== 'punct' || tok.v !== v) throw syntax(text, tok.pos, `expected '${v}' but found ${describe(tok)}`);
  };

  const parseRule = (depth: number): Policy => {
    if (depth > 64) throw syntax(text, peek().pos, 'policy nested too deeply');
    const tok = next();
    if (tok.t === 'string') {
      const principal = parsePrincipal(tok.v);
      if (principal === null) {
        throw syntax(text, tok.pos, `'${tok.v}' is not a principal of the form 'MSPID.member|admin|client|peer|orderer'`);
      }
      return { kind: 'signedBy', principal };
    }
    if (tok.t !== 'ident') throw syntax(text, tok.pos, `expected AND, OR, OutOf or a quoted principal but found ${describe(tok)}`);
    const gate = GATES[tok.v];
    if (gate === undefined) throw syntax(text, tok.pos, `unknown gate ${JSON.stringify(tok.v)} (expected AND, OR or OutOf)`);
    expectPunct('(');
    let n = -1;
    let nPos = 0;
    if (gate === 'outof') {
      const nTok = next();
      nPos = nTok.pos;
      if (nTok.t === 'number') n = nTok.v;
      else if (nTok.t === 'string' && /^[-+]?\d+$/.test(nTok.v)) n = Number(nTok.v);
      else throw syntax(text, nTok.pos, `expected the number of rules required by OutOf but found ${describe(nTok)}`);
      if (!Number.isSafeInteger(n)) throw new PolicyError('INVALID', `OutOf needs an integer count, got ${n}`, { position: nPos });
      expectPunct(',');
    }
    const rules: Policy[] = [parseRule(depth + 1)];
    while (peek().t === 'punct' && (peek() as { v: string }).v === ',') {
      next();
      rules.push(parseRule(depth + 1));
    }
    expectPunct(')');
    if (gate === 'and') n = rules.length;
    else if (gate === 'or') n = 1;
    else if (n < 0 || n > rules.length + 1) {
      throw new PolicyError('INVALID', `invalid t-out-of-n predicate, t ${n}, n ${rules.length}`, {
        position: nPos,
        n,
        count: rules.length,
      });
    }
    return { kind: 'outOf', n, rules };
  };

  const policy = parseRule(0);
  const end = next();
  if (end.t !== 'end') throw syntax(text, end.pos, `unexpected ${describe(end)} after the policy`);
  return policy;
}

/** Canonical text: AND when all rules are required, OR when one of several is, OutOf otherwise. parsePolicy(formatPolicy(p)) deep-equals p. */
export function formatPolicy(policy: Policy): string {
  if (policy.kind === 'signedBy') return `'${policy.principal.mspId}.${policy.principal.role}'`;
  const inner = policy.rules.map(formatPolicy).join(', ');
  if (policy.n === policy.rules.length) return `AND(${inner})`;
  if (policy.n === 1) return `OR(${inner})`;
  return `OutOf(${policy.n}, ${inner})`;
}
