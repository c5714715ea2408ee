import type { Batch } from '../data/batch.ts';
import { sameType } from '../data/types.ts';
import { newEvalContext } from '../exec/compiled-expr.ts';
import { StateStore } from '../state/state-store.ts';
import { Spill } from '../state/spill/spill.ts';
import { ABORTED, untilAborted } from '../util/until-aborted.ts';
import type { OutputMode } from '../sinks/sink.ts';
import { checkOperatorMetadata, readOperatorMetadata } from '../checkpoint/operator-metadata.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { WatermarkTracker, type MultipleWatermarkPolicy } from './watermark-tracker.ts';
import { type PhysicalPlan, lateRowsSchema, operatorIdOf, stageFeedOf, stageProducers } from '../plan/physical-plan.ts';
import { branch } from '../plan/plan-union.ts';
import { propagateWatermarks } from './watermark-propagation.ts';
import type { Source } from '../sources/source.ts';
import type { Sink, SinkResult } from '../sinks/sink.ts';
import { type QueryStatus, initializingStatus } from './query-status.ts';
import { OffsetLog, type OffsetSeq } from '../checkpoint/offset-log.ts';
import { CommitLog } from '../checkpoint/commit-log.ts';
import { loadOrCreateSourceStart } from '../checkpoint/query-metadata.ts';
import type { Trigger } from './trigger.ts';
import type { CronSchedule } from './cron-schedule.ts';
import { CheckpointError } from '../errors.ts';
import { readInput } from './read-input.ts';
import { ChunkPipeline } from './chunk-pipeline.ts';
import { externalMaxEventTime, maxEventTime } from './event-time-max.ts';
import { type Prefetched, continuesFrom, hasBacklog, prefetch } from './prefetch.ts';
import { PhaseTimer, type StreamingQueryProgress } from './progress.ts';
import { ProgressReporter, stateOperatorProgress, type StateOperatorProgress, type StateOperatorRun } from './progress-reporter.ts';

export interface ExecutionConfig {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  /** Where the query's logs and state live; start-query.ts opened it and holds its lease. */
  readonly checkpoint: Checkpoint;
  readonly plan: PhysicalPlan;
  readonly sources: readonly Source[];
  readonly sink: Sink;
  /** Where late rows go, when the user asked (writer option lateRowsPath). */
  readonly lateSink?: Sink;
  readonly outputMode: OutputMode;
  readonly trigger: Trigger;
  readonly stateSnapshotInterval: number;
  /** sluice.state.memoryBudget in bytes, or null: state past it spills to a local store (state/spill/). */
  readonly stateMemoryBudget?: number | null;
  /** Worker threads for the leading stateless operators (chunk-workers.ts); absent or 0: none. */
  readonly chunkWorkers?: number;
  /** Write state snapshots in the background (runtime/async-snapshots.ts); absent: in the batch. */
  readonly asyncSnapshots?: boolean;
  readonly watermarkPolicy: MultipleWatermarkPolicy;
  readonly minBatchesToRetain: number;
  /** How long an idle default trigger waits before polling the sources again (polling-delay.ts). */
  readonly pollingDelayMs?: number;
  readonly conf: Readonly<Record<string, string>>;
  /** Why this run lost the checkpoint's lease to another run, or null (checked before each batch). */
  readonly leaseLost?: () => string | null;
  readonly onProgress: (p: StreamingQueryProgress) => void;
  readonly onIdle: () => void;
  /**
   * A stop gives up a batch still in its read phase (unlessStopped below) instead of waiting for it:
   * a scale-out task's, whose lease the task's new owner waits for. A plain query's stop lets the
   * batch finish, as before.
   */
  readonly stopAbandonsReads?: boolean;
  /** Test hook: called at named points of a batch (crash tests kill the process there). */
  readonly onPhase?: (phase: string, batchId: number) => void | Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(done, ms);
  function done(): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done);
});

/**
 * A stop during a batch's read phase (planning its offsets, reading its input): the batch is left
 * as a crash would leave it (offsets/N written, re-run by the next run with the same ranges) rather
 * than waited for. Only reads are given up this way: nothing of the batch has reached the sink or
 * the state, and the read still in flight writes nothing. A scale-out task that lost its partition
 * must let its lease go promptly (docs/design/scale-out.md): a read waiting on an unhealthy broker
 * (a fetch retried within fetchOffset.retryTimeoutMs) held the lease past the gaining worker's wait.
 */
