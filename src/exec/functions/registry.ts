import type { ScalarFunction } from './scalar-function.ts';
import { not } from './not.ts';
import { isnull, isnotnull } from './is-null.ts';
import { upper, lower } from './upper-lower.ts';
import { casewhen } from './case-when.ts';
import { coalesce } from './coalesce.ts';
import { negative } from './negative.ts';
import { concat } from './concat.ts';
import { concat_ws } from './concat-ws.ts';
import { trim, ltrim, rtrim } from './trim.ts';
import { length } from './length.ts';
import { substring } from './substring.ts';
import { abs } from './abs.ts';
import { round, bround } from './round.ts';
import { startswith, endswith, contains } from './string-match.ts';
import { like, rlike } from './like.ts';
import { regexp_extract } from './regexp-extract.ts';
import { nullif } from './nullif.ts';
import { greatest, least } from './greatest-least.ts';
import { regexp_replace } from './regexp-replace.ts';
import { lpad, rpad } from './pad.ts';
import { year, quarter, month, dayofmonth, dayofweek, dayofyear, weekofyear, hour, minute, second } from './datetime-fields.ts';
import { to_timestamp, to_date, unix_timestamp } from './to-timestamp.ts';
import { date_format, from_unixtime } from './date-format.ts';
import { current_timestamp, current_date } from './current-time.ts';
import { date_add, date_sub, datediff, add_months, last_day } from './date-arithmetic.ts';
import { date_trunc, trunc } from './date-trunc.ts';
import {
  sqrt, cbrt, exp, expm1, ln, log10, log2, log1p, log, pow, atan2, hypot, signum, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, degrees, radians, pi, e,
} from './double-math.ts';
import { floor, ceil } from './floor-ceil.ts';
import { timestamp_seconds, timestamp_millis, unix_seconds, unix_millis } from './epoch-time.ts';
import { md5, sha1, sha2, crc32, base64, unbase64 } from './digests.ts';
import { struct } from './struct.ts';
import { to_json } from './to-json.ts';
import { get_json_object } from './get-json-object.ts';
import { split } from './split.ts';
import { makeArray } from './make-array.ts';
import { size } from './size.ts';
import { array_contains } from './array-contains.ts';
import { element_at, get } from './element-at.ts';
import { array_join } from './array-join.ts';
import { sort_array } from './sort-array.ts';
import { array_distinct } from './array-distinct.ts';
import { hash, xxhash64 } from './hash.ts';
import { initcap } from './initcap.ts';
import { reverse } from './reverse.ts';
import { repeat } from './repeat.ts';
import { instr, locate } from './string-position.ts';
import { translate } from './translate.ts';
import { ascii } from './ascii.ts';
import { left, right } from './left-right.ts';
import { format_string } from './format-string.ts';
import { named_struct } from './named-struct.ts';
import { json_tuple } from './json-tuple.ts';
import { window_time } from './window-time.ts';
import { create_map } from './create-map.ts';
import { map_keys, map_values, map_entries } from './map-columns.ts';
import { map_contains_key } from './map-value.ts';
import { map_from_arrays } from './map-from-arrays.ts';
import { months_between } from './months-between.ts';
import { next_day } from './next-day.ts';
import { from_utc_timestamp, to_utc_timestamp } from './utc-timestamp.ts';

/** Every scalar SQL function: adding one is its file plus one line here. */
export const scalarFunctions: readonly ScalarFunction[] = [
  not,
  isnull, isnotnull,
  upper, lower,
  casewhen, coalesce, nullif, greatest, least,
  negative, abs, round, floor, ceil,
  bround,
  sqrt, cbrt, exp, expm1, ln, log10, log2, log1p, log, pow, atan2, hypot, signum, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, degrees, radians, pi, e,
  concat, concat_ws, trim, ltrim, rtrim, length, substring,
  startswith, endswith, contains, like, rlike, regexp_extract, regexp_replace,
  lpad, rpad, split,
  md5, sha1, sha2, crc32, base64, unbase64,
  timestamp_seconds, timestamp_millis, unix_seconds, unix_millis,
  struct, to_json, get_json_object,
  year, quarter, month, dayofmonth, dayofweek, dayofyear, weekofyear, hour, minute, second,
  to_timestamp, to_date, unix_timestamp, date_format, from_unixtime, current_timestamp, current_date,
  date_add, date_sub, datediff, add_months, last_day, date_trunc, trunc,
  makeArray, size, array_contains, element_at, get, array_join, sort_array, array_distinct,
  hash, xxhash64,
  initcap, reverse, repeat, instr, locate, translate, ascii, left, right,
  format_string, named_struct, json_tuple,
  window_time,
  create_map, map_keys, map_values, map_entries, map_contains_key, map_from_arrays,
  months_between, next_day, from_utc_timestamp, to_utc_timestamp,
];

/** By lower-case name and alias; a name given twice is a mistake caught when the module loads. */
const byName = new Map<string, ScalarFunction>();
for (const f of scalarFunctions) {
  for (const name of [f.name, ...(f.aliases ?? [])]) {
    const key = name.toLowerCase();
    if (byName.has(key)) throw new Error(`Two SQL functions are registered as '${key}'.`);
    byName.set(key, f);
  }
}

/** The function called `name` (any case, or an alias), as the analyzer and a SQL parser look it up. */
export function lookupFunction(name: string): ScalarFunction | undefined {
  return byName.get(name.toLowerCase());
}

/** Every name a call may use, aliases included, sorted: for messages and generated docs. */
export function functionNames(): string[] {
  return [...byName.keys()].sort();
}
