/**
 * from_json: a Utf8/Binary column of JSON text -> an Arrow struct column, Spark semantics.
 *
 * A hand-written byte scanner walks the input's single value buffer and writes typed arrays
 * directly: no JS object per record, no JS string per key (keys are matched on their UTF-8
 * bytes, first against the key seen at the same position in the previous record), and no JS
 * string per value (string bytes are copied, escapes decoded straight into the output).
 */
import * as A from 'apache-arrow';
import { type DataType, type DecimalType, type StructType, toArrowType } from '../../data/types.ts';
import { fitsPrecision, parseDecimal, writeDecimal } from '../../data/decimal.ts';
import { AnalysisError } from '../../errors.ts';
import { BytesBuilder, decimalColumn } from '../../data/builders.ts';
import { findStop, MAX_DEPTH, skipWs, skipValue, skipString, decodeEscaped, decoded, viewOf } from './scanner.ts';
import { sameBytes, copyWords, viewOver } from '../../util/byte-words.ts';
import { parseTimestamp, parseDate, decodeBase64 } from './convert.ts';

export type JsonMode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

export interface JsonDecodeResult {
  /** The struct column (Arrow Struct Data, offset 0) with one child per schema field, length = number of input rows.
   *  A malformed record (not JSON, not an object, trailing garbage) gives a null struct; a field of the wrong
   *  type inside valid JSON is null for that field only. Missing fields are null, extra fields ignored. */
  column: A.Data;
  /** Row indices of malformed records, ascending. */
  malformed: Int32Array;
  /** With `corruptRecord`: a string column holding the raw text of malformed rows, null for the others. */
  corrupt?: A.Data;
}

export interface JsonDecodeOptions {
  /** Also return the raw text of malformed records (Spark's columnNameOfCorruptRecord). */
  corruptRecord?: boolean;
}

