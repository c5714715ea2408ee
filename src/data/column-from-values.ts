import * as A from 'apache-arrow';
import { type DataType, toArrowType, typeToString } from './types.ts';
import { listColumn, mapColumn } from './builders.ts';
import { AnalysisError } from '../errors.ts';
import { ValidityBuilder } from './builders.ts';
import { cellWriter, parseTimestamp, type Cell } from './cells.ts';
import { decimalFromNumber, fitsPrecision, parseDecimal, pow10 } from './decimal.ts';

/**
 * A column of `type` from JS values (createDataFrame's rows), checked as PySpark's
 * createDataFrame verifies them: a value the type cannot hold is an error naming the row
 * and column, never a silent null. Accepted: null/undefined for null; boolean; int and long
 * from integral numbers or bigints; double from numbers; timestamp from Date, ms numbers
 * or ISO strings (no zone = UTC); date from Date, day numbers or 'yyyy-MM-dd'; string;
 * binary from Uint8Array; decimal from its text ('12.30'), numbers or bigints, rounded HALF_UP to
 * the scale as Spark's DecimalType does, refused when it has more integer digits than fit; struct from plain objects; array from JS arrays (elements checked as
 * their own column, so a bad element is named by its position).
 */
export function columnFromValues(type: DataType, values: readonly unknown[], context: string, path: string): A.Data {
  const n = values.length;
  const where = (row: number): string => `${context}: row ${row}, column '${path}'`;
  if (type.kind === 'struct') {
    const vb = new ValidityBuilder(n);
    values.forEach((v, i) => {
      if (v != null && (typeof v !== 'object' || Array.isArray(v) || v instanceof Date || v instanceof Uint8Array)) refuse(type, v, where(i));
      vb.set(i, v != null);
    });
    const children = type.fields.map((f) => columnFromValues(
      f.type, values.map((v) => (v == null ? null : (v as Record<string, unknown>)[f.name])), context, `${path}.${f.name}`));
    return A.makeData({ type: toArrowType(type) as A.Struct, length: n, nullCount: vb.nullCount, nullBitmap: vb.finish(n), children });
  }
  if (type.kind === 'array') {
    const vb = new ValidityBuilder(n), offsets = new Int32Array(n + 1), elements: unknown[] = [];
    values.forEach((v, i) => {
      if (v != null && !Array.isArray(v)) refuse(type, v, where(i));
      if (v != null) for (const x of v as unknown[]) elements.push(x);
      vb.set(i, v != null);
      offsets[i + 1] = elements.length;
    });
    let child: A.Data;
    try { child = columnFromValues(type.elementType, elements, context, `${path}[]`); } catch (e) {
      if (!(e instanceof AnalysisError)) throw e;
      // Say which row and element the flat element index was.
      const m = /row (\d+), column/.exec(e.message), flat = m ? Number(m[1]) : -1;
      const row = offsets.findIndex((o, i) => i > 0 && o > flat) - 1;
      throw row >= 0 ? new AnalysisError(e.message.replace(`row ${flat}, column '${path}[]`, `row ${row}, column '${path}[${flat - offsets[row]!}]`)) : e;
    }
    return listColumn(type, offsets, child, n, vb.finish(n), vb.nullCount);
  }
  if (type.kind === 'map') {
    // A JS Map (PySpark's dict), or a plain object for string keys; keys and values checked as columns of their own.
    const vb = new ValidityBuilder(n), offsets = new Int32Array(n + 1), keys: unknown[] = [], vals: unknown[] = [];
    values.forEach((v, i) => {
      if (v != null && !(v instanceof Map) && (typeof v !== 'object' || Array.isArray(v) || v instanceof Date || v instanceof Uint8Array)) refuse(type, v, where(i));
      if (v != null) for (const [k, x] of v instanceof Map ? v : Object.entries(v as object)) {
        if (k == null) throw new AnalysisError(`${where(i)}: a map key cannot be null.`);
        keys.push(k); vals.push(x);
      }
      vb.set(i, v != null);
      offsets[i + 1] = keys.length;
    });
    return mapColumn(type, offsets, columnFromValues(type.keyType, keys, context, `${path}.key`), columnFromValues(type.valueType, vals, context, `${path}.value`),
      n, vb.finish(n), vb.nullCount);
  }
  const w = cellWriter(type, n);
  for (let i = 0; i < n; i++) w.push(toCell(type, values[i], where, i));
  return w.finish();
}

function toCell(type: DataType, v: unknown, where: (row: number) => string, i: number): Cell {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'boolean': if (typeof v === 'boolean') return v; break;
    case 'int':
      if ((typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint') {
        const x = Number(v);
        if (x >= -2147483648 && x <= 2147483647) return x;
      }
      break;
    case 'long':
      if (typeof v === 'bigint' && v >= -9223372036854775808n && v <= 9223372036854775807n) return v;
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
      break;
    case 'double':
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      break;
    case 'string': if (typeof v === 'string') return v; break;
    case 'binary': if (v instanceof Uint8Array) return v; break;
    case 'timestamp': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? parseTimestamp(v) : null;
      if (ms !== null && Number.isFinite(ms)) return Math.floor(ms);
      break;
    }
    case 'date': {
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      const ms = v instanceof Date ? v.getTime() : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? parseTimestamp(v) : null;
      if (ms !== null && Number.isFinite(ms)) return Math.floor(ms / 86400000);
      break;
    }
    case 'decimal': {
      const u = typeof v === 'string' ? parseDecimal(v, type.scale) : typeof v === 'number' ? decimalFromNumber(v, type.scale)
        : typeof v === 'bigint' ? v * pow10(type.scale) : null;
      if (u !== null && fitsPrecision(u, type.precision)) return u;
      break;
    }
    case 'null': break;
    case 'struct': case 'array': case 'map': break;
  }
  return refuse(type, v, where(i));
}

function refuse(type: DataType, v: unknown, where: string): never {
  const shown = typeof v === 'string' ? `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'` : typeof v === 'bigint' ? `${v}n`
    : v instanceof Date ? `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})` : Array.isArray(v) ? 'an array'
    : typeof v === 'object' ? 'an object' : String(v);
  throw new AnalysisError(`${where}: a ${typeToString(type)} column cannot hold ${shown} (${typeof v}). Fix the value or give a schema that fits it.`);
}
