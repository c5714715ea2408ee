import type { Storage } from '../storage/index.ts';
import type { Batch } from '../exec/batch.ts';
import { batchNumRows } from '../exec/batch.ts';
import type { EvalContext } from '../plan/analyzer.ts';
import type { PhysicalPlan } from '../plan/physical.ts';
import type { Source } from '../sources/source.ts';
import type { Sink } from '../sinks/sink.ts';
import { OffsetLog, type OffsetSeq } from '../checkpoint/offset-log.ts';
import { CommitLog } from '../checkpoint/commit-log.ts';
import { loadOrCreateSourceStart } from '../checkpoint/query-metadata.ts';
import type { Trigger } from './trigger.ts';
import { PhaseTimer, type StreamingQueryProgress, type SourceProgress } from './progress.ts';

export interface ExecutionConfig {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  readonly storage: Storage;
  readonly checkpoint: string;
  readonly plan: PhysicalPlan;
  readonly sources: readonly Source[];
  readonly sink: Sink;
  readonly trigger: Trigger;
  readonly minBatchesToRetain: number;
  readonly conf: Readonly<Record<string, string>>;
  readonly onProgress: (p: StreamingQueryProgress) => void;
  readonly onIdle: () => void;
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
 * The trigger loop of DESIGN §4: plan offsets, write them ahead, read exactly those
 * ranges, run the plan, hand the result to the sink, commit. A batch whose offsets were
 * logged but never committed is re-run with the same ranges on restart.
 */
export class MicroBatchExecution {
  private readonly offsetLog: OffsetLog;
  private readonly commitLog: CommitLog;
  private committed: unknown[] = [];
  private nextBatchId = 0;
  private watermarkMs = 0;
  private lastTriggerStart = 0;
  /** Triggers that found nothing new: processAllAvailable() waits for one after it is called. */
  noDataTriggers = 0;

  constructor(private readonly c: ExecutionConfig) {
    this.offsetLog = new OffsetLog(c.storage, c.checkpoint);
    this.commitLog = new CommitLog(c.storage, c.checkpoint);
  }

  async run(signal: AbortSignal): Promise<void> {
    const c = this.c;
    const starts = await Promise.all(c.sources.map((s, i) => loadOrCreateSourceStart(c.storage, c.checkpoint, i, () => s.initialOffset())));
    this.committed = starts;
    const latest = await this.offsetLog.latestId();
    if (latest !== null) {
      const seq = (await this.offsetLog.get(latest))!;
      const commit = await this.commitLog.get(latest);
      if (commit) {
        this.committed = [...seq.offsets];
        this.nextBatchId = latest + 1;
        this.watermarkMs = commit.nextBatchWatermarkMs;
      } else {
        // Crashed between offsets/N and commits/N: re-run N with exactly the logged ranges.
        if (latest > 0) this.committed = [...(await this.offsetLog.get(latest - 1))!.offsets];
        this.watermarkMs = seq.batchWatermarkMs;
        this.nextBatchId = latest;
        await this.runBatch(latest, seq, new PhaseTimer(), signal);
        if (c.trigger.kind === 'once') return;
      }
    }
    // availableNow/once: everything available now is the target; nothing after it.
    const bounded = c.trigger.kind === 'availableNow' || c.trigger.kind === 'once';
    const target = bounded ? await Promise.all(c.sources.map((s) => s.availableOffset())) : undefined;
    const interval = c.trigger.kind === 'processingTime' ? c.trigger.intervalMs : 0;

    while (!signal.aborted) {
      const timer = new PhaseTimer();
      const started = Date.now();
      const ends = await timer.time('latestOffset', () => Promise.all(c.sources.map((s, i) =>
        s.latestOffset(this.committed[i], c.trigger.kind === 'once' ? 'all' : 'default', target?.[i]))));
      const hasData = ends.some((e, i) => !c.sources[i]!.sameOffset(e, this.committed[i]));
      if (!hasData) {
        this.noDataTriggers++;
        if (bounded) return;
        c.onIdle();
        await sleep(interval > 0 ? Math.max(0, interval - (Date.now() - started)) : 100, signal);
        continue;
      }
      const seq: OffsetSeq = { batchWatermarkMs: this.watermarkMs, batchTimestampMs: Date.now(), conf: c.conf, offsets: ends };
      await timer.time('walCommit', () => this.offsetLog.add(this.nextBatchId, seq));
      await c.onPhase?.('afterOffsetLog', this.nextBatchId);
      await this.runBatch(this.nextBatchId, seq, timer, signal);
      if (c.trigger.kind === 'once') return;
      if (interval > 0) await sleep(Math.max(0, interval - (Date.now() - started)), signal);
    }
  }

