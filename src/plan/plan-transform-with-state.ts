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
  // eventTime without a watermark is allowed, as Spark allows it (its TransformWithListStateSuite runs one);
  // registering an event-time timer is what is refused then (processor-handle.ts), as it could never fire.
  const column = watermarkColumnOf(child);
  const op = new TransformWithState(child.schema, { ...p.spec, keyColumns }, column);
  return { ...child, schema: op.schema, stateful: op, post: [], windowColumns: undefined };
}
