import * as A from 'apache-arrow';
import { string } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';

const dec = new TextDecoder();

/** A byte table for ASCII letters; every other byte maps to itself. */
function asciiTable(from: number, to: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = b >= from && b < from + 26 ? b - from + to : b;
  return t;
}
const toUpper = asciiTable(0x61, 0x41), toLower = asciiTable(0x41, 0x61);

/**
 * Change the case of every string; null stays null. ASCII strings (the common case) are mapped
 * byte by byte; only a string with other characters is decoded, so Unicode rules (`ß` -> `SS`)
 * hold where they matter without paying for them elsewhere.
 */
function changeCase(d: A.Data, n: number, table: Uint8Array, unicode: (s: string) => string): A.Data {
  const o = d.valueOffsets as Int32Array, v = d.values as Uint8Array;
  const start = o[0] ?? 0, end = o[n] ?? 0;
  let ascii = true;
  for (let k = start; k < end; k++) if (v[k]! >= 0x80) { ascii = false; break; }
  if (ascii) {
    // An all-ASCII column keeps its lengths: one pass over the bytes; offsets and nulls are shared.
    const out = new Uint8Array(end - start);
    for (let k = start; k < end; k++) out[k - start] = table[v[k]!]!;
    const offsets = start === 0 ? o.subarray(0, n + 1) : o.subarray(0, n + 1).map((x) => x - start);
    return A.makeData({ type: new A.Utf8(), length: n, nullCount: d.nullCount, nullBitmap: d.nullBitmap, valueOffsets: offsets, data: out });
  }
  const bb = new BytesBuilder(n, (o[n] ?? 0) - (o[0] ?? 0));
  for (let i = 0; i < n; i++) {
    if (!isValid(d, i)) { bb.appendNull(); continue; }
    const s = o[i]!, e = o[i + 1]!;
    let ascii = true;
    for (let k = s; k < e; k++) if (v[k]! >= 0x80) { ascii = false; break; }
    if (!ascii) { bb.appendString(unicode(dec.decode(v.subarray(s, e)))); continue; }
    const at = bb.offsets[bb.length]!;
    bb.appendBytes(v, s, e);
    const out = bb.bytes;
    for (let k = at, end = at + e - s; k < end; k++) out[k] = table[out[k]!]!;
  }
  return bb.finish('string');
}

/** upper(s): Spark casts a non-string atomic argument to string first (upper(1) is '1'). */
export const upper: ScalarFunction = {
  name: 'upper', aliases: ['ucase'], arity: 1,
  bind: fixedTypes(['string'], string, ([s], n) => changeCase(s!, n, toUpper, (x) => x.toUpperCase())),
};

export const lower: ScalarFunction = {
  name: 'lower', aliases: ['lcase'], arity: 1,
  bind: fixedTypes(['string'], string, ([s], n) => changeCase(s!, n, toLower, (x) => x.toLowerCase())),
};
