/** sluice: Spark Structured Streaming's API for TypeScript. */
// Plugs the web UI (writer option ui.port, conf sluice.ui.port) into the runtime, which may not import ui/ itself.
import './ui/register-web-ui.ts';
export { Session, SessionBuilder, MemoryStream, StreamingQueryManager } from './api/session.ts';
export { DataFrame } from './api/dataframe.ts';
export { DataStreamReader } from './api/data-stream-reader.ts';
export { DataFrameReader } from './api/data-frame-reader.ts';
export { DataStreamWriter } from './api/data-stream-writer.ts';
export { Column } from './api/column.ts';
export {
  col, column, lit, call_function, not, isnull, isnotnull, upper, lower, from_json, type FromJsonOptions, window, session_window,
  expr, when, coalesce, concat, concat_ws, trim, ltrim, rtrim, length, substring, negative, abs, round,
  startswith, endswith, contains, like, rlike, regexp_extract, regexp_replace, lpad, rpad, nullif, greatest, least,
  year, quarter, month, dayofmonth, day, dayofweek, dayofyear, weekofyear, hour, minute, second,
  to_timestamp, to_date, unix_timestamp, date_format, from_unixtime, current_timestamp, now, current_date,
  date_add, date_sub, datediff, add_months, last_day, date_trunc, trunc,
  sqrt, cbrt, exp, expm1, log, ln, log10, log2, log1p, pow, power, atan2, hypot, signum, sign, floor, ceil, ceiling,
  sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, degrees, radians, pi, e,
  md5, sha1, sha2, crc32, base64, unbase64, struct, to_json, get_json_object,
  timestamp_seconds, timestamp_millis, unix_seconds, unix_millis,
  window_time,
  split, array, size, array_contains, element_at, get, array_join, sort_array, array_distinct,
  explode, explode_outer, posexplode, posexplode_outer,
  create_map, map_keys, map_values, map_entries, map_from_arrays, map_contains_key,
  months_between, next_day, from_utc_timestamp, to_utc_timestamp,
  sum, count, avg, mean, min, max, first, last, approx_count_distinct, approxCountDistinct, collect_list, collect_set,
  hash, xxhash64,
  bround, initcap, reverse, repeat, instr, locate, translate, ascii, left, right, format_string, printf, named_struct, json_tuple,
  count_distinct, countDistinct, stddev, std, stddev_samp, stddev_pop, variance, var_samp, var_pop, skewness, kurtosis,
  max_by, min_by, percentile_approx, approx_percentile,
  asc, desc, asc_nulls_first, asc_nulls_last, desc_nulls_first, desc_nulls_last,
} from './api/functions.ts';
export { GroupedData } from './api/dataframe.ts';
export type { TransformWithStateOptions } from './api/dataframe.ts';
export { StatefulProcessor } from './exec/transform-with-state/stateful-processor.ts';
export type {
  StatefulProcessorHandle, ValueState, ListState, MapState, StateOptions, TimerValues, ExpiredTimerInfo, TimeMode,
} from './exec/transform-with-state/stateful-processor.ts';
export * as types from './data/types.ts';
export { nexmarkSchema } from './sources/nexmark/nexmark-schema.ts';
export type { DataType, StructType, StructField, ArrayType } from './data/types.ts';
export type { DecimalType } from './data/types.ts';
export type { MapType } from './data/types.ts';
export { StreamingQuery, StreamingQueryException } from './runtime/streaming-query.ts';
export type { StreamingQueryProgress, StreamingQueryListener, SourceProgress } from './runtime/progress.ts';
export type { TriggerSpec } from './runtime/trigger.ts';
export type { QueryStatus } from './runtime/query-status.ts';
export type { ForeachBatchFunction } from './api/data-stream-writer.ts';
export { DataFrameWriter } from './api/data-frame-writer.ts';
export type { MemoryTable } from './sinks/memory/memory-sink.ts';
export { registerOAuthBearerCallback, type OAuthBearerCallback, type OAuthBearerToken } from './kafka/security/oauth-bearer.ts';
export * from './errors.ts';
