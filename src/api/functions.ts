import { Column, toColumn, toExprOrLit, type ColumnLike } from './column.ts';
import { parseSqlExpr } from '../plan/sql/parser.ts';
import { double, typeToString, type DataType } from '../data/types.ts';
import { AnalysisError, OptionError } from '../errors.ts';
import type { JsonTextOptions } from '../exec/functions/from-json.ts';
import type { AggFn, Expr, GeneratorFn, JsonMode } from '../plan/expr.ts';
import { parseDuration } from '../util/duration.ts';
import { parseDdlType } from '../data/ddl.ts';

/** Spark SQL functions, by Spark's names. */
export function col(name: string): Column { return toColumn(name); }
export const column = col;
/** asc('x'), desc('x') and their nulls_first/nulls_last forms: orderings for orderBy()/sort(). */
export const asc = (c: ColumnLike): Column => toColumn(c).asc();
export const desc = (c: ColumnLike): Column => toColumn(c).desc();
export const asc_nulls_first = (c: ColumnLike): Column => toColumn(c).asc_nulls_first();
export const asc_nulls_last = (c: ColumnLike): Column => toColumn(c).asc_nulls_last();
export const desc_nulls_first = (c: ColumnLike): Column => toColumn(c).desc_nulls_first();
export const desc_nulls_last = (c: ColumnLike): Column => toColumn(c).desc_nulls_last();
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
/** The element at a 1-based index (negative counts from the end), or a map's value for a key; null when out of range or absent. */
export const element_at = (c: ColumnLike, extraction: number | string | Column): Column =>
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

// Maps: registry entries too (exec/functions/create-map.ts, map-columns.ts, map-value.ts, map-from-arrays.ts).
/** create_map(k1, v1, k2, v2, ...): a map per row (SQL's map()); a null or repeated key stops the query, as in Spark. */
export const create_map = (...cols: (ColumnLike | ColumnLike[])[]): Column => call_function('map', ...cols.flat());
/** The map's keys as an array, in its order. */
export const map_keys = (c: ColumnLike): Column => call_function('map_keys', c);
/** The map's values as an array, in its order. */
export const map_values = (c: ColumnLike): Column => call_function('map_values', c);
/** The map's entries as an array of structs {key, value}. */
export const map_entries = (c: ColumnLike): Column => call_function('map_entries', c);
/** A map of keys[i] to values[i]; the arrays must be equally long. */
export const map_from_arrays = (keys: ColumnLike, values: ColumnLike): Column => call_function('map_from_arrays', keys, values);
/** Whether the map has `key` (a literal unless a Column); null for a null map. */
export const map_contains_key = (c: ColumnLike, key: unknown): Column =>
  new Column({ op: 'call', name: 'map_contains_key', args: [toColumn(c).expr, toExprOrLit(key)] });

function generator(fn: GeneratorFn, c: ColumnLike): Column {
  return new Column({ op: 'generator', fn, child: toColumn(c).expr });
}
/** A row per element (column `col`), or per map entry (columns `key`, `value`); rows with a null or empty array produce none. One generator per select. */
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
  /** A Spark datetime pattern for timestamp fields, e.g. 'dd/MM/yyyy HH:mm' (read in UTC). */
  timestampFormat?: string;
  /** A Spark datetime pattern for date fields, e.g. 'dd/MM/yyyy'. */
  dateFormat?: string;
  /** 'single-quoted' strings and names; Spark's default true. */
  allowSingleQuotes?: boolean | 'true' | 'false';
  /** {name: 1}; Spark's default false. */
  allowUnquotedFieldNames?: boolean | 'true' | 'false';
  /** 007; Spark's default false. */
  allowNumericLeadingZeros?: boolean | 'true' | 'false';
  /** NaN, Infinity, -INF unquoted; Spark's default true. */
  allowNonNumericNumbers?: boolean | 'true' | 'false';
}

const JSON_FLAGS = ['allowSingleQuotes', 'allowUnquotedFieldNames', 'allowNumericLeadingZeros', 'allowNonNumericNumbers'] as const;

