// Spark 4's transformWithState suites, ported as the oracle for sluice's StatefulProcessor (issue 14, item 3).
//
// Each `it` names the Spark suite and test it ports (apache/spark,
// sql/core/src/test/scala/org/apache/spark/sql/streaming/). The processors are Spark's test
// processors written in TypeScript, and the expected answers are Spark's. Spark's MemoryStream[String]
// is a MemoryStream of one column `value`; a tuple answer is the output row's columns in order.
//
// Spark drives processing time with a StreamManualClock; here the clock is Date itself, faked
// (vi.useFakeTimers({ toFake: ['Date'] }), timers stay real): the engine reads a batch's timestamp
// from Date.now(), so setting the date before a batch is Spark's AdvanceManualClock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tmpDir } from './support/tmp.ts';
import {
  Session, MemoryStream, StatefulProcessor, AnalysisError, CheckpointError, StatefulProcessorError, col, types as T,
  type DataFrame, type StreamingQuery, type StatefulProcessorHandle, type ValueState, type MapState, type ListState, type TimerValues, type ExpiredTimerInfo,
} from '../src/index.ts';
import type { StateOperatorProgress } from '../src/runtime/progress-reporter.ts';

const session = Session.builder().appName('spark-tws-test').getOrCreate();
type Row = Record<string, unknown>;
let queries = 0;

/** Spark's testStream over one or more MemoryStreams, restartable on one checkpoint (StopStream / StartStream). */
class StreamTest {
  private readonly chunks: Row[][][];
  private readonly batches: string[][] = [];
  private seen = 0;
  inputs: MemoryStream[] = [];
  q!: StreamingQuery;
  readonly checkpoint = tmpDir('spark-tws');

  constructor(private readonly schemas: readonly T.Struct[], private readonly build: (dfs: DataFrame[]) => DataFrame, private readonly mode: 'append' | 'update' | 'complete' = 'update') {
    this.chunks = schemas.map(() => []);
  }

  /** A new query on the checkpoint, over MemoryStreams holding what the checkpoint already read. */
  async start(): Promise<this> {
    this.inputs = this.schemas.map((s, i) => {
      const m = new MemoryStream(session, s);
      for (const c of this.chunks[i]!) m.addData(c);
      return m;
    });
    this.q = await this.build(this.inputs.map((m) => m.toDF())).writeStream.outputMode(this.mode).queryName(`spark-tws-${queries++}`)
      .option('checkpointLocation', this.checkpoint)
      .foreachBatch((b) => { this.batches.push(b.collect().map((r) => JSON.stringify(Object.values(r)))); }).start();
    return this;
  }

  /** AddData, then let the query run what is available (several AddData before one clock advance: addTo without waiting). */
  async add(...values: (string | Row)[]): Promise<void> { this.addTo(0, ...values); await this.q.processAllAvailable(); }
  addTo(input: number, ...values: (string | Row)[]): void {
    const rows = values.map((v) => (typeof v === 'string' ? { value: v } : v));
    this.chunks[input]!.push(rows);
    this.inputs[input]!.addData(rows);
  }
  async run(): Promise<void> { await this.q.processAllAvailable(); }
  async stop(): Promise<void> { await this.q.stop(); }

  /** CheckNewAnswer: the rows written since the last check, in no order. */
  newAnswer(): unknown[][] {
    const rows = this.batches.slice(this.seen).flat();
    this.seen = this.batches.length;
    return rows.sort().map((r) => JSON.parse(r) as unknown[]);
  }
  lastProgressWithState(): StateOperatorProgress { return this.q.recentProgress.at(-1)!.stateOperators[0] as StateOperatorProgress; }
}

const strings = T.struct({ value: T.string });
const byValue = (p: StatefulProcessor<Row, Row, Row>, timeMode: 'none' | 'processingTime' | 'eventTime' = 'none', outputSchema = 'key STRING, count STRING') =>
  ([df]: DataFrame[]) => df!.groupBy('value').transformWithState(p, { outputSchema, outputMode: 'update', timeMode });
