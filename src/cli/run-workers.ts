/**
 * `sluice run --workers N`: N local worker processes of one script (docs/design/scale-out.md),
 * each `sluice run` itself with SLUICE_SCALE_OUT_WORKER set (scale-out on; the query's Kafka group
 * assigns the tasks), their output prefixed by `[worker i]`. Ctrl-C reaches the workers from here (they run in their own process
 * groups, so a terminal's SIGINT is not delivered twice): the first stops each after its batches
 * in progress, a second kills them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';

/** Set on each worker: `<i>/<n>`; run-command.ts turns it into session conf. */
export const WORKER_ENV = 'SLUICE_SCALE_OUT_WORKER';

/** Run `args` (a `sluice run` command line without --workers) in `n` workers; resolves with the exit code. */
export async function runWorkers(n: number, args: readonly string[]): Promise<number> {
  const children: ChildProcess[] = [];
  const ended: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', ...args], {
      env: { ...process.env, [WORKER_ENV]: `${i}/${n}` }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    children.push(child);
    const prefix = `[worker ${i}] `;
    createInterface({ input: child.stdout! }).on('line', (l) => process.stdout.write(prefix + l + '\n'));
    createInterface({ input: child.stderr! }).on('line', (l) => process.stderr.write(prefix + l + '\n'));
    ended.push(new Promise((resolve) => {
      child.once('error', (e) => { process.stderr.write(`${prefix}could not start: ${e.message}\n`); resolve(1); });
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    }));
  }
  const alive = (): ChildProcess[] => children.filter((c) => c.exitCode === null && c.signalCode === null);
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== null) { for (const c of alive()) c.kill('SIGKILL'); return; }
    interrupted = signal;
    process.stderr.write(`sluice run: stopping ${n} workers after their batches in progress (${signal} again to kill them)\n`);
    for (const c of alive()) c.kill('SIGINT');
  };
  // Detached workers would outlive this process: they end with it.
  const onExit = (): void => { for (const c of alive()) c.kill('SIGKILL'); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    const codes = await Promise.all(ended);
    if (interrupted) return 128 + constants.signals[interrupted];
    return codes.find((c) => c !== 0) ?? 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