// Column kinds (small ints so the value switch is a jump table).
const K_BOOLEAN = 0, K_INT = 1, K_LONG = 2, K_DOUBLE = 3, K_STRING = 4, K_BINARY = 5, K_TIMESTAMP = 6, K_DATE = 7, K_STRUCT = 8, K_NULL = 9, K_DECIMAL = 10;

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I64 = new BigInt64Array(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const utf8 = new TextEncoder();

/** One output column being filled; a single class so every access site stays monomorphic. */
class Col {
  kind: number;
  /** Validity bits (all rows start null). */
  bits: Uint8Array;
  /** int/date values; for long/timestamp the little-endian lo/hi halves of `i64`. */
  i32: Int32Array = EMPTY_I32;
  i64: BigInt64Array = EMPTY_I64;
  f64: Float64Array = EMPTY_F64;
  /** Boolean values, bit-packed. */
  vbits: Uint8Array = EMPTY_U8;
  // string / binary: rows < `filled` have final offsets; bytes past `pos` are free.
  offsets: Int32Array = EMPTY_I32;
  bytes: Uint8Array = EMPTY_U8;
  /** A view of `bytes` (replaced with it) for copyWords. */
  view: DataView = EMPTY_VIEW;
  pos = 0;
  filled = 0;
  // struct
  children: Col[] = [];
  /** UTF-8 bytes of each field name. */
  keys: Uint8Array[] = [];
  /** Views of `keys` for sameBytes. */
  keyViews: DataView[] = [];
  /** Field names without '"', '\\' or control characters: their JSON key is exactly their bytes. */
  plain: boolean[] = [];
  /** Hash buckets over (length, first byte, last byte) -> first field index; -1 = empty. */
  head: Int32Array = EMPTY_I32;
  next: Int32Array = EMPTY_I32;
  mask = 0;
  /** Field index matched at each key position of the previous object (-1 = none/unknown, SKIP_KEY = a key not in the schema). */
  predict: Int32Array = EMPTY_I32;
  /** For a SKIP_KEY slot: where that key's bytes start in the input buffer, and their length. */
  predictAt: Int32Array = EMPTY_I32;
  predictLen: Int32Array = EMPTY_I32;
  /** For a slot whose key has at most 12 bytes: its bytes as three little-endian words, and the masks of the bytes they hold. */
  predictWords: Int32Array = EMPTY_I32;
  predictMasks: Int32Array = EMPTY_I32;
  names: Map<string, number> = new Map();

  constructor(readonly type: DataType, n: number, byteHint: number) {
    this.bits = new Uint8Array((n + 7) >> 3);
    switch (type.kind) {
      case 'boolean': this.kind = K_BOOLEAN; this.vbits = new Uint8Array((n + 7) >> 3); break;
      case 'int': this.kind = K_INT; this.i32 = new Int32Array(n); break;
      case 'date': this.kind = K_DATE; this.i32 = new Int32Array(n); break;
      case 'long': case 'timestamp':
        this.kind = type.kind === 'long' ? K_LONG : K_TIMESTAMP;
        this.i64 = new BigInt64Array(n); this.i32 = new Int32Array(this.i64.buffer); break;
      case 'double': this.kind = K_DOUBLE; this.f64 = new Float64Array(n); break;
      case 'string': case 'binary':
        this.kind = type.kind === 'string' ? K_STRING : K_BINARY;
        this.offsets = new Int32Array(n + 1); this.bytes = new Uint8Array(Math.max(64, byteHint)); this.view = new DataView(this.bytes.buffer); break;
      case 'null': this.kind = K_NULL; break;
      // Decimal128: two 64-bit words a row in i64.
      case 'decimal': this.kind = K_DECIMAL; this.i64 = new BigInt64Array(n * 2); break;
      case 'struct': {
        this.kind = K_STRUCT;
        const fs = type.fields;
        const perString = Math.ceil(byteHint / Math.max(1, fs.length));
        this.children = fs.map((f) => new Col(f.type, n, perString));
        this.keys = fs.map((f) => utf8.encode(f.name));
        this.keyViews = this.keys.map(viewOver);
        this.plain = fs.map((f) => !/["\\\u0000-\u001f]/.test(f.name));
        let size = 8;
        while (size < fs.length * 2) size <<= 1;
        this.mask = size - 1;
        this.head = new Int32Array(size).fill(-1);
        this.next = new Int32Array(fs.length).fill(-1);
        // Insert in reverse so each chain lists fields in schema order: if a (malformed) schema declares a
        // name twice, the first declaration receives the value, the later one stays null.
        for (let i = fs.length - 1; i >= 0; i--) {
          if (!this.plain[i]) continue;
          const k = this.keys[i]!;
          const h = k.length === 0 ? 0 : keyHash(k, 0, k.length);
          this.next[i] = this.head[h & this.mask]!;
          this.head[h & this.mask] = i;
        }
        fs.forEach((f, i) => { if (!this.names.has(f.name)) this.names.set(f.name, i); });
        this.predict = new Int32Array(Math.min(64, Math.max(8, fs.length * 2))).fill(-1);
        this.predictAt = new Int32Array(this.predict.length);
        this.predictLen = new Int32Array(this.predict.length);
        this.predictWords = new Int32Array(this.predict.length * 3);
        this.predictMasks = new Int32Array(this.predict.length * 3);
        break;
      }
      default: throw new AnalysisError(`from_json: unsupported type ${(type as DataType).kind}`);
    }
  }
}

function keyHash(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  return n === 0 ? 0 : (n * 31 + b[s]! * 7 + b[e - 1]!) | 0;
}

// ---- value writers -------------------------------------------------------------------------------------

function setValid(c: Col, row: number): void { c.bits[row >> 3]! |= 1 << (row & 7); }

/** Makes `row` the current row of a bytes column (rewinding if it already holds a value: last key wins). */
function bytesBegin(c: Col, row: number, room: number): void {
  let f = c.filled;
  if (f <= row) {
    const o = c.offsets, pos = c.pos;
    while (f < row) o[++f] = pos;
    c.filled = row;
  } else {
    c.pos = c.offsets[row]!;
    c.filled = row;
  }
  if (c.pos + room > c.bytes.length) {
    const b = new Uint8Array(Math.max(c.bytes.length * 2, c.pos + room));
    b.set(c.bytes.subarray(0, c.pos));
    c.bytes = b;
    c.view = new DataView(b.buffer);
  }
}

function bytesEnd(c: Col, row: number): void {
  c.offsets[row + 1] = c.pos;
  c.filled = row + 1;
  c.bits[row >> 3]! |= 1 << (row & 7);
}

function copyBytes(c: Col, buf: Uint8Array, s: number, e: number): void {
  if (e - s < 48) copyWords(viewOf(buf), s, e, c.view, c.pos);
  else c.bytes.set(buf.subarray(s, e), c.pos);
  c.pos += e - s;
}

/** Sets (row) of any column to null, undoing anything written for it (duplicate keys, malformed records). */
function setNull(c: Col, row: number): void {
  c.bits[row >> 3]! &= ~(1 << (row & 7));
  const k = c.kind;
  if (k === K_STRING || k === K_BINARY) {
    if (c.filled >= row) { c.pos = c.offsets[row]!; c.offsets[row + 1] = c.pos; c.filled = row + 1; }
  } else if (k === K_STRUCT) {
    const ch = c.children;
    for (let i = 0; i < ch.length; i++) setNull(ch[i]!, row);
  }
}

function writeI64(c: Col, row: number, v: number): void {
  // v is a safe integer: split into two's-complement 32-bit halves (no BigInt allocation).
  const hi = Math.floor(v / 4294967296);
  c.i32[row << 1] = (v - hi * 4294967296) | 0;
  c.i32[(row << 1) + 1] = hi | 0;
  c.bits[row >> 3]! |= 1 << (row & 7);
}

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;

function writeBig(c: Col, row: number, v: bigint): void {
  if (v < I64_MIN || v > I64_MAX) { setNull(c, row); return; }
  c.i64[row] = v;
  c.bits[row >> 3]! |= 1 << (row & 7);
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  let r = '';
  for (let i = s; i < e; i++) r += String.fromCharCode(buf[i]!);
  return r;
}

// ---- numbers -------------------------------------------------------------------------------------------

const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// Results of scanNumber (module state: cheaper than an object per number).
let nNeg = false;
let nIsInt = true;
/** Integer digits [nIntS, nIntE); fraction digits [nFracS, nFracE) (empty if none). */
let nIntS = 0, nIntE = 0, nFracS = 0, nFracE = 0;
/** Significant digits (int + fraction, leading zeros dropped) as a double, exact when nSig <= 15. */
let nMant = 0, nSig = 0;
/** Explicit exponent (clamped); nHasExp when the number has one. */
let nExp = 0;
let nHasExp = false;

/** Scans a JSON number at p; returns the position after it or -1; fills the n* variables. */
function scanNumber(buf: Uint8Array, p: number, end: number): number {
  let c = buf[p]!;
  nNeg = c === 0x2d;
  if (nNeg) { if (++p >= end) return -1; c = buf[p]!; }
  let mant = 0, sig = 0;
  nIntS = p;
  if (c === 0x30) p++;
  else if (c >= 0x31 && c <= 0x39) {
    mant = c - 0x30; sig = 1; p++;
    while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) { mant = mant * 10 + (c - 0x30); sig++; p++; }
  } else return -1;
  nIntE = p;
  nIsInt = true;
  nFracS = nFracE = p;
  nExp = 0;
  nHasExp = false;
  if (p < end && buf[p] === 0x2e) {
    nIsInt = false;
    p++;
    nFracS = p;
    while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) {
      if (sig > 0 || c !== 0x30) { mant = mant * 10 + (c - 0x30); sig++; }
      p++;
    }
    nFracE = p;
    if (p === nFracS) return -1;
  }
  if (p < end && ((c = buf[p]!) === 0x65 || c === 0x45)) {
    nIsInt = false;
    nHasExp = true;
    p++;
    let eneg = false;
    if (p < end && ((c = buf[p]!) === 0x2b || c === 0x2d)) { eneg = c === 0x2d; p++; }
    const s = p;
    let ev = 0;
    while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) { if (ev < 100000) ev = ev * 10 + (c - 0x30); p++; }
    if (p === s) return -1;
    nExp = eneg ? -ev : ev;
  }
  nMant = mant;
  nSig = sig;
  return p;
}

