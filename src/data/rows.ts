import type { Struct, DataType } from './types.ts';
import type { Batch } from './batch.ts';
import { isValid } from './batch.ts';
import type * as A from 'apache-arrow';
import { cellReader } from './cells.ts';
import { formatDecimal } from './decimal.ts';

/** Row objects from columns: only at the edges (console, collect(), foreachBatch helpers). */
export function batchToRows(b: Batch): Record<string, unknown>[] {
  const readers = b.columns.map((c, k) => rowReader(c, b.schema.fields[k]!.type));
  const out: Record<string, unknown>[] = new Array(b.numRows);
  for (let i = 0; i < b.numRows; i++) {
    const row: Record<string, unknown> = {};
    b.schema.fields.forEach((f, k) => { row[f.name] = readers[k]!(i); });
    out[i] = row;
  }
  return out;
}

/**
 * Timestamps come out as Date, longs as bigint, structs as objects, arrays as JS arrays, maps as JS
 * Maps (PySpark's dict), decimals as their exact text ('1.20' for decimal(10,2)): JS has no decimal
 * number, and a string is what createDataFrame takes back without loss.
 */
export function rowReader(d: A.Data, type: DataType): (i: number) => unknown {
  if (type.kind === 'map') {
    const o = d.valueOffsets as Int32Array, e = d.children[0]!;
    const key = rowReader(e.children[0]!, type.keyType), value = rowReader(e.children[1]!, type.valueType);
    return (i) => {
      if (!isValid(d, i)) return null;
      const out = new Map<unknown, unknown>();
      for (let k = o[i]!; k < o[i + 1]!; k++) out.set(key(k), value(k));
      return out;
    };
  }
  if (type.kind === 'array') {
    const o = d.valueOffsets as Int32Array, el = rowReader(d.children[0]!, type.elementType);
    return (i) => {
      if (!isValid(d, i)) return null;
      const out: unknown[] = [];
      for (let k = o[i]!; k < o[i + 1]!; k++) out.push(el(k));
      return out;
    };
  }
  if (type.kind === 'struct') {
    const kids = (type as Struct).fields.map((f, k) => [f.name, rowReader(d.children[k]!, f.type)] as const);
    return (i) => {
      if (!isValid(d, i)) return null;
      const o: Record<string, unknown> = {};
      for (const [name, r] of kids) o[name] = r(i);
      return o;
    };
  }
  const r = cellReader(d, type);
  if (type.kind === 'timestamp') return (i) => { const v = r(i); return v === null ? null : new Date(v as number); };
  if (type.kind === 'date') return (i) => { const v = r(i); return v === null ? null : new Date((v as number) * 86400000); };
  if (type.kind === 'decimal') { const s = type.scale; return (i) => { const v = r(i); return v === null ? null : formatDecimal(v as bigint, s); }; }
  return r;
}
