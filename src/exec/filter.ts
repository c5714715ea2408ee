import type { Batch } from './batch.ts';
import { takeBatch, trueIndices } from './take.ts';
import type { EvalContext, Bound } from '../plan/analyzer.ts';

/** Keep the rows where the predicate is true (null is not true). */
export function filter(predicate: Bound): (b: Batch, ctx: EvalContext) => Batch {
  return (b, ctx) => (b.numRows === 0 ? b : takeBatch(b, trueIndices(predicate.eval(b, ctx))));
}
