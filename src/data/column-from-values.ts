import * as A from 'apache-arrow';
import { type DataType, toArrowType, typeToString } from './types.ts';
import { AnalysisError } from '../errors.ts';
import { ValidityBuilder } from './builders.ts';
import { cellWriter, parseTimestamp, type Cell } from './cells.ts';

/**
 * A column of `type` from JS values (createDataFrame's rows), checked as PySpark's
 * createDataFrame verifies them: a value the type cannot hold is an error naming the row
 * and column, never a silent null. Accepted: null/undefined for null; boolean; int and long
 * from integral numbers or bigints; double from numbers; timestamp from Date, ms numbers
 * or ISO strings (no zone = UTC); date from Date, day numbers or 'yyyy-MM-dd'; string;
 * binary from Uint8Array; struct from plain objects.
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
    case 'null': break;
    case 'struct': break;
  }
  return refuse(type, v, where(i));
}

function refuse(type: DataType, v: unknown, where: string): never {
  const shown = typeof v === 'string' ? `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'` : typeof v === 'bigint' ? `${v}n`
    : v instanceof Date ? `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})` : Array.isArray(v) ? 'an array'
    : typeof v === 'object' ? 'an object' : String(v);
  throw new AnalysisError(`${where}: a ${typeToString(type)} column cannot hold ${shown} (${typeof v}). Fix the value or give a schema that fits it.`);
}
