// SPDX-License-Identifier: Apache-2.0
// Configuration overlays: config/peer.env and config/orderer.env list, as Fabric's environment
// overrides, only what a metroledger node changes in Fabric's own core.yaml / orderer.yaml.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FabricKitError } from './errors.js';

/** The kit's folder (config/, builders/, chaincode/), whether run from dist/ or src/. */
export const KIT_DIR = join(__dirname, '..');
export const CONFIG_DIR = join(KIT_DIR, 'config');
export const BUILDER_DIR = join(KIT_DIR, 'builders', 'ccaas');

const LINE = /^([A-Z][A-Z0-9_]*)=(.*)$/;
const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Renders an overlay: `KEY=VALUE` lines (blank lines and `#` comments skipped), each `${NAME}` in
 * a value replaced from `vars`. Pure.
 * @throws {@link FabricKitError} BAD_OVERLAY for a line that is not KEY=VALUE, a key given twice or
 * a placeholder `vars` does not define
 */
export function renderOverlay(template: string, vars: Readonly<Record<string, string | number>>, what = 'overlay'): Record<string, string> {
  const env: Record<string, string> = {};
  template.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (m === null) throw new FabricKitError('BAD_OVERLAY', `${what}:${i + 1}: expected KEY=VALUE, found ${JSON.stringify(line)}`);
    const key = m[1]!;
    if (key in env) throw new FabricKitError('BAD_OVERLAY', `${what}:${i + 1}: ${key} is set twice`);
    env[key] = m[2]!.replace(PLACEHOLDER, (_, name: string) => {
      const v = vars[name];
      if (v === undefined)
        throw new FabricKitError('BAD_OVERLAY', `${what}:${i + 1}: \${${name}} is not defined for this node`, { key, placeholder: name });
      return String(v);
    });
  });
  return env;
}

/** KEY=VALUE lines, for a file an operator can source or give systemd as EnvironmentFile. */
export function formatEnvFile(env: Readonly<Record<string, string>>, header: string): string {
  return (
    `# ${header}\n` +
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n'
  );
}

export async function readOverlay(name: 'peer' | 'orderer'): Promise<string> {
  return readFile(join(CONFIG_DIR, `${name}.env`), 'utf8');
}
