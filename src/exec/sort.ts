import type * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import { type Batch, isValid } from '../data/batch.ts';
import { take, takeBatch } from '../data/take.ts';
import { cellReader } from '../data/cells.ts';
import type { Bound, EvalContext } from './compiled-expr.ts';
import { elementComparator } from './functions/array-columns.ts';

/** One key of an orderBy(): Spark's SortOrder (ascending puts nulls first, descending last, unless said). */
export interface SortKey { readonly key: Bound; readonly ascending: boolean; readonly nullsFirst: boolean }

/** How two rows of a column compare by value; decimals by their unscaled bigints. */
function valueOrder(d: A.Data, type: DataType): (x: number, y: number) => number {
  if (type.kind !== 'decimal') return elementComparator(d, type);
  const r = cellReader(d, type);
  return (x, y) => { const a = r(x) as bigint, b = r(y) as bigint; return a < b ? -1 : a > b ? 1 : 0; };
}

/**
 * The rows of `b` in the order of `keys`, ties in input order (TypedArray sort is stable): a row
 * permutation from comparators over the key columns, then one gather of every column.
 */
export function sortBatch(b: Batch, keys: readonly SortKey[], ctx: EvalContext): Batch {
  const n = b.numRows;
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const cmps = keys.map(({ key, ascending, nullsFirst }) => {
    let d = key.eval(b, ctx);
    // The comparators index values from 0; a sliced column is copied to start there.
    if (d.offset !== 0) d = take(d, identity);
    const order = valueOrder(d, key.type), sign = ascending ? 1 : -1, nullRank = nullsFirst ? -1 : 1, col = d;
    if (col.nullCount === 0) return (x: number, y: number) => sign * order(x, y);
    return (x: number, y: number) => {
      const vx = isValid(col, x), vy = isValid(col, y);
      if (!vx || !vy) return vx === vy ? 0 : vx ? -nullRank : nullRank;
      return sign * order(x, y);
    };
  });
  const idx = identity.slice();
  idx.sort((x, y) => {
    for (const c of cmps) { const r = c(x, y); if (r !== 0) return r; }
    return 0;
  });
  return takeBatch(b, idx);
}
