// SPDX-License-Identifier: Apache-2.0
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  LR_CHAINCODE_LABEL,
  packageLrChaincode,
  readCcaasPackage,
  readChaincodePackage,
  verifyInstalledPackage,
  type ChaincodePackage,
} from '@metroledger/lifecycle';

function describe(pkg: ChaincodePackage, file: string): string {
  const lines = [`package id:  ${pkg.packageId}`];
  if (pkg.metadata.type === 'ccaas') {
    const { connection, declaration } = readCcaasPackage(pkg);
    lines.push(
      `code digest: ${declaration?.codeDigest ?? '(not declared: this package says nothing about the code its server runs)'}`,
      ...(declaration
        ? [
            `node package: ${declaration.nodePackageId} (${declaration.chaincodeName}${declaration.chaincodeVersion !== undefined ? ` ${declaration.chaincodeVersion}` : ''})`,
          ]
        : []),
      `server:      ${connection.address} (dial timeout ${connection.dialTimeout}, TLS ${connection.tlsRequired ? 'required' : 'off'})`,
    );
  } else {
    lines.push(`code digest: ${pkg.codeDigest}`);
  }
  lines.push(
    `label:       ${pkg.label} (type ${pkg.metadata.type})`,
    `size:        ${pkg.bytes.length} bytes, ${pkg.files.size} files`,
    `file:        ${file}`,
  );
  return lines.join('\n');
}

/**
 * `metroledger lr package` (the LR chaincode's node package; `metroledger chaincode package lr` does
 * the same and more) and `metroledger lr package-id`: a package file's id and the code it runs.
 */
export function registerLifecycleCommands(lrCommand: Command): void {
  lrCommand
    .command('package')
    .description('write the deterministic Fabric package of the LR chaincode (from the built repository) and print its package id')
    .option('--label <label>', 'Fabric package label', LR_CHAINCODE_LABEL)
    .option('--out <file>', 'output file (default: <label>.tar.gz)')
    .action(async (opts: { label: string; out?: string }) => {
      const pkg = await packageLrChaincode({ label: opts.label });
      const out = opts.out ?? `${pkg.label}.tar.gz`;
      await writeFile(out, pkg.bytes);
      console.log(describe(pkg, out));
    });
  lrCommand
    .command('package-id')
    .description(
      'print the package id of a chaincode package file (as `peer lifecycle chaincode calculatepackageid`); with --approved, exit 1 unless it is the approved package',
    )
    .argument('<file>', 'chaincode package (.tar.gz)')
    .option('--approved <packageId>', 'the package id the notified body approved')
    .option('--id-only', 'print the bare package id (label:sha256), as `peer lifecycle chaincode calculatepackageid`')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { approved?: string; idOnly?: boolean; json?: boolean }) => {
      const bytes = await readFile(file);
      const pkg = opts.approved === undefined ? readChaincodePackage(bytes) : verifyInstalledPackage(bytes, opts.approved);
      if (opts.idOnly === true) return console.log(pkg.packageId);
      if (opts.json === true) {
        const ccaas = pkg.metadata.type === 'ccaas' ? readCcaasPackage(pkg) : undefined;
        return console.log(
          JSON.stringify(
            {
              packageId: pkg.packageId,
              label: pkg.label,
              type: pkg.metadata.type,
              codeDigest: ccaas === undefined ? pkg.codeDigest : (ccaas.declaration?.codeDigest ?? null),
              bytes: pkg.bytes.length,
              files: pkg.files.size,
              file,
              ...(opts.approved !== undefined && { approved: true }),
            },
            null,
            2,
          ),
        );
      }
      console.log(describe(pkg, file));
      if (opts.approved !== undefined) console.log('fingerprint: matches the approved package id');
    });
}
