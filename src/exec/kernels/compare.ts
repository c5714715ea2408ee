import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { cellReader } from '../../data/cells.ts';
import { primitiveColumn } from '../../data/builders.ts';
import { boolean } from '../../data/types.ts';

export type CmpOp = 'eq' | 'neq' | 'gt' | 'geq' | 'lt' | 'leq';

const test: Record<CmpOp, (c: number) => boolean> = {
  eq: (c) => c === 0, neq: (c) => c !== 0, gt: (c) => c > 0, geq: (c) => c >= 0, lt: (c) => c < 0, leq: (c) => c <= 0,
};

function bytesCmp(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const la = ae - as, lb = be - bs, n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) { const d = a[as + k]! - b[bs + k]!; if (d !== 0) return d; }
  return la - lb;
}

/** Result validity: null when either side is null (SQL three-valued logic). */
function bothValid(l: A.Data, r: A.Data, n: number, out: Uint8Array): { bitmap?: Uint8Array; nulls: number } {
  if (l.nullCount === 0 && r.nullCount === 0) return { nulls: 0 };
  const bm = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isValid(l, i) && isValid(r, i)) bm[i >> 3]! |= 1 << (i & 7); else { nulls++; out[i] = 0; }
  }
  return { bitmap: bm, nulls };
}

/**
 * Compare two columns of one (already coerced) type. `rightConst` is a literal's bytes
 * or number when the right side is a constant: the common `col == 'x'` case runs without
 * building a constant column.
 */
export function compare(op: CmpOp, type: DataType, l: A.Data, r: A.Data, n: number): A.Data {
  const out = new Uint8Array(n);
  const t = test[op];
  if (type.kind === 'string' || type.kind === 'binary') {
    const lo = l.valueOffsets as Int32Array, lv = l.values as Uint8Array, ro = r.valueOffsets as Int32Array, rv = r.values as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = t(bytesCmp(lv, lo[i]!, lo[i + 1]!, rv, ro[i]!, ro[i + 1]!)) ? 1 : 0;
  } else if (type.kind === 'long' || type.kind === 'timestamp') {
    const lv = l.values as BigInt64Array, rv = r.values as BigInt64Array;
    for (let i = 0; i < n; i++) { const a = lv[i]!, b = rv[i]!; out[i] = t(a < b ? -1 : a > b ? 1 : 0) ? 1 : 0; }
  } else if (type.kind === 'int' || type.kind === 'double' || type.kind === 'date') {
    const lv = l.values as Int32Array | Float64Array, rv = r.values as Int32Array | Float64Array;
    for (let i = 0; i < n; i++) { const a = lv[i]!, b = rv[i]!; out[i] = t(a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN) ? 1 : 0; }
  } else {
    const ra = cellReader(l, type), rb = cellReader(r, type);
    for (let i = 0; i < n; i++) { const a = ra(i), b = rb(i); out[i] = a !== null && b !== null && t(a < b ? -1 : a > b ? 1 : 0) ? 1 : 0; }
  }
  const { bitmap, nulls } = bothValid(l, r, n, out);
  return primitiveColumn(boolean, out, n, bitmap, nulls);
}

/** `col == 'literal'` on strings without a constant column: the filter hot path. */
export function compareBytesConst(op: CmpOp, l: A.Data, lit: Uint8Array, n: number): A.Data {
  const out = new Uint8Array(n);
  const lo = l.valueOffsets as Int32Array, lv = l.values as Uint8Array, len = lit.length;
  if (op === 'eq' || op === 'neq') {
    const want = op === 'eq' ? 1 : 0;
    const first = len > 0 ? lit[0]! : 0;
    for (let i = 0; i < n; i++) {
      const s = lo[i]!;
      let eq = lo[i + 1]! - s === len && (len === 0 || lv[s] === first);
      for (let k = 1; eq && k < len; k++) if (lv[s + k] !== lit[k]) eq = false;
      out[i] = eq ? want : 1 - want;
    }
  } else {
    const t = test[op];
    for (let i = 0; i < n; i++) out[i] = t(bytesCmp(lv, lo[i]!, lo[i + 1]!, lit, 0, len)) ? 1 : 0;
  }
  let bitmap: Uint8Array | undefined, nulls = 0;
  if (l.nullCount > 0) {
    bitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (isValid(l, i)) bitmap[i >> 3]! |= 1 << (i & 7); else { nulls++; out[i] = 0; }
  }
  return primitiveColumn(boolean, out, n, bitmap, nulls);
}
