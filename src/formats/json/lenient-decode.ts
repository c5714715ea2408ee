/**
 * from_json's second reader: JSON text -> a column of any type (arrays, maps and structs nested in
 * each other, or an array or a map at the top), with Spark's (Jackson's) JSON options. decode.ts's
 * byte scanner stays the path for flat and struct schemas; this one reads what it cannot: schemas
 * with arrays or maps, custom timestampFormat/dateFormat, and the records it found malformed,
 * which Spark's lenient defaults may still accept ('single quotes', NaN).
 *
 * Hand-written: no npm JSON parser takes Jackson's features one by one (json5 accepts single quotes,
 * unquoted names, comments, hex and trailing commas all at once, and Spark refuses most of these by
 * default). It reads one record's text into the JS values columnFromValues builds columns from,
 * converting each value by the schema as it goes (a wrong JSON type is null for that value only).
 */
import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { columnFromValues } from '../../data/column-from-values.ts';
import { isValid } from '../../data/batch.ts';
import { parseDate, parseTimestamp, decodeBase64 } from './convert.ts';
import { MAX_DEPTH } from './scanner.ts';

/** Spark's JSONOptions that change what is read, with Spark's defaults. */
export interface JsonReadOptions {
  /** 'single-quoted' strings and names (Spark default true). */
  readonly allowSingleQuotes: boolean;
  /** {name: 1} (Spark default false). */
  readonly allowUnquotedFieldNames: boolean;
  /** 007 (Spark default false). */
  readonly allowNumericLeadingZeros: boolean;
  /** Unquoted NaN, Infinity, -Infinity, +INF, INF, -INF (Spark default true). */
  readonly allowNonNumericNumbers: boolean;
  /** timestampFormat: a string to epoch ms, null when it does not parse; unset = Spark's default ISO-8601 reading. */
  readonly parseTimestamp?: (s: string) => number | null;
  /** dateFormat: a string to days since the epoch, null when it does not parse. */
  readonly parseDate?: (s: string) => number | null;
}

export const SPARK_JSON_DEFAULTS: JsonReadOptions = { allowSingleQuotes: true, allowUnquotedFieldNames: false, allowNumericLeadingZeros: false, allowNonNumericNumbers: true };

class Malformed extends Error {}
const bad = (): never => { throw new Malformed(); };
const enc = new TextEncoder(), dec = new TextDecoder();
const NON_NUMERIC: Record<string, number> = { NaN: NaN, Infinity: Infinity, '+Infinity': Infinity, '-Infinity': -Infinity, INF: Infinity, '+INF': Infinity, '-INF': -Infinity };
const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const SKIP: DataType = { kind: 'null' };
// Sticky (y): matched at lastIndex; '^' would anchor at the string's start instead.
const JSON_NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y, LEADING_ZEROS = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** A struct's field types by name, once per type (a Map per object would cost an allocation per record). */
const fieldCache = new WeakMap<object, Map<string, DataType>>();
function fieldTypes(t: Extract<DataType, { kind: 'struct' }>): Map<string, DataType> {
  let m = fieldCache.get(t);
  if (!m) {
    m = new Map();
    // The first declaration of a name wins, as in decode.ts.
    for (const f of t.fields) if (!m.has(f.name)) m.set(f.name, f.type);
    fieldCache.set(t, m);
  }
  return m;
}

class Reader {
  p = 0;
  constructor(readonly s: string, private readonly o: JsonReadOptions) {}

  ws(): void {
    const s = this.s;
    while (this.p < s.length && (s[this.p] === ' ' || s[this.p] === '\n' || s[this.p] === '\r' || s[this.p] === '\t')) this.p++;
  }
  done(): boolean { this.ws(); return this.p >= this.s.length; }

  /** A quoted string at p (its quote char is s[p]); control characters must be escaped, as in JSON. */
  string(): string {
    const s = this.s, q = s[this.p++]!;
    let out = '';
    for (;;) {
      const c = s[this.p++];
      if (c === undefined || c < ' ') return bad();
      if (c === q) return out;
      if (c !== '\\') { out += c; continue; }
      const e = s[this.p++];
      if (e === 'u') {
        const h = s.slice(this.p, this.p + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) bad();
        out += String.fromCharCode(parseInt(h, 16)); this.p += 4;
      } else if (e !== undefined && ESCAPES[e] !== undefined && (e !== "'" || q === "'" || this.o.allowSingleQuotes)) out += ESCAPES[e];
      else bad();
    }
  }

  /** A field name: quoted, or bare when allowUnquotedFieldNames (Jackson: letters, digits, _ and $). */
  name(): string {
    const c = this.s[this.p];
    if (c === '"' || (c === "'" && this.o.allowSingleQuotes)) return this.string();
    if (!this.o.allowUnquotedFieldNames) return bad();
    const m = /^[A-Za-z0-9_$]+/.exec(this.s.slice(this.p, this.p + 256));
    if (!m) return bad();
    this.p += m[0].length;
    return m[0];
  }

  /** A number's text at p, or null when none starts here. */
  number(): string | null {
    const re = this.o.allowNumericLeadingZeros ? LEADING_ZEROS : JSON_NUMBER;
    re.lastIndex = this.p;
    const m = re.exec(this.s);
    if (!m) return null;
    this.p += m[0].length;
    // 0123 without allowNumericLeadingZeros: Jackson refuses the record.
    if (/^[0-9]/.test(this.s[this.p] ?? '')) bad();
    return m[0];
  }

