import type * as A from 'apache-arrow';
import { boolean, int } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder, ValidityBuilder, primitiveColumn } from '../../data/builders.ts';

/**
 * Small readers and writers the string functions share. A string column is read as its UTF-8
 * bytes wherever the answer does not need characters (trim, startswith, concat), and decoded to
 * a JS string only where it does (regular expressions, substring of non-ASCII text).
 */

const dec = new TextDecoder();

/** Row i of a string column as a JS string (the caller checks validity). */
export function stringAt(d: A.Data, i: number): string {
  const o = d.valueOffsets as Int32Array;
  return dec.decode((d.values as Uint8Array).subarray(o[i]!, o[i + 1]!));
}

/** True when every argument is non-null at row i: most functions are null when any input is. */
export function allValid(cols: readonly A.Data[], i: number): boolean {
  for (const d of cols) if (!isValid(d, i)) return false;
  return true;
}

/** A boolean column from a per-row answer; null where `f` says null. */
export function booleanColumn(n: number, f: (i: number) => boolean | null): A.Data {
  const out = new Uint8Array(n), vb = new ValidityBuilder(n);
  for (let i = 0; i < n; i++) { const v = f(i); vb.set(i, v !== null); out[i] = v ? 1 : 0; }
  return primitiveColumn(boolean, out, n, vb.finish(n), vb.nullCount);
}

/** An int column from a per-row answer; null where `f` says null. */
export function intColumn(n: number, f: (i: number) => number | null): A.Data {
  const out = new Int32Array(n), vb = new ValidityBuilder(n);
  for (let i = 0; i < n; i++) { const v = f(i); vb.set(i, v !== null); out[i] = v ?? 0; }
  return primitiveColumn(int, out, n, vb.finish(n), vb.nullCount);
}

/** Bytes [s, e) of row i of a string or binary column. */
export function bytesOf(d: A.Data, i: number): [Uint8Array, number, number] {
  const o = d.valueOffsets as Int32Array;
  return [d.values as Uint8Array, o[i]!, o[i + 1]!];
}

/** A string column from a per-row answer; null where `f` says null. */
export function stringColumn(n: number, f: (i: number) => string | null): A.Data {
  const bb = new BytesBuilder(n);
  for (let i = 0; i < n; i++) { const v = f(i); if (v === null) bb.appendNull(); else bb.appendString(v); }
  return bb.finish('string');
}
