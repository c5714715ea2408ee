import * as A from 'apache-arrow';
import type { ArrayType, DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { ValidityBuilder, listColumn, nullColumn } from '../../data/builders.ts';
import { take } from '../../data/take.ts';
import type { Cell } from '../../data/cells.ts';

/**
 * What the array functions share. An array column is offsets into one child column of all its
 * elements, so a function that picks, reorders or drops elements computes child indices per row
 * and gathers the child once (take), never building an array object per row.
 */

/** Rows of `d` picked by `idx`, null where idx is -1 (element_at out of range, explode_outer). */
export function takeOrNull(d: A.Data, type: DataType, idx: Int32Array): A.Data {
  const n = idx.length;
  let missing = 0;
  for (let j = 0; j < n; j++) if (idx[j]! < 0) missing++;
  if (missing === 0) return take(d, idx);
  if (missing === n || d.length === 0) return nullColumn(type, n);
  const safe = idx.map((i) => (i < 0 ? 0 : i));
  const out = take(d, safe), vb = new ValidityBuilder(n);
  for (let j = 0; j < n; j++) vb.set(j, idx[j]! >= 0 && isValid(out, j));
  return withValidity(out, vb.finish(n), vb.nullCount);
}

/** `d` with another validity bitmap (same buffers). */
function withValidity(d: A.Data, nullBitmap: Uint8Array | undefined, nullCount: number): A.Data {
  if (A.DataType.isStruct(d.type)) return A.makeData({ type: d.type, length: d.length, nullCount, nullBitmap, children: d.children });
  if (A.DataType.isList(d.type) || A.DataType.isMap(d.type)) return A.makeData({ type: d.type, length: d.length, nullCount, nullBitmap, valueOffsets: d.valueOffsets, child: d.children[0]! } as never) as A.Data;
  return A.makeData({ type: d.type, length: d.length, nullCount, nullBitmap, data: d.values, valueOffsets: d.valueOffsets } as never) as A.Data;
}

/**
 * An array column whose row i holds child rows `picked[offsets[i] .. offsets[i+1])` of `src`
 * (an array column of the same type); rows where `valid` is false are null.
 */
export function regather(type: ArrayType, src: A.Data, offsets: Int32Array, picked: Int32Array, n: number, valid: (i: number) => boolean): A.Data {
  const vb = new ValidityBuilder(n);
  for (let i = 0; i < n; i++) vb.set(i, valid(i));
  return listColumn(type, offsets, take(src.children[0]!, picked), n, vb.finish(n), vb.nullCount);
}

/** Spark's SQL equality of two non-null element cells: NaN equals NaN, bytes compare by content. */
export function cellsEqual(a: Cell, b: Cell): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
    return true;
  }
  if (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a)) return Number.isNaN(b);
  return a === b;
}

/**
 * Spark's order of two non-null elements of `child` (indices into it), read straight from its
 * buffers: strings and binary by bytes (UTF-8 byte order is code point order), numbers from their
 * typed array, NaN above every other double. No cell is made per comparison.
 */
export function elementComparator(child: A.Data, type: DataType): (x: number, y: number) => number {
  switch (type.kind) {
    case 'string': case 'binary': {
      const o = child.valueOffsets as Int32Array, v = child.values as Uint8Array;
      return (x, y) => {
        const xs = o[x]!, xe = o[x + 1]!, ys = o[y]!, ye = o[y + 1]!, n = Math.min(xe - xs, ye - ys);
        for (let k = 0; k < n; k++) { const d = v[xs + k]! - v[ys + k]!; if (d !== 0) return d; }
        return (xe - xs) - (ye - ys);
      };
    }
    case 'boolean': { const v = child.values as Uint8Array; return (x, y) => ((v[x >> 3]! >> (x & 7)) & 1) - ((v[y >> 3]! >> (y & 7)) & 1); }
    case 'double': {
      const v = child.values as Float64Array;
      return (x, y) => {
        const a = v[x]!, b = v[y]!;
        if (a !== a || b !== b) return a !== a ? (b !== b ? 0 : 1) : -1;
        return a < b ? -1 : a > b ? 1 : 0;
      };
    }
    default: { const v = child.values as Int32Array | BigInt64Array; return (x, y) => (v[x]! < v[y]! ? -1 : v[x]! > v[y]! ? 1 : 0); }
  }
}

/** Element types whose values compare and hash as cells (not structs, arrays or nulls-only). */
export function isAtomicElement(t: DataType): boolean {
  return t.kind !== 'struct' && t.kind !== 'array';
}