/** The scanned number [s, e) as a double. */
function numberValue(buf: Uint8Array, s: number, e: number): number {
  if (nSig <= 15) {
    const e10 = nExp - (nFracE - nFracS);
    let v: number;
    if (nMant === 0) v = 0;
    else if (e10 >= 0 && e10 <= 22) v = nMant * POW10[e10]!;
    else if (e10 < 0 && e10 >= -22) v = nMant / POW10[-e10]!;
    else return Number(latin1(buf, s, e));
    return nNeg ? -v : v;
  }
  return Number(latin1(buf, s, e));
}

function digitsValue(buf: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (buf[i]! - 0x30);
  return v;
}

/** A JSON number (seconds since the epoch, maybe fractional) as ms, truncated; NaN if out of range. */
function secondsToMs(buf: Uint8Array, s: number, e: number): number | bigint {
  if (!nHasExp) {
    // exact: integer seconds * 1000 + the first three fraction digits (truncation toward zero)
    const f = nFracE - nFracS;
    let frac = 0;
    if (f > 0) {
      frac = digitsValue(buf, nFracS, Math.min(nFracE, nFracS + 3));
      if (f === 1) frac *= 100; else if (f === 2) frac *= 10;
    }
    if (nIntE - nIntS <= 12) {
      const ms = digitsValue(buf, nIntS, nIntE) * 1000 + frac;
      return nNeg ? -ms : ms;
    }
    const ms = BigInt(latin1(buf, nIntS, nIntE)) * 1000n + BigInt(frac);
    return nNeg ? -ms : ms;
  }
  const v = Number(latin1(buf, s, e));
  if (!Number.isFinite(v)) return NaN;
  const ms = Math.trunc(Math.round(v * 1e6) / 1000);
  return Number.isSafeInteger(ms) ? ms : NaN;
}

