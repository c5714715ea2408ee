import { Column, toColumn, toExprOrLit, type ColumnLike } from './column.ts';
import { parseSqlExpr } from '../plan/sql/parser.ts';
import type { StructType } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import type { AggFn, GeneratorFn, JsonMode } from '../plan/expr.ts';
import { parseDuration } from '../util/duration.ts';

/** Spark SQL functions, by Spark's names. */
export function col(name: string): Column { return toColumn(name); }
export const column = col;
/** A literal; a JS array is an array literal, as PySpark's lit([1, 2, 3]) (built with array(), so named `array(1, 2, 3)`). */
export function lit(value: unknown): Column {
  if (Array.isArray(value)) {
    if (value.some((v) => v instanceof Column)) throw new TypeError('lit([...]) takes plain values, not Columns; use array(col1, col2) for columns.');
    return new Column({ op: 'call', name: 'array', args: value.map((v) => lit(v).expr) });
  }
  return new Column({ op: 'lit', value });
}

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

/**
 * A Spark SQL expression as a Column: expr("amount * 2 AS doubled"), expr("CASE WHEN x > 1 THEN 'a' END"),
 * expr('sum(amount)') inside agg(). Parsed now (a ParseError points at the position); columns and
 * types are checked when the query is analysed, like any Column.
 */
export function expr(sql: string): Column { return new Column(parseSqlExpr(sql, { allowAlias: true })); }

/** when(cond, value)[.when(...)][.otherwise(v)]: Spark's CASE WHEN; a value that is not a Column is a literal. */
export function when(condition: Column, value: unknown): Column {
  return new Column({ op: 'call', name: 'casewhen', args: [condition.expr, toExprOrLit(value)] });
}
/** The first non-null of the columns. */
export const coalesce = (...cols: ColumnLike[]): Column => call_function('coalesce', ...cols);
/** Null where a equals b, else a. */
export const nullif = (a: ColumnLike, b: ColumnLike): Column => call_function('nullif', a, b);
/** The largest non-null value of the columns (null only if all are null). */
export const greatest = (...cols: ColumnLike[]): Column => call_function('greatest', ...cols);
/** The smallest non-null value of the columns (null only if all are null). */
export const least = (...cols: ColumnLike[]): Column => call_function('least', ...cols);
/** The strings joined; null if any is null. */
export const concat = (...cols: ColumnLike[]): Column => call_function('concat', ...cols);
/** The non-null strings joined by `sep` (a literal string, as in PySpark). */
export const concat_ws = (sep: string, ...cols: ColumnLike[]): Column =>
  new Column({ op: 'call', name: 'concat_ws', args: [toExprOrLit(sep), ...cols.map((c) => toColumn(c).expr)] });
export const trim = (c: ColumnLike): Column => call_function('trim', c);
export const ltrim = (c: ColumnLike): Column => call_function('ltrim', c);
export const rtrim = (c: ColumnLike): Column => call_function('rtrim', c);
/** Characters of a string, bytes of a binary. */
export const length = (c: ColumnLike): Column => call_function('length', c);
/** substring(str, pos, len): 1-based, by characters; a negative pos counts from the end. */
export const substring = (str: ColumnLike, pos: number | Column, len: number | Column): Column =>
  new Column({ op: 'call', name: 'substring', args: [toColumn(str).expr, toExprOrLit(pos), toExprOrLit(len)] });
/** -x: SQL's unary minus. */
export const negative = (c: ColumnLike): Column => call_function('negative', c);
export const abs = (c: ColumnLike): Column => call_function('abs', c);
/** HALF_UP at `scale` digits (negative: left of the point). */
export const round = (c: ColumnLike, scale = 0): Column =>
  new Column({ op: 'call', name: 'round', args: [toColumn(c).expr, toExprOrLit(scale)] });
/** startswith(str, prefix): both are columns (names or Columns), as in PySpark; use lit('x') for a literal. */
export const startswith = (str: ColumnLike, prefix: ColumnLike): Column => call_function('startswith', str, prefix);
export const endswith = (str: ColumnLike, suffix: ColumnLike): Column => call_function('endswith', str, suffix);
export const contains = (left: ColumnLike, right: ColumnLike): Column => call_function('contains', left, right);
/** str LIKE pattern, both columns as in PySpark 3.5's like(str, pattern) (lit('A%') for a literal); col.like('A%') takes a string. */
export const like = (str: ColumnLike, pattern: ColumnLike): Column => call_function('like', str, pattern);
/** str RLIKE regexp, both columns as in PySpark 3.5 (lit('^a') for a literal); col.rlike('^a') takes a string. */
export const rlike = (str: ColumnLike, regexp: ColumnLike): Column => call_function('rlike', str, regexp);
/** Group `idx` of the first match of `pattern` (a regex string), '' when there is none. */
export const regexp_extract = (str: ColumnLike, pattern: string, idx: number): Column =>
  new Column({ op: 'call', name: 'regexp_extract', args: [toColumn(str).expr, toExprOrLit(pattern), toExprOrLit(idx)] });

