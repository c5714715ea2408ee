import { Column, toColumn, type ColumnLike } from './column.ts';
import type { StructType } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { AggFn, JsonMode } from '../plan/expr.ts';
import { parseDuration } from '../util/duration.ts';

/** Spark SQL functions, by Spark's names. */
export function col(name: string): Column { return toColumn(name); }
export const column = col;
export function lit(value: unknown): Column { return new Column({ op: 'lit', value }); }

/**
 * Any registered SQL function by its Spark name, as Spark 3.5's call_function: strings name
 * columns. An unknown name or a wrong argument type is an AnalysisError at start().
 */
export function call_function(name: string, ...cols: ColumnLike[]): Column {
  return new Column({ op: 'call', name, args: cols.map((c) => toColumn(c).expr) });
}

// Scalar functions: each is an entry in exec/functions/registry.ts; these lines give them types.
export function not(c: ColumnLike): Column { return toColumn(c).not(); }
export const isnull = (c: ColumnLike): Column => call_function('isnull', c);
export const isnotnull = (c: ColumnLike): Column => call_function('isnotnull', c);
export const upper = (c: ColumnLike): Column => call_function('upper', c);
export const lower = (c: ColumnLike): Column => call_function('lower', c);

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

const durationText = (d: string | number): string => (typeof d === 'number' ? `${d} milliseconds` : d);

/** Tumbling window(t, '5 minutes'), or sliding window(t, '10 minutes', '5 minutes'): the struct {start, end}. */
export function window(timeColumn: ColumnLike, windowDuration: string | number, slideDuration?: string | number): Column {
  const sizeMs = parseDuration(windowDuration, 'window duration');
  const slideMs = slideDuration === undefined ? sizeMs : parseDuration(slideDuration, 'window slide duration');
  if (sizeMs <= 0 || slideMs <= 0) throw new AnalysisError(`window(): durations must be positive; got ${durationText(windowDuration)} / ${durationText(slideDuration ?? windowDuration)}.`);
  if (slideMs > sizeMs) throw new AnalysisError(`window(): the slide (${durationText(slideDuration!)}) must not be longer than the window (${durationText(windowDuration)}).`);
  const text = `window(${durationText(windowDuration)}${slideDuration === undefined ? '' : ', ' + durationText(slideDuration)})`;
  return new Column({ op: 'window', child: toColumn(timeColumn).expr, kind: slideMs === sizeMs ? 'tumbling' : 'sliding', sizeMs, slideMs, text });
}

/** session_window(t, '5 minutes'): events of a key less than the gap apart share a session. */
export function session_window(timeColumn: ColumnLike, gapDuration: string | number): Column {
  const gapMs = parseDuration(gapDuration, 'session_window gap');
  if (gapMs <= 0) throw new AnalysisError(`session_window(): the gap must be positive; got ${durationText(gapDuration)}.`);
  return new Column({ op: 'window', child: toColumn(timeColumn).expr, kind: 'session', sizeMs: gapMs, slideMs: gapMs, text: `session_window(${durationText(gapDuration)})` });
}

function agg(fn: AggFn, c: ColumnLike | null): Column {
  return new Column({ op: 'agg', agg: { fn, child: c === null ? null : toColumn(c).expr } });
}
export const sum = (c: ColumnLike): Column => agg('sum', c);
/** count('*') counts rows; count(col) counts non-null values. */
export const count = (c: ColumnLike): Column => agg('count', c === '*' ? null : c);
export const avg = (c: ColumnLike): Column => agg('avg', c);
export const mean = avg;
export const min = (c: ColumnLike): Column => agg('min', c);
export const max = (c: ColumnLike): Column => agg('max', c);
export const first = (c: ColumnLike): Column => agg('first', c);
export const last = (c: ColumnLike): Column => agg('last', c);
export const approx_count_distinct = (c: ColumnLike): Column => agg('approx_count_distinct', c);
export const approxCountDistinct = approx_count_distinct;