/** Spark's option names (any case, as Spark reads them) and values ('true' or true), checked here; an option sluice does not read is refused, not ignored. */
function jsonOptions(options: Readonly<Record<string, unknown>>): { mode: JsonMode; corrupt?: string; text: JsonTextOptions } {
  const known = ['mode', 'columnNameOfCorruptRecord', 'timestampFormat', 'dateFormat', ...JSON_FLAGS];
  const text: Record<string, unknown> = {};
  let mode = 'PERMISSIVE', corrupt: string | undefined;
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const name = known.find((n) => n.toLowerCase() === k.toLowerCase());
    if (!name) throw new OptionError(`from_json option '${k}' is not supported by sluice. Supported: ${known.join(', ')}.`);
    if (name === 'mode') mode = String(v).toUpperCase();
    else if (name === 'columnNameOfCorruptRecord') corrupt = String(v);
    else if (name === 'timestampFormat' || name === 'dateFormat') text[name] = String(v);
    else {
      const b = typeof v === 'boolean' ? v : String(v).toLowerCase() === 'true' ? true : String(v).toLowerCase() === 'false' ? false : undefined;
      if (b === undefined) throw new OptionError(`from_json option '${k}' must be true or false, not '${String(v)}'.`);
      text[name] = b;
    }
  }
  if (mode !== 'PERMISSIVE' && mode !== 'DROPMALFORMED' && mode !== 'FAILFAST') {
    throw new AnalysisError(`from_json mode '${options.mode}' is not one of PERMISSIVE, DROPMALFORMED, FAILFAST.`);
  }
  return { mode, corrupt, text: text as JsonTextOptions };
}

/**
 * from_json(col, schema, options): the schema as a StructType, an ArrayType or MapType, or a DDL
 * string ('a INT, b STRUCT<c: STRING>', 'ARRAY<STRING>', 'MAP<STRING,INT>'), as in PySpark; the
 * options are Spark's JSON options (FromJsonOptions).
 */