/** Every match of `pattern` (a regex; a string is a literal, as in PySpark) replaced; `$1` names a group. */
export const regexp_replace = (str: ColumnLike, pattern: string | Column, replacement: string | Column): Column =>
  new Column({ op: 'call', name: 'regexp_replace', args: [toColumn(str).expr, toExprOrLit(pattern), toExprOrLit(replacement)] });
/** Left-pad to `len` characters with `pad` (cut to `len` when longer). */
export const lpad = (c: ColumnLike, len: number | Column, pad: string | Column): Column =>
  new Column({ op: 'call', name: 'lpad', args: [toColumn(c).expr, toExprOrLit(len), toExprOrLit(pad)] });
/** Right-pad to `len` characters with `pad` (cut to `len` when longer). */
export const rpad = (c: ColumnLike, len: number | Column, pad: string | Column): Column =>
  new Column({ op: 'call', name: 'rpad', args: [toColumn(c).expr, toExprOrLit(len), toExprOrLit(pad)] });

// Arrays: the functions are registry entries (exec/functions/), explode and friends generators (plan/generate).
/** split(str, pattern[, limit]): the pieces between matches of a Java regex; limit > 0 keeps at most limit pieces. */
export const split = (str: ColumnLike, pattern: string, limit = -1): Column =>
  new Column({ op: 'call', name: 'split', args: [toColumn(str).expr, toExprOrLit(pattern), toExprOrLit(limit)] });
/** array(a, b, ...): the columns' values as one array per row (strings name columns, as in PySpark). */
export const array = (...cols: (ColumnLike | ColumnLike[])[]): Column => call_function('array', ...cols.flat());
/** Elements in the array; -1 for a null array (Spark's default, non-ANSI). */
export const size = (c: ColumnLike): Column => call_function('size', c);
/** Whether the array holds `value` (a literal unless a Column); null when unknown, as in Spark. */
export const array_contains = (c: ColumnLike, value: unknown): Column =>
  new Column({ op: 'call', name: 'array_contains', args: [toColumn(c).expr, toExprOrLit(value)] });
/** The element at a 1-based index (negative counts from the end); null when out of range. */
export const element_at = (c: ColumnLike, extraction: number | Column): Column =>
  new Column({ op: 'call', name: 'element_at', args: [toColumn(c).expr, toExprOrLit(extraction)] });
/** The element at a 0-based index; null when out of range (Spark 3.4's get, and col.getItem(i)). */
export const get = (c: ColumnLike, index: number | Column): Column =>
  new Column({ op: 'call', name: 'get', args: [toColumn(c).expr, toExprOrLit(index)] });
/** The elements joined by `delimiter`; null elements are skipped, or replaced by `nullReplacement`. */
export const array_join = (c: ColumnLike, delimiter: string, nullReplacement?: string): Column =>
  new Column({ op: 'call', name: 'array_join', args: [toColumn(c).expr, toExprOrLit(delimiter), ...(nullReplacement === undefined ? [] : [toExprOrLit(nullReplacement)])] });
/** The elements sorted; nulls first when ascending, last when not. */
export const sort_array = (c: ColumnLike, asc = true): Column =>
  new Column({ op: 'call', name: 'sort_array', args: [toColumn(c).expr, toExprOrLit(asc)] });
/** The elements without repeats, first occurrences in order. */
export const array_distinct = (c: ColumnLike): Column => call_function('array_distinct', c);

function generator(fn: GeneratorFn, c: ColumnLike): Column {
  return new Column({ op: 'generator', fn, child: toColumn(c).expr });
}
/** A row per element (column `col`); rows with a null or empty array produce none. One generator per select. */
export const explode = (c: ColumnLike): Column => generator('explode', c);
/** As explode, but a null or empty array gives one row with a null `col`. */
export const explode_outer = (c: ColumnLike): Column => generator('explode_outer', c);
/** A row per element with its 0-based position: columns `pos` and `col`. */
export const posexplode = (c: ColumnLike): Column => generator('posexplode', c);
/** As posexplode, but a null or empty array gives one row of nulls. */
export const posexplode_outer = (c: ColumnLike): Column => generator('posexplode_outer', c);

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
/** The group's non-null values as an array, in input order (Spark's order is not deterministic across partitions). */
export const collect_list = (c: ColumnLike): Column => agg('collect_list', c);
/** The group's distinct non-null values as an array. */
export const collect_set = (c: ColumnLike): Column => agg('collect_set', c);
