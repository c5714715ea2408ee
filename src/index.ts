/** sluice: Spark Structured Streaming's API for TypeScript. */
export { Session, SessionBuilder, MemoryStream, StreamingQueryManager } from './api/session.ts';
export { DataFrame } from './api/dataframe.ts';
export { DataStreamReader } from './api/reader.ts';
export { DataFrameReader } from './api/static-reader.ts';
export { DataStreamWriter } from './api/writer.ts';
export { Column } from './api/column.ts';
export {
  col, column, lit, not, from_json, type FromJsonOptions, window, session_window,
  sum, count, avg, mean, min, max, first, last, approx_count_distinct, approxCountDistinct,
} from './api/functions.ts';
export { GroupedData } from './api/dataframe.ts';
export * as types from './api/types.ts';
export type { DataType, StructType, StructField } from './api/types.ts';
export { StreamingQuery, StreamingQueryException } from './runtime/streaming-query.ts';
export type { StreamingQueryProgress, StreamingQueryListener, SourceProgress } from './runtime/progress.ts';
export { BatchFrame, type ForeachBatchFunction } from './sinks/foreach-batch/index.ts';
export type { MemoryTable } from './sinks/memory/index.ts';
export * from './errors.ts';