export function from_json(c: ColumnLike, schemaOrDdl: DataType | string, options: FromJsonOptions = {}): Column {
  const schema = typeof schemaOrDdl === 'string' ? parseDdlType(schemaOrDdl) : schemaOrDdl;
  if (schema.kind !== 'struct' && schema.kind !== 'array' && schema.kind !== 'map') {
    throw new AnalysisError(`from_json's schema must be a struct, an array or a map, but it is ${typeToString(schema)}.`);
  }
  const { mode, corrupt, text } = jsonOptions(options as Readonly<Record<string, unknown>>);
  return new Column({ op: 'from_json', child: toColumn(c).expr, schema, mode, corruptRecordColumn: corrupt, options: text });
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
/** Exact count of distinct (col, ...cols) tuples, rows with any null skipped; named `count(DISTINCT a, b)`. */
export const count_distinct = (c: ColumnLike, ...cols: ColumnLike[]): Column =>
  new Column({ op: 'agg', agg: { fn: 'count_distinct', child: toColumn(c).expr, args: cols.map((x) => toColumn(x).expr) } });
export const countDistinct = count_distinct;
/** Sample standard deviation (null for fewer than 2 values, as in Spark); stddev and std are its other names. */
export const stddev_samp = (c: ColumnLike): Column => agg('stddev_samp', c);
export const stddev = (c: ColumnLike): Column => agg('stddev', c);
export const std = (c: ColumnLike): Column => agg('std', c);
export const stddev_pop = (c: ColumnLike): Column => agg('stddev_pop', c);
/** Sample variance (null for fewer than 2 values); variance is its other name. */
export const var_samp = (c: ColumnLike): Column => agg('var_samp', c);
export const variance = (c: ColumnLike): Column => agg('variance', c);
export const var_pop = (c: ColumnLike): Column => agg('var_pop', c);
export const skewness = (c: ColumnLike): Column => agg('skewness', c);
export const kurtosis = (c: ColumnLike): Column => agg('kurtosis', c);
/** The value of `c` in the row where `ord` is greatest (rows with a null ord skipped). */
export const max_by = (c: ColumnLike, ord: ColumnLike): Column =>
  new Column({ op: 'agg', agg: { fn: 'max_by', child: toColumn(c).expr, args: [toColumn(ord).expr] } });
export const min_by = (c: ColumnLike, ord: ColumnLike): Column =>
  new Column({ op: 'agg', agg: { fn: 'min_by', child: toColumn(c).expr, args: [toColumn(ord).expr] } });
// Percentages are doubles, so their names read as Spark's (array(0.25, 1.0)).
const pct = (v: number): Expr => ({ op: 'lit', value: v, type: double });
const percentArg = (p: number | readonly number[] | Column): Expr => (p instanceof Column ? p.expr
  : typeof p === 'number' ? pct(p) : { op: 'call', name: 'array', args: p.map(pct) });
function percentile(fn: 'percentile_approx' | 'approx_percentile', c: ColumnLike, percentage: number | readonly number[] | Column, accuracy: number | Column): Column {
  const acc = accuracy instanceof Column ? accuracy.expr : { op: 'lit' as const, value: accuracy };
  return new Column({ op: 'agg', agg: { fn, child: toColumn(c).expr, args: [percentArg(percentage), acc] } });
}
/**
 * percentile_approx(col, 0.5) or (col, [0.25, 0.5, 0.75], accuracy): an actual value of the
 * column at each percentage (an array for an array); accuracy defaults to Spark's 10000.
 */
export const percentile_approx = (c: ColumnLike, percentage: number | readonly number[] | Column, accuracy: number | Column = 10000): Column =>
  percentile('percentile_approx', c, percentage, accuracy);
export const approx_percentile = (c: ColumnLike, percentage: number | readonly number[] | Column, accuracy: number | Column = 10000): Column =>
  percentile('approx_percentile', c, percentage, accuracy);

// Date and time (exec/functions/datetime-*.ts and friends), in UTC: sluice's session time zone.
/** The year of a date or timestamp. */
export const year = (c: ColumnLike): Column => call_function('year', c);
export const quarter = (c: ColumnLike): Column => call_function('quarter', c);
export const month = (c: ColumnLike): Column => call_function('month', c);
export const dayofmonth = (c: ColumnLike): Column => call_function('dayofmonth', c);
export const day = (c: ColumnLike): Column => call_function('day', c);
/** 1 = Sunday … 7 = Saturday. */
export const dayofweek = (c: ColumnLike): Column => call_function('dayofweek', c);
export const dayofyear = (c: ColumnLike): Column => call_function('dayofyear', c);
/** ISO-8601 week number. */
export const weekofyear = (c: ColumnLike): Column => call_function('weekofyear', c);
export const hour = (c: ColumnLike): Column => call_function('hour', c);
export const minute = (c: ColumnLike): Column => call_function('minute', c);
export const second = (c: ColumnLike): Column => call_function('second', c);
/** A string parsed by a Spark datetime pattern ('yyyy-MM-dd HH:mm:ss'); without one, a cast. Null where it does not match. */
export const to_timestamp = (c: ColumnLike, format?: string): Column =>
  new Column({ op: 'call', name: 'to_timestamp', args: [toColumn(c).expr, ...(format === undefined ? [] : [toExprOrLit(format)])] });
export const to_date = (c: ColumnLike, format?: string): Column =>
  new Column({ op: 'call', name: 'to_date', args: [toColumn(c).expr, ...(format === undefined ? [] : [toExprOrLit(format)])] });
/** Seconds since the epoch: of the batch's time with no argument, else of a string by `format` (default 'yyyy-MM-dd HH:mm:ss'). */
export const unix_timestamp = (c?: ColumnLike, format?: string): Column =>
  new Column({ op: 'call', name: 'unix_timestamp', args: [...(c === undefined ? [] : [toColumn(c).expr]), ...(format === undefined ? [] : [toExprOrLit(format)])] });
/** A date or timestamp as text by a Spark datetime pattern. */
export const date_format = (c: ColumnLike, format: string): Column =>
  new Column({ op: 'call', name: 'date_format', args: [toColumn(c).expr, toExprOrLit(format)] });
export const from_unixtime = (c: ColumnLike, format = 'yyyy-MM-dd HH:mm:ss'): Column =>
  new Column({ op: 'call', name: 'from_unixtime', args: [toColumn(c).expr, toExprOrLit(format)] });
/** The micro-batch's time (the same for every row of a batch, and on a re-run of it). */
export const current_timestamp = (): Column => call_function('current_timestamp');
export const now = (): Column => call_function('now');
export const current_date = (): Column => call_function('current_date');
export const date_add = (start: ColumnLike, days: number | Column): Column =>
  new Column({ op: 'call', name: 'date_add', args: [toColumn(start).expr, toExprOrLit(days)] });
export const date_sub = (start: ColumnLike, days: number | Column): Column =>
  new Column({ op: 'call', name: 'date_sub', args: [toColumn(start).expr, toExprOrLit(days)] });
/** Days from start to end. */
export const datediff = (end: ColumnLike, start: ColumnLike): Column => call_function('datediff', end, start);
export const add_months = (start: ColumnLike, months: number | Column): Column =>
  new Column({ op: 'call', name: 'add_months', args: [toColumn(start).expr, toExprOrLit(months)] });
export const last_day = (c: ColumnLike): Column => call_function('last_day', c);
/** Months from date2 to date1, fractional over a 31-day month; rounded to 8 digits unless roundOff is false. */
export const months_between = (date1: ColumnLike, date2: ColumnLike, roundOff = true): Column =>
  new Column({ op: 'call', name: 'months_between', args: [toColumn(date1).expr, toColumn(date2).expr, ...(roundOff ? [] : [toExprOrLit(false)])] });
/** The first date after `date` that is `dayOfWeek` ('Mo', 'Mon', 'Monday', any case). */
export const next_day = (date: ColumnLike, dayOfWeek: string): Column =>
  new Column({ op: 'call', name: 'next_day', args: [toColumn(date).expr, toExprOrLit(dayOfWeek)] });
/** The UTC timestamp `ts` shown as a wall clock in zone `tz` (an IANA id, an offset, or a Column). */
export const from_utc_timestamp = (ts: ColumnLike, tz: string | Column): Column =>
  new Column({ op: 'call', name: 'from_utc_timestamp', args: [toColumn(ts).expr, toExprOrLit(tz)] });
/** The wall clock `ts` in zone `tz` as the UTC timestamp it names. */
export const to_utc_timestamp = (ts: ColumnLike, tz: string | Column): Column =>
  new Column({ op: 'call', name: 'to_utc_timestamp', args: [toColumn(ts).expr, toExprOrLit(tz)] });
/** date_trunc('hour', ts): 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond'. */
export const date_trunc = (format: string, c: ColumnLike): Column =>
  new Column({ op: 'call', name: 'date_trunc', args: [toExprOrLit(format), toColumn(c).expr] });
/** trunc(date, 'month'): 'year', 'quarter', 'month', 'week'. */
export const trunc = (c: ColumnLike, format: string): Column =>
  new Column({ op: 'call', name: 'trunc', args: [toColumn(c).expr, toExprOrLit(format)] });

// Math (exec/functions/double-math.ts, floor-ceil.ts): doubles in and out, floor/ceil give bigint.
export const sqrt = (c: ColumnLike): Column => call_function('sqrt', c);
export const cbrt = (c: ColumnLike): Column => call_function('cbrt', c);
export const exp = (c: ColumnLike): Column => call_function('exp', c);
export const expm1 = (c: ColumnLike): Column => call_function('expm1', c);
/** log(x): natural logarithm; log(base, x) with a number base, as PySpark's log(arg1, arg2). Null unless positive. */
export function log(baseOrCol: number | ColumnLike, c?: ColumnLike): Column {
  return c === undefined ? call_function('log', baseOrCol as ColumnLike)
    : new Column({ op: 'call', name: 'log', args: [toExprOrLit(baseOrCol), toColumn(c).expr] });
}
export const ln = (c: ColumnLike): Column => call_function('ln', c);
export const log10 = (c: ColumnLike): Column => call_function('log10', c);
export const log2 = (c: ColumnLike): Column => call_function('log2', c);
export const log1p = (c: ColumnLike): Column => call_function('log1p', c);
/** pow(x, y): both columns or numbers (a number is a literal), as PySpark. */
export const pow = (x: number | ColumnLike, y: number | ColumnLike): Column =>
  new Column({ op: 'call', name: 'pow', args: [typeof x === 'number' ? toExprOrLit(x) : toColumn(x).expr, typeof y === 'number' ? toExprOrLit(y) : toColumn(y).expr] });
export const power = pow;
export const atan2 = (y: number | ColumnLike, x: number | ColumnLike): Column =>
  new Column({ op: 'call', name: 'atan2', args: [typeof y === 'number' ? toExprOrLit(y) : toColumn(y).expr, typeof x === 'number' ? toExprOrLit(x) : toColumn(x).expr] });
export const hypot = (a: number | ColumnLike, b: number | ColumnLike): Column =>
  new Column({ op: 'call', name: 'hypot', args: [typeof a === 'number' ? toExprOrLit(a) : toColumn(a).expr, typeof b === 'number' ? toExprOrLit(b) : toColumn(b).expr] });
export const signum = (c: ColumnLike): Column => call_function('signum', c);
export const sign = signum;
export const floor = (c: ColumnLike): Column => call_function('floor', c);
export const ceil = (c: ColumnLike): Column => call_function('ceil', c);
export const ceiling = ceil;
export const sin = (c: ColumnLike): Column => call_function('sin', c);
export const cos = (c: ColumnLike): Column => call_function('cos', c);
export const tan = (c: ColumnLike): Column => call_function('tan', c);
export const asin = (c: ColumnLike): Column => call_function('asin', c);
export const acos = (c: ColumnLike): Column => call_function('acos', c);
export const atan = (c: ColumnLike): Column => call_function('atan', c);
export const sinh = (c: ColumnLike): Column => call_function('sinh', c);
export const cosh = (c: ColumnLike): Column => call_function('cosh', c);
export const tanh = (c: ColumnLike): Column => call_function('tanh', c);
export const degrees = (c: ColumnLike): Column => call_function('degrees', c);
export const radians = (c: ColumnLike): Column => call_function('radians', c);
export const pi = (): Column => call_function('pi');
export const e = (): Column => call_function('e');

// Digests and encodings (exec/functions/digests.ts): of a binary, or of a string's UTF-8 bytes.
export const md5 = (c: ColumnLike): Column => call_function('md5', c);
export const sha1 = (c: ColumnLike): Column => call_function('sha1', c);
/** sha2(col, 256): bits 224, 256 (or 0), 384 or 512. */
export const sha2 = (c: ColumnLike, numBits: number): Column =>
  new Column({ op: 'call', name: 'sha2', args: [toColumn(c).expr, toExprOrLit(numBits)] });
export const crc32 = (c: ColumnLike): Column => call_function('crc32', c);
export const base64 = (c: ColumnLike): Column => call_function('base64', c);
export const unbase64 = (c: ColumnLike): Column => call_function('unbase64', c);

// Structs and JSON (exec/functions/struct.ts, to-json.ts, get-json-object.ts).
/** struct('a', col('b').alias('c')): a struct column; struct('*') takes every column. */
export const struct = (...cols: (ColumnLike | ColumnLike[])[]): Column => call_function('struct', ...cols.flat());
/** A struct as JSON text (Spark's to_json): to_json(struct('*')) builds a Kafka value. */
export const to_json = (c: ColumnLike): Column => call_function('to_json', c);
/** get_json_object(json, '$.a.b[0]'): the value at a JSON path, as a string. */
export const get_json_object = (c: ColumnLike, path: string): Column =>
  new Column({ op: 'call', name: 'get_json_object', args: [toColumn(c).expr, toExprOrLit(path)] });

/** Seconds (fractions to the millisecond) or milliseconds since the epoch as a timestamp, and back. */
export const timestamp_seconds = (c: ColumnLike): Column => call_function('timestamp_seconds', c);
export const timestamp_millis = (c: ColumnLike): Column => call_function('timestamp_millis', c);
export const unix_seconds = (c: ColumnLike): Column => call_function('unix_seconds', c);
export const unix_millis = (c: ColumnLike): Column => call_function('unix_millis', c);
/** window_time(window): a window's event time (its end - 1 ms), for a window of windows: groupBy(window(window_time('window'), '1 hour')). */
export const window_time = (c: ColumnLike): Column => call_function('window_time', c);
/** The group's non-null values as an array, in input order (Spark's order is not deterministic across partitions). */
export const collect_list = (c: ColumnLike): Column => agg('collect_list', c);
/** The group's distinct non-null values as an array. */
export const collect_set = (c: ColumnLike): Column => agg('collect_set', c);

// Spark's own hashes (exec/functions/hash.ts), seed 42: equal to Spark's for the same values.
/** Spark's Murmur3 hash of the columns, an int: hash('ABC') is -757602832 as in Spark. */
export const hash = (...cols: ColumnLike[]): Column => call_function('hash', ...cols);
/** Spark's XXH64 hash of the columns, a long (bigint). */
export const xxhash64 = (...cols: ColumnLike[]): Column => call_function('xxhash64', ...cols);

// More strings and rounding (exec/functions/initcap.ts, reverse.ts, string-position.ts, ...).
/** HALF_EVEN at `scale` digits: bround(2.5) is 2.0. */
export const bround = (c: ColumnLike, scale = 0): Column =>
  new Column({ op: 'call', name: 'bround', args: [toColumn(c).expr, toExprOrLit(scale)] });
/** Each word (split by spaces) capitalised, the rest lower case. */
export const initcap = (c: ColumnLike): Column => call_function('initcap', c);
/** A string's characters, or an array's elements, in reverse order. */
export const reverse = (c: ColumnLike): Column => call_function('reverse', c);
/** The string `n` times. */
export const repeat = (c: ColumnLike, n: number | Column): Column =>
  new Column({ op: 'call', name: 'repeat', args: [toColumn(c).expr, toExprOrLit(n)] });
/** 1-based position of `substr` (a literal string) in `str`; 0 when absent. */
export const instr = (str: ColumnLike, substr: string): Column =>
  new Column({ op: 'call', name: 'instr', args: [toColumn(str).expr, toExprOrLit(substr)] });
/** 1-based position of `substr` (a literal string) in `str` from character `pos`; 0 when absent. */
export const locate = (substr: string, str: ColumnLike, pos = 1): Column =>
  new Column({ op: 'call', name: 'locate', args: [toExprOrLit(substr), toColumn(str).expr, toExprOrLit(pos)] });
/** Characters of `matching` replaced by those at the same place in `replace` (deleted past its end). */
export const translate = (srcCol: ColumnLike, matching: string, replace: string): Column =>
  new Column({ op: 'call', name: 'translate', args: [toColumn(srcCol).expr, toExprOrLit(matching), toExprOrLit(replace)] });
/** The code point of the first character; 0 for ''. */
export const ascii = (c: ColumnLike): Column => call_function('ascii', c);
/** The leftmost `len` characters; both are columns, as in PySpark (lit(3) for a literal). */
export const left = (str: ColumnLike, len: ColumnLike): Column => call_function('left', str, len);
/** The rightmost `len` characters; both are columns, as in PySpark. */
export const right = (str: ColumnLike, len: ColumnLike): Column => call_function('right', str, len);
/** Java's String.format over the columns (Spark's format_string): '%d %s', '%.2f', '%-5s', '%x', '%%'. */
export const format_string = (format: string, ...cols: ColumnLike[]): Column =>
  new Column({ op: 'call', name: 'format_string', args: [toExprOrLit(format), ...cols.map((c) => toColumn(c).expr)] });
/** As format_string; the format is a column, as in PySpark's printf (lit('%d') for a literal). */
export const printf = (format: ColumnLike, ...cols: ColumnLike[]): Column => call_function('printf', format, ...cols);
/** named_struct(lit('x'), col('a'), lit('y'), col('b')): a struct with the given field names (string literals; a plain string is a literal). */
export const named_struct = (...cols: (string | Column)[]): Column =>
  new Column({ op: 'call', name: 'named_struct', args: cols.map((c, k) => (k % 2 === 0 ? toExprOrLit(c) : toColumn(c).expr)) });
/** json_tuple(json, 'f1', 'f2'): columns c0, c1, … with those top-level fields as strings; one generator per select, as explode. */
export const json_tuple = (c: ColumnLike, ...fields: string[]): Column =>
  new Column({ op: 'generator', fn: 'json_tuple', child: { op: 'call', name: 'json_tuple', args: [toColumn(c).expr, ...fields.map((f) => toExprOrLit(f))] } });
