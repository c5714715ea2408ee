import type * as A from 'apache-arrow';
import type { ArrayType, DataType, DecimalType, MapType } from './types.ts';
import { decimalWords, readDecimal, writeDecimal } from './decimal.ts';
import { isValid } from './batch.ts';
import { BytesBuilder, ValidityBuilder, primitiveColumn, nullColumn, listColumn, decimalColumn, mapColumn } from './builders.ts';

/**
 * One JS value per cell, for kernels that are not on a hot path (casts, arithmetic,
 * console output). boolean: boolean; int/double: number; long: bigint;
 * timestamp: ms number; date: days number; string: string; binary: Uint8Array; decimal: its unscaled
 * bigint (the type holds the scale: 1.20 in decimal(10,2) is 120n); array: a JS
 * array of its elements' cells (null for a null array, [] for an empty one); map: a JS array of
 * its [key, value] pairs in order (so a map cell is an array cell of two-element arrays).
 */
export type Cell = boolean | number | bigint | string | Uint8Array | null | readonly Cell[];

const dec = new TextDecoder();
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

export function cellReader(d: A.Data, type: DataType): (i: number) => Cell {
  const has = d.nullCount > 0;
  switch (type.kind) {
    case 'boolean': { const v = d.values as Uint8Array; return (i) => (has && !isValid(d, i) ? null : ((v[i >> 3]! >> (i & 7)) & 1) === 1); }
    case 'int': case 'date': case 'double': { const v = d.values as Int32Array | Float64Array; return (i) => (has && !isValid(d, i) ? null : v[i]!); }
    case 'long': { const v = d.values as BigInt64Array; return (i) => (has && !isValid(d, i) ? null : v[i]!); }
    case 'timestamp': { const v = d.values as BigInt64Array; return (i) => (has && !isValid(d, i) ? null : Number(v[i]!)); }
    case 'string': { const o = d.valueOffsets as Int32Array, v = d.values as Uint8Array; return (i) => (has && !isValid(d, i) ? null : dec.decode(v.subarray(o[i]!, o[i + 1]!))); }
    case 'binary': { const o = d.valueOffsets as Int32Array, v = d.values as Uint8Array; return (i) => (has && !isValid(d, i) ? null : v.subarray(o[i]!, o[i + 1]!)); }
    case 'decimal': { const w = decimalWords(d); return (i) => (has && !isValid(d, i) ? null : readDecimal(w, i)); }
    case 'null': return () => null;
    case 'struct': throw new Error('cellReader: struct columns are read through their children');
    case 'array': {
      const o = d.valueOffsets as Int32Array, el = cellReader(d.children[0]!, type.elementType);
      return (i) => {
        if (has && !isValid(d, i)) return null;
        const out: Cell[] = new Array(o[i + 1]! - o[i]!);
        for (let k = o[i]!, j = 0; k < o[i + 1]!; k++, j++) out[j] = el(k);
        return out;
      };
    }
    case 'map': {
      const o = d.valueOffsets as Int32Array, e = d.children[0]!;
      const key = cellReader(e.children[0]!, type.keyType), value = cellReader(e.children[1]!, type.valueType);
      return (i) => {
        if (has && !isValid(d, i)) return null;
        const out: Cell[] = new Array(o[i + 1]! - o[i]!);
        for (let k = o[i]!, j = 0; k < o[i + 1]!; k++, j++) out[j] = [key(k), value(k)];
        return out;
      };
    }
  }
}

/** Fills a column of `type` cell by cell, in order. */
export interface CellWriter { push(v: Cell): void; finish(): A.Data }

export function cellWriter(type: DataType, capacity: number): CellWriter {
  switch (type.kind) {
    case 'string': case 'binary': {
      const bb = new BytesBuilder(capacity);
      return {
        push: (v) => { if (v === null) bb.appendNull(); else if (typeof v === 'string') bb.appendString(v); else bb.appendBytes(v as Uint8Array); },
        finish: () => bb.finish(type.kind as 'string' | 'binary'),
      };
    }
    case 'null': { let n = 0; return { push: () => { n++; }, finish: () => nullColumn(type, n) }; }
    case 'struct': throw new Error('cellWriter: struct columns are built from their children');
    case 'array': return arrayWriter(type, capacity);
    case 'decimal': return decimalWriter(type, capacity);
    case 'map': return mapWriter(type, capacity);
    default: {
      let arr = type.kind === 'long' || type.kind === 'timestamp' ? new BigInt64Array(capacity)
        : type.kind === 'double' ? new Float64Array(capacity) : type.kind === 'boolean' ? new Uint8Array(capacity) : new Int32Array(capacity);
      const vb = new ValidityBuilder(capacity);
      let n = 0;
      const big = arr instanceof BigInt64Array;
      // A number into an int64 (a timestamp's ms) as its two 32-bit words: a BigInt per cell was
      // most of writing a 1M-key window state (profiled). Exact below 2^53, as the ms cell is.
      let words = big ? new Int32Array(arr.buffer) : null;
      return {
        push: (v) => {
          // Grows past `capacity`: an array's element count is not known up front.
          if (n >= arr.length) {
            const a = new (arr.constructor as Int32ArrayConstructor)(Math.max(arr.length * 2, 16)); a.set(arr as Int32Array); arr = a;
            if (big) words = new Int32Array(arr.buffer);
          }
          if (v === null) { vb.set(n++, false); return; }
          if (big && typeof v === 'number' && v < 9007199254740992 && v > -9007199254740992) {
            const x = Math.trunc(v), hi = Math.floor(x / 4294967296);
            words![2 * n + LO] = x - hi * 4294967296; words![2 * n + 1 - LO] = hi;
          } else if (big) (arr as BigInt64Array)[n] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v as number));
          else (arr as Int32Array)[n] = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
          vb.set(n++, true);
        },
        finish: () => primitiveColumn(type, arr, n, vb.finish(n), vb.nullCount),
      };
    }
  }
}