const sorted = (...rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort().map((r) => JSON.parse(r) as unknown[]);

// --- Spark's test processors (TransformWithStateSuite.scala), in TypeScript ---

type Key = { value: string };
type Out = { key: string; count: string };

class RunningCountStatefulProcessor extends StatefulProcessor<Key, Row, Out> {
  protected countState!: ValueState<number>;
  init(h: StatefulProcessorHandle): void { this.countState = h.getValueState<number>('countState'); }
  *handleInputRows(key: Key, _rows: readonly Row[], _t: TimerValues): Iterable<Out> {
    const count = (this.countState.get() ?? 0) + 1;
    if (count === 3) { this.countState.clear(); return; }
    this.countState.update(count);
    yield { key: key.value, count: String(count) };
  }
}

class RunningCountStatefulProcessorWithProcTimeTimer extends RunningCountStatefulProcessor {
  override *handleInputRows(key: Key, rows: readonly Row[], t: TimerValues): Iterable<Out> {
    const curr = this.countState.get() ?? 0;
    if (curr === 0 && (key.value === 'a' || key.value === 'c')) this.getHandle().registerTimer(t.getCurrentProcessingTimeInMs() + 5000);
    yield* super.handleInputRows(key, rows, t);
  }
  override *handleExpiredTimer(key: Key): Iterable<Out> {
    this.countState.clear();
    yield { key: key.value, count: '-1' };
  }
}

class RunningCountStatefulProcessorWithProcTimeTimerUpdates extends RunningCountStatefulProcessor {
  private timerState!: ValueState<number>;
  override init(h: StatefulProcessorHandle): void { super.init(h); this.timerState = h.getValueState<number>('timerState'); }
  override *handleInputRows(key: Key, rows: readonly Row[], t: TimerValues): Iterable<Out> {
    const curr = this.countState.get() ?? 0, count = curr + rows.length;
    this.countState.update(count);
    if (key.value === 'a') {
      if (curr === 0) {
        const next = t.getCurrentProcessingTimeInMs() + 5000;
        this.getHandle().registerTimer(next);
        this.timerState.update(next);
      } else if (curr === 1) {
        this.getHandle().deleteTimer(this.timerState.get()!);
        const next = t.getCurrentProcessingTimeInMs() + 7500;
        this.getHandle().registerTimer(next);
        this.timerState.update(next);
      }
    }
    yield { key: key.value, count: String(count) };
  }
  override *handleExpiredTimer(key: Key): Iterable<Out> {
    this.timerState.clear();
    yield { key: key.value, count: '-1' };
  }
}

class RunningCountStatefulProcessorWithMultipleTimers extends RunningCountStatefulProcessor {
  override *handleInputRows(_key: Key, rows: readonly Row[], t: TimerValues): Iterable<Out> {
    const count = (this.countState.get() ?? 0) + rows.length;
    this.countState.update(count);
    const h = this.getHandle();
    if (h.listTimers().length === 0) {
      for (const d of [5000, 10000, 15000]) h.registerTimer(t.getCurrentProcessingTimeInMs() + d);
      expect(h.listTimers()).toHaveLength(3);
    }
  }
  override *handleExpiredTimer(key: Key): Iterable<Out> {
    const curr = this.countState.get() ?? 0;
    if (this.getHandle().listTimers().length === 1) this.countState.clear();
    yield { key: key.value, count: String(curr) };
  }
}

class MaxEventTimeStatefulProcessor extends StatefulProcessor<{ key: string }, { key: string; eventTime: Date }, { key: string; maxEventTime: number }> {
  private maxEventTimeState!: ValueState<number>;
  private timerState!: ValueState<number>;
  init(h: StatefulProcessorHandle): void {
    this.maxEventTimeState = h.getValueState<number>('maxEventTimeState');
    this.timerState = h.getValueState<number>('timerState');
  }
  *handleInputRows(key: { key: string }, rows: readonly { eventTime: Date }[]): Iterable<{ key: string; maxEventTime: number }> {
    const maxSec = Math.max(...rows.map((r) => r.eventTime.getTime() / 1000), this.maxEventTimeState.get() ?? 0);
    const timeoutMs = (maxSec + 5) * 1000;
    this.maxEventTimeState.update(maxSec);
    const registered = this.timerState.get() ?? 0;
    if (registered < timeoutMs) {
      this.getHandle().deleteTimer(registered);
      this.getHandle().registerTimer(timeoutMs);
      this.timerState.update(timeoutMs);
    }
    yield { key: key.key, maxEventTime: maxSec };
  }
  override *handleExpiredTimer(key: { key: string }): Iterable<{ key: string; maxEventTime: number }> {
    this.maxEventTimeState.clear();
    yield { key: key.key, maxEventTime: -1 };
  }
}

class RunningCountStatefulProcessorWithError extends RunningCountStatefulProcessor {
  override *handleInputRows(): Iterable<Out> {
    // Making a state variable outside init() must fail.
    this.getHandle().getValueState<number>('tempState');
  }
}

const BASE = Date.UTC(2026, 0, 1);
/** Spark's StreamManualClock, which starts at 0: the faked Date at BASE + ms. */
const clockAt = (ms: number) => vi.setSystemTime(BASE + ms);

describe('TransformWithStateSuite', () => {
  it('"transformWithState - streaming with rocksdb should succeed": a running count per key, across restarts', async () => {
    const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessor())).start();
    await t.add('a');
    expect(t.newAnswer()).toEqual([['a', '1']]);
    await t.add('a', 'b');
    expect(t.newAnswer()).toEqual(sorted(['a', '2'], ['b', '1']));
    await t.stop();
    await t.start();
    await t.add('a', 'b'); // should remove state for "a" and not return anything for a
    expect(t.newAnswer()).toEqual([['b', '2']]);
    await t.stop();
    await t.start();
    await t.add('a', 'c'); // should recreate state for "a" and return count as 1
    expect(t.newAnswer()).toEqual(sorted(['a', '1'], ['c', '1']));
    await t.stop();
  });

  it('"transformWithState - streaming with rocksdb and invalid processor should fail": a state variable made outside init()', async () => {
    const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithError())).start();
    await expect(t.add('a')).rejects.toThrow(/invalid handle state=INITIALIZED/);
    const e = t.q.exception();
    expect(e).toBeInstanceOf(StatefulProcessorError);
    expect(e!.message).toMatch(/RunningCountStatefulProcessorWithError\.handleInputRows\(\) for key \{"value":"a"\} in batch 0/);
  });

  describe('processing time', () => {
    beforeEach(() => { vi.useFakeTimers({ toFake: ['Date'] }); clockAt(0); });
    afterEach(() => { vi.useRealTimers(); });

    it('"transformWithState - streaming with rocksdb and processing time timer should succeed"', async () => {
      const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithProcTimeTimer(), 'processingTime')).start();
      clockAt(1000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '1']]);
      clockAt(2000);
      await t.add('b');
      expect(t.newAnswer()).toEqual([['b', '1']]);
      clockAt(12_000);
      await t.add('b');
      expect(t.newAnswer()).toEqual(sorted(['a', '-1'], ['b', '2']));
      await t.stop();
      await t.start();
      t.addTo(0, 'b');
      t.addTo(0, 'c');
      clockAt(13_000);
      await t.run();
      expect(t.newAnswer()).toEqual([['c', '1']]); // should remove 'b' as count reaches 3
      clockAt(23_000);
      await t.add('d');
      expect(t.newAnswer()).toEqual(sorted(['c', '-1'], ['d', '1']));
      await t.stop();
    });

    it('"transformWithState - streaming with rocksdb and processing time timer and updating timers should succeed"', async () => {
      const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithProcTimeTimerUpdates(), 'processingTime')).start();
      clockAt(1000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '1']]); // at batch 0, ts = 1, timer = "a" -> [6] (= 1 + 5)
      clockAt(3000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '2']]); // at batch 1, ts = 3, timer = "a" -> [10.5] (3 + 7.5)
      await t.stop();
      await t.start();
      clockAt(13_000);
      await t.add('d');
      // The timer of "a" was replaced, not added to: it fires once.
      expect(t.newAnswer()).toEqual(sorted(['a', '-1'], ['d', '1']));
      await t.stop();
    });

    it('"transformWithState - streaming with rocksdb and processing time timer and multiple timers should succeed"', async () => {
      const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithMultipleTimers(), 'processingTime')).start();
      clockAt(1000);
      await t.add('a'); // at batch 0, add 3 timers for given key = "a"
      clockAt(7000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '2']]); // at ts = 7, first timer expires and produces ("a", "2")
      clockAt(12_000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '3']]); // at ts = 12, second timer expires and produces ("a", "3")
      await t.stop();
      await t.start();
      clockAt(17_000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '4']]); // at ts = 17, third timer expires and produces ("a", "4")
      await t.stop();
    });

    it('a timer fires with no new rows: the trigger loop runs a batch once it is due', async () => {
      const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithProcTimeTimer(), 'processingTime')).start();
      clockAt(1000);
      await t.add('a');
      expect(t.newAnswer()).toEqual([['a', '1']]);
      clockAt(5999);
      await t.run();
      expect(t.newAnswer()).toEqual([]);
      clockAt(6000);
      await t.run();
      expect(t.newAnswer()).toEqual([['a', '-1']]);
      expect(t.lastProgressWithState().customMetrics?.numExpiredTimers).toBe(1);
      await t.stop();
    });
  });

  it('"transformWithState - streaming with rocksdb and event time based timer"', async () => {
    const input = T.struct({ key: T.string, eventTime: T.timestamp });
    const t = await new StreamTest([input], ([df]) => df!.withWatermark('eventTime', '10 seconds').groupBy('key')
      .transformWithState(new MaxEventTimeStatefulProcessor(), { outputSchema: 'key STRING, maxEventTime INT', outputMode: 'update', timeMode: 'eventTime' })).start();
    const ev = (key: string, sec: number) => ({ key, eventTime: new Date(sec * 1000) });
    await t.add(ev('a', 11), ev('a', 13), ev('a', 15));
    // Max event time = 15. Timeout timestamp for "a" = 15 + 5 = 20. Watermark = 15 - 10 = 5.
    expect(t.newAnswer()).toEqual([['a', 15]]);
    await t.add(ev('a', 4)); // Add data older than watermark for "a"
    expect(t.newAnswer()).toEqual([]); // No output as data should get filtered by watermark
    expect(t.q.recentProgress.filter((p) => p.numInputRows > 0).at(-1)!.stateOperators[0]).toMatchObject({ numRowsDroppedByWatermark: 1 });
    await t.add(ev('a', 10)); // Add data newer than watermark for "a"
    expect(t.newAnswer()).toEqual([['a', 15]]); // Max event time is still the same
    await t.add(ev('b', 31)); // Add data newer than watermark for "b", not "a"
    // Watermark = 31 - 10 = 21, so "a" should be timed out as timeout timestamp for "a" is 20.
    expect(t.newAnswer()).toEqual(sorted(['a', -1], ['b', 31]));
    await t.stop();
  });

  it('"transformWithState - two input streams": a union feeds one processor', async () => {
    const t = await new StreamTest([strings, strings], ([a, b]) => a!.union(b!).groupBy('value')
      .transformWithState(new RunningCountStatefulProcessor(), { outputSchema: 'key STRING, count STRING', outputMode: 'update' })).start();
    t.addTo(0, 'a'); await t.run();
    expect(t.newAnswer()).toEqual([['a', '1']]);
    t.addTo(1, 'a', 'b'); await t.run();
    expect(t.newAnswer()).toEqual(sorted(['a', '2'], ['b', '1']));
    t.addTo(0, 'a', 'b'); await t.run(); // should remove state for "a" and not return anything for a
    expect(t.newAnswer()).toEqual([['b', '2']]);
    t.addTo(0, 'd', 'e');
    t.addTo(1, 'a', 'c'); await t.run(); // should recreate state for "a" and return count as 1
    expect(t.newAnswer()).toEqual(sorted(['a', '1'], ['c', '1'], ['d', '1'], ['e', '1']));
    await t.stop();
  });

  it('"Use statefulProcessor without transformWithState - handle should be absent"', () => {
    expect(() => new RunningCountStatefulProcessor().getHandle()).toThrow(/The handle has not been initialized for this StatefulProcessor/);
  });
});