// String contents for non-string kinds (timestamp, date, binary, double specials): [gS, gE) of gSrc.
let gSrc: Uint8Array = EMPTY_U8;
let gS = 0, gE = 0;
let scratch = new Uint8Array(256);

/** p at the opening quote: returns the position after the closing quote, or -1; sets gSrc/gS/gE. */
function stringContent(buf: Uint8Array, p: number, end: number): number {
  const q = findStop(buf, p + 1, end);
  if (q >= end) return -1;
  if (buf[q] === 0x22) { gSrc = buf; gS = p + 1; gE = q; return q + 1; }
  if (buf[q] !== 0x5c) return -1;
  if (scratch.length < end - p) scratch = new Uint8Array(Math.max(scratch.length * 2, end - p));
  let o = 0;
  for (let i = p + 1; i < q; i++) scratch[o++] = buf[i]!;
  const r = decodeEscaped(buf, q, end, scratch, o);
  if (r < 0) return -1;
  gSrc = scratch; gS = 0; gE = decoded.out;
  return r;
}

function isText(b: Uint8Array, s: number, e: number, t: string): boolean {
  if (e - s !== t.length) return false;
  for (let i = 0; i < t.length; i++) if (b[s + i] !== t.charCodeAt(i)) return false;
  return true;
}

function specialDouble(b: Uint8Array, s: number, e: number): number | undefined {
  if (isText(b, s, e, 'NaN')) return NaN;
  if (isText(b, s, e, 'Infinity') || isText(b, s, e, '+Infinity') || isText(b, s, e, '+INF') || isText(b, s, e, 'INF')) return Infinity;
  if (isText(b, s, e, '-Infinity') || isText(b, s, e, '-INF')) return -Infinity;
  return undefined;
}

// ---- the parser ----------------------------------------------------------------------------------------

