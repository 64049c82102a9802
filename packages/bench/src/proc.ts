// SPDX-License-Identifier: Apache-2.0
// CPU time and resident memory of a process: our own through process.cpuUsage()/memoryUsage(),
// another one (the devnet) through /proc/<pid>/stat. Linux only for the other process; elsewhere
// its figures are NaN rather than invented.
import { readFileSync } from 'node:fs';

export interface CpuSample {
  /** User + system CPU time, ms. */
  readonly cpuMs: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  /** Wall clock, performance.now() ms. */
  readonly atMs: number;
}

// USER_HZ is 100 on every Linux ABI Node supports; the page size is 4 KiB on x86-64 and arm64 by default.
const CLOCK_TICKS_PER_S = 100;
const PAGE_BYTES = 4096;

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
export function parseProcStat(text: string): { utimeTicks: number; stimeTicks: number; rssPages: number } {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  // After ") " come fields 3.. (state is field 3); utime is 14, stime 15, rss 24.
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const at = (field: number) => Number(f[field - 3]);
  return { utimeTicks: at(14), stimeTicks: at(15), rssPages: at(24) };
}

/** `pid`'s CPU time and memory; NaN figures when there is no such process here (an external network). */
export function sampleProcess(pid: number | undefined): CpuSample {
  const atMs = performance.now();
  if (pid === undefined) return { cpuMs: NaN, rssBytes: NaN, atMs };
  try {
    const s = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { cpuMs: ((s.utimeTicks + s.stimeTicks) * 1000) / CLOCK_TICKS_PER_S, rssBytes: s.rssPages * PAGE_BYTES, atMs };
  } catch {
    return { cpuMs: NaN, rssBytes: NaN, atMs };
  }
}

export function sampleSelf(): CpuSample {
  const u = process.cpuUsage();
  return { cpuMs: (u.user + u.system) / 1000, rssBytes: process.memoryUsage.rss(), atMs: performance.now() };
}

/** CPU use between two samples, in cores (1.0 = one core busy), and the RSS at the end. */
export interface CpuUse {
  readonly cores: number;
  readonly cpuMs: number;
  readonly rssMiB: number;
}

export function cpuBetween(a: CpuSample, b: CpuSample): CpuUse {
  const cpuMs = b.cpuMs - a.cpuMs;
  return { cores: cpuMs / (b.atMs - a.atMs), cpuMs, rssMiB: b.rssBytes / (1024 * 1024) };
}
