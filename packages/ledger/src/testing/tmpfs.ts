// SPDX-License-Identifier: Apache-2.0
// Test kit: a real full disk for the ENOSPC tests (ledger, the devnet CLI, the chaos suite).
import { execFileSync } from 'node:child_process';

/** Mounts a tmpfs of `size` (mount's syntax, e.g. '1m') on `dir`; the reason it cannot, otherwise. */
export function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CAP_SYS_ADMIN)';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}