/** Parses one value at p (no leading whitespace, p < end) into column c at row; returns the position after it or -1. */
function parseValue(buf: Uint8Array, p: number, end: number, c: Col, row: number, depth: number): number {
  const ch = buf[p]!;
  if (ch === 0x6e /* n */) {
    // null for every type (and for a string field too: Spark gives null, not "null")
    if (p + 4 <= end && buf[p + 1] === 0x75 && buf[p + 2] === 0x6c && buf[p + 3] === 0x6c) { setNull(c, row); return p + 4; }
    return -1;
  }
  switch (c.kind) {
    case K_STRING: {
      if (ch === 0x22) {
        const q = findStop(buf, p + 1, end);
        if (q >= end) return -1;
        if (buf[q] === 0x22) {
          bytesBegin(c, row, q - p);
          copyBytes(c, buf, p + 1, q);
          bytesEnd(c, row);
          return q + 1;
        }
        if (buf[q] !== 0x5c) return -1;
        bytesBegin(c, row, end - p);
        copyBytes(c, buf, p + 1, q);
        const r = decodeEscaped(buf, q, end, c.bytes, c.pos);
        if (r < 0) return -1;
        c.pos = decoded.out;
        bytesEnd(c, row);
        return r;
      }
      // any other value: its raw JSON text (Spark 3.5+/4 exact string parsing)
      const q = skipValue(buf, p, end, depth);
      if (q < 0) return -1;
      bytesBegin(c, row, q - p);
      copyBytes(c, buf, p, q);
      bytesEnd(c, row);
      return q;
    }
    case K_DOUBLE: {
      if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
        const q = scanNumber(buf, p, end);
        if (q < 0) return -1;
        c.f64[row] = numberValue(buf, p, q);
        setValid(c, row);
        return q;
      }
      if (ch === 0x22) {
        const q = stringContent(buf, p, end);
        if (q < 0) return -1;
        const v = specialDouble(gSrc, gS, gE);
        if (v === undefined) setNull(c, row);
        else { c.f64[row] = v; setValid(c, row); }
        return q;
      }
      break;
    }
    case K_TIMESTAMP: {
      if (ch === 0x22) {
        const q = stringContent(buf, p, end);
        if (q < 0) return -1;
        const ms = parseTimestamp(gSrc, gS, gE);
        if (ms !== ms) setNull(c, row); else writeI64(c, row, ms);
        return q;
      }
      if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
        const q = scanNumber(buf, p, end);
        if (q < 0) return -1;
        const ms = secondsToMs(buf, p, q);
        if (typeof ms === 'bigint') writeBig(c, row, ms);
        else if (ms !== ms) setNull(c, row);
        else writeI64(c, row, ms);
        return q;
      }
      break;
    }
    case K_INT: case K_LONG: {
      if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
        const q = scanNumber(buf, p, end);
        if (q < 0) return -1;
        if (!nIsInt) setNull(c, row);
        else if (c.kind === K_INT) {
          const v = nNeg ? -nMant : nMant;
          if (nSig <= 10 && v >= -2147483648 && v <= 2147483647) { c.i32[row] = v; setValid(c, row); }
          else setNull(c, row);
        } else if (nSig <= 15) writeI64(c, row, nNeg ? -nMant : nMant);
        else if (nSig <= 19) writeBig(c, row, BigInt(latin1(buf, p, q)));
        else setNull(c, row);
        return q;
      }
      break;
    }
    case K_DECIMAL: {
      // Spark's JacksonParser: a number's exact digits (never through a double), or a string read as
      // a decimal with ',' grouping removed (en-US); HALF_UP to the scale; too many digits is null.
      let q: number, text: string;
      if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) { q = scanNumber(buf, p, end); if (q < 0) return -1; text = latin1(buf, p, q); }
      else if (ch === 0x22) { q = stringContent(buf, p, end); if (q < 0) return -1; text = latin1(gSrc, gS, gE).replaceAll(',', ''); }
      else break;
      const t = c.type as DecimalType, v = parseDecimal(text, t.scale);
      if (v === null || !fitsPrecision(v, t.precision)) setNull(c, row); else { writeDecimal(c.i64, row, v); setValid(c, row); }
      return q;
    }
    case K_BOOLEAN: {
      if (ch === 0x74) {
        if (p + 4 <= end && buf[p + 1] === 0x72 && buf[p + 2] === 0x75 && buf[p + 3] === 0x65) {
          c.vbits[row >> 3]! |= 1 << (row & 7); setValid(c, row); return p + 4;
        }
        return -1;
      }
      if (ch === 0x66) {
        if (p + 5 <= end && buf[p + 1] === 0x61 && buf[p + 2] === 0x6c && buf[p + 3] === 0x73 && buf[p + 4] === 0x65) {
          c.vbits[row >> 3]! &= ~(1 << (row & 7)); setValid(c, row); return p + 5;
        }
        return -1;
      }
      break;
    }
    case K_DATE: {
      if (ch === 0x22) {
        const q = stringContent(buf, p, end);
        if (q < 0) return -1;
        const d = parseDate(gSrc, gS, gE);
        if (d !== d) setNull(c, row); else { c.i32[row] = d; setValid(c, row); }
        return q;
      }
      break;
    }
    case K_BINARY: {
      if (ch === 0x22) {
        const q = stringContent(buf, p, end);
        if (q < 0) return -1;
        const src = gSrc, s = gS, e = gE; // copy: bytesBegin may not touch them, but be explicit
        bytesBegin(c, row, ((e - s) * 3 >> 2) + 3);
        const o = decodeBase64(src, s, e, c.bytes, c.pos);
        if (o < 0) setNull(c, row);
        else { c.pos = o; bytesEnd(c, row); }
        return q;
      }
      break;
    }
    case K_STRUCT: {
      if (ch === 0x7b) {
        if ((c.bits[row >> 3]! & (1 << (row & 7))) !== 0) setNull(c, row); // duplicate key: last wins
        const q = parseObject(buf, p, end, c, row, depth + 1);
        if (q >= 0) setValid(c, row);
        return q;
      }
      break;
    }
  }
  // wrong JSON type for the field: null, but the value must still be valid JSON
  const q = skipValue(buf, p, end, depth);
  if (q >= 0) setNull(c, row);
  return q;
}

