import * as A from 'apache-arrow';
import { int, type ArrayType, type MapType, type Struct } from '../data/types.ts';
import { isValid, makeBatch, type Batch } from '../data/batch.ts';
import { take } from '../data/take.ts';
import { ValidityBuilder, primitiveColumn } from '../data/builders.ts';
import { takeOrNull } from './functions/array-columns.ts';
import type { EvalContext } from './compiled-expr.ts';

export interface GenerateSpec {
  /** The input column holding the arrays (the planner projects it next to the kept columns). */
  readonly arrayIndex: number;
  /** A map gives two columns, key and value, from its entries. */
  readonly arrayType: ArrayType | MapType;
  /** The input columns kept, in output order; the generated columns go in at `at`. */
  readonly kept: readonly number[];
  readonly at: number;
  /** explode_outer / posexplode_outer: a null or empty array gives one row of nulls. */
  readonly outer: boolean;
  /** posexplode: a 0-based `pos` column before the element. */
  readonly withPos: boolean;
}

/**
 * Spark's GenerateExec for the explode family: each input row is repeated once per element of
 * its array (or entry of its map), and the element column is the array's child gathered in that order. Columnar: one
 * pass over the offsets builds the row and element indices, then every column is one take.
 */
export function generate(schema: Struct, spec: GenerateSpec): (b: Batch, ctx: EvalContext) => Batch {
  return (b) => {
    const arr = b.columns[spec.arrayIndex]!, o = arr.valueOffsets as Int32Array, n = b.numRows;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const len = isValid(arr, i) ? o[i + 1]! - o[i]! : 0;
      total += len === 0 && spec.outer ? 1 : len;
    }
    const rows = new Int32Array(total), elems = new Int32Array(total), pos = spec.withPos ? new Int32Array(total) : null;
    const posValid = new ValidityBuilder(spec.withPos ? total : 0);
    let r = 0, padded = false;
    for (let i = 0; i < n; i++) {
      const start = o[i]!, len = isValid(arr, i) ? o[i + 1]! - start : 0;
      if (len === 0 && spec.outer) { rows[r] = i; elems[r] = -1; if (pos) posValid.set(r, false); r++; padded = true; continue; }
      for (let k = 0; k < len; k++, r++) { rows[r] = i; elems[r] = start + k; if (pos) { pos[r] = k; posValid.set(r, true); } }
    }
    const generated: A.Data[] = [];
    if (pos) generated.push(primitiveColumn(int, pos, total, posValid.finish(total), posValid.nullCount));
    // Every element once, in order (no null row padded in, and null rows own no elements): the child as it is.
    const child = arr.children[0]!, t = spec.arrayType;
    const whole = !padded && total === child.length && (total === 0 || (elems[0] === 0 && elems[total - 1] === total - 1));
    if (t.kind === 'map') {
      const [keys, values] = child.children as [A.Data, A.Data];
      generated.push(whole ? keys : takeOrNull(keys, t.keyType, elems), whole ? values : takeOrNull(values, t.valueType, elems));
    } else generated.push(whole ? child : takeOrNull(child, t.elementType, elems));
    const kept = spec.kept.map((k) => take(b.columns[k]!, rows));
    return makeBatch(schema, [...kept.slice(0, spec.at), ...generated, ...kept.slice(spec.at)], total);
  };
}
