import { Column, toColumn, type ColumnLike } from './column.ts';
import type { StructType } from './types.ts';
import { AnalysisError } from '../errors.ts';
import type { JsonMode } from '../plan/expr.ts';

/** Spark SQL functions, by Spark's names. */
export function col(name: string): Column { return toColumn(name); }
export const column = col;
export function lit(value: unknown): Column { return new Column({ op: 'lit', value }); }
export function not(c: ColumnLike): Column { return toColumn(c).not(); }

export interface FromJsonOptions {
  /** PERMISSIVE (default), DROPMALFORMED or FAILFAST, as in Spark. */
  mode?: JsonMode | Lowercase<JsonMode>;
  /** A string field of the schema that receives the raw text of malformed records (PERMISSIVE). */
  columnNameOfCorruptRecord?: string;
}

export function from_json(c: ColumnLike, schema: StructType, options: FromJsonOptions = {}): Column {
  const mode = (options.mode ?? 'PERMISSIVE').toUpperCase();
  if (mode !== 'PERMISSIVE' && mode !== 'DROPMALFORMED' && mode !== 'FAILFAST') {
    throw new AnalysisError(`from_json mode '${options.mode}' is not one of PERMISSIVE, DROPMALFORMED, FAILFAST.`);
  }
  return new Column({ op: 'from_json', child: toColumn(c).expr, schema, mode, corruptRecordColumn: options.columnNameOfCorruptRecord });
}