/** Field index for the key bytes [s, e) (no escapes), or -1. */
function lookupKey(st: Col, buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  const keys = st.keys, next = st.next;
  for (let i = st.head[keyHash(buf, s, e) & st.mask]!; i >= 0; i = next[i]!) {
    const k = keys[i]!;
    if (k.length !== n) continue;
    let j = 0;
    while (j < n && buf[s + j] === k[j]) j++;
    if (j === n) return i;
  }
  return -1;
}

/** Remembers the key buf[ks, e) (field fi, or SKIP_KEY) as the prediction for key position `slot`. */
function learnKey(st: Col, slot: number, fi: number, buf: Uint8Array, ks: number, e: number): void {
  st.predict[slot] = fi;
  st.predictAt[slot] = ks;
  st.predictLen[slot] = e - ks;
  for (let j = 0; j < 3; j++) {
    let w = 0, m = 0;
    for (let b = 0; b < 4 && ks + 4 * j + b < e; b++) { w |= buf[ks + 4 * j + b]! << (8 * b); m |= 0xff << (8 * b); }
    st.predictWords[slot * 3 + j] = w;
    st.predictMasks[slot * 3 + j] = m;
  }
}

const keyDecoder = new TextDecoder();
/** A predict slot whose key is not a field of the struct (predictAt/predictLen hold its bytes). */
const SKIP_KEY = -2;

