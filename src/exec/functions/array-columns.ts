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
  if (A.DataType.isList(d.type)) return A.makeData({ type: d.type, length: d.length, nullCount, nullBitmap, valueOffsets: d.valueOffsets, child: d.children[0]! });
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

/** Spark's ordering of two non-null atomic cells (NaN above every other double, as in Spark). */
export function compareCells(a: Cell, b: Cell): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
    return a.length - b.length;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Strings in Spark's order: by UTF-8 bytes, which is code point order (JS's < compares UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a.codePointAt(k)!, y = b.codePointAt(k)!;
    if (x !== y) return x - y;
    if (x > 0xffff) k++;
  }
  return a.length - b.length;
}

/** Element types whose values compare and hash as cells (not structs, arrays or nulls-only). */
export function isAtomicElement(t: DataType): boolean {
  return t.kind !== 'struct' && t.kind !== 'array';
}
