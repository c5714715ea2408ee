/**
 * The Parquet file sink: `writeStream.format('parquet').start(path)`.
 *
 * Append only. Each batch N becomes `<path>/[k=v/...]part-<N>-<n>.parquet` plus the log entry
 * `<path>/_sluice_log/<N>` (see sink-log.ts; a scale-out task's are `part-<task>-<N>-<n>.parquet` and
 * `_sluice_log/<task>/<N>`), so readers globbing `<path>/**\/*.parquet`
 * (DuckDB, Polars, Spark with hive partitioning) see every row exactly once.
 *
 * Options (case-insensitive keys, like Spark's):
 *   path               output directory (or the argument of start(path))
 *   compression        none|uncompressed|snappy|gzip|brotli|lz4|lz4_raw|zstd (default snappy)
 *   maxRecordsPerFile  at most this many rows per file; 0 (default) = no limit
 */
import type * as A from 'apache-arrow';
import type { DataType, Struct } from '../../data/types.ts';
import { typeToString } from '../../data/types.ts';
import { type Batch, isValid } from '../../data/batch.ts';
import { AnalysisError, OptionError, SinkError } from '../../errors.ts';
import type { Storage } from '../../storage/storage.ts';
import { storageFor } from '../../storage/storage-for.ts';
import type { BatchInfo, Sink, SinkOpenContext, SinkOptions, SinkProvider, SinkResult } from '../sink.ts';
import { commitBatch, dataFileName, readLogEntry, type PendingFile } from './sink-log.ts';
import { isPartitionableType, partitionSplitter, type PartitionSplitter, sliceRows } from './partition-splitter.ts';
import { encodeParquet, type ParquetCodec, parseCompression } from '../../formats/parquet/encode-parquet.ts';

export { LOG_DIR, readLogEntry, type SinkLogEntry, type LoggedFile } from './sink-log.ts';

const OPTION_KEYS = ['path', 'compression', 'maxRecordsPerFile'] as const;

function optionGetter(options: ReadonlyMap<string, string>): (key: string) => string | undefined {
  const lower = new Map<string, string>();
  for (const [k, v] of options) lower.set(k.toLowerCase(), v);
  return (key) => lower.get(key.toLowerCase());
}

function parseMaxRecords(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
    throw new OptionError(`Option 'maxRecordsPerFile' of the parquet sink must be a whole number >= 0 (0 = no limit), got '${v}'.`);
  }
  return n;
}

/** Reads min/max event time (ms) from a batch; null when no row has one. */
type EventTimeRange = (chunks: readonly Batch[]) => { min: number; max: number } | null;

