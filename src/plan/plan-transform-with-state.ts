import { AnalysisError } from '../errors.ts';
import { TransformWithState } from '../exec/transform-with-state/transform-with-state.ts';
import type { LogicalPlan } from './logical.ts';
import type { PhysicalPlan } from './physical-plan.ts';
import { watermarkColumnOf } from './plan-aggregate.ts';

export function planTransformWithState(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'transformWithState' }>): PhysicalPlan {
  if (child.stateful) throw new AnalysisError(`Only one aggregation, dropDuplicates or transformWithState per streaming query is supported; ${child.stateful.name} comes first.`);
  if (!child.sources.length) throw new AnalysisError(`transformWithState is supported on streaming DataFrames only (readStream); sluice has no batch transformWithState.`);
  const keyColumns = p.keys.map((e) => {
    if (e.op !== 'col') throw new AnalysisError(`groupBy(...).transformWithState needs plain column names to group by; add computed keys with withColumn() first.`);
    return e.name;
  });
  const column = watermarkColumnOf(child);
  if (p.spec.timeMode === 'eventTime' && column === null) {
    // Spark's words for event-time timeouts in flatMapGroupsWithState, which transformWithState's event-time timers share.
    throw new AnalysisError(`Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timers in transformWithState. `
      + `Event-time timers are not supported without watermark: add withWatermark('<event time column>', '<delay>') before groupBy.`);
  }
  const op = new TransformWithState(child.schema, { ...p.spec, keyColumns }, column);
  return { ...child, schema: op.schema, stateful: op, post: [], windowColumns: undefined };
}
