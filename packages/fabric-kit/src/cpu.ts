// SPDX-License-Identifier: Apache-2.0
// CPU time of the network's processes, from /proc/<pid>/stat (utime + stime), and of this process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second of /proc's times (getconf CLK_TCK; 100 on Linux). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/**
 * User + system CPU seconds a process has used, or undefined when it is gone. The fields after
 * the command name (which may hold spaces and parentheses) are counted from its closing ')'.
 */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatCpuSeconds(stat, clockTicks());
}

/** utime + stime of a /proc/<pid>/stat line, in seconds. Pure. */
export function parseStatCpuSeconds(stat: string, clockTicksPerSecond: number): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 120)}`);
  return (utime + stime) / clockTicksPerSecond;
}

/** This process's CPU seconds (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
