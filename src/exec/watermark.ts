import type { Batch } from '../data/batch.ts';
import { isValid } from '../data/batch.ts';
import type { EvalContext } from './compiled-expr.ts';

const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/** withWatermark(): rows pass unchanged; their event times feed the watermark (max) and the progress's eventTime stats. */
export function observeEventTime(columnIndex: number, statsIndex: number): (b: Batch, ctx: EvalContext) => Batch {
  return (b, ctx) => {
    const d = b.columns[columnIndex]!, v = d.values as BigInt64Array;
    // The int64 ms read as two int32 words: reading the BigInt64Array made a BigInt a row (profiled:
    // a few % of a 1M-row batch, and its garbage). Exact below 2^53 ms, as every event time is.
    const w = new Int32Array(v.buffer, v.byteOffset, 2 * v.length);
    const s = ctx.eventTime[statsIndex]!;
    const nulls = d.nullCount > 0;
    let min = s.min, max = s.max, sum = s.sum, count = s.count;
    for (let i = 0; i < b.numRows; i++) {
      if (nulls && !isValid(d, i)) continue;
      const t = w[2 * i + 1 - LO]! * 4294967296 + (w[2 * i + LO]! >>> 0);
      if (t < min) min = t;
      if (t > max) max = t;
      sum += t; count++;
    }
    s.min = min; s.max = max; s.sum = sum; s.count = count;
    return b;
  };
}