function timestampMinMax(d: A.Data, valid: ((i: number) => boolean) | null, acc: { min: number; max: number } | null): { min: number; max: number } | null {
  // int64 ms read as two int32 halves: exact for |ms| < 2^53 and no BigInt per row.
  const v = d.values as BigInt64Array;
  const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
  let lo = acc === null ? Infinity : acc.min;
  let hi = acc === null ? -Infinity : acc.max;
  for (let i = 0; i < d.length; i++) {
    if (valid !== null && !valid(i)) continue;
    const x = w[2 * i + 1]! * 4294967296 + (w[2 * i]! >>> 0);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return lo === Infinity ? null : { min: lo, max: hi };
}

/**
 * Resolve SinkOptions.eventTimeColumn: a top-level timestamp column, a dotted path to a nested
 * timestamp field, or a struct with timestamp fields `start` and `end` (Spark's `window`),
 * whose range is min(start)..max(end).
 */
function eventTimeReader(schema: Struct, column: string): EventTimeRange {
  const fail = (why: string): never => {
    throw new AnalysisError(`Event-time column '${column}' for the parquet sink ${why}. Columns: ${schema.fieldNames().join(', ')}.`);
  };
  let path: number[] | undefined;
  let type: DataType | undefined;
  const top = schema.fieldNames().indexOf(column);
  if (top >= 0) { path = [top]; type = schema.fields[top]!.type; } else {
    path = [];
    let cur: DataType = schema;
    for (const part of column.split('.')) {
      if (cur.kind !== 'struct') fail('is not a column');
      const i: number = (cur as Struct).fields.findIndex((f) => f.name === part);
      if (i < 0) fail('is not a column');
      path.push(i);
      cur = (cur as Struct).fields[i]!.type;
    }
    type = cur;
  }
  const idxPath = path;
  // Column data at the path and who may hide a row: the column and its parents with nulls.
  const resolve = (b: Batch): { d: A.Data; chain: A.Data[] } => {
    let d = b.columns[idxPath[0]!]!;
    const chain: A.Data[] = [d];
    for (const k of idxPath.slice(1)) { d = d.children[k]!; chain.push(d); }
    return { d, chain };
  };
  const validity = (chain: A.Data[]): ((i: number) => boolean) | null => {
    const withNulls = chain.filter((c) => c.nullCount > 0);
    return withNulls.length === 0 ? null : (i) => withNulls.every((c) => isValid(c, i));
  };
  if (type.kind === 'timestamp') {
    return (chunks) => {
      let acc: { min: number; max: number } | null = null;
      for (const b of chunks) { if (b.numRows === 0) continue; const { d, chain } = resolve(b); acc = timestampMinMax(d, validity(chain), acc); }
      return acc;
    };
  }
  if (type.kind === 'struct') {
    const s = type.fields.findIndex((f) => f.name === 'start' && f.type.kind === 'timestamp');
    const e = type.fields.findIndex((f) => f.name === 'end' && f.type.kind === 'timestamp');
    if (s >= 0 && e >= 0) {
      return (chunks) => {
        let lo: { min: number; max: number } | null = null;
        let hi: { min: number; max: number } | null = null;
        for (const b of chunks) {
          if (b.numRows === 0) continue;
          const { d, chain } = resolve(b);
          const ds = d.children[s]!, de = d.children[e]!;
          lo = timestampMinMax(ds, validity([...chain, ds]), lo);
          hi = timestampMinMax(de, validity([...chain, de]), hi);
        }
        return lo && hi ? { min: lo.min, max: hi.max } : null;
      };
    }
  }
  return fail(`has type ${typeToString(type)}; it must be a timestamp (or a window struct<start,end>)`);
}

export class ParquetSink implements Sink {
  readonly description: string;

  constructor(
    private readonly storage: Storage,
    /** Output directory in the storage's form. */
    readonly root: string,
    private readonly schema: Struct,
    private readonly splitter: PartitionSplitter,
    private readonly codec: ParquetCodec,
    private readonly maxRecordsPerFile: number,
    private readonly eventTime: EventTimeRange | undefined,
  ) {
    this.description = `FileSink[${root}]`;
  }

  drainWarnings(): string[] { return this.splitter.drainWarnings(); }

  private queryId: string | undefined;
  private task: string | undefined;
  /** Leftovers of a crash can only precede this instance's first batch (see commit-log.ts). */
  private leftoversRemoved = false;
  async open(ctx: SinkOpenContext): Promise<void> { this.queryId = ctx.queryId; this.task = ctx.task; }

  /** commitBatch stages every file and publishes none before BatchInfo.ready. */
  readonly stagesOutput = true;

  async addBatch(batchId: number, data: readonly Batch[], info?: BatchInfo): Promise<SinkResult> {
    if (!Number.isSafeInteger(batchId) || batchId < 0) throw new SinkError(`Parquet sink: batch id must be a whole number >= 0, got ${batchId}.`);
    const width = this.schema.fields.length;
    for (const b of data) {
      if (b.columns.length !== width) {
        throw new SinkError(`Parquet sink '${this.root}': batch ${batchId} has ${b.columns.length} columns, the sink was created for ${width} (${this.schema.fieldNames().join(', ')}).`);
      }
    }
    const groups = this.splitter.split(data);
    const files: PendingFile[] = [];
    const { dataSchema } = this.splitter;
    const codec = this.codec;
    const max = this.maxRecordsPerFile;
    const task = this.task;
    for (const g of groups) {
      const prefix = g.dir === '' ? '' : g.dir + '/';
      if (max <= 0 || g.numRows <= max) {
        const pieces = g.pieces;
        files.push({ path: prefix + dataFileName(batchId, files.length, task), rows: g.numRows, encode: () => encodeParquet(dataSchema, pieces, { codec }) });
        continue;
      }
      // Cut the group's rows into files of at most `max` rows.
      let cur: Batch[] = [];
      let curRows = 0;
      const flush = (): void => {
        const pieces = cur;
        files.push({ path: prefix + dataFileName(batchId, files.length, task), rows: curRows, encode: () => encodeParquet(dataSchema, pieces, { codec }) });
        cur = []; curRows = 0;
      };
      for (const p of g.pieces) {
        let at = 0;
        while (at < p.numRows) {
          const take = Math.min(max - curRows, p.numRows - at);
          cur.push(sliceRows(p, at, at + take));
          at += take; curRows += take;
          if (curRows === max) flush();
        }
      }
      if (curRows > 0) flush();
    }
    const range = this.eventTime?.(data) ?? null;
    const eventTime = range ? { min: new Date(range.min).toISOString(), max: new Date(range.max).toISOString() } : undefined;
    // Batch ids restart at 0 with a new checkpoint: writing into an output path another query
    // owns would silently replace its files. Refuse instead.
    const prior = this.queryId ? await readLogEntry(this.storage, this.root, batchId, task) : null;
    if (prior?.queryId && prior.queryId !== this.queryId) {
      throw new SinkError(`Parquet sink: '${this.root}' already holds batch ${batchId} written by another query (id ${prior.queryId}); `
        + `this query (id ${this.queryId}) would replace its files. Write to a new output path, or restart the other query from its own checkpoint.`);
    }
    const entry = await commitBatch(this.storage, this.root, batchId, files, eventTime, this.queryId, !this.leftoversRemoved, task, info?.ready);
    this.leftoversRemoved = true;
    return { numOutputRows: entry.numRows };
  }
}

export const parquetSink: SinkProvider = {
  name: 'parquet',
  outputModes: ['append'],
  options: OPTION_KEYS,
  partitionBy: true,
  outputModeHint: 'Files are append-only: use append, or write update/complete results with foreachBatch.',
  create(opts: SinkOptions): Sink {
    const get = optionGetter(opts.options);
    if (opts.outputMode !== 'append') {
      throw new AnalysisError(
        `Data source parquet does not support ${opts.outputMode} output mode: files are only ever appended. ` +
        `Use outputMode('append') (aggregations need a watermark), or the console/memory/foreachBatch sink.`,
      );
    }
    const rawPath = opts.path ?? get('path');
    if (rawPath === undefined || rawPath.trim() === '') {
      throw new OptionError(
        `The parquet sink needs an output directory (option 'path'): call .start('<dir>') or set .option('path', '<dir>').`,
      );
    }
    const { storage, path } = storageFor(rawPath, 'path', opts.conf);
    const codec = parseCompression(get('compression'));
    const maxRecordsPerFile = parseMaxRecords(get('maxRecordsPerFile'));

    const names = opts.schema.fieldNames();
    const available = (): string => names.map((n) => `'${n}'`).join(', ');
    const seen = new Set<string>();
    for (const c of opts.partitionBy) {
      const i = names.indexOf(c);
      if (i < 0) {
        throw new AnalysisError(`partitionBy column '${c}' is not a column of the query's output. Available columns: ${available()}.`);
      }
      if (seen.has(c)) throw new AnalysisError(`partitionBy names column '${c}' twice; name each partition column once.`);
      seen.add(c);
      const t = opts.schema.fields[i]!.type;
      if (!isPartitionableType(t)) {
        throw new AnalysisError(
          `partitionBy column '${c}' has type ${typeToString(t)}; partition columns must be boolean, int, long, double, string, ` +
          `timestamp or date. Select a field of it or cast it to string first.`,
        );
      }
    }
    if (opts.partitionBy.length > 0 && opts.partitionBy.length === names.length) {
      throw new AnalysisError(`partitionBy uses every column (${available()}); at least one column must remain to be written into the files.`);
    }
    const eventTime = opts.eventTimeColumn === undefined ? undefined : eventTimeReader(opts.schema, opts.eventTimeColumn);
    return new ParquetSink(storage, path, opts.schema, partitionSplitter(opts.schema, opts.partitionBy), codec, maxRecordsPerFile, eventTime);
  },
};
