import { AnalysisError } from '../errors.ts';
import { TransformWithState } from '../exec/transform-with-state/transform-with-state.ts';
import type { LogicalPlan } from './logical.ts';
import { type PhysicalPlan, withStateful } from './physical-plan.ts';
import { watermarkColumnOf } from './plan-aggregate.ts';

export function planTransformWithState(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'transformWithState' }>): PhysicalPlan {
  const before = child.stages.at(-1)?.operator;
  if (before) throw new AnalysisError(`transformWithState must be the first stateful operator of a streaming query; ${before.name} comes before it. Put it first, or run the other operator after it.`);
  if (!child.sources.length) throw new AnalysisError(`transformWithState is supported on streaming DataFrames only (readStream); sluice has no batch transformWithState.`);
  const keyColumns = p.keys.map((e) => {
    if (e.op !== 'col') throw new AnalysisError(`groupBy(...).transformWithState needs plain column names to group by; add computed keys with withColumn() first.`);
    return e.name;
  });
  // eventTime without a watermark is allowed, as Spark allows it (its TransformWithListStateSuite runs one);
  // registering an event-time timer is what is refused then (processor-handle.ts), as it could never fire.
  const column = watermarkColumnOf(child);
  const op = new TransformWithState(child.schema, { ...p.spec, keyColumns }, column);
  return withStateful(child, op, { aggregation: false, eventTime: p.spec.timeMode === 'eventTime' });
}