// --- TransformWithListStateSuite.scala ---

type ActionRow = { key: string; action: string; value: string };
const actions = T.struct({ key: T.string, action: T.string, value: T.string });
const act = (key: string, action: string, value = ''): ActionRow => ({ key, action, value });

class TestListStateProcessor extends StatefulProcessor<{ key: string }, ActionRow, { key: string; value: string }> {
  private listState!: ListState<string | null>;
  init(h: StatefulProcessorHandle): void { this.listState = h.getListState<string | null>('testListState'); }
  handleInputRows(key: { key: string }, rows: readonly ActionRow[]): { key: string; value: string }[] {
    const out: { key: string; value: string }[] = [];
    for (const row of rows) {
      switch (row.action) {
        case 'emit': out.push({ key: key.key, value: row.value }); break;
        case 'emitAllInState': for (const v of this.listState.get()) out.push({ key: key.key, value: v! }); this.listState.clear(); break;
        case 'append': this.listState.appendValue(row.value); break;
        case 'appendAll': this.listState.appendList(row.value.split(',')); break;
        case 'put': this.listState.put(row.value.split(',')); break;
        case 'remove': this.listState.clear(); break;
        case 'tryAppendingNull': this.listState.appendValue(null); break;
        case 'tryAppendingNullValueInList': this.listState.appendList([null]); break;
        case 'tryPuttingNullInList': this.listState.put([null]); break;
        case 'tryPutEmptyList': this.listState.put([]); break;
        case 'tryAppendingEmptyList': this.listState.appendList([]); break;
      }
    }
    return out;
  }
}