/** Parses an object at p (buf[p] === '{') into the children of struct column st at row. */
function parseObject(buf: Uint8Array, p: number, end: number, st: Col, row: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  p = skipWs(buf, p + 1, end);
  if (p >= end) return -1;
  if (buf[p] === 0x7d) return p + 1;
  const keys = st.keys, keyViews = st.keyViews, children = st.children, predict = st.predict;
  const d = viewOf(buf);
  let slot = 0;
  for (;;) {
    if (buf[p] !== 0x22) return -1;
    const ks = p + 1;
    let fi = -1, q = -1;
    // 1. the key seen at this position in the previous object, compared in place. A key the query
    // does not read (SKIP_KEY, pruned) is compared too: the same bytes as the previous object's save
    // scanning and hashing it (YSB reads 3 of 7 fields).
    const pf = slot < predict.length ? predict[slot]! : -1;
    if (pf !== -1) {
      const n = st.predictLen[slot]!, ke = ks + n;
      if (n <= 12 && ks + 12 <= end) {
        // three masked words, no loop: most keys are short, and this is per key of every record
        const w = slot * 3, pw = st.predictWords, pm = st.predictMasks;
        if ((d.getInt32(ks, true) & pm[w]!) === pw[w] && (d.getInt32(ks + 4, true) & pm[w + 1]!) === pw[w + 1]
          && (d.getInt32(ks + 8, true) & pm[w + 2]!) === pw[w + 2] && buf[ke] === 0x22) q = ke + 1;
      } else if (ke < end && buf[ke] === 0x22
        && (pf >= 0 ? sameBytes(d, ks, keyViews[pf]!, 0, n) : sameBytes(d, ks, d, st.predictAt[slot]!, n))) q = ke + 1;
      if (q >= 0 && pf >= 0) fi = pf;
    }
    if (q < 0) {
      // 2. scan the key and look it up
      const e = findStop(buf, ks, end);
      if (e >= end) return -1;
      if (buf[e] === 0x22) {
        fi = lookupKey(st, buf, ks, e);
        q = e + 1;
        if (slot < predict.length) learnKey(st, slot, fi >= 0 ? fi : SKIP_KEY, buf, ks, e);
      } else {
        // 3. a key with escapes: decode it and look up the name
        q = skipString(buf, p, end);
        if (q < 0) return -1;
        if (scratch.length < q - p) scratch = new Uint8Array(Math.max(scratch.length * 2, q - p));
        let o = 0;
        for (let i = ks; i < e; i++) scratch[o++] = buf[i]!;
        decodeEscaped(buf, e, end, scratch, o);
        const idx = st.names.get(keyDecoder.decode(scratch.subarray(0, decoded.out)));
        fi = idx === undefined ? -1 : idx;
      }
    }
    slot++;
    p = q;
    if (p < end && buf[p] !== 0x3a) p = skipWs(buf, p, end);
    if (p >= end || buf[p] !== 0x3a) return -1;
    p++;
    if (p < end && buf[p] <= 0x20) p = skipWs(buf, p, end);
    if (p >= end) return -1;
    p = fi >= 0 ? parseValue(buf, p, end, children[fi]!, row, depth) : skipValue(buf, p, end, depth);
    if (p < 0) return -1;
    if (p < end && buf[p]! <= 0x20) p = skipWs(buf, p, end);
    if (p >= end) return -1;
    const c = buf[p]!;
    if (c === 0x2c) {
      p++;
      if (p < end && buf[p]! <= 0x20) p = skipWs(buf, p, end);
      if (p >= end) return -1;
      continue;
    }
    if (c === 0x7d) return p + 1;
    return -1;
  }
}

// ---- column assembly -----------------------------------------------------------------------------------

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

function nullCountOf(bits: Uint8Array, n: number): number {
  let valid = 0;
  const full = n >> 3;
  for (let i = 0; i < full; i++) valid += POPCOUNT[bits[i]!]!;
  if (n & 7) valid += POPCOUNT[bits[full]! & ((1 << (n & 7)) - 1)]!;
  return n - valid;
}

/** Spark's from_json makes every field nullable (schema.asNullable). */
function nullableArrowType(t: DataType): A.DataType {
  if (t.kind === 'struct') return new A.Struct(t.fields.map((f) => new A.Field(f.name, nullableArrowType(f.type), true)));
  return toArrowType(t);
}

