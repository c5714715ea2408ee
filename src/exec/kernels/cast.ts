import * as A from 'apache-arrow';
import type { DataType, DecimalType } from '../../data/types.ts';
import { decimalFromNumber, decimalToNumber, fitsPrecision, javaDecimalString, parseDecimal, pow10, rescale, writeDecimal, writeSmallDecimal } from '../../data/decimal.ts';
import { toArrowType, typeToString } from '../../data/types.ts';
import { decimalColumn, mapColumn } from '../../data/builders.ts';
import { isValid as isValidRow } from '../../data/batch.ts';
import { cellReader, cellWriter, formatDate, formatTimestamp, parseDate, parseTimestamp, type Cell } from '../../data/cells.ts';
import { formatDouble } from '../../data/cells.ts';

const dec = new TextDecoder();

/** Which casts exist (checked at analysis, so a bad cast fails at start()). */
export function canCast(from: DataType, to: DataType): boolean {
  if (typeToString(from) === typeToString(to) || from.kind === 'null') return true;
  if (from.kind === 'struct' || to.kind === 'struct') return false;
  // array<a> to array<b> casts each element, as Spark's Cast does.
  if (from.kind === 'array' || to.kind === 'array') return from.kind === 'array' && to.kind === 'array' && canCast(from.elementType, to.elementType);
  // map<k1,v1> to map<k2,v2> casts keys and values, as Spark's Cast does.
  if (from.kind === 'map' || to.kind === 'map') return from.kind === 'map' && to.kind === 'map' && canCast(from.keyType, to.keyType) && canCast(from.valueType, to.valueType);
  if (to.kind === 'binary') return from.kind === 'string' || from.kind === 'binary';
  if (from.kind === 'binary') return to.kind === 'string';
  return true;
}

const INT_MIN = -2147483648, INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n), LONG_MAX = 2n ** 63n - 1n;
/** Spark's largest timestamp (Long.MaxValue microseconds) in sluice's milliseconds. */
const TS_MAX_MS = 9223372036854775;

/**
 * Java's double-to-integral conversion (JLS 5.1.3), which non-ANSI Spark's cast uses: toward zero,
 * NaN is 0, and a value past the type's range is its nearest end.
 */
function doubleToIntegral(v: number, to: 'int' | 'long'): number | bigint {
  if (Number.isNaN(v)) return to === 'int' ? 0 : 0n;
  const t = Math.trunc(v);
  if (to === 'int') return t < INT_MIN ? INT_MIN : t > INT_MAX ? INT_MAX : t;
  if (!Number.isFinite(t)) return t < 0 ? LONG_MIN : LONG_MAX;
  const b = BigInt(t);
  return b < LONG_MIN ? LONG_MIN : b > LONG_MAX ? LONG_MAX : b;
}

/**
 * One cell, Spark 3.5's cast with ANSI off (CastWithAnsiOffSuite, the ANSI Compliance page):
 * an unparsable string is null; an integral value too wide for int keeps its low 32 bits; a
 * double keeps Java's conversion (doubleToIntegral); a timestamp's seconds that do not fit an int
 * and every date-to-number cast are null; a double prints as Java's Double.toString (`1.0`).
 */
