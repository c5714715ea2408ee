import { requestsSince, s3RequestCounts } from '../storage/s3/request-count.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import type { StateStore } from '../state/state-store.ts';
import type { SnapshotReport } from '../state/snapshot-writer.ts';
import type { OffsetSeq } from '../checkpoint/offset-log.ts';
import type { Source } from '../sources/source.ts';
import type { Sink } from '../sinks/sink.ts';
import type { PhaseTimer, SourceProgress, StreamingQueryProgress } from './progress.ts';

/**
 * One entry of progress's stateOperators: Spark's StateOperatorProgress. allUpdatesTimeMs is the
 * operator's whole run over the batch, eviction included: sluice's operators evict in the same pass
 * they update in, so Spark's separate allRemovalsTimeMs has no measurement of its own and is left out.
 * One state store, one partition: numShufflePartitions and numStateStoreInstances are 1.
 */
export interface StateOperatorProgress {
  readonly operatorName: string;
  readonly numRowsTotal: number;
  readonly numRowsUpdated: number;
  readonly allUpdatesTimeMs: number;
  readonly numRowsRemoved: number;
  readonly commitTimeMs: number;
  readonly memoryUsedBytes: number;
  readonly numRowsDroppedByWatermark: number;
  readonly numShufflePartitions: number;
  readonly numStateStoreInstances: number;
  readonly customMetrics: Readonly<Record<string, number>>;
  /**
   * sluice-specific: the state snapshot sealed during this batch, if one was: its version, whether
   * the batch wrote it ('batch') or it was written while batches ran ('background'), and its times
   * in ms (viewMs: what the committing batch paid to copy the columns for it).
   */
  readonly snapshot?: StateSnapshotProgress;
}

/** A state snapshot as progress shows it: the store's report (snapshot-writer.ts), its row count named as Spark names counts. */
export type StateSnapshotProgress = Omit<SnapshotReport, 'rows'> & { readonly numRows: number };

/** What the operator reported for the batch, beside the store's own counters. */
export interface StateOperatorRun {
  readonly operatorName: string;
  readonly numRowsDroppedByWatermark: number;
  readonly allUpdatesTimeMs: number;
  readonly customMetrics?: Readonly<Record<string, number>>;
}

/**
 * The state operator's numbers for this batch. Taken before the store commits (the commit resets
 * the per-batch counters numRowsUpdated and numRowsRemoved); the commit's time is filled in after.
 */
export function stateOperatorProgress(run: StateOperatorRun, store: StateStore): (commitTimeMs: number, snapshot?: SnapshotReport) => StateOperatorProgress {
  const before = {
    operatorName: run.operatorName, numRowsTotal: store.size, numRowsUpdated: store.numRowsUpdated, allUpdatesTimeMs: Math.round(run.allUpdatesTimeMs),
    numRowsRemoved: store.numRowsRemoved, memoryUsedBytes: store.memoryUsedBytes(),
  };
  return (commitTimeMs, snapshot) => ({
    ...before, commitTimeMs: Math.round(commitTimeMs), numRowsDroppedByWatermark: run.numRowsDroppedByWatermark,
    numShufflePartitions: 1, numStateStoreInstances: 1, customMetrics: { ...run.customMetrics, ...store.spillMetrics() },
    ...(snapshot ? { snapshot: snapshotProgress(snapshot) } : {}),
  });
}

function snapshotProgress(r: SnapshotReport): StateSnapshotProgress {
  return {
    version: r.version, writtenIn: r.writtenIn, viewMs: Math.round(r.viewMs), encodeMs: Math.round(r.encodeMs),
    writeMs: Math.round(r.writeMs), totalMs: Math.round(r.totalMs), bytes: r.bytes, numRows: r.rows,
  };
}

export interface ProgressReporterConfig {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  readonly sources: readonly Source[];
  readonly sink: Sink;
  readonly lateSink?: Sink;
  readonly onProgress: (p: StreamingQueryProgress) => void;
}

/** What the trigger loop knows of a batch once it has committed: the reporter's input. */
export interface FinishedBatch {
  readonly batchId: number;
  /** offsets/<N>: the batch's end offsets and the watermark it ran with. */
  readonly seq: OffsetSeq;
  /** Where each source's range began (the previous batch's end offsets). */
  readonly startOffsets: readonly unknown[];
  /** Rows read, per source. */
  readonly inputRows: readonly number[];
  readonly numOutputRows: number;
  readonly timer: PhaseTimer;
  /** Date.now() when the batch began. */
  readonly triggerStart: number;
  /** The batch's evaluation context: event-time stats and from_json's malformed-row count. */
  readonly ctx: EvalContext;
  /** Whether the query has a watermark (else eventTime stays empty, as in Spark). */
  readonly watermarkDefined: boolean;
  /** One per stateful operator, in Spark's order (operator id 0, the last in the data flow, first). */
  readonly stateOperators: readonly StateOperatorProgress[];
}

