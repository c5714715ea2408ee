/**
 * Spark's JSON schema inference (JsonInferSchema), over the bytes of each record:
 *   1. each record's type: integers are long (double past the long range: there is no
 *      decimal type), numbers with a fraction or exponent double, true/false boolean, text
 *      string (never timestamp: Spark's inferTimestamp is off by default), objects structs;
 *   2. records merged field by field: long with double is double, structs merge their fields,
 *      any other clash is string;
 *   3. what is still only null becomes string; structs with no fields are dropped; fields
 *      are sorted by name, as Spark prints them.
 */
import { type DataType, type StructField, boolean, double, long, string, struct, type Struct } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import { MAX_DEPTH, skipNumber, skipString, skipValue, skipWs, skipLiteral } from '../../formats/json/scanner.ts';

/** Inference's own types: a struct's fields by name, in first-seen order until the end. */
type Inferred =
  | { readonly kind: 'null' | 'boolean' | 'long' | 'double' | 'string' }
  | { readonly kind: 'struct'; readonly fields: Map<string, Inferred> }
  | { readonly kind: 'array'; readonly path: string };

const NULL: Inferred = { kind: 'null' }, BOOL: Inferred = { kind: 'boolean' }, LONG: Inferred = { kind: 'long' };
const DOUBLE: Inferred = { kind: 'double' }, STRING: Inferred = { kind: 'string' };
const MALFORMED = null;
const utf8 = new TextDecoder();
const LONG_MIN = -9223372036854775808n, LONG_MAX = 9223372036854775807n;

export class JsonSchemaInference {
  private root: Inferred = { kind: 'struct', fields: new Map() };
  /** Records that were not a JSON object. */
  malformed = 0;
  private p = 0;

  /** Adds the record in buf[start, end); false when it is malformed. */
  add(buf: Uint8Array, start: number, end: number): boolean {
    let p = skipWs(buf, start, end);
    if (p >= end || buf[p] !== 0x7b) { this.malformed++; return false; }
    this.p = p;
    const t = this.value(buf, end, 0, '');
    if (t === MALFORMED || skipWs(buf, this.p, end) !== end) { this.malformed++; return false; }
    this.root = merge(this.root, t);
    return true;
  }

  /** The schema so far; `corruptColumn` is added (Spark's _corrupt_record) when a record was malformed. */
  schema(corruptColumn?: string): Struct {
    const fields = [...finishFields((this.root as Extract<Inferred, { kind: 'struct' }>).fields, '')];
    if (corruptColumn && this.malformed > 0 && !fields.some((f) => f.name === corruptColumn)) fields.push({ name: corruptColumn, type: string, nullable: true });
    return struct(fields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  }

  /** The type of the value at this.p; this.p moves past it. */
  private value(buf: Uint8Array, end: number, depth: number, path: string): Inferred | typeof MALFORMED {
    const p = this.p, c = buf[p];
    let q: number;
    if (c === 0x7b) return this.object(buf, end, depth + 1, path);
    if (c === 0x22) { q = skipString(buf, p, end); if (q < 0) return MALFORMED; this.p = q; return STRING; }
    if (c === 0x5b) { q = skipValue(buf, p, end, depth); if (q < 0) return MALFORMED; this.p = q; return { kind: 'array', path }; }
    if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
      q = skipNumber(buf, p, end);
      if (q < 0) return MALFORMED;
      this.p = q;
      for (let i = p; i < q; i++) { const d = buf[i]; if (d === 0x2e || d === 0x65 || d === 0x45) return DOUBLE; }
      const n = BigInt(utf8.decode(buf.subarray(p, q)));
      return n >= LONG_MIN && n <= LONG_MAX ? LONG : DOUBLE;
    }
    q = skipLiteral(buf, p, end);
    if (q < 0) return MALFORMED;
    this.p = q;
    return c === 0x6e ? NULL : BOOL;
  }

  private object(buf: Uint8Array, end: number, depth: number, path: string): Inferred | typeof MALFORMED {
    if (depth > MAX_DEPTH) return MALFORMED;
    const fields = new Map<string, Inferred>();
    let p = skipWs(buf, this.p + 1, end);
    if (p < end && buf[p] === 0x7d) { this.p = p + 1; return { kind: 'struct', fields }; }
    for (;;) {
      if (p >= end || buf[p] !== 0x22) return MALFORMED;
      const q = skipString(buf, p, end);
      if (q < 0) return MALFORMED;
      const raw = buf.subarray(p + 1, q - 1);
      const key = raw.includes(0x5c) ? JSON.parse(utf8.decode(buf.subarray(p, q))) as string : utf8.decode(raw);
      p = skipWs(buf, q, end);
      if (p >= end || buf[p] !== 0x3a) return MALFORMED;
      this.p = skipWs(buf, p + 1, end);
      if (this.p >= end) return MALFORMED;
      const t = this.value(buf, end, depth, path ? `${path}.${key}` : key);
      if (t === MALFORMED) return MALFORMED;
      const prev = fields.get(key);
      fields.set(key, prev ? merge(prev, t) : t);
      p = skipWs(buf, this.p, end);
      if (p >= end) return MALFORMED;
      if (buf[p] === 0x7d) { this.p = p + 1; return { kind: 'struct', fields }; }
      if (buf[p] !== 0x2c) return MALFORMED;
      p = skipWs(buf, p + 1, end);
    }
  }
}

function merge(a: Inferred, b: Inferred): Inferred {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'array') return a;
  if (b.kind === 'array') return b;
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields);
    for (const [k, t] of b.fields) { const prev = fields.get(k); fields.set(k, prev ? merge(prev, t) : t); }
    return { kind: 'struct', fields };
  }
  if (a.kind === b.kind) return a;
  if ((a.kind === 'long' && b.kind === 'double') || (a.kind === 'double' && b.kind === 'long')) return DOUBLE;
  return STRING;
}

function finishFields(fields: Map<string, Inferred>, path: string): StructField[] {
  const out: StructField[] = [];
  for (const [name, t] of fields) {
    const type = finish(t, path ? `${path}.${name}` : name);
    if (type) out.push({ name, type, nullable: true });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function finish(t: Inferred, path: string): DataType | null {
  switch (t.kind) {
    case 'null': case 'string': return string;
    case 'boolean': return boolean;
    case 'long': return long;
    case 'double': return double;
    case 'array':
      throw new AnalysisError(`read.json: field '${t.path}' holds JSON arrays, which the JSON reader cannot decode yet. `
        + `Give read.schema(...) with the other fields (fields not in the schema are skipped).`);
    case 'struct': {
      const fields = finishFields(t.fields, path);
      return fields.length ? struct(fields) : null;
    }
  }
}
