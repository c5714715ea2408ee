import { CheckpointError, LeaseHeldError } from '../../errors.ts';
import { notice } from '../../util/notice.ts';
import { ABORTED, untilAborted } from '../../util/until-aborted.ts';
import type { QueryExecution } from '../streaming-query.ts';
import type { QueryStatus } from '../query-status.ts';
import type { GroupOwner, StreamingQueryProgress, WorkerTasks } from '../progress.ts';
import type { TaskAssignment } from './task-assignment.ts';
import { LEASE_RETRY_MS, TaskRun, type TaskContext } from './task-run.ts';

/** How often the worker asks its assignment whether a rebalance is due. */
const REBALANCE_CHECK_MS = 100;
/** A gained task's lease, held by its previous owner, is asked for again after LEASE_RETRY_MS (task-run.ts), doubling up to this. */
const LEASE_RETRY_CAP_MS = 5_000;

/** A gained task waiting for its lease (TaskAssignment.waitsForLeases): when to try again, since when, whether the wait was said. */
interface LeaseWait { nextMs: number; delayMs: number; readonly sinceMs: number; said: boolean }

const waitingStatus: QueryStatus = { message: 'Waiting for tasks to be assigned', isDataAvailable: false, isTriggerActive: false };

/**
 * A scale-out worker (docs/design/scale-out.md): runs the tasks its assignment gives it, each in
 * its own trigger loop in this process. Concurrent loops rather than one loop taking the tasks'
 * batches in turn: a task waits on Kafka and storage most of a batch (fetch, Parquet write,
 * offset and commit files), and concurrent loops overlap those waits, while a shared loop
 * would add every task's waits up; each loop is also exactly a restarted query's, so a task
 * moved to another worker recovers as any query does. On a rebalance the worker finishes each
 * running batch (a task stops only between batches), stops the tasks it lost, which releases
 * their leases, and starts the ones it gained.
 */
export class Worker implements QueryExecution {
  private readonly running = new Map<string, TaskRun>();
  /** Tasks whose loop ended by itself (availableNow): still owned, not started again. */
  private readonly finished = new Set<string>();
  /** Owned tasks whose lease another process still holds: tried again between checks (group mode). */
  private readonly waiting = new Map<string, LeaseWait>();
  private generation = 0;
  private owned: readonly string[] = [];
  private members: readonly GroupOwner[] | undefined;
  /** Per owned task: its last batch here and how far behind its input is. */
  private readonly lastBatch = new Map<string, { batchId: number; offsetsBehind: number | null }>();
  private idleTicks = 0;
  nextTriggerMs: number | null = null;

  constructor(private readonly ctx: Omit<TaskContext, 'onProgress'>, private readonly assignment: TaskAssignment,
    private readonly onProgress: (p: StreamingQueryProgress) => void) {}

  get status(): QueryStatus {
    const runs = [...this.running.values()].filter((r) => !r.isEnded);
    return runs.find((r) => r.exec.status.isTriggerActive)?.exec.status ?? runs[0]?.exec.status ?? waitingStatus;
  }

  /** The fewest idle triggers of a running task: two more of those means every task has seen what was there. */
  get noDataTriggers(): number {
    const runs = [...this.running.values()].filter((r) => !r.isEnded);
    return runs.length ? Math.min(...runs.map((r) => r.exec.noDataTriggers)) : this.idleTicks;
  }

  /** The tasks this worker owns, for progress and the UI. */
  get tasks(): WorkerTasks {
    return {
      generation: this.generation,
      owned: this.owned.map((task) => ({ task, batchId: this.lastBatch.get(task)?.batchId ?? null, offsetsBehind: this.lastBatch.get(task)?.offsetsBehind ?? null })),
      ...(this.members ? { members: this.members } : {}),
    };
  }

  async run(signal: AbortSignal): Promise<void> {
    const ctx: TaskContext = { ...this.ctx, onProgress: (task, p) => this.progress(task, p) };
    try {
      while (!signal.aborted) {
        // A stop while (re)joining (a rebalance during a broker outage) does not wait for the group: the
        // tasks stop now (finally), before the outage outlasts their retry budget and fails them.
        const a = await untilAborted(this.assignment.join([...this.running.keys()]), signal);
        if (a === ABORTED) return;
        // A task no longer owned is not waited for; one still owned is asked for again below.
        this.waiting.clear();
        // The lost tasks stop together: each stop gives its lease to a worker waiting for it.
        const lost = [...this.running].filter(([task]) => !a.tasks.includes(task));
        await Promise.all(lost.map(([, run]) => run.stop()));
        for (const [task] of lost) {
          this.running.delete(task);
          this.finished.delete(task);
          this.lastBatch.delete(task);
        }
        // Generation and tasks change together, after the lost tasks stopped: the other tasks' progress
        // during those stops must not show the new generation with the old tasks (the UI's group view
        // would record a rebalance that moved nothing, and miss the one that did).
        this.generation = a.generation;
        this.owned = a.tasks;
        this.members = a.members;
        await this.openGained(ctx, a.tasks, signal);
        if (await this.untilChange(ctx, signal) === 'ended') return;
      }
    } finally {
      await Promise.all([...this.running.values()].map((r) => r.stop()));
      this.running.clear();
      await this.assignment.leave().catch(() => undefined);
    }
  }

