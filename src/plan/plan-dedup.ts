import { AnalysisError } from '../errors.ts';
import { Deduplicate } from '../exec/dedup.ts';
import { DeduplicateWithinWatermark } from '../exec/dedup-within-watermark.ts';
import type { LogicalPlan } from './logical.ts';
import { type PhysicalPlan, withStateful } from './physical-plan.ts';
import { watermarkColumnOf } from './plan-aggregate.ts';

export function planDedup(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'dedup' }>): PhysicalPlan {
  const column = watermarkColumnOf(child);
  const keys = p.columns ?? child.schema.fields.map((f) => f.name);
  if (!p.withinWatermark) {
    // Spark trims by the key that carries event-time metadata; after a join both sides' times carry
    // it, so the key is looked for among all of them, not only the last watermark's column.
    const carriers = new Set([...child.watermarks.map((w) => w.column), ...(child.eventTimeColumns ?? [])]);
    const keyed = column !== null && keys.includes(column) ? column : keys.find((k) => carriers.has(k)) ?? column;
    return passWindows(child, withStateful(child, new Deduplicate(child.schema, p.columns, keyed), { aggregation: false, eventTime: keyed !== null && keys.includes(keyed) }));
  }
  // Spark's UnsupportedOperationChecker wording, with what to do.
  if (!child.sources.length) throw new AnalysisError(`dropDuplicatesWithinWatermark is not supported with batch DataFrames/DataSets; use dropDuplicates().`);
  const spec = column === null ? undefined : [...child.watermarks].reverse().find((w) => w.column === column);
  if (!spec) {
    throw new AnalysisError(`dropDuplicatesWithinWatermark is not supported on streaming DataFrames/DataSets without watermark: `
      + `add withWatermark('<event time column>', '<delay>') before it (the delay is how long a key is remembered after its event time).`);
  }
  return passWindows(child, withStateful(child, new DeduplicateWithinWatermark(child.schema, p.columns, spec), { aggregation: false, eventTime: true }));
}

/** Deduplication passes its input's columns on unchanged, and with them what carries event time. */
function passWindows(child: PhysicalPlan, next: PhysicalPlan): PhysicalPlan {
  return { ...next, windowColumns: child.windowColumns, eventTimeColumns: child.eventTimeColumns };
}