class ToggleSaveAndEmitProcessor extends StatefulProcessor<Key, Row, { value: string }> {
  private listState!: ListState<string>;
  private valueState!: ValueState<boolean>;
  init(h: StatefulProcessorHandle): void {
    this.listState = h.getListState<string>('testListState');
    this.valueState = h.getValueState<boolean>('testValueState');
  }
  *handleInputRows(_key: Key, rows: readonly Row[]): Iterable<{ value: string }> {
    if (!this.valueState.get()) {
      this.listState.appendList(rows.map((r) => r.value as string));
      this.valueState.update(true);
      return;
    }
    this.valueState.clear();
    const stored = this.listState.get();
    this.listState.clear();
    for (const r of rows) yield { value: r.value as string };
    for (const v of stored) yield { value: v };
  }
}

const listQuery = (timeMode: 'processingTime' | 'eventTime' = 'processingTime') => ([df]: DataFrame[]) => df!.groupBy('key')
  .transformWithState(new TestListStateProcessor(), { outputSchema: 'key STRING, value STRING', outputMode: 'update', timeMode });

describe('TransformWithListStateSuite', () => {
  it.each([
    ['test appending null value in list state throw exception', 'tryAppendingNull', /Cannot write null values to State Store for StateName testListState/],
    ['test putting null value in list state throw exception', 'tryPuttingNullInList', /Cannot write null values to State Store for StateName testListState/],
    ['test appending null list in list state throw exception (an array holding null)', 'tryAppendingNullValueInList', /Cannot write null values/],
    ['test putting empty list in list state throw exception', 'tryPutEmptyList', /Cannot write empty list values to State Store for StateName testListState/],
    ['test appending empty list in list state throw exception', 'tryAppendingEmptyList', /Cannot write empty list values/],
  ])('"%s"', async (_name, action, message) => {
    const t = await new StreamTest([actions], listQuery()).start();
    await expect(t.add(act('k1', action))).rejects.toThrow(message);
    expect(t.q.exception()).toBeInstanceOf(StatefulProcessorError);
  });

  it('"test list state correctness" (eventTime mode, no watermark: Spark runs it so)', async () => {
    const t = await new StreamTest([actions], listQuery('eventTime')).start();
    // Several AddData before one AdvanceManualClock are one batch in Spark: addTo, then run.
    const batch = async (...rows: ActionRow[]) => { t.addTo(0, ...rows); await t.run(); };
    await batch(act('k1', 'emit', 'v1')); // no interaction test
    expect(t.newAnswer()).toEqual([['k1', 'v1']]);
    await batch(act('k1', 'append', 'v2'), act('k1', 'emitAllInState')); // check simple append
    expect(t.newAnswer()).toEqual([['k1', 'v2']]);
    // multiple appends are correctly stored and emitted
    await batch(act('k2', 'append', 'v1'), act('k1', 'append', 'v4'), act('k2', 'append', 'v2'), act('k1', 'emit', 'v5'), act('k2', 'emit', 'v3'));
    expect(t.newAnswer()).toEqual(sorted(['k1', 'v5'], ['k2', 'v3']));
    await batch(act('k1', 'emitAllInState'), act('k2', 'emitAllInState'));
    expect(t.newAnswer()).toEqual(sorted(['k2', 'v1'], ['k2', 'v2'], ['k1', 'v4']));
    // check appendAll with append
    await batch(act('k3', 'appendAll', 'v1,v2,v3'), act('k3', 'emit', 'v4'), act('k3', 'append', 'v5'));
    expect(t.newAnswer()).toEqual([['k3', 'v4']]);
    await batch(act('k3', 'emitAllInState'));
    expect(t.newAnswer()).toEqual(sorted(['k3', 'v1'], ['k3', 'v2'], ['k3', 'v3'], ['k3', 'v5']));
    // check removal cleans up all data in state ('appendList' is no action of the processor, as in Spark's test)
    await batch(act('k4', 'append', 'v2'), act('k4', 'appendList', 'v3,v4'), act('k4', 'remove'), act('k4', 'emitAllInState'));
    expect(t.newAnswer()).toEqual([]);
    // check put cleans up previous state and adds new state
    await batch(act('k5', 'appendAll', 'v1,v2,v3'), act('k5', 'append', 'v4'), act('k5', 'put', 'v5,v6'), act('k5', 'emitAllInState'));
    expect(t.newAnswer()).toEqual(sorted(['k5', 'v5'], ['k5', 'v6']));
    // Nothing is left in the store: every list was emptied (the header rows went too).
    expect(t.lastProgressWithState().numRowsTotal).toBe(0);
    await t.stop();
  });

  it('"test ValueState And ListState in Processor"', async () => {
    const t = await new StreamTest([strings], ([df]) => df!.groupBy('value')
      .transformWithState(new ToggleSaveAndEmitProcessor(), { outputSchema: 'value STRING', outputMode: 'update', timeMode: 'processingTime' })).start();
    t.addTo(0, 'k1'); t.addTo(0, 'k2'); await t.run();
    expect(t.newAnswer()).toEqual([]);
    t.addTo(0, 'k1'); t.addTo(0, 'k2'); await t.run();
    expect(t.newAnswer()).toEqual(sorted(['k1'], ['k1'], ['k2'], ['k2']));
    await t.stop();
  });
});