/**
 * Assembles one StreamingQueryProgress per batch, as Spark's ProgressReporter does: durations,
 * rates, event-time stats, state operators, sources and sink. The trigger loop runs the batch
 * and hands over what it measured; how that becomes a progress record is known only here.
 */
export class ProgressReporter {
  /** When the previous batch began, for inputRowsPerSecond (0: none yet in this run). */
  private lastTriggerStart = 0;
  /** The engine's own notes for the next progress record's warnings. */
  private readonly warnings: string[] = [];
  /** availableNow/once: where this run stops, reported per source as targetOffset. */
  target: readonly unknown[] | undefined;
  /** trigger({ cron }): when the next tick falls, reported as nextTriggerTime; null for the other triggers. */
  nextTriggerMs: number | null = null;

  constructor(private readonly c: ProgressReporterConfig) {}

  /** A note for the next record's warnings. */
  warn(note: string): void { this.warnings.push(note); }

  /** The process's S3 request counts at the last progress record (at start for the first). */
  private s3Before = s3RequestCounts();

  /** Emit the progress record of a committed batch. */
  finishTrigger(b: FinishedBatch): void {
    const c = this.c, { seq, timer } = b;
    const total = timer.total();
    timer.durations.triggerExecution = total;
    const sinceLast = this.lastTriggerStart ? (b.triggerStart - this.lastTriggerStart) / 1000 : 0;
    this.lastTriggerStart = b.triggerStart;
    const numInputRows = b.inputRows.reduce((a, n) => a + n, 0);
    const rate = (n: number, secs: number): number => (secs > 0 ? n / secs : 0);
    const sources: SourceProgress[] = c.sources.map((s, i) => {
      const latestOffset = s.reportLatestOffset?.() ?? seq.offsets[i];
      return {
        description: s.description, startOffset: b.startOffsets[i], endOffset: seq.offsets[i], latestOffset,
        numInputRows: b.inputRows[i]!, inputRowsPerSecond: rate(b.inputRows[i]!, sinceLast), processedRowsPerSecond: rate(b.inputRows[i]!, total / 1000),
        metrics: s.metrics?.(seq.offsets[i], latestOffset) ?? {},
        ...(this.target ? { targetOffset: this.target[i] } : {}),
      };
    });
    const s3Now = s3RequestCounts(), s3Requests = requestsSince(this.s3Before, s3Now);
    this.s3Before = s3Now;
    const warnings = [...this.warnings.splice(0), ...c.sources.flatMap((s) => s.drainWarnings?.() ?? []), ...(c.sink.drainWarnings?.() ?? []), ...(c.lateSink?.drainWarnings?.() ?? [])];
    c.onProgress({
      id: c.id, runId: c.runId, name: c.name, timestamp: new Date(b.triggerStart).toISOString(), batchId: b.batchId, batchDuration: total,
      numInputRows, inputRowsPerSecond: rate(numInputRows, sinceLast), processedRowsPerSecond: rate(numInputRows, total / 1000),
      durationMs: { ...timer.durations }, eventTime: eventTimeProgress(b.ctx, b.watermarkDefined, seq.batchWatermarkMs),
      stateOperators: b.stateOperators, sources,
      sink: { description: c.sink.description, numOutputRows: b.numOutputRows }, numMalformedRowsDropped: b.ctx.metrics.malformedRowsDropped, warnings,
      ...(this.nextTriggerMs !== null ? { nextTriggerTime: new Date(this.nextTriggerMs).toISOString() } : {}),
      ...(Object.keys(s3Requests).length ? { s3Requests } : {}),
    });
  }
}

/** Spark's progress eventTime: min/max/avg of the batch's event times and the watermark it ran with, as ISO-8601 strings. */
function eventTimeProgress(ctx: EvalContext, hasWatermark: boolean, watermarkMs: number): Record<string, string> {
  if (!hasWatermark) return {};
  const out: Record<string, string> = { watermark: new Date(watermarkMs).toISOString() };
  let min = Infinity, max = -Infinity, sum = 0, count = 0;
  for (const s of ctx.eventTime) { min = Math.min(min, s.min); max = Math.max(max, s.max); sum += s.sum; count += s.count; }
  if (count > 0) {
    out.min = new Date(min).toISOString();
    out.max = new Date(max).toISOString();
    out.avg = new Date(Math.round(sum / count)).toISOString();
  }
  return out;
}
