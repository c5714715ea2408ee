/**
 * What a test's child process costs to start: test/fixtures/crash-query.ts with no arguments (it loads
 * the whole src tree, prints its usage line and exits 2) under `node --import tsx` (the baseline) and
 * from its bundle (test/support/child-bundles.ts, built here first), the two alternated so both meet
 * the same load.
 *
 *   npx tsx bench/child-start.ts [--rounds 6]
 *
 * CPU is the children's user+sys from /proc/self/stat (cutime, cstime: every child this process has
 * reaped), so it is Linux-only; on a shared machine it is the steadier figure, wall time the one a
 * test waits. Prints one JSON line: medians per start and the bundle's ratio to tsx, and the load average.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { bundleChildren, childCommand } from '../test/support/child-bundles.ts';
import { ROOT } from '../test/support/cli.ts';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '6' } } });
const ROUNDS = Number(args.rounds);
const FIXTURE = 'test/fixtures/crash-query.ts';
const TICK_S = 0.01; // USER_HZ is 100 on Linux

function childrenCpuS(): number {
  // Fields after the ")" of the command name: cutime and cstime are the 14th and 15th.
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_S;
}

function start(argv: string[]): Promise<{ wallS: number; cpuS: number }> {
  const cpu0 = childrenCpuS(), t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, argv, { cwd: ROOT, stdio: 'ignore' });
    c.once('error', reject);
    c.once('close', (code) => {
      if (code !== 2) reject(new Error(`${argv.join(' ')} exited ${code}, not 2 (its usage line)`));
      else resolve({ wallS: (performance.now() - t0) / 1000, cpuS: childrenCpuS() - cpu0 });
    });
  });
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const r2 = (x: number): number => Math.round(x * 100) / 100;

const load = [loadavg()[0]!];
await bundleChildren();
const bundled = childCommand([FIXTURE]);
if (bundled[0] === '--import') throw new Error('the fixture has no fresh bundle: was a source written during the build?');
const runs = { tsx: [] as { wallS: number; cpuS: number }[], bundle: [] as { wallS: number; cpuS: number }[] };
for (let i = 0; i < ROUNDS; i++) {
  runs.tsx.push(await start(['--import', 'tsx', FIXTURE]));
  runs.bundle.push(await start(bundled));
}
load.push(loadavg()[0]!);
const fig = (rs: { wallS: number; cpuS: number }[]) => ({ cpuS: r2(median(rs.map((r) => r.cpuS))), wallS: r2(median(rs.map((r) => r.wallS))) });
const tsx = fig(runs.tsx), bundle = fig(runs.bundle);
console.log(JSON.stringify({
  bench: 'child-start', fixture: FIXTURE, rounds: ROUNDS, tsx, bundle,
  cpuRatio: r2(bundle.cpuS / tsx.cpuS), wallRatio: r2(bundle.wallS / tsx.wallS), load1: load.map(r2),
}));
