import { DataStreamReader } from './data-stream-reader.ts';
import { DataFrame } from './dataframe.ts';
import { DataFrameReader, createDataFrame } from './data-frame-reader.ts';
import type { Struct } from '../data/types.ts';
import { OptionError } from '../errors.ts';
import { MemoryStreamData } from '../sources/memory/memory-source.ts';
import { memoryTables, type MemoryTable } from '../sinks/memory/memory-sink.ts';
import type { StreamingQuery } from '../runtime/streaming-query.ts';
import type { StreamingQueryListener } from '../runtime/progress.ts';

/** session.streams: the active queries and the listeners (Spark's StreamingQueryManager). */
export class StreamingQueryManager {
  readonly listeners: StreamingQueryListener[] = [];
  private readonly queries = new Set<StreamingQuery>();
  get active(): StreamingQuery[] { return [...this.queries]; }
  addListener(l: StreamingQueryListener): void { this.listeners.push(l); }
  removeListener(l: StreamingQueryListener): void { const i = this.listeners.indexOf(l); if (i >= 0) this.listeners.splice(i, 1); }
  /** @internal */ add(q: StreamingQuery): void { this.queries.add(q); }
  /** @internal */ remove(q: StreamingQuery): void { this.queries.delete(q); }
  /** Resolves when any active query ends (rejects if it failed); with a timeout in seconds, as PySpark: true if one ended in time. */
  async awaitAnyTermination(timeoutSeconds?: number): Promise<boolean> {
    return Promise.race(this.active.map((q) => q.awaitTermination(timeoutSeconds)));
  }
}

const POLICY_KEYS = new Set(['spark.sql.streaming.multipleWatermarkPolicy', 'sluice.multipleWatermarkPolicy']);

/**
 * The session's settings. As Spark's SQLConf checks a value when it is set, a bad
 * multipleWatermarkPolicy is refused by set() (Spark's wording), not at the next start().
 */
export class SessionConf extends Map<string, string> {
  override set(key: string, value: string): this {
    if (POLICY_KEYS.has(key) && !['min', 'max'].includes(String(value).toLowerCase())) {
      throw new OptionError(`Invalid value '${value}' for '${key}'. Valid values are 'min' and 'max'.`);
    }
    // Every date and time function runs in UTC; another session zone would be silently ignored, so it is refused.
    if (key === 'spark.sql.session.timeZone' && !/^(UTC|GMT|UT|Z|Etc\/(UTC|GMT)|(UTC|GMT)?[+-]0?0(:?00)?)$/i.test(String(value).trim())) {
      throw new OptionError(`Session config 'spark.sql.session.timeZone' is '${value}', but sluice's session time zone is always UTC: `
        + `hour(), date_format, to_timestamp and current_date read and print instants in UTC. Leave it unset (or 'UTC') and convert `
        + `explicitly: from_utc_timestamp(ts, '${value}') gives the wall clock there, to_utc_timestamp(ts, '${value}') reads one.`);
    }
    return super.set(key, value);
  }
}

export class SessionBuilder {
  private name = 'sluice';
  private readonly conf = new SessionConf();
  appName(name: string): this { this.name = name; return this; }
  /** Accepted for ports of Spark scripts; sluice always runs in this process. */
  master(_m: string): this { return this; }
  config(key: string, value: string | number | boolean): this { this.conf.set(key, String(value)); return this; }
  getOrCreate(): Session {
    if (Session.active) { for (const [k, v] of this.conf) Session.active.conf.set(k, v); return Session.active; }
    return (Session.active = new Session(this.name, this.conf));
  }
}

/** The entry point, like SparkSession. */
export class Session {
  /** @internal */ static active: Session | null = null;
  /**
   * @internal Called with every new session. `sluice run` watches a script's queries through it,
   * without creating the session itself, so the script's own appName and config stay as written.
   */
  static readonly created: ((s: Session) => void)[] = [];
  readonly streams = new StreamingQueryManager();
  readonly conf: SessionConf;
  constructor(readonly appName: string, conf: ReadonlyMap<string, string>) {
    this.conf = new SessionConf(conf);
    for (const hook of Session.created) hook(this);
  }
  static builder(): SessionBuilder { return new SessionBuilder(); }

