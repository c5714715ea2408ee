// A scale-out query of the chaos harness (--workers N): its worker processes, all on one
// checkpoint and in one Kafka group. The faults add workers, SIGKILL them (restarted after a
// pause, or not) and stop them gracefully; the pool reports what the group did from the
// workers' progress lines (each carries the worker's generation, and the task of the batch).
import { SupervisedQuery, type Progress, type QuerySpec } from './supervisor.ts';
import { pick, type Rng } from '../support/prng.ts';

export interface GroupStats {
  /** Distinct generations seen in the workers' progress: each one after the first is a rebalance. */
  generations: number;
  rebalances: number;
  /** Batches of a task run by another process than its previous batch: the task moved. */
  taskMoves: number;
  /** Worker processes that ran at least one batch. */
  processes: number;
}

export class WorkerPool {
  private readonly all: SupervisedQuery[] = [];
  private readonly live = new Set<SupervisedQuery>();
  private started = 0;

  constructor(readonly name: string, private readonly spec: (name: string) => QuerySpec, private readonly say: (s: string) => void,
    readonly minWorkers: number, readonly maxWorkers: number) {}

  get size(): number { return this.live.size; }

  /** Every worker's progress, in arrival order. */
  get progress(): Progress[] { return this.all.flatMap((w) => w.progress).sort((a, b) => a.at - b.at); }

  get lastProgressAt(): number { return Math.max(0, ...this.all.map((w) => w.lastProgressAt)); }

  /** When the first batch of any worker arrived. */
  get firstProgressAt(): number | undefined { return this.progress[0]?.at; }

  /** Restarts by cause, over all workers. */
  get restarts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of this.all) for (const [k, n] of Object.entries(w.restarts)) out[k] = (out[k] ?? 0) + n;
    return out;
  }

  get unexpected(): string[] { return this.all.flatMap((w) => w.unexpected.map((m) => `${w.name}: ${m}`)); }

  add(): SupervisedQuery {
    const w = new SupervisedQuery(this.spec(`${this.name}#${this.started++}`), this.say);
    this.all.push(w);
    this.live.add(w);
    w.start();
    return w;
  }

  /** SIGKILL a random worker; it comes back after `pauseMs`, or never (null: the pool shrinks). */
  async kill(rng: Rng, pauseMs: number | null): Promise<string> {
    const w = pick(rng, [...this.live]);
    const pid = w.pid;
    if (pauseMs === null) this.live.delete(w);
    await w.kill(pauseMs);
    return `${w.name} pid ${pid}`;
  }

  /** SIGTERM a random worker, one that has started its query if any: it leaves the group; whether it exited 0 in time. */
  async leave(rng: Rng): Promise<{ worker: string; clean: boolean }> {
    const ready = [...this.live].filter((w) => w.ready);
    const w = pick(rng, ready.length ? ready : [...this.live]);
    this.live.delete(w);
    return { worker: w.name, clean: await w.leave(30_000) };
  }

  async stop(): Promise<void> { await Promise.all(this.all.map((w) => w.stop())); }

  stats(): GroupStats {
    const generations = new Set<number>(), owner = new Map<string, number>(), pids = new Set<number>();
    let taskMoves = 0;
    for (const p of this.progress) {
      if (p.tasks) generations.add(p.tasks.generation);
      if (p.task === undefined || p.pid === undefined) continue;
      pids.add(p.pid);
      const before = owner.get(p.task);
      if (before !== undefined && before !== p.pid) taskMoves++;
      owner.set(p.task, p.pid);
    }
    return { generations: generations.size, rebalances: Math.max(0, generations.size - 1), taskMoves, processes: pids.size };
  }
}