  /** One value converted to `t` (SKIP: read and dropped); null for a JSON null or a value of another JSON type. */
  value(t: DataType, depth: number): unknown {
    if (depth > MAX_DEPTH) bad();
    this.ws();
    const s = this.s, start = this.p, c = s[this.p];
    if (c === '{') {
      this.p++;
      const fields = t.kind === 'struct' ? fieldTypes(t) : null;
      const out: Record<string, unknown> | Map<string, unknown> = t.kind === 'map' ? new Map() : {};
      this.ws();
      if (s[this.p] === '}') this.p++;
      else for (;;) {
        this.ws();
        const key = this.name();
        this.ws();
        if (s[this.p++] !== ':') bad();
        const ft = fields ? fields.get(key) ?? SKIP : t.kind === 'map' ? t.valueType : SKIP;
        const v = this.value(ft, depth + 1);
        if (out instanceof Map) out.set(key, v); else if (fields?.has(key)) out[key] = v; // a repeated name: the last one wins
        this.ws();
        const sep = s[this.p++];
        if (sep === '}') break;
        if (sep !== ',') bad();
      }
      return t.kind === 'struct' || t.kind === 'map' ? out : t.kind === 'string' ? s.slice(start, this.p) : null;
    }
    if (c === '[') {
      this.p++;
      const el = t.kind === 'array' ? t.elementType : SKIP, out: unknown[] = [];
      this.ws();
      if (s[this.p] === ']') this.p++;
      else for (;;) {
        out.push(this.value(el, depth + 1));
        this.ws();
        const sep = s[this.p++];
        if (sep === ']') break;
        if (sep !== ',') bad();
      }
      return t.kind === 'array' ? out : t.kind === 'string' ? s.slice(start, this.p) : null;
    }
    if (c === '"' || (c === "'" && this.o.allowSingleQuotes)) return this.fromString(t, this.string());
    const num = this.number();
    if (num !== null) return this.fromNumber(t, num, num);
    if (s.startsWith('null', this.p)) { this.p += 4; return null; }
    if (s.startsWith('true', this.p)) { this.p += 4; return t.kind === 'boolean' ? true : t.kind === 'string' ? 'true' : null; }
    if (s.startsWith('false', this.p)) { this.p += 5; return t.kind === 'boolean' ? false : t.kind === 'string' ? 'false' : null; }
    if (this.o.allowNonNumericNumbers) {
      const m = /^[+-]?(NaN|Infinity|INF)/.exec(s.slice(this.p, this.p + 9));
      if (m && NON_NUMERIC[m[0]] !== undefined) {
        this.p += m[0].length;
        return t.kind === 'double' ? NON_NUMERIC[m[0]] : t.kind === 'string' ? m[0] : null;
      }
    }
    return bad();
  }

  private fromString(t: DataType, v: string): unknown {
    switch (t.kind) {
      case 'string': return v;
      case 'timestamp': {
        if (this.o.parseTimestamp) return this.o.parseTimestamp(v);
        const b = enc.encode(v), ms = parseTimestamp(b, 0, b.length);
        return Number.isNaN(ms) ? null : ms;
      }
      case 'date': {
        if (this.o.parseDate) return this.o.parseDate(v);
        const b = enc.encode(v), d = parseDate(b, 0, b.length);
        return Number.isNaN(d) ? null : d;
      }
      case 'double': return NON_NUMERIC[v] ?? null;
      case 'binary': {
        const b = enc.encode(v), out = new Uint8Array(b.length), n = decodeBase64(b, 0, b.length, out, 0);
        return n < 0 ? null : out.subarray(0, n);
      }
      default: return null;
    }
  }

  private fromNumber(t: DataType, text: string, raw: string): unknown {
    const integral = /^-?\d+$/.test(text);
    switch (t.kind) {
      case 'int': { const v = integral ? Number(text) : NaN; return v >= -2147483648 && v <= 2147483647 ? v : null; }
      case 'long': { if (!integral) return null; const v = BigInt(text); return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null; }
      case 'double': return Number(text);
      // Seconds since the epoch, as Spark reads a number into a timestamp.
      case 'timestamp': { const ms = Math.trunc(Math.round(Number(text) * 1e6) / 1000); return Number.isSafeInteger(ms) ? ms : null; }
      case 'string': return raw;
      default: return null;
    }
  }
}

export interface LenientDecodeResult {
  /** One row per row read, of the type asked for; a malformed record is null. */
  readonly column: A.Data;
  /** Indices (into `rows`) of the records still malformed. */
  readonly malformed: Int32Array;
}

/**
 * Reads rows `rows` (all rows when null) of a Utf8/Binary column as JSON of type `type`. The top
 * value must be of the type's JSON kind (an object for a struct or a map, an array for an array).
 */
export function decodeJsonLenient(input: A.Data, rows: Int32Array | null, type: DataType, opts: JsonReadOptions): LenientDecodeResult {
  const n = rows ? rows.length : input.length;
  const offs = input.valueOffsets as Int32Array, buf = input.values as Uint8Array;
  const values: unknown[] = new Array(n).fill(null), malformed: number[] = [];
  const top = type.kind === 'array' ? '[' : '{';
  for (let j = 0; j < n; j++) {
    const i = rows ? rows[j]! : j;
    if (!isValid(input, i)) continue;
    const r = new Reader(dec.decode(buf.subarray(offs[i]!, offs[i + 1]!)), opts);
    try {
      r.ws();
      if (r.done() || r.s[r.p] !== top) bad();
      const v = r.value(type, 1);
      if (!r.done()) bad();
      values[j] = v;
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      malformed.push(j);
    }
  }
  return { column: columnFromValues(type, values, 'from_json', 'value'), malformed: Int32Array.from(malformed) };
}
