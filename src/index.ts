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
  sum, count, avg, mean, min, max, first, last, approx_count_distinct, approxCountDistinct,
} from './api/functions.ts';
export { GroupedData } from './api/dataframe.ts';
export * as types from './data/types.ts';
export type { DataType, StructType, StructField } from './data/types.ts';
export { StreamingQuery, StreamingQueryException } from './runtime/streaming-query.ts';
export type { StreamingQueryProgress, StreamingQueryListener, SourceProgress } from './runtime/progress.ts';
export { BatchFrame, type ForeachBatchFunction } from './sinks/foreach-batch/foreach-batch-sink.ts';
export type { MemoryTable } from './sinks/memory/memory-sink.ts';
export { registerOAuthBearerCallback, type OAuthBearerCallback, type OAuthBearerToken } from './kafka/security/oauth-bearer.ts';
export * from './errors.ts';