// --- TransformWithMapStateSuite.scala ---

type MapRow = { key: string; action: string; k: string | null; v: string | null };
const mapRows = T.struct({ key: T.string, action: T.string, k: T.string, v: T.string });
const mapAct = (key: string, action: string, k: string | null = '', v: string | null = ''): MapRow => ({ key, action, k, v });

class TestMapStateProcessor extends StatefulProcessor<{ key: string }, MapRow, { key: string; a: string | null; b: string | null }> {
  private mapState!: MapState<string | null, string | null>;
  init(h: StatefulProcessorHandle): void { this.mapState = h.getMapState<string | null, string | null>('sessionState'); }
  handleInputRows(key: { key: string }, rows: readonly MapRow[]) {
    const out: { key: string; a: string | null; b: string | null }[] = [];
    for (const row of rows) {
      switch (row.action) {
        case 'exists': out.push({ key: key.key, a: 'exists', b: String(this.mapState.exists()) }); break;
        case 'getValue': out.push({ key: key.key, a: row.k, b: this.mapState.getValue(row.k) ?? null }); break;
        case 'containsKey': out.push({ key: key.key, a: row.k, b: this.mapState.containsKey(row.k) ? 'true' : 'false' }); break;
        case 'updateValue': this.mapState.updateValue(row.k, row.v); break;
        case 'iterator': for (const [k, v] of this.mapState.iterator()) out.push({ key: key.key, a: k, b: v }); break;
        case 'keys': for (const k of this.mapState.keys()) out.push({ key: row.key, a: k, b: row.v }); break;
        case 'values': for (const v of this.mapState.values()) out.push({ key: row.key, a: row.k, b: v }); break;
        case 'removeKey': this.mapState.removeKey(row.k); break;
        case 'clear': this.mapState.clear(); break;
      }
    }
    return out;
  }
}

const mapQuery = ([df]: DataFrame[]) => df!.groupBy('key')
  .transformWithState(new TestMapStateProcessor(), { outputSchema: 'key STRING, a STRING, b STRING', outputMode: 'append' });