  private async runBatch(batchId: number, seq: OffsetSeq, timer: PhaseTimer, _signal: AbortSignal): Promise<void> {
    const c = this.c;
    const triggerStart = Date.now();
    const ctx: EvalContext = { drop: () => undefined, metrics: { malformedRowsDropped: 0 } };
    const inputRows: number[] = [];
    const output: Batch[] = [];
    let getBatchMs = 0, processMs = 0;
    for (let i = 0; i < c.sources.length; i++) {
      const t0 = performance.now();
      const chunks = await c.sources[i]!.getBatch(this.committed[i], seq.offsets[i]);
      const t1 = performance.now();
      inputRows.push(batchNumRows(chunks));
      for (let chunk of chunks) {
        for (const op of c.plan.operators) chunk = op(chunk, ctx);
        if (chunk.numRows > 0) output.push(chunk);
      }
      getBatchMs += t1 - t0;
      processMs += performance.now() - t1;
    }
    timer.add('getBatch', getBatchMs);
    timer.add('queryPlanning', 0);
    await c.onPhase?.('beforeSink', batchId);
    const sinkResult = await timer.time('addBatch', async () => {
      const r = await c.sink.addBatch(batchId, output);
      return r;
    });
    timer.add('addBatch', processMs);
    await c.onPhase?.('beforeCommit', batchId);
    await timer.time('commitOffsets', () => this.commitLog.add(batchId, { nextBatchWatermarkMs: this.watermarkMs }));
    await c.onPhase?.('afterCommit', batchId);
    const previous = this.committed;
    this.committed = [...seq.offsets];
    this.nextBatchId = batchId + 1;
    const keepFrom = batchId + 1 - c.minBatchesToRetain;
    if (keepFrom > 0) { await this.offsetLog.purge(keepFrom); await this.commitLog.purge(keepFrom); }
    this.report(batchId, seq, previous, inputRows, sinkResult.numOutputRows, timer, triggerStart, ctx.metrics.malformedRowsDropped);
  }

  private report(batchId: number, seq: OffsetSeq, previous: unknown[], inputRows: number[], outputRows: number,
    timer: PhaseTimer, triggerStart: number, malformed: number): void {
    const c = this.c;
    const total = timer.total();
    timer.durations.triggerExecution = total;
    const sinceLast = this.lastTriggerStart ? (triggerStart - this.lastTriggerStart) / 1000 : 0;
    this.lastTriggerStart = triggerStart;
    const numInputRows = inputRows.reduce((a, b) => a + b, 0);
    const rate = (n: number, secs: number): number => (secs > 0 ? n / secs : 0);
    const sources: SourceProgress[] = c.sources.map((s, i) => ({
      description: s.description, startOffset: previous[i], endOffset: seq.offsets[i], latestOffset: s.reportLatestOffset?.() ?? seq.offsets[i],
      numInputRows: inputRows[i]!, inputRowsPerSecond: rate(inputRows[i]!, sinceLast), processedRowsPerSecond: rate(inputRows[i]!, total / 1000),
    }));
    const warnings = c.sources.flatMap((s) => s.drainWarnings?.() ?? []);
    c.onProgress({
      id: c.id, runId: c.runId, name: c.name, timestamp: new Date(triggerStart).toISOString(), batchId, batchDuration: total,
      numInputRows, inputRowsPerSecond: rate(numInputRows, sinceLast), processedRowsPerSecond: rate(numInputRows, total / 1000),
      durationMs: { ...timer.durations }, eventTime: {}, stateOperators: [], sources,
      sink: { description: c.sink.description, numOutputRows: outputRows }, numMalformedRowsDropped: malformed, warnings,
    });
  }
}
