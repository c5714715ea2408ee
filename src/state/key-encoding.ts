import type { DataType } from '../api/types.ts';
import type { Cell } from '../exec/values.ts';

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