describe('TransformWithMapStateSuite', () => {
  it('"Test retrieving value with non-existing user key"', async () => {
    const t = await new StreamTest([mapRows], mapQuery, 'append').start();
    await t.add(mapAct('k1', 'getValue', 'v1'));
    expect(t.newAnswer()).toEqual([['k1', 'v1', null]]);
    await t.stop();
  });

  it.each(['getValue', 'containsKey', 'updateValue', 'removeKey'])('"Test %s with null user key"', async (fn) => {
    const t = await new StreamTest([mapRows], mapQuery, 'append').start();
    await expect(t.add(mapAct('k1', fn, null, ''))).rejects.toThrow(/Cannot write null values to State Store for StateName sessionState/);
  });

  it('"Test put value with null value"', async () => {
    const t = await new StreamTest([mapRows], mapQuery, 'append').start();
    await expect(t.add(mapAct('k1', 'updateValue', 'k1', null))).rejects.toThrow(/Cannot write null values to State Store for StateName sessionState/);
  });

  it('"Test map state correctness"', async () => {
    const t = await new StreamTest([mapRows], mapQuery, 'append').start();
    // Test exists()
    await t.add(mapAct('k1', 'updateValue', 'v1', '10'));
    await t.add(mapAct('k1', 'exists'));
    await t.add(mapAct('k2', 'exists'));
    expect(t.newAnswer()).toEqual(sorted(['k1', 'exists', 'true'], ['k2', 'exists', 'false']));
    // Test get and put with composite key
    await t.add(mapAct('k1', 'updateValue', 'v2', '5'));
    await t.add(mapAct('k2', 'updateValue', 'v2', '3'));
    await t.add(mapAct('k2', 'updateValue', 'v2', '12'));
    await t.add(mapAct('k2', 'updateValue', 'v4', '1'));
    // Different grouping key, same user key
    await t.add(mapAct('k1', 'getValue', 'v2'));
    expect(t.newAnswer()).toEqual([['k1', 'v2', '5']]);
    // Same grouping key, same user key, update value should reflect
    await t.add(mapAct('k2', 'getValue', 'v2'));
    expect(t.newAnswer()).toEqual([['k2', 'v2', '12']]);
    // Test get full map for a given grouping key - prefixScan
    await t.add(mapAct('k2', 'iterator'));
    expect(t.newAnswer()).toEqual(sorted(['k2', 'v2', '12'], ['k2', 'v4', '1']));
    await t.add(mapAct('k2', 'keys'));
    expect(t.newAnswer()).toEqual(sorted(['k2', 'v2', ''], ['k2', 'v4', '']));
    await t.add(mapAct('k2', 'values'));
    expect(t.newAnswer()).toEqual(sorted(['k2', '', '12'], ['k2', '', '1']));
    // Test remove functionalities
    await t.add(mapAct('k1', 'removeKey', 'v2'));
    await t.add(mapAct('k1', 'containsKey', 'v2'));
    expect(t.newAnswer()).toEqual([['k1', 'v2', 'false']]);
    await t.add(mapAct('k2', 'clear'));
    await t.add(mapAct('k2', 'iterator'));
    expect(t.newAnswer()).toEqual([]);
    await t.add(mapAct('k2', 'exists'));
    expect(t.newAnswer()).toEqual([['k2', 'exists', 'false']]);
    // The map entries survive a restart: they are in the checkpointed store, and listed again from it.
    await t.stop();
    await t.start();
    await t.add(mapAct('k1', 'iterator'));
    expect(t.newAnswer()).toEqual([['k1', 'v1', '10']]);
    await t.stop();
  });
});

// --- TTL (TransformWithValueStateTTLSuite, TransformWithListStateTTLSuite, TransformWithMapStateTTLSuite) ---
// Spark's TTL suites read TTL internals through test-only handles; these cases check the same rules
// through the public API and the state row count: an update sets expiry to batch time + TTL, a value
// is gone for reads once the batch time reaches it, its rows are removed at the end of that batch,
// and list and map elements expire one by one.

class TtlProcessor extends StatefulProcessor<{ key: string }, ActionRow, { key: string; value: string }> {
  private value!: ValueState<string>;
  private list!: ListState<string>;
  private map!: MapState<string, string>;
  init(h: StatefulProcessorHandle): void {
    const ttl = { ttlMs: 60_000 };
    this.value = h.getValueState<string>('value', ttl);
    this.list = h.getListState<string>('list', ttl);
    this.map = h.getMapState<string, string>('map', ttl);
  }
  handleInputRows(key: { key: string }, rows: readonly ActionRow[]) {
    const out: { key: string; value: string }[] = [], k = key.key;
    for (const r of rows) {
      switch (r.action) {
        case 'put': this.value.update(r.value); break;
        case 'get': if (this.value.exists()) out.push({ key: k, value: this.value.get()! }); break;
        case 'append': this.list.appendValue(r.value); break;
        case 'list': out.push({ key: k, value: this.list.get().join(',') }); break;
        case 'mput': { const [mk, mv] = r.value.split('='); this.map.updateValue(mk!, mv!); break; }
        case 'mget': out.push({ key: k, value: this.map.iterator().map(([a, b]) => `${a}=${b}`).sort().join(',') }); break;
      }
    }
    return out;
  }
}

