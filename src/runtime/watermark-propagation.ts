import type { StatefulOperator, WatermarkContext } from '../exec/stateful.ts';
import type { StageProducers } from '../plan/physical-plan.ts';

/**
 * Spark's PropagateWatermarkSimulator (SPARK-42376) for sluice's chain of stateful operators: the
 * first runs with the query's watermark, each later one with the watermark its predecessor
 * produces. Batch N's operator k evicts by its input watermark for W(N), and drops as late what
 * is at or below its input watermark for W(N-1) (IncrementalExecution's
 * eventTimeWatermarkForEviction / ForLateEvents, taken per operator as Spark 3.5 takes them).
 *
 * When the chain branches (a join whose sides have stateful stages of their own, `producers`
 * from plan/physical-plan.ts stageProducers), an operator's input watermark is the smallest of
 * its inputs' output watermarks, the sources' being the query's.
 *
 * Returned in chain order (upstream first). Spark never lets an operator's watermark go below 0.
 */
export function propagateWatermarks(chain: readonly StatefulOperator[], prevMs: number, currentMs: number, defined: boolean,
  producers?: readonly StageProducers[]): WatermarkContext[] {
  const out: WatermarkContext[] = [], outLate: number[] = [], outEvict: number[] = [];
  chain.forEach((op, k) => {
    const from = producers?.[k] ?? { stages: k === 0 ? [] : [k - 1], sources: k === 0 };
    const inLate = [...(from.sources ? [prevMs] : []), ...from.stages.map((j) => outLate[j]!)];
    const inEvict = [...(from.sources ? [currentMs] : []), ...from.stages.map((j) => outEvict[j]!)];
    const lateMs = Math.min(...inLate), evictMs = Math.min(...inEvict);
    out.push({ lateMs, evictMs, defined });
    outLate.push(op.outputWatermark ? Math.max(0, op.outputWatermark(lateMs)) : lateMs);
    outEvict.push(op.outputWatermark ? Math.max(0, op.outputWatermark(evictMs)) : evictMs);
  });
  return out;
}
