import type * as A from 'apache-arrow';
import { type Cell, cellReader, cellWriter } from '../../data/cells.ts';
import type { DataType } from '../../data/types.ts';

/**
 * A row-wise map over a function's few arguments, for functions whose work per row is arithmetic
 * (dates, math) rather than memory traffic: one reader per argument, one writer for the result.
 */
/** `n` rows of `out`: null where any argument is null, else f(the arguments' values). */
export function mapRows(cols: readonly A.Data[], types: readonly DataType[], out: DataType, n: number, f: (v: Cell[]) => Cell): A.Data {
  const read = cols.map((d, k) => cellReader(d, types[k]!)), w = cellWriter(out, n), vals: Cell[] = new Array<Cell>(cols.length);
  outer: for (let i = 0; i < n; i++) {
    for (let k = 0; k < read.length; k++) { const v = read[k]!(i); if (v === null) { w.push(null); continue outer; } vals[k] = v; }
    w.push(f(vals));
  }
  return w.finish();
}
