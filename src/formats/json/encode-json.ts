import type * as A from 'apache-arrow';
import type { DataType, Struct } from '../../data/types.ts';
import { cellReader, formatDate, formatDouble, formatTimestamp } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import { javaDecimalString } from '../../data/decimal.ts';

/** Row i of a column as JSON text (the caller checks the row itself is not null). */
export type JsonWriter = (i: number) => string;

/** Spark's default timestampFormat, yyyy-MM-dd'T'HH:mm:ss.SSSXXX, in UTC. */
export const jsonTimestamp = (ms: number): string => new Date(ms).toISOString();

/**
 * JSON text of a column's values by Spark's JacksonGenerator defaults: struct fields that are null
 * are left out (ignoreNullFields), null array elements are written as null, timestamps as
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC, dates as yyyy-MM-dd, binary as Base64, NaN and the
 * infinities quoted. One compiled writer per column; to_json and write.json use it.
 */
export function jsonWriter(d: A.Data, t: DataType): JsonWriter {
  if (t.kind === 'struct') {
    const kids = (t as Struct).fields.map((f, k) => ({ key: JSON.stringify(f.name), child: d.children[k]!, w: jsonWriter(d.children[k]!, f.type) }));
    return (i) => {
      let s = '{', first = true;
      for (const k of kids) {
        if (!isValid(k.child, i)) continue;
        s += `${first ? '' : ','}${k.key}:${k.w(i)}`;
        first = false;
      }
      return s + '}';
    };
  }
  if (t.kind === 'array') {
    const o = d.valueOffsets as Int32Array, child = d.children[0]!, w = jsonWriter(child, t.elementType);
    return (i) => {
      const parts: string[] = [];
      for (let k = o[i]!; k < o[i + 1]!; k++) parts.push(isValid(child, k) ? w(k) : 'null');
      return `[${parts.join(',')}]`;
    };
  }
  if (t.kind === 'map') {
    // A JSON object keyed by the keys' text, as Spark's JacksonGenerator writes a map; null values are kept.
    const o = d.valueOffsets as Int32Array, e = d.children[0]!, vals = e.children[1]!;
    const key = cellReader(e.children[0]!, t.keyType), w = jsonWriter(vals, t.valueType);
    const keyText = (k: number): string => { const v = key(k); return JSON.stringify(t.keyType.kind === 'timestamp' ? formatTimestamp(v as number) : t.keyType.kind === 'date' ? formatDate(v as number) : String(v)); };
    return (i) => {
      const parts: string[] = [];
      for (let k = o[i]!; k < o[i + 1]!; k++) parts.push(`${keyText(k)}:${isValid(vals, k) ? w(k) : 'null'}`);
      return `{${parts.join(',')}}`;
    };
  }
  const read = cellReader(d, t);
  switch (t.kind) {
    case 'string': return (i) => JSON.stringify(read(i));
    case 'boolean': case 'int': case 'long': return (i) => String(read(i));
    // Jackson writes a double as Java's Double.toString (`1.0`, `1.0E21`), and NaN/Infinity as strings.
    case 'double': return (i) => { const v = read(i) as number; return Number.isFinite(v) ? formatDouble(v) : `"${formatDouble(v)}"`; };
    case 'timestamp': return (i) => `"${jsonTimestamp(read(i) as number)}"`;
    case 'date': return (i) => `"${formatDate(read(i) as number)}"`;
    case 'binary': return (i) => `"${Buffer.from(read(i) as Uint8Array).toString('base64')}"`;
    // A JSON number with every digit, as Jackson writes Spark's BigDecimal.
    case 'decimal': { const s = t.scale; return (i) => javaDecimalString(read(i) as bigint, s); }
    default: return () => 'null';
  }
}
