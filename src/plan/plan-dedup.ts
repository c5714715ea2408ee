import { AnalysisError } from '../errors.ts';
import { Deduplicate } from '../exec/dedup.ts';
import type { LogicalPlan } from './logical.ts';
import type { PhysicalPlan } from './physical-plan.ts';
import { watermarkColumnOf } from './plan-aggregate.ts';

export function planDedup(child: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'dedup' }>): PhysicalPlan {
  if (child.stateful) throw new AnalysisError(`Only one aggregation or dropDuplicates per streaming query is supported; ${child.stateful.name} comes first.`);
  const op = new Deduplicate(child.schema, p.columns, watermarkColumnOf(child));
  return { ...child, stateful: op, post: [] };
}
