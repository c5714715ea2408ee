import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { childCommand } from './child-bundles.ts';

/** How a crash test ends a query child: its own crash hook, or a SIGKILL from the parent. */
export interface ChildRunOptions {
  /** SLUICE_TEST_CRASH_AT for the child: `<phase>:<batchId>`. */
  crashAt?: string;
  /** SIGKILL from the parent this many ms after the spawn... */
  killAfterMs?: number;
  /** ...or this many ms after the n-th progress line. */
  killAfterProgress?: { n: number; delayMs: number };
  /**
   * Called as soon as the child is spawned with its pid and a SIGKILL for it, for a test that picks
   * its own moment (a fault proxy holding a request) or needs the pid (a lease names it).
   */
  onSpawn?: (child: { pid: number; kill: () => void }) => void;
}

export interface ChildResult<P> {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child's {"event":"progress"} lines. */
  progress: P[];
  /** It printed {"event":"done"}. */
  done: boolean;
  stderr: string;
  ms: number;
  /** The parent sent SIGKILL (random kills). */
  killedByParent: boolean;
}

/**
 * Run a query fixture in a child process (node itself, not npx: the process killed, and
 * whose signal is read, is the query's own), reading its JSON progress lines, killing it as
 * asked and, past `timeoutMs`, in any case. The fixture runs from its bundle when that is fresh
 * (child-bundles.ts), else under tsx.
 */
export function runQueryChild<P>(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, o: ChildRunOptions, timeoutMs: number,
  onProgress?: (p: P) => void): Promise<ChildResult<P>> {
  const childEnv: NodeJS.ProcessEnv = { ...env };
  delete childEnv.SLUICE_TEST_CRASH_AT;
  if (o.crashAt) childEnv.SLUICE_TEST_CRASH_AT = o.crashAt;
  const started = Date.now();
  const child = spawn(process.execPath, childCommand(args), { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: ChildResult<P> = { code: null, signal: null, progress: [], done: false, stderr: '', ms: 0, killedByParent: false };
  const timers: NodeJS.Timeout[] = [];
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const kill = (): void => { if (alive()) { r.killedByParent = true; child.kill('SIGKILL'); } };
  if (o.killAfterMs !== undefined) timers.push(setTimeout(kill, o.killAfterMs));
  timers.push(setTimeout(() => { if (alive()) child.kill('SIGKILL'); }, timeoutMs));
  o.onSpawn?.({ pid: child.pid!, kill });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let m: { event?: string };
    try { m = JSON.parse(line) as { event?: string }; } catch { return; }
    if (m.event === 'done') r.done = true;
    if (m.event !== 'progress') return;
    r.progress.push(m as P);
    onProgress?.(m as P);
    if (o.killAfterProgress && r.progress.length === o.killAfterProgress.n) timers.push(setTimeout(kill, o.killAfterProgress.delayMs));
  });
  // A streaming decoder: a chunk may end inside a multi-byte character.
  child.stderr.setEncoding('utf8').on('data', (d: string) => { r.stderr = (r.stderr + d).slice(-4000); });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      Object.assign(r, { code, signal, ms: Date.now() - started });
      resolve(r);
    });
  });
}

/** A child run in one line, for an assertion's message: how it ended, after how long, the batches it ran, its stderr. */
export function describeRun<P extends { batchId: number }>(r: ChildResult<P>): string {
  return `exit ${r.code ?? r.signal} after ${r.ms} ms, batches [${r.progress.map((p) => p.batchId).join(',')}]${r.stderr ? `, stderr:\n${r.stderr}` : ''}`;
}

/** The last batch id with a file in the checkpoint's commits/ folder, or -1 when none has committed. */
export async function lastCommittedBatch(checkpoint: string): Promise<number> {
  const names = await fs.readdir(path.join(checkpoint, 'commits')).catch(() => [] as string[]);
  return Math.max(-1, ...names.filter((n) => /^\d+$/.test(n)).map(Number));
}
