import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import type { QueryLease } from '../checkpoint/query-lease.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import type { Sink } from '../sinks/sink.ts';
import type { Source, SourceOptions } from '../sources/source.ts';
import type { ExecutionConfig } from './micro-batch-execution.ts';

/** A run's sinks opened and sources created, under its lease; close() lets all of them go and throws a sink's failure to close. */
export interface QueryIo {
  readonly sources: Source[];
  close(): Promise<void>;
}

export interface QueryIoOptions {
  readonly queryId: string;
  readonly checkpoint: Checkpoint;
  /** Held by the caller; released here when opening fails, and by close(). */
  readonly lease: QueryLease;
  readonly plan: PhysicalPlan;
  readonly sink: Sink;
  readonly lateSink?: Sink | null;
  readonly onPhase: ExecutionConfig['onPhase'];
  /** A scale-out task's id, for its sinks' names and transactional ids. */
  readonly task?: string;
  /** Between the sinks and the sources (the UI's observers: a port in use fails with little to undo). */
  readonly beforeSources?: () => Promise<void>;
  /** What source i is created with, from its plan's options (a task's restriction to its partition). */
  readonly sourceOptions?: (i: number, options: ReadonlyMap<string, string>) => Omit<SourceOptions, 'metadataPath' | 'resuming'>;
}

/**
 * The start every run of a query shares, a plain query's (start-query.ts) and a scale-out task's
 * (scale-out/task-run.ts): open the sinks (sinks/0, the late rows' sinks/1), then create the
 * sources, each told whether the checkpoint already has its start. A failure closes what was
 * opened and releases the lease, so a start that fails holds nothing.
 */
export async function openQueryIo(o: QueryIoOptions): Promise<QueryIo> {
  const { checkpoint, lease } = o, { storage } = checkpoint;
  const opened: Sink[] = [];
  let sources: Source[] = [];
  const closeSinks = () => Promise.all(opened.map((s) => s.close?.().catch(() => undefined)));
  try {
    for (const [i, s] of [o.sink, o.lateSink].entries()) {
      if (!s) continue;
      opened.push(s);
      await s.open?.({ queryId: o.queryId, storage, dir: checkpoint.sinkDir(i), onPhase: o.onPhase, task: o.task });
    }
    await o.beforeSources?.();
    const resuming = await Promise.all(o.plan.sources.map((_, i) => storage.exists(checkpoint.sourceStartPath(i))));
    sources = o.plan.sources.map((s, i) => s.provider.create({
      ...(o.sourceOptions?.(i, s.options) ?? { options: s.options }), metadataPath: checkpoint.sourceDir(i), resuming: resuming[i]!, readColumns: s.readColumns,
    }));
  } catch (e) {
    await closeSinks();
    await lease.release();
    throw e;
  }
  return {
    sources,
    async close() {
      await Promise.all(sources.map((s) => s.stop().catch(() => undefined)));
      // A sink's close may still write (a producer's flush): its failure is the caller's to report, after the lease is let go.
      const closed = await Promise.allSettled(opened.map((s) => s.close?.()));
      await lease.release();
      const failed = closed.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
