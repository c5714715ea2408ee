import { AnalysisError } from '../errors.ts';
import { Deduplicate } from '../exec/dedup.ts';
import { DeduplicateWithinWatermark } from '../exec/dedup-within-watermark.ts';
import type { LogicalPlan } from './logical.ts';
import type { PhysicalPlan } from './physical-plan.ts';
import { watermarkColumnOf } from './plan-aggregate.ts';

export function planDedup(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'dedup' }>): PhysicalPlan {
  if (child.stateful) throw new AnalysisError(`Only one aggregation or dropDuplicates per streaming query is supported; ${child.stateful.name} comes first.`);
  const column = watermarkColumnOf(child);
  if (!p.withinWatermark) return { ...child, stateful: new Deduplicate(child.schema, p.columns, column), post: [] };
  // Spark's UnsupportedOperationChecker wording, with what to do.
  if (!child.sources.length) throw new AnalysisError(`dropDuplicatesWithinWatermark is not supported with batch DataFrames/DataSets; use dropDuplicates().`);
  const spec = column === null ? undefined : [...child.watermarks].reverse().find((w) => w.column === column);
  if (!spec) {
    throw new AnalysisError(`dropDuplicatesWithinWatermark is not supported on streaming DataFrames/DataSets without watermark: `
      + `add withWatermark('<event time column>', '<delay>') before it (the delay is how long a key is remembered after its event time).`);
  }
  return { ...child, stateful: new DeduplicateWithinWatermark(child.schema, p.columns, spec), post: [] };
}
