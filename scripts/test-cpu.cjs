// Loaded (--require) into each `node --test FILE` run by scripts/run-tests.mjs: at exit, the
// orchestrating process writes the CPU time of itself and of every child process it waited for
// (the test file's own process and, through it, the devnets a test started) to
// $METROLEDGER_TEST_CPU_FILE. The test file's process (NODE_TEST_CONTEXT set) writes nothing.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

const out = process.env.METROLEDGER_TEST_CPU_FILE;
if (out !== undefined && process.env.NODE_TEST_CONTEXT === undefined) {
  process.on('exit', () => {
    let cpuS;
    try {
      // /proc/self/stat fields 14-17: utime, stime, cutime, cstime in clock ticks (100 per second on Linux).
      const fields = readFileSync('/proc/self/stat', 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      cpuS = [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i]), 0) / 100;
    } catch {
      const u = process.cpuUsage();
      cpuS = (u.user + u.system) / 1e6; // not Linux: this process only
    }
    try {
      writeFileSync(out, JSON.stringify({ cpuS }));
    } catch {
      /* best effort */
    }
  });
}
