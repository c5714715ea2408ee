import type { DataType, Struct } from './types.ts';
import type { Batch } from './batch.ts';
import { batchToRows } from './rows.ts';
import { formatDouble, formatTimestamp } from './cells.ts';

/** A value of type `t` as Spark's show() prints it (its cast to string); cut to 20 characters when `truncate`. */
function cell(v: unknown, t: DataType | undefined, truncate: boolean): string {
  let s: string;
  if (v === null || v === undefined) s = 'null';
  else if (v instanceof Date) s = formatTimestamp(v.getTime());
  else if (v instanceof Uint8Array) s = '[' + Array.from(v.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ') + (v.length > 16 ? ' ...' : '') + ']';
  else if (v instanceof Map) { const m = t?.kind === 'map' ? t : undefined; s = '{' + [...v].map(([k, x]) => `${cell(k, m?.keyType, false)} -> ${cell(x, m?.valueType, false)}`).join(', ') + '}'; }
  else if (Array.isArray(v)) { const e = t?.kind === 'array' ? t.elementType : undefined; s = '[' + v.map((x) => cell(x, e, false)).join(', ') + ']'; }
  else if (typeof v === 'object') { const f = t?.kind === 'struct' ? t.fields : undefined; s = '{' + Object.values(v).map((x, k) => cell(x, f?.[k]?.type, false)).join(', ') + '}'; }
  else if (typeof v === 'number' && t?.kind === 'double') s = formatDouble(v);
  else s = String(v);
  return truncate && s.length > 20 ? s.slice(0, 17) + '...' : s;
}

/**
 * The first `numRows` rows of `batches` as Spark's show() and console sink print them: a table
 * with a header, values right-aligned, and "only showing top N rows" when there are more.
 */
export function showTable(schema: Struct, batches: readonly Batch[], numRows: number, truncate: boolean): string[] {
  const names = schema.fields.map((f) => f.name);
  const rows: string[][] = [];
  let total = 0;
  for (const b of batches) {
    total += b.numRows;
    if (rows.length < numRows) for (const r of batchToRows(b).slice(0, numRows - rows.length)) rows.push(schema.fields.map((f) => cell(r[f.name], f.type, truncate)));
  }
  const widths = names.map((n, k) => Math.max(n.length, ...rows.map((r) => r[k]!.length)));
  const line = '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+';
  const fmt = (cells: readonly string[]): string => '|' + cells.map((c, k) => c.padStart(widths[k]!)).join('|') + '|';
  const out = [line, fmt(names), line, ...rows.map(fmt), line];
  if (total > rows.length) out.push(`only showing top ${rows.length} row${rows.length === 1 ? '' : 's'}`);
  return out;
}
