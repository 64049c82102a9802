// SPDX-License-Identifier: Apache-2.0
// Health as a Fabric node's operations service reports it (GET /healthz: 200 {"status":"OK"}, or
// 503 with failed_checks), or as an in-process devnet reports it.
import type { HealthEntry } from './api.js';

export interface HealthProbe {
  readonly name: string;
  probe(): Promise<Omit<HealthEntry, 'checkedAtMs' | 'name'>>;
}

/** Probes `<operationsUrl>/healthz` of a Fabric peer or orderer (or a devnet). */
export function healthzProbe(name: string, operationsUrl: string, timeoutMs = 3_000): HealthProbe {
  const url = `${operationsUrl.replace(/\/+$/, '')}/healthz`;
  return {
    name,
    async probe() {
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        return { status: 'UNREACHABLE', detail: `${url}: ${(err as Error).message}` };
      }
      let body: {
        status?: string;
        failed_checks?: { component?: string; reason?: string }[];
        devnet?: { status?: string; halt?: { message?: string } };
      } = {};
      try {
        body = (await res.json()) as typeof body;
      } catch {
        // a non-JSON answer: the HTTP status alone tells
      }
      if (res.status === 200) return { status: 'OK' };
      const detail = body.failed_checks?.map((c) => `${c.component ?? '?'}: ${c.reason ?? ''}`).join('; ') ?? `HTTP ${res.status}`;
      return { status: body.devnet?.status === 'HALTED' ? 'HALTED' : 'FAILED', detail };
    },
  };
}

/** A probe answered in-process, e.g. from a devnet's health(). */
export function functionProbe(name: string, fn: () => Omit<HealthEntry, 'checkedAtMs' | 'name'>): HealthProbe {
  return { name, probe: async () => fn() };
}