function finishCol(c: Col, n: number): A.Data {
  const nullCount = nullCountOf(c.bits, n);
  const nullBitmap = nullCount === 0 ? undefined : c.bits;
  const type = nullableArrowType(c.type);
  switch (c.kind) {
    case K_STRING: case K_BINARY: {
      const o = c.offsets, pos = c.pos;
      for (let f = c.filled; f < n; ) o[++f] = pos;
      // trim an over-allocated byte buffer so the batch does not pin it
      const data = c.bytes.length > pos * 2 + 4096 ? c.bytes.slice(0, pos) : c.bytes.subarray(0, pos);
      return A.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: o, data } as never) as A.Data;
    }
    case K_STRUCT:
      return A.makeData({ type: type as A.Struct, length: n, nullCount, nullBitmap, children: c.children.map((ch) => finishCol(ch, n)) });
    case K_BOOLEAN: return A.makeData({ type: type as A.Bool, length: n, nullCount, nullBitmap, data: c.vbits });
    case K_INT: case K_DATE: return A.makeData({ type, length: n, nullCount, nullBitmap, data: c.i32 } as never) as A.Data;
    case K_LONG: case K_TIMESTAMP: return A.makeData({ type, length: n, nullCount, nullBitmap, data: c.i64 } as never) as A.Data;
    case K_DOUBLE: return A.makeData({ type, length: n, nullCount, nullBitmap, data: c.f64 } as never) as A.Data;
    case K_DECIMAL: return decimalColumn(c.type as DecimalType, c.i64, n, nullBitmap, nullCount);
    default: return A.makeData({ type: new A.Null(), length: n, nullCount: n });
  }
}

// ---- entry point ---------------------------------------------------------------------------------------

/**
 * Parses each row of a Utf8 or Binary column (offset 0) as a JSON object of `schema`.
 * A null input value gives a null struct and is not malformed. Anything but a JSON object (including
 * the JSON literal `null`, an empty or blank string) is malformed, as Spark's root converter does.
 */
export function decodeJson(input: A.Data, schema: StructType, opts: JsonDecodeOptions = {}): JsonDecodeResult {
  const n = input.length;
  const buf = (input.values ?? EMPTY_U8) as Uint8Array;
  const offs = (input.valueOffsets ?? EMPTY_I32) as Int32Array;
  // Arrow JS slices valueOffsets with the data but indexes the validity bitmap with `offset`.
  const base = input.offset;
  const inBits = input.nullCount > 0 ? input.nullBitmap : undefined;
  const totalBytes = n === 0 ? 0 : offs[n]! - offs[0]!;
  const root = new Col(schema, n, totalBytes >> 1);
  const rootBits = root.bits;
  const malformed: number[] = [];

  for (let i = 0; i < n; i++) {
    const r = base + i;
    if (inBits !== undefined && inBits.length > 0 && (inBits[r >> 3]! & (1 << (r & 7))) === 0) continue;
    let p = offs[i]!;
    const end = offs[i + 1]!;
    if (p < end && buf[p]! <= 0x20) p = skipWs(buf, p, end);
    if (p < end && buf[p] === 0x7b) {
      let q = parseObject(buf, p, end, root, i, 1);
      if (q >= 0) {
        if (q < end) q = skipWs(buf, q, end);
        if (q === end) { rootBits[i >> 3]! |= 1 << (i & 7); continue; }
      }
      setNull(root, i); // undo whatever the record wrote before it went wrong
    }
    malformed.push(i);
  }

  if (scratch.length > 1 << 20) scratch = new Uint8Array(256); // do not pin one huge record's scratch space
  const result: JsonDecodeResult = { column: finishCol(root, n), malformed: Int32Array.from(malformed) };
  if (opts.corruptRecord) {
    const bb = new BytesBuilder(n, 64);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (m < malformed.length && malformed[m] === i) { bb.appendBytes(buf, offs[i]!, offs[i + 1]!); m++; }
      else bb.appendNull();
    }
    result.corrupt = bb.finish('string');
  }
  return result;
}
