import type { SinkProvider } from './sink.ts';
import { consoleSink } from './console/console-sink.ts';
import { memorySink } from './memory/memory-sink.ts';
import { parquetSink } from './parquet/parquet-sink.ts';
import { kafkaSink } from './kafka/kafka-sink.ts';
import { repartitionSink } from './repartition/repartition-sink.ts';

/** Sinks by format name: adding a sink is one line here. */
export const sinks: ReadonlyMap<string, SinkProvider> = new Map([
  [parquetSink.name, parquetSink],
  [consoleSink.name, consoleSink],
  [memorySink.name, memorySink],
  [kafkaSink.name, kafkaSink],
  [repartitionSink.name, repartitionSink],
]);

/** The format of a writer that names none (writeStream.start() prints each batch). */
export const defaultSinkFormat = consoleSink.name;

/** Where the writer option lateRowsPath sends the rows a watermark dropped: Parquet files, one per batch. */
export const lateRowsSink: SinkProvider = parquetSink;
