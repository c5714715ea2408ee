import { queryObservers } from '../query-observers.ts';
import { LeaseHeldError } from '../../errors.ts';
import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { QueryLease, LEASE_EXPIRE_MS } from '../../checkpoint/query-lease.ts';
import { ensureQueryId } from '../../checkpoint/query-metadata.ts';
import type { Offset, Source } from '../../sources/source.ts';
import type { PhysicalPlan } from '../../plan/physical-plan.ts';
import { MicroBatchExecution, type ExecutionConfig } from '../micro-batch-execution.ts';
import type { StreamingQueryProgress } from '../progress.ts';
import { resolveSink, type SinkRequest } from '../resolve-sink.ts';
import { openQueryIo } from '../query-io.ts';

/**
 * What one task runs: its stage's plan, sink and output mode, and the input partition its
 * sources are restricted to (`partitioned.restrict`), or null when the stage's plan already
 * reads only the task's partition (a downstream stage's repartition source).
 */
export interface TaskPlan {
  readonly plan: PhysicalPlan;
  readonly sinkRequest: SinkRequest;
  readonly outputMode: ExecutionConfig['outputMode'];
  readonly partition: number | null;
  /** Present in a bounded run of a stateful query (bounded-run.ts): what the task does at its ends. */
  readonly bounded?: TaskBounds;
}

/** A task's part in a bounded run (availableNow, once) of a stateful scale-out query. */
export interface TaskBounds {
  /** The task already ended this run: it is not started again in it. */
  ended(): Promise<boolean>;
  /** A downstream task's availableNow target for its source `source`, in place of what the source holds now; null when `signal` aborts the wait. */
  target?(source: number, signal: AbortSignal): Promise<Offset | null>;
  /** The task's loop ended by itself: say so to the other tasks. */
  onEnd(): Promise<void>;
}

/** What every task of one worker shares: the query, its settings and the worker's run. */
export interface TaskContext extends Pick<ExecutionConfig,
  'id' | 'runId' | 'name' | 'trigger' | 'stateSnapshotInterval' | 'watermarkPolicy' | 'minBatchesToRetain' | 'pollingDelayMs' | 'conf' | 'onPhase'> {
  /** The query's checkpoint; each task's is `tasks/<task>/` in it. */
  readonly checkpoint: Checkpoint;
  /** Task id -> what it runs (its stage's part of the query). */
  readonly taskPlan: (task: string) => TaskPlan;
  /** The session's conf, for the sink's settings. */
  readonly sessionConf: ReadonlyMap<string, string>;
  /** How long a gained task waits for its previous owner to give its lease up. */
  readonly leaseWaitMs: number;
  readonly onProgress: (task: string, p: StreamingQueryProgress) => void;
  readonly onIdle: () => void;
}

/** How often a gained task asks again for a lease its previous owner still holds. */
export const LEASE_RETRY_MS = 250;

/** Until the default wait: the previous owner's lease has expired (another host) or it has finished its batch. */
export const DEFAULT_LEASE_WAIT_MS = LEASE_EXPIRE_MS + 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One task a worker runs (docs/design/scale-out.md): the query over partition p of its input
 * (the sources' `partitioned.restrict`), in the ordinary checkpoint `tasks/<task>/` under the
 * task's own lease, with its own sink instance told its task (file names, transactional id).
 * Nothing in its trigger loop knows about other tasks.
 */
export class TaskRun {
  /** Settles when the task's loop ends: resolves when it ended by itself or was stopped, rejects when it failed. */
  readonly done: Promise<void>;
  private ended = false;

  private constructor(readonly task: string, readonly exec: MicroBatchExecution, private readonly controller: AbortController,
    private readonly close: () => Promise<void>, bounded?: TaskBounds) {
    const signal = controller.signal;
    this.done = exec.run(signal).then(async () => { if (!signal.aborted) await bounded?.onEnd(); })
      .finally(async () => { this.ended = true; await this.close(); });
    // Observed by the worker; this keeps an unobserved failure from being reported as unhandled twice.
    this.done.catch(() => undefined);
  }

  get isEnded(): boolean { return this.ended; }

  /**
   * Open task `task` and start its trigger loop; waits for the lease up to `leaseWaitMs` (a
   * LeaseHeldError after it). Null when the task already ended this bounded run.
   */
  static async open(ctx: TaskContext, task: string, signal: AbortSignal, leaseWaitMs = ctx.leaseWaitMs): Promise<TaskRun | null> {
    const { plan, sinkRequest, outputMode, partition, bounded } = ctx.taskPlan(task);
    if (await bounded?.ended()) return null;
    const controller = new AbortController();
    const checkpoint = ctx.checkpoint.taskCheckpoint(task);
    await ensureQueryId(checkpoint, ctx.id);
    const lease = await acquireWaiting(checkpoint, ctx.runId, leaseWaitMs, signal);
    // The observers' options (ui.port) are the worker's, which startQuery opened; the task's sink takes them as known.
    const { sink, lateSink } = resolveSink(sinkRequest, plan, ctx.sessionConf, queryObservers().flatMap((o) => o.options));
    const io = await openQueryIo({
      queryId: ctx.id, checkpoint, lease, plan, sink, lateSink, onPhase: ctx.onPhase, task,
      sourceOptions: (i, options) => ({ options: partition === null ? options : plan.sources[i]!.provider.partitioned!.restrict(options, partition), shareClients: true }),
    });
    const target = bounded?.target;
    const sources = target ? io.sources.map((s, i) => withTarget(s, () => target(i, controller.signal))) : io.sources;
    lease.startRenewing();
    const exec = new MicroBatchExecution({
      ...ctx, plan, outputMode, checkpoint, sources, sink, lateSink,
      leaseLost: () => lease.lostReason, stopAbandonsReads: true,
      onProgress: (p) => ctx.onProgress(task, p), onIdle: ctx.onIdle,
    });
    return new TaskRun(task, exec, controller, () => io.close(), bounded);
  }

  /**
   * Stop and give the task's lease up: a batch still reading its input is given up (re-run by the
   * next owner, as after a crash), one past its reads finishes its sink and commit first. A failure
   * of the task is not thrown here.
   */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.done.catch(() => undefined);
  }
}

/**
 * The task's lease, waiting while its previous owner still holds it: after a rebalance that
 * owner finishes its batch before it lets go; one that died on this host lets go at once (pid
 * check) and one on another host after LEASE_EXPIRE_MS.
 */
async function acquireWaiting(checkpoint: Checkpoint, runId: string, waitMs: number, signal: AbortSignal): Promise<QueryLease> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await QueryLease.acquire(checkpoint, runId);
    } catch (e) {
      if (!(e instanceof LeaseHeldError) || Date.now() >= until || signal.aborted) throw e;
    }
    await sleep(LEASE_RETRY_MS);
  }
}

/**
 * `source` with its availableNow target from `target` (a bounded run's, fixed once found) in place of
 * what it holds now; every other call goes to the source itself. While a stopped task's wait ends
 * with null, the source's own answer stands in: the loop stops before it plans anything.
 */
function withTarget(source: Source, target: () => Promise<Offset | null>): Source {
  let fixed: Promise<Offset> | null = null;
  const availableOffset = (): Promise<Offset> => (fixed ??= target().then((t) => t ?? source.availableOffset()));
  return new Proxy(source, {
    get(s, key) {
      if (key === 'availableOffset') return availableOffset;
      const v: unknown = Reflect.get(s, key, s);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(s) : v;
    },
  });
}
