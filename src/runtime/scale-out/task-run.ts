import { queryObservers } from '../query-observers.ts';
import { CheckpointError } from '../../errors.ts';
import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { QueryLease, LEASE_EXPIRE_MS } from '../../checkpoint/query-lease.ts';
import { ensureQueryId } from '../../checkpoint/query-metadata.ts';
import type { Sink } from '../../sinks/sink.ts';
import type { Source } from '../../sources/source.ts';
import type { PhysicalPlan } from '../../plan/physical-plan.ts';
import { MicroBatchExecution, type ExecutionConfig } from '../micro-batch-execution.ts';
import type { StreamingQueryProgress } from '../progress.ts';
import { resolveSink, type SinkRequest } from '../resolve-sink.ts';

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
const LEASE_RETRY_MS = 250;

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
  private readonly controller = new AbortController();
  /** Settles when the task's loop ends: resolves when it ended by itself or was stopped, rejects when it failed. */
  readonly done: Promise<void>;
  private ended = false;

  private constructor(readonly task: string, readonly exec: MicroBatchExecution, private readonly close: () => Promise<void>) {
    this.done = exec.run(this.controller.signal).finally(async () => { this.ended = true; await this.close(); });
    // Observed by the worker; this keeps an unobserved failure from being reported as unhandled twice.
    this.done.catch(() => undefined);
  }

  get isEnded(): boolean { return this.ended; }

  /** Open task `task` and start its trigger loop; waits for the lease up to ctx.leaseWaitMs. */
  static async open(ctx: TaskContext, task: string, signal: AbortSignal): Promise<TaskRun> {
    const { plan, sinkRequest, outputMode, partition } = ctx.taskPlan(task);
    const checkpoint = ctx.checkpoint.taskCheckpoint(task);
    const { storage } = checkpoint;
    await ensureQueryId(checkpoint, ctx.id);
    const lease = await acquireWaiting(checkpoint, ctx.runId, ctx.leaseWaitMs, signal);
    // The observers' options (ui.port) are the worker's, which startQuery opened; the task's sink takes them as known.
    const { sink, lateSink } = resolveSink(sinkRequest, plan, ctx.sessionConf, queryObservers().flatMap((o) => o.options));
    let sources: Source[] = [];
    const opened: Sink[] = [];
    try {
      for (const [i, s] of [sink, lateSink].entries()) {
        if (!s) continue;
        opened.push(s);
        await s.open?.({ queryId: ctx.id, storage, dir: checkpoint.sinkDir(i), onPhase: ctx.onPhase, task });
      }
      const resuming = await Promise.all(plan.sources.map((_, i) => storage.exists(checkpoint.sourceStartPath(i))));
      sources = plan.sources.map((s, i) => s.provider.create({
        options: partition === null ? s.options : s.provider.partitioned!.restrict(s.options, partition), metadataPath: checkpoint.sourceDir(i), resuming: resuming[i]!,
      }));
    } catch (e) {
      await Promise.all(opened.map((s) => s.close?.().catch(() => undefined)));
      await lease.release();
      throw e;
    }
    lease.startRenewing();
    const exec = new MicroBatchExecution({
      ...ctx, plan, outputMode, checkpoint, sources, sink, lateSink,
      leaseLost: () => lease.lostReason,
      onProgress: (p) => ctx.onProgress(task, p), onIdle: ctx.onIdle,
    });
    return new TaskRun(task, exec, async () => {
      await Promise.all(sources.map((s) => s.stop().catch(() => undefined)));
      await Promise.all(opened.map((s) => s.close?.().catch(() => undefined)));
      await lease.release();
    });
  }

  /** Stop after the batch in progress and give the task's lease up; a failure of the task is not thrown here. */
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
      if (!(e instanceof CheckpointError) || Date.now() >= until || signal.aborted) throw e;
    }
    await sleep(LEASE_RETRY_MS);
  }
}
