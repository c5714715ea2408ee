import type { StatefulOperator, WatermarkContext } from '../exec/stateful.ts';

/**
 * Spark's PropagateWatermarkSimulator (SPARK-42376) for sluice's chain of stateful operators: the
 * first runs with the query's watermark, each later one with the watermark its predecessor
 * produces. Batch N's operator k evicts by its input watermark for W(N), and drops as late what
 * is at or below its input watermark for W(N-1) (IncrementalExecution's
 * eventTimeWatermarkForEviction / ForLateEvents, taken per operator as Spark 3.5 takes them).
 *
 * Returned in chain order (upstream first). Spark never lets an operator's watermark go below 0.
 */
export function propagateWatermarks(chain: readonly StatefulOperator[], prevMs: number, currentMs: number, defined: boolean): WatermarkContext[] {
  const out: WatermarkContext[] = [];
  let lateMs = prevMs, evictMs = currentMs;
  for (const op of chain) {
    out.push({ lateMs, evictMs, defined });
    if (op.outputWatermark) {
      lateMs = Math.max(0, op.outputWatermark(lateMs));
      evictMs = Math.max(0, op.outputWatermark(evictMs));
    }
  }
  return out;
}