function convert(v: Cell, from: DataType, to: DataType): Cell {
  if (v === null) return null;
  if (from.kind === 'array' && to.kind === 'array') return (v as readonly Cell[]).map((x) => convert(x, from.elementType, to.elementType));
  if (from.kind === 'map' && to.kind === 'map') return (v as readonly (readonly Cell[])[]).map(([k, x]) => [convert(k!, from.keyType, to.keyType), convert(x!, from.valueType, to.valueType)]);
  // Normalise the source to a few JS shapes first.
  if (from.kind === 'binary') v = dec.decode(v as Uint8Array);
  if (to.kind === 'decimal') return toDecimal(v, from, to);
  if (from.kind === 'decimal') return fromDecimal(v as bigint, from, to);
  switch (to.kind) {
    case 'string':
      if (from.kind === 'timestamp') return formatTimestamp(v as number);
      if (from.kind === 'date') return formatDate(v as number);
      if (from.kind === 'double') return formatDouble(v as number);
      return String(v);
    case 'boolean':
      if (typeof v === 'string') { const s = v.trim().toLowerCase(); return ['true', 't', 'yes', 'y', '1'].includes(s) ? true : ['false', 'f', 'no', 'n', '0'].includes(s) ? false : null; }
      return typeof v === 'bigint' ? v !== 0n : Boolean(v);
    case 'int': case 'long': {
      if (from.kind === 'date') return null;
      if (typeof v === 'string') {
        // A string out of range is null (UTF8String.toInt/toLong), not wrapped.
        const s = v.trim(); if (!/^[+-]?\d+(\.\d*)?$/.test(s)) return null;
        const b = BigInt(s.split('.')[0]!);
        if (to.kind === 'int') return b < INT_MIN || b > INT_MAX ? null : Number(b);
        return b < LONG_MIN || b > LONG_MAX ? null : b;
      }
      if (typeof v === 'boolean') return to.kind === 'int' ? (v ? 1 : 0) : (v ? 1n : 0n);
      if (from.kind === 'timestamp') {
        const secs = Math.floor((v as number) / 1000);
        if (to.kind === 'int') return secs < INT_MIN || secs > INT_MAX ? null : secs;
        return BigInt(secs);
      }
      if (from.kind === 'double') return doubleToIntegral(v as number, to.kind);
      const b = typeof v === 'bigint' ? v : BigInt(v as number);
      return to.kind === 'int' ? Number(BigInt.asIntN(32, b)) : b;
    }
    case 'double':
      if (typeof v === 'string') return parseJavaDouble(v);
      if (from.kind === 'timestamp') return (v as number) / 1000;
      if (from.kind === 'date') return null;
      return typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
    case 'timestamp': {
      if (typeof v === 'string') return parseTimestamp(v);
      if (from.kind === 'date') return (v as number) * 86400000;
      // Spark gives true one microsecond, which milliseconds cannot hold apart from false: null says so.
      if (typeof v === 'boolean') return null;
      const ms = Number(v) * 1000; // numbers are seconds since the epoch, as in Spark
      if (Number.isNaN(ms) || (from.kind === 'double' && !Number.isFinite(ms))) return null;
      return ms > TS_MAX_MS ? TS_MAX_MS : ms < -TS_MAX_MS ? -TS_MAX_MS : Math.floor(ms);
    }
    case 'date':
      if (typeof v === 'string') return parseDate(v);
      if (from.kind === 'timestamp') return Math.floor((v as number) / 86400000);
      return null;
    case 'binary':
      return typeof v === 'string' ? new TextEncoder().encode(v) : v;
    default:
      return null;
  }
}

/**
 * A string as a double, as Spark's cast: Java's Double.parseDouble after trimming (so `1.5d` and
 * `1e3` parse, and `NaN`/`Infinity` as Java spells them) plus Spark's words `inf`, `infinity`
 * and `nan` in any case (processFloatingPointSpecialLiterals); anything else is null.
 */
function parseJavaDouble(text: string): number | null {
  const s = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?NaN$/.test(s) || /^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/.test(s)) return null;
  return Number(s.replace(/[dDfF]$/, ''));
}

/**
 * A value as decimal(p, s), Spark's changePrecision: rounded HALF_UP to the scale, null when the
 * integer digits do not fit (non-ANSI), from the text of a string or a double (Scala's BigDecimal(d)),
 * exactly from integers, a timestamp as its seconds; a date is null, as Spark's.
 */
function toDecimal(v: Cell, from: DataType, to: DecimalType): Cell {
  let u: bigint | null;
  if (typeof v === 'string') u = parseDecimal(v, to.scale);
  else if (typeof v === 'boolean') u = v ? pow10(to.scale) : 0n;
  else if (from.kind === 'decimal') u = rescale(v as bigint, from.scale, to.scale);
  else if (from.kind === 'timestamp') u = rescale(BigInt(v as number), 3, to.scale);
  else if (from.kind === 'date') u = null;
  else if (typeof v === 'bigint') u = v * pow10(to.scale);
  else if (from.kind === 'int') u = BigInt(v as number) * pow10(to.scale);
  else u = decimalFromNumber(v as number, to.scale);
  return u !== null && fitsPrecision(u, to.precision) ? u : null;
}

