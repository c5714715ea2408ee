import * as A from 'apache-arrow';
import type { DataType } from './types.ts';
import { toArrowType } from './types.ts';
import { isValid, makeBatch, type Batch } from './batch.ts';
import { mapColumn, nullColumn } from './builders.ts';
import { take } from './take.ts';

/**
 * Columns of the same type (offset 0) end to end, as one flat column. Used where an
 * operator needs a single indexable table, e.g. the build side of a hash join; not on a
 * per-chunk path.
 */
export function concatColumns(type: DataType, parts: readonly A.Data[]): A.Data {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  if (type.kind === 'null') return nullColumn(type, n);

  let nullCount = 0;
  for (const p of parts) nullCount += p.nullCount;
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    nullBitmap = new Uint8Array((n + 7) >> 3);
    let o = 0;
    for (const p of parts) {
      for (let i = 0; i < p.length; i++, o++) if (isValid(p, i)) nullBitmap[o >> 3]! |= 1 << (o & 7);
    }
  }

  if (type.kind === 'struct') {
    const children = type.fields.map((f, k) => concatColumns(f.type, parts.map((p) => p.children[k]!)));
    return A.makeData({ type: toArrowType(type) as A.Struct, length: n, nullCount, nullBitmap, children });
  }
  if (type.kind === 'array' || type.kind === 'map') {
    const offsets = new Int32Array(n + 1);
    let row = 0;
    for (const p of parts) {
      const o = p.valueOffsets as Int32Array, shift = offsets[row]! - o[0]!;
      for (let i = 1; i <= p.length; i++) offsets[row + i] = o[i]! + shift;
      row += p.length;
    }
    if (type.kind === 'map') {
      const entries = parts.map(elementsOf);
      const keys = concatColumns(type.keyType, entries.map((e) => e.children[0]!)), values = concatColumns(type.valueType, entries.map((e) => e.children[1]!));
      return mapColumn(type, offsets, keys, values, n, nullBitmap, nullCount);
    }
    const child = concatColumns(type.elementType, parts.map(elementsOf));
    return A.makeData({ type: toArrowType(type) as A.List, length: n, nullCount, nullBitmap, valueOffsets: offsets, child });
  }
  if (type.kind === 'string' || type.kind === 'binary') {
    let bytes = 0;
    for (const p of parts) { const o = p.valueOffsets as Int32Array; bytes += o[p.length]! - o[0]!; }
    const offsets = new Int32Array(n + 1), data = new Uint8Array(bytes);
    let row = 0, pos = 0;
    for (const p of parts) {
      const o = p.valueOffsets as Int32Array, v = p.values as Uint8Array, base = o[0]!;
      for (let i = 1; i <= p.length; i++) offsets[row + i] = pos + o[i]! - base;
      data.set(v.subarray(base, o[p.length]!), pos);
      pos += o[p.length]! - base;
      row += p.length;
    }
    return A.makeData({ type: toArrowType(type), length: n, nullCount, nullBitmap, valueOffsets: offsets, data } as never) as A.Data;
  }
  if (type.kind === 'boolean') {
    const bits = new Uint8Array((n + 7) >> 3);
    let o = 0;
    for (const p of parts) {
      const v = p.values as Uint8Array;
      for (let i = 0; i < p.length; i++, o++) if ((v[i >> 3]! >> (i & 7)) & 1) bits[o >> 3]! |= 1 << (o & 7);
    }
    return A.makeData({ type: new A.Bool(), length: n, nullCount, nullBitmap, data: bits });
  }
  const at = toArrowType(type);
  // Decimal128 is four 32-bit words a row; the other fixed-width types one element.
  const width = type.kind === 'decimal' ? 4 : 1;
  const out = new (at.ArrayType as Int32ArrayConstructor)(n * width) as Int32Array | Float64Array | BigInt64Array | Uint32Array;
  let o = 0;
  for (const p of parts) { out.set((p.values as typeof out).subarray(0, p.length * width) as never, o); o += p.length * width; }
  return A.makeData({ type: at, length: n, nullCount, nullBitmap, data: out } as never) as A.Data;
}

/** The child rows an array (or map) column's rows use, as a column starting at its first one. */
function elementsOf(p: A.Data): A.Data {
  const o = p.valueOffsets as Int32Array, child = p.children[0]!, from = o[0]!, to = o[p.length]!;
  if (from === 0 && to === child.length) return child;
  return take(child, Int32Array.from({ length: to - from }, (_, k) => from + k));
}

/** Batches of one schema as a single batch. */
export function concatBatches(schema: Batch['schema'], batches: readonly Batch[]): Batch {
  if (batches.length === 1) return batches[0]!;
  let n = 0;
  for (const b of batches) n += b.numRows;
  const cols = schema.fields.map((f, k) =>
    batches.length === 0 ? nullColumn(f.type, 0) : concatColumns(f.type, batches.map((b) => b.columns[k]!)));
  return makeBatch(schema, cols, n);
}
