import { StatefulProcessorError } from '../../errors.ts';

/**
 * Spark 4's TimeMode: which clock the processor's timers read. `processingTime`: the batch's
 * timestamp (offsets/<N>'s batchTimestampMs, so a re-run batch sees the same time); `eventTime`:
 * the watermark; `none`: no timers. TTL needs `processingTime`, as in Spark.
 */
export type TimeMode = 'none' | 'processingTime' | 'eventTime';

/** Spark's names for the time modes, used in its messages (TimeMode.None() prints NoTime). */
export const SPARK_TIME_MODE: Readonly<Record<TimeMode, string>> = { none: 'NoTime', processingTime: 'ProcessingTime', eventTime: 'EventTime' };

/** A row at the processor's edge: column name to value (LONG as bigint, TIMESTAMP as Date). */
export type Row = Record<string, unknown>;

/** Spark's TimerValues: the clocks of the batch being run. */
export interface TimerValues {
  /** The batch's timestamp, in ms since the epoch. */
  getCurrentProcessingTimeInMs(): number;
  /** The watermark the batch evicts with (W(N)), or -1 when the query has none. */
  getCurrentWatermarkInMs(): number;
}

/** Spark's ExpiredTimerInfo: which timer fired. */
export interface ExpiredTimerInfo {
  getExpiryTimeInMs(): number;
}

/** Spark's TTLConfig: state not updated for `ttlMs` of processing time is gone. */
export interface StateOptions {
  readonly ttlMs?: number;
}

/** One value per grouping key. */
export interface ValueState<T> {
  exists(): boolean;
  /** The value, or undefined when there is none (or its TTL ran out). */
  get(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** A list per grouping key; with a TTL, each element expires on its own, counted from when it was added. */
export interface ListState<T> {
  exists(): boolean;
  get(): T[];
  put(values: readonly T[]): void;
  appendValue(value: T): void;
  appendList(values: readonly T[]): void;
  clear(): void;
}

/** A map per grouping key; with a TTL, each entry expires on its own, counted from its last update. */
export interface MapState<K, V> {
  exists(): boolean;
  getValue(key: K): V | undefined;
  containsKey(key: K): boolean;
  updateValue(key: K, value: V): void;
  /** The entries, in no set order. */
  iterator(): [K, V][];
  keys(): K[];
  values(): V[];
  removeKey(key: K): void;
  clear(): void;
}

/** Spark's StatefulProcessorHandle: state variables are made in init(); timers belong to the key being handled. */
export interface StatefulProcessorHandle {
  getValueState<T>(name: string, options?: StateOptions): ValueState<T>;
  getListState<T>(name: string, options?: StateOptions): ListState<T>;
  getMapState<K, V>(name: string, options?: StateOptions): MapState<K, V>;
  /** Remove a state variable an earlier version of the processor had, with all its values. */
  deleteIfExists(name: string): void;
  registerTimer(expiryTimestampMs: number): void;
  deleteTimer(expiryTimestampMs: number): void;
  /** This key's timers, earliest first. */
  listTimers(): number[];
}

/**
 * Spark's StatefulProcessor, as a class to extend. Each batch, as in Spark: init(handle) (make
 * the state variables there), handleInputRows once per grouping key with rows in the batch,
 * handleExpiredTimer once per timer that expired, then close(). The rows returned (an array or a
 * generator) are the operator's output, in the query's outputSchema.
 */
export abstract class StatefulProcessor<K extends Row = Row, I extends Row = Row, O extends Row = Row> {
  abstract init(handle: StatefulProcessorHandle): void;
  abstract handleInputRows(key: K, rows: readonly I[], timerValues: TimerValues): Iterable<O>;
  handleExpiredTimer(_key: K, _timerValues: TimerValues, _expiredTimerInfo: ExpiredTimerInfo): Iterable<O> { return []; }
  close(): void {}
  /** Spark's getHandle(): the handle init() was given. */
  getHandle(): StatefulProcessorHandle {
    const h = handles.get(this);
    // Spark's STATE_STORE_HANDLE_NOT_INITIALIZED.
    if (!h) throw new StatefulProcessorError(`The handle has not been initialized for this StatefulProcessor. Please only use the StatefulProcessor within the transformWithState operator.`);
    return h;
  }
}

const handles = new WeakMap<object, StatefulProcessorHandle>();
/** The engine gives the processor its handle before init(). */
export function bindHandle(p: object, h: StatefulProcessorHandle): void { handles.set(p, h); }
