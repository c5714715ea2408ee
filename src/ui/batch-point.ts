import type { SourceProgress, StreamingQueryProgress } from '../runtime/progress.ts';
import { behindByTopic } from '../runtime/offsets-behind.ts';

/** Kafka lag of one source after a batch: offsets between the batch's end and the broker's latest, summed over partitions. */
export interface SourceLag {
  readonly source: string;
  readonly offsetsBehindLatest: number;
}

/**
 * One batch as the UI charts it and /metrics reports it: the progress record reduced to numbers.
 * Derived once, on the server, so the page and Prometheus can never disagree.
 */
export interface BatchPoint {
  readonly batchId: number;
  /** When the trigger started, ms since the epoch. */
  readonly timestampMs: number;
  readonly numInputRows: number;
  readonly numOutputRows: number;
  readonly inputRowsPerSecond: number;
  readonly processedRowsPerSecond: number;
  /** The phases of the batch (Spark's names), without the triggerExecution total. */
  readonly phasesMs: Readonly<Record<string, number>>;
  /** triggerExecution: the whole batch. */
  readonly totalMs: number;
  readonly watermarkMs: number | null;
  readonly minEventTimeMs: number | null;
  readonly maxEventTimeMs: number | null;
  /** Summed over the query's stateful operators (one progress entry each); null when it has none. */
  readonly stateRows: number | null;
  readonly stateRowsUpdated: number | null;
  readonly stateRowsRemoved: number | null;
  readonly stateMemoryBytes: number | null;
  readonly rowsDroppedByWatermark: number;
  readonly malformedRowsDropped: number;
  /** One entry per Kafka source; empty without one. */
  readonly kafkaLag: readonly SourceLag[];
}

export function toBatchPoint(p: StreamingQueryProgress): BatchPoint {
  const { triggerExecution, ...phases } = p.durationMs;
  const state = stateMetrics(p.stateOperators);
  return {
    batchId: p.batchId,
    timestampMs: Date.parse(p.timestamp),
    numInputRows: p.numInputRows,
    numOutputRows: p.sink.numOutputRows,
    inputRowsPerSecond: p.inputRowsPerSecond,
    processedRowsPerSecond: p.processedRowsPerSecond,
    phasesMs: phases,
    totalMs: triggerExecution ?? p.batchDuration,
    watermarkMs: isoMs(p.eventTime.watermark),
    minEventTimeMs: isoMs(p.eventTime.min),
    maxEventTimeMs: isoMs(p.eventTime.max),
    stateRows: state?.numRowsTotal ?? null,
    stateRowsUpdated: state?.numRowsUpdated ?? null,
    stateRowsRemoved: state?.numRowsRemoved ?? null,
    stateMemoryBytes: state?.memoryUsedBytes ?? null,
    rowsDroppedByWatermark: state?.numRowsDroppedByWatermark ?? 0,
    malformedRowsDropped: p.numMalformedRowsDropped,
    kafkaLag: p.sources.flatMap((s) => {
      const behind = kafkaOffsetsBehind(s);
      return behind === null ? [] : [{ source: s.description, offsetsBehindLatest: behind }];
    }),
  };
}

function isoMs(s: string | undefined): number | null {
  if (s === undefined) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

interface StateMetrics {
  numRowsTotal: number; numRowsUpdated: number; numRowsRemoved: number; numRowsDroppedByWatermark: number; memoryUsedBytes: number;
}

// stateOperators is typed unknown[] in the progress record: read only what is there and numeric.
function stateMetrics(ops: readonly unknown[]): StateMetrics | null {
  const objs = ops.filter((op): op is Record<string, unknown> => typeof op === 'object' && op !== null);
  if (!objs.length) return null;
  const n = (k: string): number => objs.reduce((sum, o) => sum + (typeof o[k] === 'number' ? o[k] : 0), 0);
  return {
    numRowsTotal: n('numRowsTotal'), numRowsUpdated: n('numRowsUpdated'), numRowsRemoved: n('numRowsRemoved'),
    numRowsDroppedByWatermark: n('numRowsDroppedByWatermark'), memoryUsedBytes: n('memoryUsedBytes'),
  };
}

/**
 * Sum over partitions of latest − end. Only sources that report Spark's Kafka metrics count;
 * the sum (not the average Spark reports) is what an operator pages on.
 */
export function kafkaOffsetsBehind(s: SourceProgress): number | null {
  if (!('avgOffsetsBehindLatest' in s.metrics)) return null;
  const byTopic = behindByTopic(s.endOffset, s.latestOffset);
  return byTopic ? [...byTopic.values()].reduce((a, b) => a + b, 0) : null;
}
