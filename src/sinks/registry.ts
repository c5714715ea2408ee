import type { SinkProvider } from './sink.ts';
import { consoleSink } from './console/index.ts';
import { memorySink } from './memory/index.ts';
import { parquetSink } from './parquet/index.ts';

/** Sinks by format name: adding a sink is one line here. */
export const sinks: ReadonlyMap<string, SinkProvider> = new Map([
  [parquetSink.name, parquetSink],
  [consoleSink.name, consoleSink],
  [memorySink.name, memorySink],
]);