const ABANDONED: unique symbol = Symbol('batch read abandoned on stop');

async function unlessStopped<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const r = await untilAborted(p, signal);
  if (r === ABORTED) throw ABANDONED;
  return r;
}

/**
 * Until the clock reads atMs. In steps of at most a minute: setTimeout fires at once past 2^31 ms
 * (24.8 days, less than a yearly cron's wait), and a machine that slept must not oversleep a tick.
 */
async function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  for (let left = atMs - Date.now(); left > 0 && !signal.aborted; left = atMs - Date.now()) await sleep(Math.min(left, 60_000), signal);
}

/**
 * The trigger loop of DESIGN §4: plan offsets, write them ahead, read exactly those
 * ranges, run the plan, hand the result to the sink, commit. A batch whose offsets were
 * logged but never committed is re-run with the same ranges on restart.
 */
export class MicroBatchExecution {
  private readonly checkpoint: Checkpoint;
  private readonly offsetLog: OffsetLog;
  private readonly commitLog: CommitLog;
  private committed: unknown[] = [];
  private nextBatchId = 0;
  /** W(N) of the next batch, and W(N-1) of the last one run (rows of windows it closed are late). */
  private watermarkMs = 0;
  private prevWatermarkMs = 0;
  private tracker: WatermarkTracker;
  /** What offsets/<N> records as the batch's conf: the session's, or what the checkpoint pinned. */
  private conf: Record<string, string>;
  /** Turns what each batch measured into its progress record (DESIGN §8). */
  private readonly reporter: ProgressReporter;
  /** One store per stage of plan.stages, in the same order; empty for a stateless query. */
  private stores: StateStore[] = [];
  /** Triggers that found nothing new: processAllAvailable() waits for one after it is called. */
  noDataTriggers = 0;

  constructor(private readonly c: ExecutionConfig) {
    this.checkpoint = c.checkpoint;
    this.offsetLog = new OffsetLog(this.checkpoint);
    this.commitLog = new CommitLog(this.checkpoint);
    this.tracker = new WatermarkTracker(c.plan.watermarks, c.watermarkPolicy);
    this.conf = { ...c.conf };
    this.reporter = new ProgressReporter({ id: c.id, runId: c.runId, name: c.name, sources: c.sources, sink: c.sink, lateSink: c.lateSink, onProgress: c.onProgress });
  }

  /**
   * Each stage's store, at state/<operator id> (Spark's numbering: plan/physical-plan.ts operatorIdOf).
   * The checkpoint's operators must be the query's: one it has and the query lacks is refused
   * with the others, as a changed operator is.
   */
  private async openState(lastCommitted: number): Promise<void> {
    const c = this.c, stages = c.plan.stages;
    const ids = stages.map((_, k) => operatorIdOf(c.plan, k));
    const extra = (await this.checkpoint.stateOperatorIds()).filter((id) => id >= stages.length);
    for (const id of stages.length ? extra : []) {
      const stored = await readOperatorMetadata(this.checkpoint, id);
      if (!stored) continue;
      throw new CheckpointError(`This checkpoint holds state of stateful operator ${id} (${stored.metadata.operator}, ${stored.path}), but the query now has `
        + `${stages.length} stateful operator${stages.length === 1 ? '' : 's'} (${stages.map((st) => st.operator.shape.operator).join(' -> ')}). `
        + `Operators are numbered from the last one in the data flow (0), as Spark numbers them. Restore the previous query, or use a new checkpointLocation.`);
    }
    if (!stages.length) await checkOperatorMetadata(this.checkpoint, 0, lastCommitted >= 0, null);
    this.stores = [];
    for (let k = 0; k < stages.length; k++) {
      const op = stages[k]!.operator;
      await checkOperatorMetadata(this.checkpoint, ids[k]!, lastCommitted >= 0, op.shape);
      // Complete mode outputs every group each batch, so its state is read whole: it stays in memory.
      const spills = !!c.stateMemoryBudget && op.spillOrderKey !== undefined && c.outputMode !== 'complete';
      // The spill tier moves key cells (spill/spill-page.ts): a spilling store keeps its keys as cells, not typed columns, for now.
      const store = new StateStore(c.checkpoint.storage, this.checkpoint.stateDir(ids[k]!), op.stateKey, op.stateValue, c.stateSnapshotInterval,
        { asyncSnapshots: c.asyncSnapshots, onSnapshotPhase: c.onPhase && ((phase, version) => c.onPhase!(phase, version)), numbers: op.stateNumbers, typedKeys: op.stateKeysTyped && !spills });
      if (spills) store.spillTo(new Spill(c.stateMemoryBudget!, op.spillOrderKey!));
      await store.load(lastCommitted);
      this.stores.push(store);
    }
  }