  get readStream(): DataStreamReader { return new DataStreamReader(this); }
  /** Static DataFrames from files: `await session.read.parquet(path)`, `.json(path)` (async, unlike Spark: see DataFrameReader). */
  get read(): DataFrameReader { return new DataFrameReader(this); }
  /** A static DataFrame from row objects; without a schema, one is inferred. */
  createDataFrame(rows: readonly object[], schema?: Struct): DataFrame { return createDataFrame(this, rows, schema); }

  /** A memory sink's table, by the query's name. */
  table(name: string): MemoryTable {
    const t = memoryTables.get(name);
    if (!t) throw new OptionError(`No table '${name}'. Memory sink tables: ${[...memoryTables.keys()].join(', ') || '(none)'}; start a query with format('memory') and queryName('${name}').`);
    return t;
  }

  /** A setting under its sluice name or its Spark name; the sluice name wins when both are set. */
  private setting(sluiceKey: string, sparkKey: string): { key: string; value: string } | null {
    for (const key of [sluiceKey, sparkKey]) { const value = this.conf.get(key); if (value !== undefined) return { key, value }; }
    return null;
  }
  private wholeNumber(sluiceKey: string, sparkKey: string, dflt: number): number {
    const s = this.setting(sluiceKey, sparkKey);
    if (!s) return dflt;
    const n = Number(s.value);
    if (!Number.isInteger(n) || n < 1) throw new OptionError(`Session config '${s.key}' must be a whole number >= 1, got '${s.value}'.`);
    return n;
  }
  /** @internal */ minBatchesToRetain(): number {
    return this.wholeNumber('sluice.minBatchesToRetain', 'spark.sql.streaming.minBatchesToRetain', 100);
  }
  /** @internal */ stateSnapshotInterval(): number {
    return this.wholeNumber('sluice.stateSnapshotInterval', 'spark.sql.streaming.stateStore.minDeltasForSnapshot', 10);
  }
  /** @internal The value was checked when it was set (SessionConf). */
  watermarkPolicy(): 'min' | 'max' {
    const s = this.setting('sluice.multipleWatermarkPolicy', 'spark.sql.streaming.multipleWatermarkPolicy');
    return (s?.value ?? 'min').toLowerCase() === 'max' ? 'max' : 'min';
  }
  /**
   * @internal Spark 3.5's spark.sql.streaming.statefulOperator.allowMultiple (default true): a second
   * withWatermark on one stream is refused; 'false' is Spark's compatibility mode, in which the
   * watermarks combine under multipleWatermarkPolicy.
   */
  allowsWatermarkRedefinition(): boolean {
    const s = this.setting('sluice.statefulOperator.allowMultiple', 'spark.sql.streaming.statefulOperator.allowMultiple');
    if (!s) return false;
    const v = s.value.toLowerCase();
    if (v !== 'true' && v !== 'false') throw new OptionError(`Session config '${s.key}' must be true or false, got '${s.value}'.`);
    return v === 'false';
  }
  /** @internal */ checkpointConf(): Record<string, string> {
    return { 'sluice.minBatchesToRetain': String(this.minBatchesToRetain()), 'sluice.multipleWatermarkPolicy': this.watermarkPolicy() };
  }

  async stop(): Promise<void> {
    await Promise.all(this.streams.active.map((q) => q.stop()));
    if (Session.active === this) Session.active = null;
  }
}

/** Spark's MemoryStream: a source for tests that you add rows to. */
export class MemoryStream {
  private readonly data: MemoryStreamData;
  constructor(private readonly session: Session, schema: Struct) { this.data = new MemoryStreamData(schema); }
  addData(rows: readonly Record<string, unknown>[]): number { return this.data.addData(rows); }
  toDF(): DataFrame {
    const provider = this.data.provider();
    return new DataFrame(this.session, { kind: 'source', provider, options: new Map(), schema: this.data.schema });
  }
}