/** Unscaled bigints into Decimal128's two words per row; the caller has checked the precision. */
function decimalWriter(type: DecimalType, capacity: number): CellWriter {
  let words = new BigInt64Array(Math.max(capacity, 1) * 2), n = 0;
  const vb = new ValidityBuilder(capacity);
  return {
    push: (v) => {
      if (2 * n >= words.length) { const a = new BigInt64Array(words.length * 2); a.set(words); words = a; }
      if (v !== null) writeDecimal(words, n, v as bigint);
      vb.set(n++, v !== null);
    },
    finish: () => decimalColumn(type, words, n, vb.finish(n), vb.nullCount),
  };
}

/** An array column cell by cell: the elements go to one child writer, rows are offsets into it. */
function arrayWriter(type: ArrayType, capacity: number): CellWriter {
  const el = cellWriter(type.elementType, capacity * 2), vb = new ValidityBuilder(capacity);
  let offsets = new Int32Array(capacity + 1), n = 0, total = 0;
  return {
    push: (v) => {
      if (n + 1 >= offsets.length) { const o = new Int32Array(offsets.length * 2); o.set(offsets); offsets = o; }
      if (v !== null) {
        for (const x of v as readonly Cell[]) el.push(x);
        total += (v as readonly Cell[]).length;
      }
      vb.set(n, v !== null);
      offsets[++n] = total;
    },
    finish: () => listColumn(type, offsets.subarray(0, n + 1), el.finish(), n, vb.finish(n), vb.nullCount),
  };
}

/** A map column cell by cell: keys and values go to two child writers, rows are offsets into them. */
function mapWriter(type: MapType, capacity: number): CellWriter {
  const kw = cellWriter(type.keyType, capacity * 2), vw = cellWriter(type.valueType, capacity * 2), vb = new ValidityBuilder(capacity);
  let offsets = new Int32Array(capacity + 1), n = 0, total = 0;
  return {
    push: (v) => {
      if (n + 1 >= offsets.length) { const o = new Int32Array(offsets.length * 2); o.set(offsets); offsets = o; }
      if (v !== null) {
        for (const e of v as readonly (readonly Cell[])[]) { kw.push(e[0]!); vw.push(e[1]!); }
        total += (v as readonly Cell[]).length;
      }
      vb.set(n, v !== null);
      offsets[++n] = total;
    },
    finish: () => mapColumn(type, offsets.subarray(0, n + 1), kw.finish(), vw.finish(), n, vb.finish(n), vb.nullCount),
  };
}

/**
 * A double as Java's Double.toString writes it (`1.0`, `1.0E7`, `NaN`), which Spark uses wherever a
 * double becomes text: cast to string, show(), JSON (Jackson), partition directory names.
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const a = Math.abs(d);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : s + '.0';
  }
  const [m, e] = d.toExponential().split('e') as [string, string];
  return `${m.includes('.') ? m : m + '.0'}E${e.startsWith('+') ? e.slice(1) : e}`;
}
/** Spark's text for a timestamp: 'yyyy-MM-dd HH:mm:ss[.SSS]' in UTC. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '000' ? '' : '.' + frac}`;
}

export function formatDate(days: number): string {
  return new Date(days * 86400000).toISOString().slice(0, 10);
}

/**
 * Days since the epoch of a string cast to a date, as Spark's stringToDate: `yyyy`, `yyyy-[m]m`,
 * `yyyy-[m]m-[d]d`, then anything after a space or 'T' ('2015-07-22 10:00:00' is its day; the time
 * and its zone are not read). Null when it is none of these or names no real day ('2017-02-29').
 */
export function parseDate(s: string): number | null {
  const m = /^([+-]?\d{4,7})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T].*)?)?)?$/s.exec(s.trim());
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2] ?? 1), d = Number(m[3] ?? 1);
  const day = new Date(0);
  day.setUTCFullYear(y, mo - 1, d);
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  return Math.floor(day.getTime() / 86400000);
}

/** Parse a timestamp string as Spark's cast does (ISO-8601, space or T, optional zone; no zone = UTC). Null when unparsable. */
export function parseTimestamp(s: string): number | null {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  // setUTCFullYear keeps years 0-99 (Date.UTC reads them as 19xx); a day the month lacks (2017-02-29)
  // or a time past 23:59:59 is null, as Spark's cast, where Date.UTC would roll it over.
  const day = new Date(0);
  day.setUTCFullYear(+y!, +mo! - 1, +d!);
  if (day.getUTCMonth() !== +mo! - 1 || day.getUTCDate() !== +d! || +h > 23 || +mi > 59 || +sec > 59) return null;
  let ms = day.getTime() + ((+h * 60 + +mi) * 60 + +sec) * 1000 + (frac ? Math.floor(+(frac + '00').slice(0, 3)) : 0);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1, z = zone.slice(1).replace(':', '');
    ms -= sign * (+z.slice(0, 2) * 60 + +z.slice(2)) * 60000;
  }
  return ms;
}
