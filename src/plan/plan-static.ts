import type { Struct } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { Batch } from '../data/batch.ts';
import { newEvalContext, type EvalContext } from '../exec/compiled-expr.ts';
import type { WatermarkContext } from '../exec/stateful.ts';
import { StateStore } from '../state/state-store.ts';
import { LocalStorage } from '../storage/local.ts';
import type { LogicalPlan } from './logical.ts';
import type { PhysicalPlan, StatefulStage } from './physical-plan.ts';

/** A bounded table's plan: no source to read; its rows are carried along, before any operator. */
export function planStatic(p: Extract<LogicalPlan, { kind: 'static' }>): PhysicalPlan {
  return { sources: [], schema: p.schema, operators: [], stages: [], watermarks: [], staticBatches: p.batches };
}

/** The part of a physical plan that `materialize` needs; any PhysicalPlan has it. */
export interface StaticPlanLike {
  readonly schema: Struct;
  readonly operators: readonly ((b: Batch, ctx: EvalContext) => Batch)[];
  readonly staticBatches?: readonly Batch[];
  readonly stages?: readonly StatefulStage[];
  readonly watermarks?: readonly unknown[];
}

/**
 * The operators a bounded table runs once over all its rows, as Spark runs a batch query: an
 * aggregation gives every group (complete), dropDuplicates every first row. The others need a
 * stream (a stream-stream join, transformWithState) or are refused by Spark on batch DataFrames.
 */
const BATCH_MODE: Readonly<Record<string, 'complete' | 'append'>> = { stateStoreSave: 'complete', sessionWindowStateStoreSave: 'complete', dedupe: 'append' };

/** No watermark: nothing is late and nothing closes; a batch query sees all its rows at once. */
const NO_WATERMARK: WatermarkContext = { lateMs: -Infinity, evictMs: -Infinity, defined: false };

/**
 * The rows a static plan stands for: its operators run once over its batches, then each of its
 * stateful stages once over all their input, with a state store that lives only for this call.
 * `what` names the plan in errors ("the right side of join()").
 */
export function materialize(plan: StaticPlanLike, what = 'this DataFrame'): Batch[] {
  const batches = checkStatic(plan, what);
  // Nothing here is streamed: no watermark to advance and no metrics to report, so the context is thrown away.
  const ctx = newEvalContext(plan.watermarks?.length ?? 0);
  let out = batches.map((b) => plan.operators.reduce((acc, op) => op(acc, ctx), b));
  for (const stage of plan.stages ?? []) {
    const op = stage.operator;
    // Never committed or loaded, so the storage is never touched.
    const store = new StateStore(new LocalStorage(), '', op.stateKey, op.stateValue, Number.MAX_SAFE_INTEGER);
    out = op.process(out, store, NO_WATERMARK, BATCH_MODE[op.name]!).output.map((b) => stage.post.reduce((acc, f) => f(acc, ctx), b));
  }
  return out;
}

/** The plan's batches, or an error saying why it cannot be materialized: for checks at analysis time. */
export function checkStatic(plan: StaticPlanLike, what = 'this DataFrame'): readonly Batch[] {
  if (!plan.staticBatches) {
    throw new AnalysisError(`${what} is a streaming DataFrame, but a static one (createDataFrame, read.parquet, read.json) is needed here.`);
  }
  const other = plan.stages?.find((s) => !BATCH_MODE[s.operator.name]);
  if (other) {
    throw new AnalysisError(`${what} uses ${other.operator.name}, which sluice runs only on streams. Read the data as a stream, or run that step before loading it.`);
  }
  return plan.staticBatches;
}
