// Runs one chaos query as a child process and keeps it running: a process that exits (a fault
// lasted longer than its retry budget, a second copy was refused, ...) is restarted after a pause,
// and the cause is counted. The harness kills it (SIGKILL) and starts second copies through here.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Progress {
  event: 'progress';
  batchId: number;
  numInputRows: number;
  numOutputRows: number;
  watermark: string | null;
  dropped: number | null;
  startOffset: Record<string, Record<string, number>> | null;
  endOffset: Record<string, Record<string, number>> | null;
  /** Scale-out workers only: the batch's task, and the worker's generation and owned tasks. */
  task?: string;
  tasks?: { generation: number; owned: { task: string; batchId: number | null; offsetsBehind: number | null }[] };
  /** Set by the harness: when the line arrived, and from which process. */
  at: number;
  pid?: number;
}

export interface QuerySpec {
  name: string;
  script: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}

/** Why a query process ended, from its exit and stderr. */
export function classifyExit(stderr: string): string {
  if (/already exists: another query is writing to this checkpoint/.test(stderr)) return 'refused: checkpoint in use';
  // The checkpoint lease (src/checkpoint/query-lease.ts) refuses a second run before it writes anything.
  if (/is in use by another run of this query|took the lease of checkpoint .* at the same moment/.test(stderr)) return 'refused: checkpoint lease held';
  if (/already holds batch \d+ written by another query/.test(stderr)) return 'refused: output owned by another query';
  if (/S3 \w+ failed .* after \d+ attempts?/s.test(stderr) || /sluice\.s3\.retryTimeoutMs/.test(stderr)) return 'S3 retry budget spent';
  // The source's and the sink's give-up after fetchOffset.retryTimeoutMs (src/kafka/kafka-retry.ts gaveUp): an outage longer than the budget.
  if (/Kafka .* failed \(servers/.test(stderr) || /Kafka returned no records/.test(stderr) || /did not answer while .*and gives up/.test(stderr)) return 'Kafka retry budget spent';
  // A (re)start while the broker is down: the first connection fails fast by design (KafkaSource.retrying).
  if (/Cannot reach Kafka at /.test(stderr)) return 'Kafka unreachable at start';
  return 'other';
}

interface Proc { child: ChildProcess; stderr: string; copy: boolean; killed: boolean; started: number; ready: boolean; exited: Promise<{ code: number | null; signal: string | null }> }

export class SupervisedQuery {
  readonly progress: Progress[] = [];
  /** Restarts by cause. */
  readonly restarts: Record<string, number> = {};
  /** Error messages of exits classified 'other' (first lines). */
  readonly unexpected: string[] = [];
  lastProgressAt = Date.now();
  private main: Proc | undefined;
  private stopping = false;
  private log: WriteStream;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Runs while this is > 0 are paused (a kill fault restarts the query itself after its pause). */
  private holdRestarts = 0;

  constructor(private readonly spec: QuerySpec, private readonly say: (s: string) => void) {
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get name(): string { return this.spec.name; }
  get alive(): boolean { return this.main !== undefined && isAlive(this.main.child); }
  get pid(): number | undefined { return this.main?.child.pid; }
  /** The process has started its query (printed {"event":"started"}): its signal handlers are in place. */
  get ready(): boolean { return this.alive && this.main!.ready; }

  private spawnProc(copy: boolean): Proc {
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.script, ...this.spec.args], {
      cwd: this.spec.cwd, env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p: Proc = { child, stderr: '', copy, killed: false, started: Date.now(), ready: false, exited: undefined! };
    p.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    const tag = `[${this.spec.name}${copy ? ' copy' : ''} pid ${child.pid}]`;
    this.log.write(`${new Date().toISOString()} ${tag} started\n`);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: { event?: string };
      try { m = JSON.parse(line) as { event?: string }; } catch { this.log.write(`${tag} ${line}\n`); return; }
      if (m.event === 'started') p.ready = true;
      if (m.event !== 'progress') return;
      const pr: Progress = { ...(m as Progress), at: Date.now(), ...(child.pid !== undefined ? { pid: child.pid } : {}) };
      this.progress.push(pr);
      this.lastProgressAt = pr.at;
      const task = pr.tasks ? ` task ${pr.task} gen ${pr.tasks.generation} owns ${pr.tasks.owned.map((o) => o.task).join(',')}` : '';
      this.log.write(`${new Date(pr.at).toISOString()} ${tag} batch ${pr.batchId} in ${pr.numInputRows} out ${pr.numOutputRows} wm ${pr.watermark}${task}\n`);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      p.stderr = (p.stderr + line + '\n').slice(-20_000);
      this.log.write(`${tag} ! ${line}\n`);
    });
    return p;
  }

  start(): void {
    this.main = this.spawnProc(false);
    this.watch(this.main);
  }

  private watch(p: Proc): void {
    void p.exited.then(({ code, signal }) => {
      this.log.write(`${new Date().toISOString()} [${this.spec.name}${p.copy ? ' copy' : ''} pid ${p.child.pid}] exited ${signal ?? code}\n`);
      if (p !== this.main || this.stopping || p.killed) return;
      const cause = classifyExit(p.stderr);
      this.count(cause);
      if (cause === 'other') {
        const msg = p.stderr.split('\n').filter((l) => /failed|Error/.test(l)).slice(0, 3).join(' | ').slice(0, 600) || `exit ${signal ?? code}`;
        this.unexpected.push(msg);
        this.say(`${this.spec.name}: unexpected exit: ${msg}`);
      }
      this.scheduleRestart(1000);
    });
  }

  private count(cause: string): void { this.restarts[cause] = (this.restarts[cause] ?? 0) + 1; }

  private scheduleRestart(ms: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopping || this.alive || this.holdRestarts > 0) return;
      this.main = this.spawnProc(false);
      this.watch(this.main);
    }, ms);
  }

  /** SIGKILL the query process; it is restarted after `pauseMs`, or never when null. */
  async kill(pauseMs: number | null): Promise<void> {
    const p = this.main;
    if (!p || !isAlive(p.child)) return;
    this.holdRestarts++;
    p.killed = true;
    p.child.kill('SIGKILL');
    await p.exited;
    this.count('killed by the harness');
    if (pauseMs === null) { this.stopping = true; this.holdRestarts--; return; }
    await new Promise((r) => setTimeout(r, pauseMs));
    this.holdRestarts--;
    if (!this.stopping && !this.alive) { this.main = this.spawnProc(false); this.watch(this.main); }
  }

  /**
   * A second copy on the same checkpoint. One of the two must be refused within `timeoutMs`;
   * when the first one is, the copy goes on as the query. Returns what happened.
   */
  async secondCopy(timeoutMs: number): Promise<'copy refused' | 'original refused' | 'copy failed: infrastructure fault' | 'copy failed otherwise' | 'original failed otherwise' | 'not refused in time' | 'not running'> {
    const orig = this.main;
    if (!orig || !isAlive(orig.child)) return 'not running';
    const copy = this.spawnProc(true);
    const t = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs));
    const first = await Promise.race([copy.exited.then(() => 'copy' as const), orig.exited.then(() => 'orig' as const), t]);
    if (first === 'copy') {
      const cause = classifyExit(copy.stderr);
      if (cause.startsWith('refused')) return 'copy refused';
      // An S3 or Kafka fault of the other lane outlasted the copy's retry budget before it reached
      // the lease (reading the checkpoint's metadata): it never ran, and the original goes on.
      if (isAlive(orig.child) && /retry budget spent|unreachable at start/.test(cause)) return 'copy failed: infrastructure fault';
      this.unexpected.push(`second copy: ${copy.stderr.split('\n').filter((l) => /failed|Error/.test(l)).slice(0, 2).join(' | ').slice(0, 400)}`);
      return 'copy failed otherwise';
    }
    if (first === 'orig') {
      // The original's exit handler restarts it unless the copy takes over now.
      if (this.main === orig && isAlive(copy.child)) { this.main = copy; copy.copy = false; this.watch(copy); }
      const cause = classifyExit(orig.stderr);
      return cause.startsWith('refused') ? 'original refused' : 'original failed otherwise';
    }
    copy.killed = true;
    copy.child.kill('SIGKILL');
    await copy.exited;
    return 'not refused in time';
  }

  /**
   * SIGTERM: a scale-out worker stops gracefully (leaves its group) and is not restarted. False
   * when it had not exited after `timeoutMs` (then it is SIGKILLed).
   */
  async leave(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const p = this.main;
    let clean = true;
    if (p && isAlive(p.child)) {
      p.killed = true;
      p.child.kill('SIGTERM');
      const t = setTimeout(() => { clean = false; p.child.kill('SIGKILL'); }, timeoutMs);
      const { code, signal } = await p.exited;
      clearTimeout(t);
      // Ended by the signal itself before its handler was in place (still loading): it never joined anything.
      if (code !== 0 && !(signal === 'SIGTERM' && !p.ready)) clean = false;
    }
    return clean;
  }

  /** The newest batch id reported, or -1. */
  lastBatch(): number { return this.progress.at(-1)?.batchId ?? -1; }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const p = this.main;
    if (p && isAlive(p.child)) { p.killed = true; p.child.kill('SIGKILL'); await p.exited; }
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}

function isAlive(c: ChildProcess): boolean { return c.exitCode === null && c.signalCode === null; }