describe('TTL on state (processing time)', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['Date'] }); clockAt(0); });
  afterEach(() => { vi.useRealTimers(); });
  const ttlQuery = ([df]: DataFrame[]) => df!.groupBy('key')
    .transformWithState(new TtlProcessor(), { outputSchema: 'key STRING, value STRING', outputMode: 'update', timeMode: 'processingTime' });

  it('"validate state is evicted at ttl expiry": a value is gone at batch time >= update time + TTL, and its row is removed without new rows for the key', async () => {
    const t = await new StreamTest([actions], ttlQuery).start();
    clockAt(1000);
    await t.add(act('k1', 'put', '1'));
    clockAt(2000);
    await t.add(act('k1', 'get'));
    expect(t.newAnswer()).toEqual([['k1', '1']]);
    clockAt(60_999);
    await t.add(act('k1', 'get'));
    expect(t.newAnswer()).toEqual([['k1', '1']]); // expires at 61 000
    expect(t.lastProgressWithState().numRowsTotal).toBe(1);
    clockAt(61_000);
    await t.run(); // no new rows: the trigger loop runs a batch as the TTL is due
    expect(t.lastProgressWithState()).toMatchObject({ numRowsTotal: 0, customMetrics: { numValuesRemovedDueToTTLExpiry: 1 } });
    await t.add(act('k1', 'get'));
    expect(t.newAnswer()).toEqual([]);
    await t.stop();
  });

  it('"validate ttl update updates the expiration timestamp": an update restarts the TTL, also across a restart', async () => {
    const t = await new StreamTest([actions], ttlQuery).start();
    clockAt(1000);
    await t.add(act('k1', 'put', '1'));
    clockAt(30_000);
    await t.add(act('k1', 'put', '2')); // now expires at 90 000
    await t.stop();
    await t.start();
    clockAt(62_000);
    await t.add(act('k1', 'get'));
    expect(t.newAnswer()).toEqual([['k1', '2']]);
    clockAt(90_000);
    await t.add(act('k1', 'get'));
    expect(t.newAnswer()).toEqual([]);
    await t.stop();
  });

  it('list elements and map entries expire one by one, each from its own update', async () => {
    const t = await new StreamTest([actions], ttlQuery).start();
    clockAt(1000);
    await t.add(act('k1', 'append', 'a'), act('k1', 'mput', 'x=1'));
    clockAt(30_000);
    await t.add(act('k1', 'append', 'b'), act('k1', 'mput', 'y=2'));
    clockAt(45_000);
    await t.add(act('k1', 'list'), act('k1', 'mget'));
    expect(t.newAnswer()).toEqual(sorted(['k1', 'a,b'], ['k1', 'x=1,y=2']));
    clockAt(61_000);
    await t.add(act('k1', 'list'), act('k1', 'mget'));
    expect(t.newAnswer()).toEqual(sorted(['k1', 'b'], ['k1', 'y=2']));
    // The list closed its gap at the end of that batch: appending goes after 'b'.
    clockAt(62_000);
    await t.add(act('k1', 'append', 'c'), act('k1', 'list'));
    expect(t.newAnswer()).toEqual([['k1', 'b,c']]);
    clockAt(200_000);
    await t.run();
    expect(t.lastProgressWithState().numRowsTotal).toBe(0);
    await t.stop();
  });
});

// --- What Spark refuses (TransformWithStateValidationSuite and the handle's checks), and what sluice adds ---