  /**
   * Start the tasks this round gained. A gained task may wait for its lease while its previous
   * owner finishes a batch; that wait gives way to a rebalance: a worker blocked on a lease would
   * not rejoin in time, the group would form without it while it still runs (and holds) its old
   * tasks, and the workers given those would wait on it in turn (seen in the chaos harness: two
   * workers each waiting for a lease the other held, until one gave up after leaseWaitMs and
   * failed). A task not opened is not run; the rejoin that follows says again who owns it. In a
   * group, a task whose lease is held does not hold up the others: it waits (retryWaiting) while
   * this worker owns it, and a wait that outlasts leaseWaitMs does not fail the worker.
   */
  private async openGained(ctx: TaskContext, tasks: readonly string[], signal: AbortSignal): Promise<void> {
    const gaveWay = new AbortController();
    const poll = setInterval(() => { if (signal.aborted || this.assignment.rebalanceNeeded()) gaveWay.abort(); }, REBALANCE_CHECK_MS);
    try {
      for (const task of tasks) {
        if (this.running.has(task) || gaveWay.signal.aborted || signal.aborted) continue;
        // In a group, a held lease is not waited for here: the task waits (retryWaiting) while the others run.
        if (this.assignment.waitsForLeases) await this.tryOpen(ctx, task, gaveWay.signal, { nextMs: 0, delayMs: LEASE_RETRY_MS, sinceMs: Date.now(), said: false });
        else {
          try {
            this.started(task, await TaskRun.open(ctx, task, gaveWay.signal));
          } catch (e) {
            if (!gaveWay.signal.aborted || !(e instanceof CheckpointError)) throw e;
          }
        }
      }
    } finally {
      clearInterval(poll);
    }
  }

  private started(task: string, run: TaskRun | null): void {
    if (run) this.running.set(task, run);
    else this.finished.add(task); // ended in this bounded run before this start
  }

  /**
   * One try at a gained task's lease (group mode): held, the task waits with `wait`'s backoff, and
   * is tried again while this worker owns it, however long its previous owner takes (Kafka Streams
   * retries a task's state-directory lock the same way). Past leaseWaitMs the wait is said once.
   */
  private async tryOpen(ctx: TaskContext, task: string, signal: AbortSignal, wait: LeaseWait): Promise<void> {
    try {
      this.started(task, await TaskRun.open(ctx, task, signal, 0));
      this.waiting.delete(task);
      if (wait.said) notice(`Scale-out task ${task}: took its lease after ${((Date.now() - wait.sinceMs) / 1000).toFixed(1)} s; it runs now.`);
    } catch (e) {
      if (!(e instanceof LeaseHeldError)) throw e;
      const now = Date.now();
      if (!wait.said && now - wait.sinceMs >= ctx.leaseWaitMs) {
        wait.said = true;
        notice(`Scale-out task ${task}: waiting ${((now - wait.sinceMs) / 1000).toFixed(1)} s for its lease, and still waiting while this worker owns the task: ${e.message}`);
      }
      this.waiting.set(task, { ...wait, nextMs: now + wait.delayMs, delayMs: Math.min(LEASE_RETRY_CAP_MS, wait.delayMs * 2) });
    }
  }

  /** Try again the waiting tasks that are due, unless the round is ending. */
  private async retryWaiting(ctx: TaskContext, signal: AbortSignal): Promise<void> {
    for (const [task, wait] of [...this.waiting]) {
      if (signal.aborted || this.assignment.rebalanceNeeded()) return;
      if (Date.now() >= wait.nextMs) await this.tryOpen(ctx, task, signal, wait);
    }
  }

  /**
   * Wait for what ends this assignment's round: the worker is stopped, a rebalance is due, or
   * every task's loop ended (a bounded trigger drained its input). A task that fails fails the
   * worker: its error is thrown here, and run() stops the others.
   */
  private async untilChange(ctx: TaskContext, signal: AbortSignal): Promise<'ended' | 'rebalance' | 'stopped'> {
    const bounded = this.ctx.trigger.kind === 'availableNow' || this.ctx.trigger.kind === 'once';
    const aborted = new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    for (;;) {
      for (const run of this.running.values()) {
        if (!run.isEnded || this.finished.has(run.task)) continue;
        await run.done; // throws the task's failure
        this.finished.add(run.task);
      }
      if (signal.aborted) return 'stopped';
      if (this.assignment.rebalanceNeeded()) return 'rebalance';
      if (bounded && !this.waiting.size && [...this.running.keys()].every((t) => this.finished.has(t))) return 'ended';
      await this.retryWaiting(ctx, signal);
      const runs = [...this.running.values()].filter((r) => !this.finished.has(r.task));
      if (!runs.length && !this.waiting.size) this.idleTicks++;
      await Promise.race([
        new Promise((r) => setTimeout(r, REBALANCE_CHECK_MS)),
        ...runs.map((r) => r.done.catch(() => undefined)),
        aborted,
      ]);
    }
  }

  private progress(task: string, p: StreamingQueryProgress): void {
    const behind = p.sources.map((s) => Number(s.metrics.maxOffsetsBehindLatest)).filter((n) => Number.isFinite(n));
    this.lastBatch.set(task, { batchId: p.batchId, offsetsBehind: behind.length ? Math.max(...behind) : null });
    this.onProgress({ ...p, task, tasks: this.tasks });
  }
}
