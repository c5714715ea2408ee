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
