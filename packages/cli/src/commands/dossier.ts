// SPDX-License-Identifier: Apache-2.0
// `metroledger lr dossier` and `metroledger lr golden`: the type-approval dossier of this LR
// version, and the golden vectors on their own.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { LR_SOFTWARE_NAME, LR_SOFTWARE_VERSION } from '@metroledger/lr';
import { LR_CHAINCODE_LABEL, packageLrChaincode, type ChaincodePackage } from '@metroledger/lifecycle';
import {
  referenceSetEvidence,
  renderDossier,
  renderPdf,
  verifyGoldenVectors,
  type GoldenVerdict,
  type IdentificationRow,
  type SourceFile,
} from '@metroledger/typeapproval';

/** The LR software's files that make the decision, in reading order. */
const DECISION_SOURCES = ['decision.ts', 'geometry.ts', 'speed.ts', 'twovehicles.ts', 'result.ts', 'mpe.ts', 'record.ts', 'version.ts'];

/** The decision's source as built into the package: packages/lr/src, or its compiled dist where the source is absent. */
function decisionSources(): SourceFile[] {
  const root = dirname(require.resolve('@metroledger/lr/package.json'));
  return DECISION_SOURCES.map((name) => {
    const src = join(root, 'src', name);
    const file = existsSync(src) ? src : join(root, 'dist', name.replace(/\.ts$/, '.js'));
    return {
      path: `packages/lr/${existsSync(src) ? 'src' : 'dist'}/${file.slice(file.lastIndexOf('/') + 1)}`,
      text: readFileSync(file, 'utf8'),
    };
  });
}

function identificationOf(pkg: ChaincodePackage): IdentificationRow[] {
  return [
    {
      label: 'package id (approved fingerprint)',
      value: pkg.packageId,
      note: 'Fabric package id: label:SHA-256 of the package file (`peer lifecycle chaincode calculatepackageid`)',
    },
    { label: 'package label', value: pkg.label },
    { label: 'package type', value: pkg.metadata.type, note: 'node: the peer builds and runs the chaincode from this package' },
    { label: 'package file', value: `${pkg.bytes.length} bytes, ${pkg.files.size} files in the code archive` },
    {
      label: 'code digest (source SHA-256)',
      value: pkg.codeDigest,
      note: 'SHA-256 over the code archive\'s files by path: the "sourceSha256" of the approval record',
    },
    ...extraIdentification(pkg),
  ];
}

/**
 * Identification beyond the node package. Hook for chaincode-as-a-service: when
 * @metroledger/lifecycle packages the LR chaincode for ccaas with its own code digest (work of
 * h/a5-packaging), return its rows here (package id of the ccaas form, code digest of the image or
 * bundle) so that the dossier names every form the notified body approves.
 */
function extraIdentification(_pkg: ChaincodePackage): IdentificationRow[] {
  return [];
}

function gitRevision(): string | undefined {
  const cwd = dirname(require.resolve('@metroledger/lr/package.json'));
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', cwd });
  if (head.status !== 0) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', cwd });
  return `${head.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() !== '' ? ' (with uncommitted changes)' : ''}`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

function printGolden(v: GoldenVerdict): void {
  for (const c of v.cases)
    if (!c.pass) console.log(`${c.id} DIFFERS (${c.description}): expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.actual)}`);
  if (!v.inputsMatch) console.log('golden inputs differ from the frozen inputs (inputs.jsonl digest)');
  if (!v.versionMatch) console.log(`golden results were frozen by another LR version than ${v.lrSoftware.name} ${v.lrSoftware.version}`);
  console.log(
    `golden vectors: ${v.passed} of ${v.cases.length} reproduced exactly; inputs sha256 ${v.inputsSha256}; verdict: ${v.verdict}`,
  );
}

export function registerDossierCommands(lr: Command): void {
  lr.command('dossier')
    .description(
      'write the type-approval dossier of this LR version: identification, decision source, accuracy, refusals, reference sets, golden vectors (self-contained HTML)',
    )
    .option('--out <file>', 'output HTML file', `${LR_CHAINCODE_LABEL}-dossier.html`)
    .option('--count <n>', 'cases per reference set', positiveInt, 10_000)
    .option('--seeds <list>', 'reference set seeds, comma-separated', '1,2')
    .option(
      '--pdf <file>',
      'also print the same page to this PDF file (A4, page numbers; needs the optional packages puppeteer-core and @sparticuz/chromium)',
    )
    .action(async (opts: { out: string; count: number; seeds: string; pdf?: string }) => {
      const seeds = opts.seeds
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (seeds.length === 0) throw new Error('--seeds needs at least one seed');
      const pkg = await packageLrChaincode();
      const sets = seeds.map((seed) => {
        console.error(`verifying reference set seed ${seed} (${opts.count} cases)...`);
        return referenceSetEvidence(opts.count, seed);
      });
      const golden = verifyGoldenVectors();
      const revision = gitRevision();
      const html = renderDossier({
        lrSoftware: { name: LR_SOFTWARE_NAME, version: LR_SOFTWARE_VERSION },
        generatedAt: new Date().toISOString(),
        ...(revision ? { revision } : {}),
        identification: identificationOf(pkg),
        sources: decisionSources(),
        sets,
        golden,
        commands: [
          { what: 'Build the software and its tools.', command: 'npm install && npx tsc -b' },
          {
            what: 'Build the LR chaincode package and print its package id and code digest (section 1).',
            command: 'npx metroledger lr package',
          },
          ...sets.map((s) => ({
            what: `Reference set seed ${s.seed}: generate it, check its digest (section 6), verify it (sections 2, 4, 5).`,
            command: `npx metroledger lr generate --count ${s.count} --seed ${s.seed} --out set-${s.seed}.jsonl\nsha256sum set-${s.seed}.jsonl   # ${s.sha256}\nnpx metroledger lr verify set-${s.seed}.jsonl`,
          })),
          { what: 'Re-run the golden vectors (section 7).', command: 'npx metroledger lr golden' },
          {
            what: 'This dossier.',
            command: `npx metroledger lr dossier --count ${opts.count} --seeds ${seeds.join(',')} --out ${opts.out}${opts.pdf !== undefined ? ` --pdf ${opts.pdf}` : ''}`,
          },
        ],
      });
      await writeFile(opts.out, html);
      if (opts.pdf !== undefined) {
        await writeFile(opts.pdf, await renderPdf(html, `Type-approval dossier: ${LR_SOFTWARE_NAME} ${LR_SOFTWARE_VERSION}`));
        console.log(`wrote ${opts.pdf}: the same dossier as PDF`);
      }
      const ok = sets.every((s) => s.summary.verdict === 'PASS') && golden.verdict === 'PASS';
      console.log(
        `wrote ${opts.out}: ${LR_SOFTWARE_NAME} ${LR_SOFTWARE_VERSION}, package id ${pkg.packageId}, ${sets.length} reference sets ${sets.map((s) => `${s.seed}: ${s.summary.verdict}`).join(', ')}, golden vectors ${golden.verdict}`,
      );
      if (!ok) process.exitCode = 1;
    });
  lr.command('golden')
    .description('re-run the golden vectors (frozen inputs with their exact expected results); exit 1 unless every one is reproduced')
    .action(() => {
      const v = verifyGoldenVectors();
      printGolden(v);
      if (v.verdict !== 'PASS') process.exitCode = 1;
    });
}
