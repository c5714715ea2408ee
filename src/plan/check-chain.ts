import { AnalysisError } from '../errors.ts';
import type { OutputMode } from '../sinks/sink.ts';
import type { PhysicalPlan } from './physical-plan.ts';

export interface ChainSettings {
  /** spark.sql.streaming.statefulOperator.allowMultiple (default true). */
  readonly allowMultiple: boolean;
  /** spark.sql.streaming.statefulOperator.checkCorrectness.enabled (default true): false turns the refusal into a warning. */
  readonly checkCorrectness: boolean;
}

/** Spark's text, kept word for word so a search for it finds Spark's programming guide. */
const GLOBAL_WATERMARK_MESSAGE = "Detected pattern of possible 'correctness' issue due to global watermark. "
  + 'The query contains stateful operation which can emit rows older than the current watermark plus allowed late record delay, '
  + 'which are "late rows" in downstream stateful operations and these rows can be discarded. '
  + 'Please refer the programming guide doc for more details. If you understand the possible risk of correctness issue and still need to run the query, '
  + 'you can disable this check by setting the config `spark.sql.streaming.statefulOperator.checkCorrectness.enabled` to false.';

/** Spark's text (UnsupportedOperationChecker), then what to do. */
export const SORT_MESSAGE = 'Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode.'
  + ' Sort each micro-batch in foreachBatch (batch.orderBy(...)), or query the output with DuckDB.';

/**
 * Spark's UnsupportedOperationChecker rules for several stateful operators in one query, at start():
 * each operator's own output-mode rule (in complete mode only an aggregation's: an operator before
 * or after it is allowed, as in Spark), then checkStreamingQueryGlobalWatermarkLimit: an aggregation
 * in update or complete mode re-emits its groups, which a later operator bounded by the watermark
 * would drop as late, so it may not be followed by one. Returns the warning to print when that
 * check is turned off.
 */
export function checkStatefulChain(plan: PhysicalPlan, mode: OutputMode, settings: ChainSettings): string | null {
  const stages = plan.stages, hasWatermark = plan.watermarks.length > 0;
  if (stages.length > 1 && !settings.allowMultiple) {
    throw new AnalysisError(`This query has ${stages.length} stateful operators (${stages.map((s) => s.operator.name).join(' -> ')}), but `
      + `'spark.sql.streaming.statefulOperator.allowMultiple' is false, which allows one (Spark's pre-3.4 behaviour). Remove that setting, or split the query.`);
  }
  if (plan.sortedStream && mode !== 'complete') throw new AnalysisError(SORT_MESSAGE + ` Here the output mode is ${mode}.`);
  const completeWithAggregation = mode === 'complete' && stages.some((s) => s.traits.aggregation);
  for (const s of stages) if (!completeWithAggregation || s.traits.aggregation) s.operator.checkOutputMode(mode, hasWatermark);
  if (mode === 'append') return null;
  const afterAggregation = stages.findIndex((s) => s.traits.aggregation);
  const bounded = afterAggregation >= 0 ? stages.slice(afterAggregation + 1).find((s) => s.traits.eventTime) : undefined;
  if (!bounded) return null;
  const detail = ` (here: ${stages[afterAggregation]!.operator.name} in ${mode} mode, then ${bounded.operator.name}; use outputMode('append') with a watermark, as Spark does.)`;
  if (settings.checkCorrectness) throw new AnalysisError(GLOBAL_WATERMARK_MESSAGE + detail);
  return GLOBAL_WATERMARK_MESSAGE + detail;
}