describe('refusals', () => {
  it('complete output mode is refused at start()', async () => {
    const t = new StreamTest([strings], byValue(new RunningCountStatefulProcessor()), 'complete');
    await expect(t.start()).rejects.toThrow(AnalysisError);
    await expect(t.start()).rejects.toThrow(/Complete output mode is not supported for transformWithState/);
  });

  it('TTL outside processing time (Spark\'s STATEFUL_PROCESSOR_INCORRECT_TIME_MODE_TO_ASSIGN_TTL), at start()', async () => {
    const t = new StreamTest([actions.add('eventTime', 'timestamp')], ([df]) => df!.withWatermark('eventTime', '1 second').groupBy('key')
      .transformWithState(new TtlProcessor(), { outputSchema: 'key STRING, value STRING', outputMode: 'update', timeMode: 'eventTime' }));
    await expect(t.start()).rejects.toThrow(/Cannot use TTL for state=value in timeMode=EventTime, use TimeMode.ProcessingTime\(\) instead/);
  });

  it('a TTL of zero (Spark\'s STATEFUL_PROCESSOR_TTL_DURATION_MUST_BE_POSITIVE)', async () => {
    class ZeroTtl extends RunningCountStatefulProcessor {
      override init(h: StatefulProcessorHandle): void { this.countState = h.getValueState<number>('countState', { ttlMs: 0 }); }
    }
    await expect(new StreamTest([strings], byValue(new ZeroTtl(), 'processingTime')).start()).rejects.toThrow(/TTL duration must be greater than zero for State store operation=update on state=countState/);
  });

  it('timers with timeMode none (Spark\'s STATEFUL_PROCESSOR_CANNOT_PERFORM_OPERATION_WITH_INVALID_TIME_MODE)', async () => {
    const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithProcTimeTimer(), 'none')).start();
    await expect(t.add('a')).rejects.toThrow(/Failed to perform stateful processor operation=registerTimer with invalid timeMode=NoTime/);
  });

  it('an event-time timer in a query without a watermark (it could never fire)', async () => {
    const input = T.struct({ key: T.string, eventTime: T.timestamp });
    const t = await new StreamTest([input], ([df]) => df!.groupBy('key')
      .transformWithState(new MaxEventTimeStatefulProcessor(), { outputSchema: 'key STRING, maxEventTime INT', outputMode: 'update', timeMode: 'eventTime' })).start();
    await expect(t.add({ key: 'a', eventTime: new Date(11_000) })).rejects.toThrow(/Watermark must be specified in the query using '\[Dataset\/DataFrame\]\.withWatermark\(\)' for using event-time timers/);
  });

  it('two state variables with one name (Spark\'s STATEFUL_PROCESSOR_DUPLICATE_STATE_VARIABLE_DEFINED), and names starting with $', async () => {
    class Twice extends RunningCountStatefulProcessor {
      override init(h: StatefulProcessorHandle): void { super.init(h); h.getListState('countState'); }
    }
    await expect(new StreamTest([strings], byValue(new Twice())).start()).rejects.toThrow(/State variable with name countState has already been defined in the StatefulProcessor/);
    class Reserved extends RunningCountStatefulProcessor {
      override init(h: StatefulProcessorHandle): void { this.countState = h.getValueState('$timers'); }
    }
    await expect(new StreamTest([strings], byValue(new Reserved())).start()).rejects.toThrow(/not start with '\$'/);
  });

  it('a restart with other state variables or another grouping key is refused by the checkpoint\'s _metadata', async () => {
    const t = await new StreamTest([strings], byValue(new RunningCountStatefulProcessor())).start();
    await t.add('a');
    await t.stop();
    const other = new StreamTest([strings], byValue(new RunningCountStatefulProcessorWithProcTimeTimerUpdates(), 'processingTime'));
    Object.assign(other, { checkpoint: t.checkpoint });
    // The check runs as the query opens its state, before any batch: the query stops with it.
    const failure = async (q: StreamTest): Promise<Error | null> => { await q.start(); await q.run().catch(() => undefined); return q.q.exception(); };
    const e = await failure(other);
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message).toMatch(/operator: the checkpoint has "transformWithState\(none\)", the query has "transformWithState\(processingTime\)"/);
    expect((e as Error).message).toMatch(/aggregates: .*countState:valueState.*timerState:valueState/);
    const rekeyed = new StreamTest([T.struct({ value: T.long })], byValue(new RunningCountStatefulProcessor()));
    Object.assign(rekeyed, { checkpoint: t.checkpoint });
    expect((await failure(rekeyed))?.message).toMatch(/keys: the checkpoint has .*struct<value:string>.*the query has .*struct<value:long>/);
  });

  it('a processor that throws stops the query naming the key and batch; the batch is not committed, so a restart runs it again over the state before it', async () => {
    class Boom extends RunningCountStatefulProcessor {
      override *handleInputRows(key: Key, rows: readonly Row[], tv: TimerValues): Iterable<Out> {
        if (key.value === 'boom') throw new Error('bad row');
        yield* super.handleInputRows(key, rows, tv);
      }
    }
    const t = await new StreamTest([strings], byValue(new Boom())).start();
    await t.add('a');
    expect(t.newAnswer()).toEqual([['a', '1']]);
    await expect(t.add('a', 'boom')).rejects.toThrow(/Boom\.handleInputRows\(\) for key \{"value":"boom"\} in batch 1 failed: bad row\. The batch was not committed/);
    expect(t.newAnswer()).toEqual([]);
    // The same query with the bug fixed: batch 1 runs again; 'a' counts 2, not 3 (the failed batch's update was not kept).
    const fixed = new StreamTest([strings], byValue(new RunningCountStatefulProcessor()));
    Object.assign(fixed, { checkpoint: t.checkpoint, chunks: [[[{ value: 'a' }], [{ value: 'a' }, { value: 'boom' }]]] });
    await fixed.start();
    await fixed.run();
    expect(fixed.newAnswer()).toEqual(sorted(['a', '2'], ['boom', '1']));
    await fixed.stop();
  });

  it('an output row with a field outputSchema lacks is refused, not dropped', async () => {
    class Extra extends RunningCountStatefulProcessor {
      override *handleInputRows(key: Key): Iterable<Out> { yield { key: key.value, count: '1', extra: 1 } as Out; }
    }
    const t = await new StreamTest([strings], byValue(new Extra())).start();
    await expect(t.add('a')).rejects.toThrow(/has a field 'extra' that outputSchema \(key, count\) lacks/);
  });
});

describe('state encoding', () => {
  it('non-ASCII grouping keys and map keys, bigint and Date values survive a restart (the store key text is the same when rebuilt from its files)', async () => {
    type R = { key: string; action: string; k: string | null; v: string | null };
    class Kept extends StatefulProcessor<{ key: string }, R, { key: string; a: string | null; b: string | null }> {
      private m!: MapState<string, { n: bigint; at: Date }>;
      init(h: StatefulProcessorHandle): void { this.m = h.getMapState('kept'); }
      handleInputRows(key: { key: string }, rows: readonly R[]) {
        const out: { key: string; a: string | null; b: string | null }[] = [];
        for (const r of rows) {
          if (r.action === 'put') this.m.updateValue(r.k!, { n: BigInt(r.v!) * 10n ** 15n, at: new Date(Number(r.v)) });
          else for (const [k, v] of this.m.iterator()) out.push({ key: key.key, a: k, b: `${typeof v.n}:${v.n}:${v.at.toISOString()}` });
        }
        return out;
      }
    }
    const t = await new StreamTest([mapRows], ([df]) => df!.groupBy('key')
      .transformWithState(new Kept(), { outputSchema: 'key STRING, a STRING, b STRING', outputMode: 'update' })).start();
    await t.add(mapAct('Zürich', 'put', 'clé 🔑', '1000'), mapAct('plain', 'put', 'x', '2000'));
    await t.stop();
    await t.start();
    await t.add(mapAct('Zürich', 'get'), mapAct('plain', 'get'));
    expect(t.newAnswer()).toEqual(sorted(
      ['Zürich', 'clé 🔑', 'bigint:1000000000000000000:1970-01-01T00:00:01.000Z'],
      ['plain', 'x', 'bigint:2000000000000000000:1970-01-01T00:00:02.000Z'],
    ));
    await t.stop();
  });
});
