import type { Batch } from '../../data/batch.ts';
import { isValid } from '../../data/batch.ts';
import { type Struct, typeToString } from '../../data/types.ts';
import { cellReader, formatDate } from '../../data/cells.ts';
import { javaDecimalString } from '../../data/decimal.ts';

export interface CsvWriteOptions { readonly header: boolean; readonly sep: string }

/** Why a schema cannot be written as CSV (Spark's refusal of nested types), or null. */
export function csvUnsupported(schema: Struct): string | null {
  const bad = schema.fields.find((f) => f.type.kind === 'struct' || f.type.kind === 'array' || f.type.kind === 'map');
  return bad ? `CSV data source does not support ${typeToString(bad.type)} data type (column '${bad.name}'); write it with to_json(...) first, or write Parquet` : null;
}

/**
 * Rows as CSV text by Spark's writer defaults: no header unless asked, values quoted only when they
 * hold the separator, a quote, a line break, or are empty strings (null is written as nothing);
 * quotes inside are escaped with a backslash (Spark's escape='\\'); timestamps as
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC, dates as yyyy-MM-dd, binary refused by csvUnsupported's caller.
 */
export function encodeCsv(schema: Struct, batches: readonly Batch[], o: CsvWriteOptions): string {
  const quote = (s: string): string => (s === '' || s.includes(o.sep) || /["\r\n\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);
  const lines: string[] = [];
  if (o.header) lines.push(schema.fields.map((f) => quote(f.name)).join(o.sep));
  for (const b of batches) {
    const cols = schema.fields.map((f, k) => {
      const d = b.columns[k]!, read = cellReader(d, f.type);
      const text = (i: number): string => {
        const v = read(i);
        if (f.type.kind === 'timestamp') return new Date(v as number).toISOString();
        if (f.type.kind === 'date') return formatDate(v as number);
        if (f.type.kind === 'decimal') return javaDecimalString(v as bigint, f.type.scale);
        if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
        return String(v);
      };
      return (i: number): string => (isValid(d, i) ? quote(text(i)) : '');
    });
    for (let i = 0; i < b.numRows; i++) lines.push(cols.map((c) => c(i)).join(o.sep));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
