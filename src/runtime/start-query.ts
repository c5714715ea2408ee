import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AnalysisError, CheckpointError, OptionError } from '../errors.ts';
import { planQuery } from '../plan/planner.ts';
import { JSON_OPTIMIZATION_CONF, planWithPrunedJson } from '../plan/prune-from-json.ts';
import { checkStatefulChain } from '../plan/check-chain.ts';
import { notice } from '../util/notice.ts';
import type { LogicalPlan } from '../plan/logical.ts';
import { storageFor } from '../storage/storage-for.ts';
import { loadOrCreateQueryId } from '../checkpoint/query-metadata.ts';
import { QueryLease } from '../checkpoint/query-lease.ts';
import { Checkpoint } from '../checkpoint/checkpoint.ts';
import { MicroBatchExecution } from './micro-batch-execution.ts';
import { StreamingQuery } from './streaming-query.ts';
import { sessionTrigger, type Trigger } from './trigger.ts';
import { crashHook } from './crash-hook.ts';
import { asyncSnapshots } from './async-snapshots.ts';
import type { MultipleWatermarkPolicy } from './watermark-tracker.ts';
import type { StreamingQueryListener } from './progress.ts';
import { queryObservers, type ListenerRegistry, type QueryAttachment } from './query-observers.ts';
import { resolveSink, type SinkRequest } from './resolve-sink.ts';
import { pollingDelayMs } from './polling-delay.ts';
import { openQueryIo, type QueryIo } from './query-io.ts';
import { memoryBudget } from '../state/spill/memory-budget.ts';
import { chunkWorkerCount } from './chunk-workers.ts';
import { scaleOutRequested, startWorker } from './scale-out/start-worker.ts';

/** Everything the writer collected for one query: the plain record start() hands to the runtime. */
export interface QuerySpec extends SinkRequest {
  readonly plan: LogicalPlan;
  /** null: the writer's trigger() was not called; the session's conf decides (sessionTrigger). */
  readonly trigger: Trigger | null;
}

/** Where a session keeps its queries and listeners (api's StreamingQueryManager). */
export interface QueryRegistry extends ListenerRegistry {
  /** The live list: a listener added while the query runs is heard from then on. */
  readonly listeners: readonly StreamingQueryListener[];
  add(query: StreamingQuery): void;
  remove(query: StreamingQuery): void;
}

/** What starting a query needs of its session (api's Session); structural, so runtime needs nothing from api/. */
export interface QueryHost {
  readonly conf: ReadonlyMap<string, string>;
  readonly streams: QueryRegistry;
  stateSnapshotInterval(): number;
  watermarkPolicy(): MultipleWatermarkPolicy;
  /** Whether a second withWatermark on a stream is allowed (Spark's compatibility mode). */
  allowsWatermarkRedefinition(): boolean;
  minBatchesToRetain(): number;
  checkpointConf(): Record<string, string>;
}

/** spark.sql.streaming.statefulOperator.checkCorrectness.enabled: true unless set to false. */
function correctnessCheck(conf: ReadonlyMap<string, string>): boolean {
  const key = ['sluice.statefulOperator.checkCorrectness.enabled', 'spark.sql.streaming.statefulOperator.checkCorrectness.enabled'].find((k) => conf.has(k));
  if (!key) return true;
  const v = conf.get(key)!.toLowerCase();
  if (v !== 'true' && v !== 'false') throw new OptionError(`Session config '${key}' must be true or false, got '${conf.get(key)}'.`);
  return v === 'true';
}

/** spark.sql.optimizer.enableJsonExpressionOptimization: from_json parses only the fields read, unless set to false. */
function jsonOptimization(conf: ReadonlyMap<string, string>): boolean {
  const v = conf.get(JSON_OPTIMIZATION_CONF)?.toLowerCase() ?? 'true';
  if (v !== 'true' && v !== 'false') throw new OptionError(`Session config '${JSON_OPTIMIZATION_CONF}' must be true or false, got '${conf.get(JSON_OPTIMIZATION_CONF)}'.`);
  return v === 'true';
}

/** Checkpoints in use by a query of this process (a second one would race the first). */
const activeCheckpoints = new Set<string>();

/**
 * Start a query: analyse the plan, resolve the sink, take the checkpoint's lease, open the sinks
 * and the query observers (the web UI), create the sources and launch the trigger loop.
 * Errors in the query or its settings reject here, and leave nothing held.
 */
