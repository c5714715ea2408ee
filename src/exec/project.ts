import type { Struct } from '../data/types.ts';
import { makeBatch, type Batch } from '../data/batch.ts';
import { takeBatch } from '../data/take.ts';
import type { EvalContext, Bound } from './compiled-expr.ts';

/** Evaluate the select list; rows that an expression dropped (DROPMALFORMED) are removed afterwards. */
export function project(schema: Struct, bound: readonly Bound[]): (b: Batch, ctx: EvalContext) => Batch {
  return (b, ctx) => {
    let dropped: Uint8Array | null = null;
    const local: EvalContext = {
      metrics: ctx.metrics,
      eventTime: ctx.eventTime,
      batchTimestampMs: ctx.batchTimestampMs,
      drop: (rows) => { dropped ??= new Uint8Array(b.numRows); for (const r of rows) dropped[r] = 1; },
    };
    const out = makeBatch(schema, bound.map((x) => x.eval(b, local)), b.numRows);
    if (!dropped) return out;
    const keep: number[] = [];
    const d: Uint8Array = dropped;
    for (let i = 0; i < b.numRows; i++) if (!d[i]) keep.push(i);
    return takeBatch(out, Int32Array.from(keep));
  };
}
