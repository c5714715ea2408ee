import type { Batch } from '../data/batch.ts';
import { takeBatch, trueIndices } from '../data/take.ts';
import type { EvalContext, Bound } from './compiled-expr.ts';

/** Keep the rows where the predicate is true (null is not true). */
export function filter(predicate: Bound): (b: Batch, ctx: EvalContext) => Batch {
  return (b, ctx) => {
    if (b.numRows === 0) return b;
    const keep = trueIndices(predicate.eval(b, ctx));
    return keep.length === b.numRows ? b : takeBatch(b, keep);
  };
}