  /**
   * Settings a checkpoint keeps for good, as Spark keeps spark.sql.streaming.multipleWatermarkPolicy:
   * combining several watermarks another way on restart would move the watermark the state was
   * built with. A checkpoint written before sluice recorded it keeps the session's setting.
   */
  private pinConf(conf: Readonly<Record<string, string>> | undefined): void {
    const key = 'sluice.multipleWatermarkPolicy';
    const pinned = conf?.[key];
    if ((pinned !== 'min' && pinned !== 'max') || pinned === this.c.watermarkPolicy) return;
    this.tracker = new WatermarkTracker(this.c.plan.watermarks, pinned);
    this.conf = { ...this.conf, [key]: pinned };
    this.reporter.warn(`The session sets multipleWatermarkPolicy '${this.c.watermarkPolicy}', but this checkpoint was written with '${pinned}', `
      + `which it keeps (as Spark does): the state was built with that watermark. Use a new checkpointLocation to change it.`);
  }

  /** What the loop does now, for query.status. */
  status: QueryStatus = initializingStatus;
  /** trigger({ cron }): when the next tick's drain starts (ms since the epoch); null otherwise. */
  nextTriggerMs: number | null = null;

  /** What gives up a batch's reads (stopAbandonsReads): the stop's signal, or one that never fires. */
  private readStop: AbortSignal = new AbortController().signal;

