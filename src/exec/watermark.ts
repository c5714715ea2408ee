import type { Batch } from '../data/batch.ts';
import { isValid } from '../data/batch.ts';
import type { EvalContext } from './compiled-expr.ts';

/** withWatermark(): rows pass unchanged; their event times feed the watermark (max) and the progress's eventTime stats. */
export function observeEventTime(columnIndex: number, statsIndex: number): (b: Batch, ctx: EvalContext) => Batch {
  return (b, ctx) => {
    const d = b.columns[columnIndex]!, v = d.values as BigInt64Array;
    const s = ctx.eventTime[statsIndex]!;
    const nulls = d.nullCount > 0;
    let min = s.min, max = s.max, sum = s.sum, count = s.count;
    for (let i = 0; i < b.numRows; i++) {
      if (nulls && !isValid(d, i)) continue;
      const t = Number(v[i]!);
      if (t < min) min = t;
      if (t > max) max = t;
      sum += t; count++;
    }
    s.min = min; s.max = max; s.sum = sum; s.count = count;
    return b;
  };
}