export async function startQuery(spec: QuerySpec, host: QueryHost): Promise<StreamingQuery> {
  const analysed = planQuery(spec.plan);
  const plan = jsonOptimization(host.conf) ? planWithPrunedJson(spec.plan, analysed, spec.options.has('lateRowsPath')) : analysed;
  // A withWatermark on a stream that already has one (the planner marks it; union's sides are apart).
  if (plan.redefinedWatermarks?.length && !host.allowsWatermarkRedefinition()) {
    throw new AnalysisError(`Redefining watermark is disallowed. The query calls withWatermark on ${plan.watermarks.map((w) => `'${w.column}'`).join(', then ')} on one stream. `
      + `You can set the config 'spark.sql.streaming.statefulOperator.allowMultiple' to 'false' to restore the previous behavior `
      + `(the watermarks then combine under spark.sql.streaming.multipleWatermarkPolicy). Otherwise keep one withWatermark.`);
  }
  const observers = queryObservers();
  const { sink, lateSink, temporaryCheckpoint, format } = resolveSink(spec, plan, host.conf, observers.flatMap((o) => o.options));
  const chainWarning = checkStatefulChain(plan, spec.outputMode, { allowMultiple: !host.allowsWatermarkRedefinition(), checkCorrectness: correctnessCheck(host.conf) });
  if (chainWarning) notice(chainWarning);

  // Every setting is read before anything is opened: a bad value must leave nothing held.
  const trigger = spec.trigger ?? sessionTrigger(host.conf);
  const scaleOut = scaleOutRequested(spec.options, host.conf);
  const openers = observers.flatMap((o) => o.configure({ options: spec.options, conf: host.conf }) ?? []);
  const settings = {
    stateSnapshotInterval: host.stateSnapshotInterval(), watermarkPolicy: host.watermarkPolicy(),
    minBatchesToRetain: host.minBatchesToRetain(), conf: host.checkpointConf(), pollingDelayMs: pollingDelayMs(host.conf),
    asyncSnapshots: asyncSnapshots(host.conf), stateMemoryBudget: memoryBudget(host.conf), chunkWorkers: chunkWorkerCount(host.conf),
  };

  let checkpointLocation = spec.options.get('checkpointLocation');
  if (!checkpointLocation) {
    if (!temporaryCheckpoint) {
      throw new OptionError(`checkpointLocation must be specified for the ${format} sink: add .option('checkpointLocation', './checkpoints/${spec.queryName ?? 'my-query'}'). `
        + `It is where the query keeps its progress, so that a restart continues exactly where it stopped.`);
    }
    checkpointLocation = mkdtempSync(path.join(tmpdir(), 'sluice-checkpoint-'));
  }
  const { storage, path: cp } = storageFor(checkpointLocation, 'checkpointLocation', host.conf);
  if (activeCheckpoints.has(cp)) {
    throw new CheckpointError(`Another query using checkpoint ${cp} is already active in this process; stop it first or use another checkpointLocation.`);
  }
  // Held from here, so a second start() in this process is refused even while this one awaits.
  activeCheckpoints.add(cp);
  const onPhase = crashHook();
  if (scaleOut) {
    return startWorker({ spec, plan, host, checkpoint: new Checkpoint(storage, cp), trigger, settings, openers, onPhase, onEnd: () => activeCheckpoints.delete(cp) });
  }
  let id: string, runId: string, lease: QueryLease, io: QueryIo;
  const attachments: QueryAttachment[] = [];
  const checkpoint = new Checkpoint(storage, cp);
  try {
    if (await storage.exists(checkpoint.scaleOutPath)) {
      throw new CheckpointError(`Checkpoint ${cp} was written by a scale-out run (it has ${checkpoint.scaleOutPath}): its progress is kept per task. `
        + `Start the query with .option('sluice.scaleOut', 'true') (or sluice run --workers N), or use a new checkpointLocation and output path.`);
    }
    id = await loadOrCreateQueryId(checkpoint);
    runId = randomUUID();
    lease = await QueryLease.acquire(checkpoint, runId);
    io = await openQueryIo({
      queryId: id, checkpoint, lease, plan, sink, lateSink, onPhase,
      // Observers open before the sources exist: the UI's port in use fails start() with little to undo.
      beforeSources: async () => { for (const open of openers) attachments.push(await open()); },
    });
  } catch (e) {
    for (const a of attachments) a.release();
    activeCheckpoints.delete(cp);
    throw e;
  }
  const held = lease, opened = io;
  held.startRenewing();
  const query = new StreamingQuery(id, runId, spec.queryName, host.streams.listeners, async () => {
    activeCheckpoints.delete(cp);
    host.streams.remove(query);
    await opened.close();
  });
  const exec = new MicroBatchExecution({
    id, runId, name: spec.queryName, checkpoint, plan, sources: opened.sources, sink, lateSink, outputMode: spec.outputMode, trigger,
    ...settings,
    leaseLost: () => held.lostReason,
    onProgress: (p) => query.progress(p), onIdle: () => query.idle(), onPhase,
  });
  host.streams.add(query);
  for (const a of attachments) a.attach(query, host.streams);
  query.launch(exec);
  return query;
}