/**
 * A decimal as another type: its text as Java's BigDecimal.toString (non-ANSI Spark); the nearest double; an int or long by truncation
 * toward zero, keeping the low bits when it is too large (non-ANSI Spark's Decimal.toLong/toInt);
 * a timestamp from its seconds.
 */
function fromDecimal(v: bigint, from: DecimalType, to: DataType): Cell {
  switch (to.kind) {
    case 'string': return javaDecimalString(v, from.scale);
    case 'double': return decimalToNumber(v, from.scale);
    case 'long': return BigInt.asIntN(64, v / pow10(from.scale));
    case 'int': return Number(BigInt.asIntN(32, v / pow10(from.scale)));
    case 'boolean': return v !== 0n;
    case 'timestamp': return Number(from.scale >= 3 ? v / pow10(from.scale - 3) : v * pow10(3 - from.scale));
    default: return null;
  }
}

export function cast(d: A.Data, from: DataType, to: DataType, n: number): A.Data {
  if (typeToString(from) === typeToString(to)) return d;
  // string <-> binary share one layout: relabel the buffers, copy nothing.
  if ((from.kind === 'binary' && to.kind === 'string') || (from.kind === 'string' && to.kind === 'binary')) {
    return A.makeData({ type: toArrowType(to), length: d.length, nullCount: d.nullCount, nullBitmap: d.nullBitmap, valueOffsets: d.valueOffsets, data: d.values } as never) as A.Data;
  }
  if (from.kind === 'array' && to.kind === 'array') {
    // Same rows and offsets; only the elements change.
    const child = d.children[0]!;
    return A.makeData({ type: toArrowType(to) as A.List, length: d.length, nullCount: d.nullCount, nullBitmap: d.nullBitmap,
      valueOffsets: d.valueOffsets, child: cast(child, from.elementType, to.elementType, child.length) });
  }
  if (from.kind === 'map' && to.kind === 'map') {
    const e = d.children[0]!, k = e.children[0]!, v = e.children[1]!;
    return mapColumn(to, d.valueOffsets as Int32Array, cast(k, from.keyType, to.keyType, k.length), cast(v, from.valueType, to.valueType, v.length),
      d.length, d.nullCount > 0 ? d.nullBitmap : undefined, d.nullCount);
  }
  if ((from.kind === 'long' || from.kind === 'int') && to.kind === 'decimal') return integerToDecimal(d, from.kind, to, n);
  const read = cellReader(d, from), w = cellWriter(to, n);
  for (let i = 0; i < n; i++) w.push(convert(read(i), from, to));
  return w.finish();
}

/**
 * int/long to decimal without a bigint per row (a long column meets a decimal as decimal(20,0),
 * Nexmark q1's `0.908 * price`): a value whose scaled form is within 2^53 is written as its words
 * from a double; the others go through toDecimal.
 */
function integerToDecimal(d: A.Data, kind: 'int' | 'long', to: DecimalType, n: number): A.Data {
  const src = d.values as Int32Array | BigInt64Array;
  const w32 = kind === 'int' ? src as Int32Array : new Int32Array(src.buffer, src.byteOffset, n * 2);
  const o = new Uint32Array(n * 4), words = new BigInt64Array(o.buffer), valid = new Uint8Array((n + 7) >> 3);
  const f = 10 ** to.scale, limit = to.precision >= 16 ? Infinity : 10 ** to.precision;
  const from = { kind } as DataType, read = cellReader(d, from), nulls = d.nullCount > 0;
  let nullCount = 0;
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    if (nulls && !isValidRow(d, i)) { nullCount++; continue; }
    const v = (kind === 'int' ? w32[i]! : w32[2 * i + 1]! * 4294967296 + (w32[2 * i]! >>> 0)) * f;
    if (Number.isSafeInteger(v) && Math.abs(v) < limit) {
      writeSmallDecimal(o, k, v);
    } else {
      const u = toDecimal(read(i), from, to);
      if (u === null) { nullCount++; continue; }
      writeDecimal(words, i, u as bigint);
    }
    valid[i >> 3]! |= 1 << (i & 7);
  }
  return decimalColumn(to, words, n, nullCount ? valid : undefined, nullCount);
}

/** A literal converted once, for constant folding. */
export function castCell(v: Cell, from: DataType, to: DataType): Cell {
  return typeToString(from) === typeToString(to) ? v : convert(v, from, to);
}
