import type * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import { isValid } from '../data/batch.ts';
import type { Cell } from '../data/cells.ts';
import { decimalWords, readDecimal } from '../data/decimal.ts';

/**
 * Group keys as one JS string per row, for the state store's Map. Strings enter as the
 * latin1 reading of their UTF-8 bytes, so the fast path can slice Arrow's byte buffer
 * without decoding, and a key rebuilt from cells after a restart is the same string.
 */
export const KEY_SEP = '\u0001';
export const NULL_KEY = '\u0000';

export function cellKeyPart(v: Cell, type: DataType): string {
  if (v === null) return NULL_KEY;
  if (type.kind === 'string') return Buffer.from(v as string, 'utf8').toString('latin1');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('latin1');
  return String(v);
}

export function encodeCells(cells: readonly Cell[], types: readonly DataType[]): string {
  let s = '';
  for (let k = 0; k < cells.length; k++) {
    if (k) s += KEY_SEP;
    s += cellKeyPart(cells[k]!, types[k]!);
  }
  return s;
}

/**
 * The key part of every row of one column, as the state store encodes it (see
 * encodeCells above): strings as latin1 of their bytes, sliced from Arrow's buffer without
 * decoding; numbers as their decimal text.
 */
export function keyParts(d: A.Data, type: DataType, n: number): string[] {
  const out: string[] = new Array(n);
  const nulls = d.nullCount > 0;
  if (type.kind === 'string' || type.kind === 'binary') {
    const v = d.values as Uint8Array, o = d.valueOffsets as Int32Array;
    const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : buf.toString('latin1', o[i]!, o[i + 1]!);
  } else if (type.kind === 'decimal') {
    // The unscaled value's text, as cellKeyPart gives for its bigint cell.
    const w = decimalWords(d);
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : String(readDecimal(w, i));
  } else if (type.kind === 'boolean') {
    const v = d.values as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 'true' : 'false';
  } else {
    const v = d.values as Int32Array | Float64Array | BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : String(v[i]!);
  }
  return out;
}

/**
 * The state key of row i, from the key parts of each key column (keyParts above): the
 * same string encodeCells gives for the row's key cells, so a key built while a batch runs
 * and one rebuilt from a state file after a restart find the same slot.
 */
export function rowKey(parts: readonly (readonly string[])[], i: number): string {
  if (parts.length === 1) return parts[0]![i]!;
  let key = '';
  for (let k = 0; k < parts.length; k++) key += (k ? KEY_SEP : '') + parts[k]![i]!;
  return key;
}

/**
 * The state key of one window of a group: the group's key (rowKey) with the window start as
 * its last key column. `grouped` is false when the window is the only grouping key.
 */
export function windowKey(groupKey: string, grouped: boolean, start: number): string {
  return grouped ? groupKey + KEY_SEP + start : String(start);
}
