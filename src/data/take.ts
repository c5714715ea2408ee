import * as A from 'apache-arrow';
import { isValid } from './batch.ts';
import type { Batch } from './batch.ts';
import { makeBatch } from './batch.ts';
import { copyWords, viewOver } from '../util/byte-words.ts';

/** Gather rows `idx` of a column into a new flat column. Handles every type the engine has. */
export function take(d: A.Data, idx: Int32Array): A.Data {
  const n = idx.length;
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (d.nullCount > 0) {
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let j = 0; j < n; j++) {
      if (isValid(d, idx[j]!)) nullBitmap[j >> 3]! |= 1 << (j & 7); else nullCount++;
    }
    if (nullCount === 0) nullBitmap = undefined;
  }
  const t = d.type;
  if (A.DataType.isStruct(t)) {
    return A.makeData({ type: t, length: n, nullCount, nullBitmap, children: d.children.map((c) => take(c, idx)) });
  }
  if (A.DataType.isNull(t)) return A.makeData({ type: t, length: n, nullCount: n });
  if (A.DataType.isList(t) || A.DataType.isMap(t)) {
    // A map is a list of its entries (a struct of key and value), taken the same way.
    // The rows' element ranges, gathered as one index into the child: one take per batch, not per row.
    const off = d.valueOffsets as Int32Array, offsets = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) { const i = idx[j]!; offsets[j + 1] = offsets[j]! + off[i + 1]! - off[i]!; }
    const childIdx = new Int32Array(offsets[n]!);
    for (let j = 0, p = 0; j < n; j++) { const i = idx[j]!; for (let k = off[i]!; k < off[i + 1]!; k++) childIdx[p++] = k; }
    return A.makeData({ type: t, length: n, nullCount, nullBitmap, valueOffsets: offsets, child: take(d.children[0]!, childIdx) } as never) as A.Data;
  }
  if (A.DataType.isUtf8(t) || A.DataType.isBinary(t)) {
    const off = d.valueOffsets as Int32Array, src = d.values as Uint8Array;
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let j = 0; j < n; j++) { const i = idx[j]!; total += off[i + 1]! - off[i]!; offsets[j + 1] = total; }
    const bytes = new Uint8Array(total);
    // Short values by words: a subarray object per row for set() was most of this take's cost (and its garbage).
    const from = viewOver(src), to = viewOver(bytes);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!, s = off[i]!, e = off[i + 1]!;
      if (e - s < 64) copyWords(from, s, e, to, offsets[j]!);
      else bytes.set(src.subarray(s, e), offsets[j]!);
    }
    return A.makeData({ type: t, length: n, nullCount, nullBitmap, valueOffsets: offsets, data: bytes } as never) as A.Data;
  }
  if (A.DataType.isBool(t)) {
    const src = d.values as Uint8Array, bits = new Uint8Array((n + 7) >> 3);
    for (let j = 0; j < n; j++) { const i = idx[j]!; if ((src[i >> 3]! >> (i & 7)) & 1) bits[j >> 3]! |= 1 << (j & 7); }
    return A.makeData({ type: t, length: n, nullCount, nullBitmap, data: bits });
  }
  if (A.DataType.isDecimal(t)) {
    // 128 bits a row: four 32-bit words.
    const src = d.values as Uint32Array, out = new Uint32Array(n * 4);
    for (let j = 0; j < n; j++) { const i = idx[j]! * 4, o = j * 4; out[o] = src[i]!; out[o + 1] = src[i + 1]!; out[o + 2] = src[i + 2]!; out[o + 3] = src[i + 3]!; }
    return A.makeData({ type: t, length: n, nullCount, nullBitmap, data: out });
  }
  const src = d.values as Int32Array | Float64Array | BigInt64Array;
  const Ctor = src.constructor as { new (n: number): typeof src };
  const out = new Ctor(n);
  for (let j = 0; j < n; j++) out[j] = src[idx[j]!]!;
  return A.makeData({ type: t, length: n, nullCount, nullBitmap, data: out } as never) as A.Data;
}

export function takeBatch(b: Batch, idx: Int32Array): Batch {
  return makeBatch(b.schema, b.columns.map((c) => take(c, idx)), idx.length);
}

/** Indices of the rows where a boolean column is true (null counts as false). */
export function trueIndices(mask: A.Data): Int32Array {
  const bits = mask.values as Uint8Array, n = mask.length;
  const out = new Int32Array(n);
  let k = 0;
  const hasNulls = mask.nullCount > 0;
  for (let i = 0; i < n; i++) {
    if ((bits[i >> 3]! >> (i & 7)) & 1 && (!hasNulls || isValid(mask, i))) out[k++] = i;
  }
  return out.subarray(0, k);
}