  /** The loop, then the state's background work: a stop waits for a snapshot in flight to be sealed. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.c.stopAbandonsReads) this.readStop = signal;
    const plan = this.c.plan;
    this.c.sources.forEach((_, i) => ChunkPipeline.startWorkersFor(branch(plan, i), this.c.chunkWorkers ?? 0));
    try {
      await this.runLoop(signal);
      await this.purging;
      this.throwPurgeFailure();
    } catch (e) {
      if (e !== ABANDONED) throw e;
    } finally {
      await this.purging;
      await Promise.all(this.stores.map((s) => s.flush()));
      // The spill stores are local caches of state the checkpoint holds: a restart rebuilds them.
      for (const s of this.stores) s.close();
    }
  }

  private async runLoop(signal: AbortSignal): Promise<void> {
    const c = this.c;
    const starts = await Promise.all(c.sources.map((s, i) => loadOrCreateSourceStart(this.checkpoint, i, () => s.initialOffset())));
    this.committed = starts;
    await Promise.all([this.offsetLog.removeTempFiles(), this.commitLog.removeTempFiles()]);
    const latest = await this.offsetLog.latestId();
    /** When the checkpoint's last batch committed, and whether this run finished one a crash cut: what the missed-tick rule asks. */
    let lastCommitMs: number | null = null, resumed = false;
    if (latest === null) await this.openState(-1);
    else {
      const seq = (await this.offsetLog.get(latest))!;
      this.pinConf(seq.conf);
      const commit = await this.commitLog.get(latest);
      const previous = latest > 0 ? await this.offsetLog.get(latest - 1) : null;
      if (commit) {
        lastCommitMs = commit.commitTimestampMs ?? seq.batchTimestampMs;
        await this.openState(latest);
        this.committed = [...seq.offsets];
        this.nextBatchId = latest + 1;
        this.prevWatermarkMs = seq.batchWatermarkMs;
        this.watermarkMs = commit.nextBatchWatermarkMs;
      } else {
        // Crashed between offsets/N and commits/N: re-run N with exactly the logged ranges and watermark, over state N-1.
        await this.openState(latest - 1);
        if (previous) this.committed = [...previous.offsets];
        this.prevWatermarkMs = previous?.batchWatermarkMs ?? 0;
        this.watermarkMs = seq.batchWatermarkMs;
        this.nextBatchId = latest;
        resumed = true;
        await this.runBatch(latest, seq, new PhaseTimer(), signal, { logged: Promise.resolve() }); // already logged
        if (c.trigger.kind === 'once') return;
      }
    }
    if (c.trigger.kind === 'cron') return this.runOnSchedule(c.trigger.schedule, lastCommitMs, resumed, signal);
    // availableNow/once: everything available now is the target; nothing after it.
    const bounded = c.trigger.kind === 'availableNow' || c.trigger.kind === 'once';
    const target = bounded ? await this.availableNow() : undefined;
    await this.drain(target, c.trigger.kind === 'processingTime' ? c.trigger.intervalMs : 0, signal);
  }

  /** What the sources hold now: the end of an availableNow run or of a cron tick's drain. */
  private async availableNow(): Promise<unknown[]> {
    const target = await Promise.all(this.c.sources.map((s) => s.availableOffset()));
    this.reporter.target = target;
    return target;
  }

  /**
   * trigger({ cron }): at each tick, drain up to what is available then, as availableNow does.
   * Ticks missed while the process was down (the last commit is older than the last tick), or a
   * tick's drain that a crash cut short, run once at start, not once per missed tick. Derived
   * from the commit log, so a tick that found no data leaves no trace: after such ticks a restart
   * drains once at start too, which finds what a tick would have found.
   */
  private async runOnSchedule(schedule: CronSchedule, lastCommitMs: number | null, resumed: boolean, signal: AbortSignal): Promise<void> {
    const c = this.c, now = Date.now();
    const lastTick = schedule.previous(now);
    let tick = resumed || (lastCommitMs !== null && lastTick !== null && lastCommitMs < lastTick) ? now : schedule.next(now);
    // An expression with a last tick (a fixed year) ends the query after it, as availableNow ends.
    while (tick !== null && !signal.aborted) {
      this.nextTriggerMs = tick;
      this.reporter.nextTriggerMs = tick;
      this.status = { message: 'Waiting for next trigger', isDataAvailable: this.status.isDataAvailable, isTriggerActive: false };
      c.onIdle();
      await sleepUntil(tick, signal);
      if (signal.aborted) return;
      const following = schedule.next(tick);
      this.nextTriggerMs = following;
      this.reporter.nextTriggerMs = following;
      await this.drain(await this.availableNow(), 0, signal);
      // A drain that ran past the following tick makes up for the ticks it overran once, at once (the sleep is 0).
      tick = following;
    }
    this.nextTriggerMs = null;
  }

  /** Batches until the sources have nothing new; with a target (availableNow, once, a cron tick), nothing past it and then return. */
  private async drain(target: readonly unknown[] | undefined, interval: number, signal: AbortSignal): Promise<void> {
    const c = this.c, bounded = target !== undefined;
    while (!signal.aborted) {
      const timer = new PhaseTimer();
      const started = Date.now();
      this.status = { message: `Getting offsets from ${c.sources.map((x) => x.description).join(', ')}`, isDataAvailable: this.status.isDataAvailable, isTriggerActive: true };
      // Waiting for a prefetch counts as latestOffset: it is where that batch was planned.
      const pre = await timer.time('latestOffset', () => unlessStopped(this.takePrefetch(), this.readStop));
      const ends = pre?.ends ?? await timer.time('latestOffset', () => unlessStopped(Promise.all(c.sources.map((s, i) =>
        s.latestOffset(this.committed[i], c.trigger.kind === 'once' ? 'all' : 'default', target?.[i]))), this.readStop));
      const hasData = ends.some((e, i) => !c.sources[i]!.sameOffset(e, this.committed[i]));
      // Spark's no-data batch (shouldRunAnotherBatch): the watermark moved past the last batch's, whatever
      // the state holds, so progress and batch ids match Spark's and W(N-1) keeps up for late rows.
      // Or a processing-time timer or TTL of some operator is due (transformWithState).
      const dueAt = hasData ? null : this.stores.reduce<number | null>((m, store, k) => {
        const d = c.plan.stages[k]!.operator.dueAtMs?.(store) ?? null;
        return d === null ? m : m === null ? d : Math.min(m, d);
      }, null);
      const noDataBatch = !hasData && ((this.watermarkMs > this.prevWatermarkMs
        && c.plan.stages.some((st) => st.operator.runsNoDataBatch(c.outputMode))) || (dueAt !== null && dueAt <= Date.now()));
      if (!hasData && !noDataBatch) {
        this.status = { message: 'Waiting for data to arrive', isDataAvailable: false, isTriggerActive: false };
        this.noDataTriggers++;
        if (bounded) return;
        c.onIdle();
        await sleep(interval > 0 ? Math.max(0, interval - (Date.now() - started)) : c.pollingDelayMs ?? 10, signal);
        continue;
      }
      const lost = c.leaseLost?.();
      if (lost) throw new CheckpointError(`Stopped before batch ${this.nextBatchId}: ${lost}. Only one run of a query may use its checkpoint.`);
      const seq: OffsetSeq = { batchWatermarkMs: this.watermarkMs, batchTimestampMs: Date.now(), conf: this.conf, offsets: hasData ? ends : this.committed };
      const batchId = this.nextBatchId;
      // The batch's read starts while offsets/<N> is written (see runBatch).
      const logged = timer.time('walCommit', () => this.offsetLog.add(batchId, seq)).then(() => c.onPhase?.('afterOffsetLog', batchId));
      logged.catch(() => undefined); // awaited in runBatch, after the read: a failed write is no unhandled rejection meanwhile
      this.status = { message: 'Processing new data', isDataAvailable: hasData, isTriggerActive: true };
      await this.runBatch(batchId, seq, timer, signal, {
        logged,
        prefetched: pre?.chunks,
        // After this batch's own read: the next batch's read overlaps this one's query and sink.
        afterInput: interval === 0 && c.trigger.kind !== 'once' && hasBacklog(c.sources, seq.offsets)
          ? () => { this.pending = this.startPrefetch(batchId + 1, seq.offsets, target); } : undefined,
      });
      if (c.trigger.kind === 'once') return;
      this.status = { message: 'Waiting for next trigger', isDataAvailable: hasData, isTriggerActive: false };
      if (interval > 0 && hasData) await sleep(Math.max(0, interval - (Date.now() - started)), signal);
    }
  }

  /** The logs' purge under way, or null; a failed one is thrown by the next batch (or at the end of run). */
  private purging: Promise<void> | null = null;
  private purgeFailure: unknown = undefined;

  /**
   * Removes offsets/ and commits/ files below keepFrom while the next batch runs, as Spark's
   * AsyncLogPurge (spark.sql.streaming.asyncLogPurge.enabled, default true): recovery reads only
   * the latest ids, so neither the progress event nor the next batch need wait for old files to go.
   * Purges run one after another (a log's purge remembers where the last one ended).
   */
  private purgeLogs(keepFrom: number): void {
    this.throwPurgeFailure();
    const run = (): Promise<void> => Promise.all([this.offsetLog.purge(keepFrom), this.commitLog.purge(keepFrom)])
      .then(() => undefined, (e: unknown) => { this.purgeFailure ??= e; });
    const p: Promise<void> = (this.purging ?? Promise.resolve()).then(run).finally(() => { if (this.purging === p) this.purging = null; });
    this.purging = p;
  }

  private throwPurgeFailure(): void {
    if (this.purgeFailure === undefined) return;
    const e = this.purgeFailure;
    this.purgeFailure = undefined;
    throw new CheckpointError(`Could not remove old files of ${this.checkpoint.root}'s offsets/ or commits/ (minBatchesToRetain): ${(e as Error)?.message ?? String(e)}. `
      + `Check that the checkpoint location is writable; a restart resumes from the last committed batch.`, { cause: e });
  }

  /** The next batch's input being read during this one (prefetch.ts), or null. */
  private pending: Promise<Prefetched | null> | null = null;

  private startPrefetch(batchId: number, from: readonly unknown[], target: readonly unknown[] | undefined): Promise<Prefetched | null> {
    return prefetch(this.c.sources, from, 'default', target).then(async (p) => {
      if (p) await this.c.onPhase?.('prefetched', batchId);
      return p;
    });
  }

  /** The prefetched input when it starts at the committed offsets (else it is dropped: it was never logged). */
  private async takePrefetch(): Promise<Prefetched | null> {
    const p = this.pending ? await this.pending : null;
    this.pending = null;
    return p && continuesFrom(p, this.c.sources, this.committed) ? p : null;
  }

  /**
   * Runs batch N while `input.logged` writes offsets/<N>: the read and the stateless operators (pure
   * functions of their rows) overlap the write's fsync; nothing reaches a stateful operator or the
   * sink before the range is in the log. A crash before the write is done leaves nothing behind, as
   * a dropped prefetch does.
   */
  private async runBatch(batchId: number, seq: OffsetSeq, timer: PhaseTimer, _signal: AbortSignal,
    input: { logged: Promise<void>; prefetched?: readonly (readonly Batch[])[]; afterInput?: () => void }): Promise<void> {
    const c = this.c, plan = c.plan;
    const triggerStart = Date.now();
    const ctx = newEvalContext(plan.watermarks.length, seq.batchTimestampMs);
    const inputRows: number[] = [];
    // Each stage's input rows, and which of its inputs each batch feeds (a join's 0 left, 1 right):
    // sources feed the first stage, or a join side's own first stage (PhysicalPlan.sourceStageOf);
    // a stage's output feeds the next one (stageFeedOf), the last one's the sink.
    const pending = plan.stages.map((): { rows: Batch[]; inputOf: number[] } => ({ rows: [], inputOf: [] }));
    let output: Batch[] = [];
    let getBatchMs = 0, processMs = 0;
    for (let i = 0; i < c.sources.length; i++) {
      const into = pending[plan.sourceStageOf?.[i] ?? 0], side = plan.firstStageInputOf?.[i] ?? 0;
      const chunks = new ChunkPipeline(branch(plan, i), ctx, c.chunkWorkers ?? 0, (chunk) => {
        if (this.readStop.aborted || chunk.numRows === 0) return; // given up (unlessStopped): its rows go nowhere
        if (into) { into.rows.push(chunk); into.inputOf.push(side); } else output.push(chunk);
      });
      const r = await unlessStopped(readInput(c.sources[i]!, this.committed[i], seq.offsets[i], (chunk) => {
        if (!this.readStop.aborted) chunks.push(chunk);
      }, input.prefetched?.[i]), this.readStop);
      // Chunks still on a worker thread: the read is done, their operators are the batch's processing.
      const t0 = performance.now();
      await unlessStopped(chunks.drain(), this.readStop);
      inputRows.push(r.rows);
      getBatchMs += r.readMs;
      processMs += r.applyMs + performance.now() - t0;
    }
    // A batch with no stateful operator goes on to a sink that stages its output (Sink.stagesOutput)
    // at once: the sink makes its files durable out of sight while offsets/<N> is still written, and
    // publishes nothing before `ready`. Any other batch waits for the log here.
    const early = plan.stages.length === 0 && !c.lateSink && c.sink.stagesOutput === true;
    const ready = early ? input.logged.then(async () => { input.afterInput?.(); await c.onPhase?.('beforeSink', batchId); }) : null;
    ready?.catch(() => undefined); // awaited by the sink and below
    if (!early) {
      await input.logged;
      input.afterInput?.();
    }
    // W(N) closes windows; rows of windows that W(N-1) already closed are late; each operator
    // sees the watermark its predecessors hand on.
    const ws = propagateWatermarks(plan.stages.map((st) => st.operator), this.prevWatermarkMs, seq.batchWatermarkMs, this.tracker.defined, stageProducers(plan));
    // lateRowsPath was opened with the input schema of the first operator, or of a join whose sides have
    // operators of their own (lateRowsSchema): it takes the late rows of every operator whose input
    // still has it (a dropDuplicates passes rows on unchanged). Rows an aggregation made are not input
    // rows: a later operator's late ones are counted in its progress entry only.
    const late: Batch[] = [];
    const lateSchema = lateRowsSchema(plan);
    const runs: StateOperatorRun[] = [];
    for (let k = 0; k < plan.stages.length; k++) {
      const { operator: op, post } = plan.stages[k]!;
      const t0 = performance.now();
      const { rows, inputOf } = pending[k]!;
      const r = op.process(rows, this.stores[k]!, { ...ws[k]!, batchId, batchTimestampMs: seq.batchTimestampMs }, c.outputMode, inputOf);
      const opMs = performance.now() - t0;
      if (sameType(op.inputSchema, lateSchema!)) late.push(...r.late);
      runs.push({ operatorName: op.name, numRowsDroppedByWatermark: r.numLateRows, allUpdatesTimeMs: opMs, customMetrics: r.customMetrics });
      const out = r.output.map((b) => post.reduce((x, o) => o(x, ctx), b)).filter((b) => b.numRows > 0);
      const feed = stageFeedOf(plan, k);
      if (feed) { const next = pending[feed.stage]!; for (const b of out) { next.rows.push(b); next.inputOf.push(feed.input); } } else output = out;
      processMs += performance.now() - t0;
    }
    timer.add('getBatch', getBatchMs);
    timer.add('queryPlanning', 0);
    // Every operator has seen the batch (an EventTimeWatermark may follow an aggregation), so the
    // next watermark is known and commits/<N> can be made durable out of sight while the sink and
    // the state write theirs: the batch then waits for one fsync where it waited for three in a row.
    // The commit still appears only after them (its publish), as Spark's protocol orders it.
    this.tracker.observe(ctx.eventTime, externalMaxEventTime(c.sources, this.committed, seq.offsets));
    const nextWatermark = this.tracker.next(seq.batchWatermarkMs);
    const commit = this.commitLog.stage(batchId, { nextBatchWatermarkMs: nextWatermark, commitTimestampMs: Date.now() });
    commit.catch(() => undefined); // its failure is thrown by the publish below, or dropped with the batch's own
    let sinkResult: SinkResult;
    const stateOperators: StateOperatorProgress[] = [];
    try {
      if (!ready) await c.onPhase?.('beforeSink', batchId);
      const finishState = this.stores.map((store, k) => stateOperatorProgress(runs[k]!, store));
      // The state is written while the sink writes the output (as a Spark task commits its store
      // in the stage that writes): the operators' outputs are columns of their own, not views of
      // the store, and neither write is seen before commits/<N>.
      const sinking = timer.time('addBatch', async () => {
        if (c.lateSink) await c.lateSink.addBatch(batchId, late);
        return c.sink.addBatch(batchId, output, { maxEventTimeMs: maxEventTime(ctx.eventTime), ...(ready ? { ready } : {}) });
      });
      const commitMs: number[] = [];
      const stating = Promise.all(this.stores.map(async (store, k) => {
        const t0 = performance.now();
        await timer.time('stateCommit', () => store.commit(batchId));
        commitMs[k] = performance.now() - t0;
      }));
      const [sunk, stated] = await Promise.allSettled([sinking, stating]);
      if (sunk.status === 'rejected') throw sunk.reason;
      if (stated.status === 'rejected') throw stated.reason;
      sinkResult = sunk.value;
      await ready; // the sink awaited it before publishing anything; this is the batch's own wait
      timer.add('addBatch', processMs);
      // Spark's order (its executed plan's collect, top down): operator id 0, the last one, first.
      for (let k = this.stores.length - 1; k >= 0; k--) {
        const store = this.stores[k]!;
        stateOperators.push(finishState[k]!(commitMs[k]!, store.takeSnapshotReports().at(-1)));
        for (const w of store.takeWarnings()) this.reporter.warn(w);
      }
    } catch (e) {
      await commit.then((staged) => staged.discard(), () => undefined);
      throw e;
    }
    await c.onPhase?.('beforeCommit', batchId);
    await timer.time('commitOffsets', async () => (await commit).publish());
    await c.onPhase?.('afterCommit', batchId);
    const previous = this.committed;
    this.committed = [...seq.offsets];
    this.nextBatchId = batchId + 1;
    this.prevWatermarkMs = seq.batchWatermarkMs;
    this.watermarkMs = nextWatermark;
    const keepFrom = batchId + 1 - c.minBatchesToRetain;
    if (keepFrom > 0) {
      this.purgeLogs(keepFrom);
      for (const store of this.stores) await store.purge(keepFrom);
    }
    this.reporter.finishTrigger({
      batchId, seq, startOffsets: previous, inputRows, numOutputRows: sinkResult.numOutputRows, timer, triggerStart, ctx,
      watermarkDefined: this.tracker.defined, stateOperators,
    });
  }
}
