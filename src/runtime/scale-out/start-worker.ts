import { randomUUID } from 'node:crypto';
import { CheckpointError, OptionError } from '../../errors.ts';
import type { Checkpoint } from '../../checkpoint/checkpoint.ts';
import { loadOrCreateQueryId } from '../../checkpoint/query-metadata.ts';
import type { PhysicalPlan } from '../../plan/physical-plan.ts';
import type { QueryAttachment } from '../query-observers.ts';
import type { QueryHost, QuerySpec } from '../start-query.ts';
import { StreamingQuery } from '../streaming-query.ts';
import type { Trigger } from '../trigger.ts';
import { queryStages, type QueryStages } from './query-stages.ts';
import { loadOrCreateScaleOutLayout, stageTasks } from './scale-out-file.ts';
import { StaticAssignment, type TaskAssignment } from './task-assignment.ts';
import { GroupAssignment } from './group-assignment.ts';
import { parseDuration } from '../../util/duration.ts';
import { DEFAULT_LEASE_WAIT_MS, type TaskContext } from './task-run.ts';
import { Worker } from './worker.ts';

/** The writer option (or session conf) that turns scale-out on. */
export const SCALE_OUT_OPTION = 'sluice.scaleOut';
/** Session conf: this worker's index and the number of workers of a fixed split (`sluice run --workers N` sets them). */
export const WORKER_CONF = 'sluice.scaleOut.worker';
export const WORKERS_CONF = 'sluice.scaleOut.workers';
/** Session conf: how long the group waits for a silent worker before its tasks move (default 10 s). */
export const SESSION_TIMEOUT_CONF = 'sluice.scaleOut.sessionTimeout';
const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
/**
 * Session conf: how long a gained task waits for a lease another process holds before a fixed-split
 * worker fails (another copy of it runs) or a group worker says on stderr that it still waits.
 */
export const LEASE_WAIT_CONF = 'sluice.scaleOut.leaseWaitTimeout';

/** Whether the query runs as scale-out tasks: the writer's option, else the session's conf; false unless 'true'. */
export function scaleOutRequested(options: ReadonlyMap<string, string>, conf: ReadonlyMap<string, string>): boolean {
  const [where, v] = options.has(SCALE_OUT_OPTION) ? [`Writer option '${SCALE_OUT_OPTION}'`, options.get(SCALE_OUT_OPTION)!] : [`Session conf '${SCALE_OUT_OPTION}'`, conf.get(SCALE_OUT_OPTION)];
  if (v === undefined) return false;
  const b = v.trim().toLowerCase();
  if (b !== 'true' && b !== 'false') throw new OptionError(`${where} must be true or false, got '${v}'.`);
  return b === 'true';
}

/** `sluice.scaleOut.worker` of `sluice.scaleOut.workers`, or null when unset: the group assigns. */
function fixedSplit(conf: ReadonlyMap<string, string>): { worker: number; workers: number } | null {
  if (!conf.has(WORKERS_CONF) && !conf.has(WORKER_CONF)) return null;
  const read = (key: string, dflt: number, min: number): number => {
    const v = conf.get(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min) throw new OptionError(`Session conf '${key}' must be a whole number >= ${min}, got '${v}'.`);
    return n;
  };
  const workers = read(WORKERS_CONF, 1, 1), worker = read(WORKER_CONF, 0, 0);
  if (worker >= workers) throw new OptionError(`Session conf '${WORKER_CONF}' is ${worker}, but there are ${workers} workers ('${WORKERS_CONF}'): workers count from 0 to ${workers - 1}.`);
  return { worker, workers };
}

export interface WorkerStart {
  readonly spec: QuerySpec;
  readonly plan: PhysicalPlan;
  readonly host: QueryHost;
  readonly checkpoint: Checkpoint;
  readonly trigger: Trigger;
  readonly settings: Pick<TaskContext, 'stateSnapshotInterval' | 'watermarkPolicy' | 'minBatchesToRetain' | 'pollingDelayMs' | 'conf'>;
  readonly openers: readonly (() => Promise<QueryAttachment>)[];
  readonly onPhase: TaskContext['onPhase'];
  /** Called once the worker has ended (or failed to start). */
  readonly onEnd: () => void;
}

/**
 * Start this process's worker of a scale-out query (docs/design/scale-out.md): fix the task
 * layout in the checkpoint at the first start, find this worker's tasks and run them. The handle
 * returned is the worker's: its progress records are its tasks' batches.
 */
export async function startWorker(w: WorkerStart): Promise<StreamingQuery> {
  const { spec, plan, host, checkpoint } = w;
  const attachments: QueryAttachment[] = [];
  let id: string, assignment: TaskAssignment, stages: QueryStages, leaseWaitMs: number;
  try {
    const leaseWait = host.conf.get(LEASE_WAIT_CONF);
    leaseWaitMs = leaseWait === undefined ? DEFAULT_LEASE_WAIT_MS : parseDuration(leaseWait, `Session conf ${LEASE_WAIT_CONF}`);
    if ((await checkpoint.storage.list(checkpoint.offsetsDir)).length) {
      throw new CheckpointError(`Checkpoint ${checkpoint.root} was written by a run without scale-out (it has offsets/); its progress is not split by task. `
        + `Run it without option '${SCALE_OUT_OPTION}', or start the scale-out query with a new checkpointLocation and output path.`);
    }
    const split = fixedSplit(host.conf);
    id = await loadOrCreateQueryId(checkpoint);
    stages = await queryStages(spec, plan, host, checkpoint, w.trigger);
    const layout = await loadOrCreateScaleOutLayout(checkpoint, { version: 1, stages: stages.stages });
    // One task list for both stages: the group balances them together, so each worker runs upstream and downstream tasks.
    const tasks = layout.stages.flatMap(stageTasks);
    if (split) assignment = new StaticAssignment(tasks, split.worker, split.workers);
    else {
      const v = host.conf.get(SESSION_TIMEOUT_CONF);
      const sessionTimeoutMs = v === undefined ? DEFAULT_SESSION_TIMEOUT_MS : parseDuration(v, `Session conf ${SESSION_TIMEOUT_CONF}`);
      const input = plan.sources[0]!;
      assignment = new GroupAssignment(input.provider.partitioned!.groupClient(input.options, sessionTimeoutMs + 5_000), id, tasks, { sessionTimeoutMs });
    }
    for (const open of w.openers) attachments.push(await open());
  } catch (e) {
    for (const a of attachments) a.release();
    w.onEnd();
    throw e;
  }
  const runId = randomUUID();
  const query = new StreamingQuery(id, runId, spec.queryName, host.streams.listeners, async () => {
    w.onEnd();
    host.streams.remove(query);
  });
  const worker = new Worker({
    id, runId, name: spec.queryName, trigger: w.trigger, ...w.settings, onPhase: w.onPhase,
    checkpoint, taskPlan: (task) => stages.taskPlan(task), sessionConf: host.conf, leaseWaitMs,
    onIdle: () => query.idle(),
  }, assignment, (p) => query.progress(p));
  host.streams.add(query);
  for (const a of attachments) a.attach(query, host.streams);
  query.launch(worker);
  return query;
}
