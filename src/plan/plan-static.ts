import type { Struct } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { Batch } from '../data/batch.ts';
import { newEvalContext, type EvalContext } from '../exec/compiled-expr.ts';
import type { LogicalPlan } from './logical.ts';
import type { PhysicalPlan } from './physical-plan.ts';

/** A bounded table's plan: no source to read; its rows are carried along, before any operator. */
export function planStatic(p: Extract<LogicalPlan, { kind: 'static' }>): PhysicalPlan {
  return { sources: [], schema: p.schema, operators: [], stages: [], watermarks: [], staticBatches: p.batches };
}

/** The part of a physical plan that `materialize` needs; any PhysicalPlan has it. */
export interface StaticPlanLike {
  readonly schema: Struct;
  readonly operators: readonly ((b: Batch, ctx: EvalContext) => Batch)[];
  readonly staticBatches?: readonly Batch[];
  readonly stages?: readonly unknown[];
  readonly watermarks?: readonly unknown[];
}

/**
 * The rows a static plan stands for: its operators run once over its batches. `what` names
 * the plan in errors ("the right side of join()").
 */
export function materialize(plan: StaticPlanLike, what = 'this DataFrame'): Batch[] {
  const batches = checkStatic(plan, what);
  // Nothing here is streamed: no watermark to advance and no metrics to report, so the context is thrown away.
  const ctx = newEvalContext(plan.watermarks?.length ?? 0);
  return batches.map((b) => plan.operators.reduce((acc, op) => op(acc, ctx), b));
}

/** The plan's batches, or an error saying why it cannot be materialized: for checks at analysis time. */
export function checkStatic(plan: StaticPlanLike, what = 'this DataFrame'): readonly Batch[] {
  if (!plan.staticBatches) {
    throw new AnalysisError(`${what} is a streaming DataFrame, but a static one (createDataFrame, read.parquet, read.json) is needed here.`);
  }
  if (plan.stages?.length) {
    throw new AnalysisError(`${what} uses groupBy/agg or dropDuplicates, which sluice runs only on streams so far. Aggregate the data before loading it, or join first and aggregate the stream.`);
  }
  return plan.staticBatches;
}
