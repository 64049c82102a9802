#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `npm run chaos [-- --seed S --rounds N --meters M --cases a,b --json]`: the reliability suite.
// Exit 0 on a PASS verdict, 1 on FAIL, 2 on bad usage.
import { CASES, type CaseName } from './cases';
import { formatVerdict, runChaos } from './suite';

function main(): Promise<number> | number {
  const args = process.argv.slice(2);
  let seed = 'chaos-1',
    rounds = 4,
    meters = 12,
    json = false;
  let cases: CaseName[] = [...CASES];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!,
      v = args[i + 1];
    if (a === '--seed' && v !== undefined) {
      seed = v;
      i++;
    } else if (a === '--rounds' && v !== undefined) {
      rounds = Number(v);
      i++;
    } else if (a === '--meters' && v !== undefined) {
      meters = Number(v);
      i++;
    } else if (a === '--cases' && v !== undefined) {
      cases = v.split(',') as CaseName[];
      i++;
    } else if (a === '--json') json = true;
    else {
      console.error(`unknown argument ${a}\nusage: chaos [--seed S] [--rounds N] [--meters M] [--cases ${CASES.join(',')}] [--json]`);
      return 2;
    }
  }
  const bad = cases.filter((c) => !(CASES as readonly string[]).includes(c));
  if (bad.length > 0 || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(meters) || meters < 1) {
    console.error(
      `bad usage: cases must be among ${CASES.join(', ')}${bad.length ? ` (not ${bad.join(', ')})` : ''}; --rounds and --meters positive integers`,
    );
    return 2;
  }
  return runChaos(cases, { seed, rounds, meters, log: (l) => console.error(l) }).then((r) => {
    console.log(json ? JSON.stringify(r, null, 2) : formatVerdict(r));
    return r.pass ? 0 : 1;
  });
}

void Promise.resolve(main()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
