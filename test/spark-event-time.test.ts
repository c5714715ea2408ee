// Spark's own streaming tests, ported as the oracle for sluice's event-time semantics (issue 12).
//
// Each `it` names the Spark suite and test it ports (apache/spark,
// sql/core/src/test/scala/org/apache/spark/sql/streaming/). Spark's expected answers are kept as
// Spark wrote them; where sluice lacks a feature a case needs, it is listed with `it.skip` and the
// reason, not dropped.
//
// Spark's tests build `eventTime` as timestamp_seconds(value) from a MemoryStream[Int]; here the
// MemoryStream carries both columns ({ value, eventTime = value seconds }), which is the same input,
// and answers are read back as (window.start in seconds, count) as Spark's `.cast("long")` does.
import { describe, expect, it, onTestFinished } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from './support/tmp.ts';
import { AnalysisError } from '../src/errors.ts';
import {
  Session, MemoryStream, col, window, session_window, count, sum, min, max, last, types as T, type DataFrame, type StreamingQuery, type StreamingQueryProgress,
} from '../src/index.ts';
import type { StateOperatorProgress } from '../src/runtime/progress-reporter.ts';
import { WatermarkTracker } from '../src/runtime/watermark-tracker.ts';
import { parseWatermarkDelay } from '../src/util/watermark-delay.ts';
import { newEventTimeStats, type EventTimeStats } from '../src/exec/compiled-expr.ts';

const session = Session.builder().appName('spark-event-time-test').getOrCreate();
const schema = T.struct({ value: T.long, eventTime: T.timestamp });
const rowsOf = (secs: readonly number[]) => secs.map((v) => ({ value: BigInt(v), eventTime: new Date(v * 1000) }));
const iso = (sec: number): string => new Date(sec * 1000).toISOString();
let queries = 0;
/** The first state operator's progress (the record types it loosely: stateOperators is unknown[]). */
const op0 = (p: StreamingQueryProgress): StateOperatorProgress => p.stateOperators[0] as StateOperatorProgress;

type Pair = [number, number];
type OutputMode = 'append' | 'update' | 'complete';

/** Spark's testStream, as far as these cases need it: AddData, CheckNewAnswer, CheckAnswer (complete: last batch). */
class StreamTest {
  private readonly batches: Pair[][] = [];
  private seen = 0;
  q!: StreamingQuery;
  constructor(readonly input: MemoryStream) {}

  static async start(build: (df: DataFrame) => DataFrame, mode: OutputMode): Promise<StreamTest> {
    const t = new StreamTest(new MemoryStream(session, schema));
    t.q = await build(t.input.toDF()).writeStream.outputMode(mode).queryName(`spark-et-${queries++}`)
      .foreachBatch((b) => {
        t.batches.push(b.collect().map((r): Pair => [(r.window as { start: Date }).start.getTime() / 1000, Number(r.count)]));
      }).start();
    return t;
  }

  async addData(...secs: number[]): Promise<void> {
    this.input.addData(rowsOf(secs));
    await this.q.processAllAvailable();
  }

  /** CheckNewAnswer: the rows written since the last check. */
  newAnswer(): Pair[] {
    const rows = this.batches.slice(this.seen).flat();
    this.seen = this.batches.length;
    return rows.sort((a, b) => a[0] - b[0]);
  }

  /** CheckAnswer in complete mode: the whole result, i.e. the last batch. */
  completeAnswer(): Pair[] { return [...(this.batches.at(-1) ?? [])].sort((a, b) => a[0] - b[0]); }

  /** The last progress of a batch with input (Spark's assertEventStats / assertNumStateRows helpers). */
  lastWithData() { return this.q.recentProgress.filter((p) => p.numInputRows > 0).at(-1)!; }
}

/** Spark's windowedAggregation: 10 s watermark, 5 s tumbling windows, count(*). */
const windowedCount = (delay = '10 seconds') => (df: DataFrame) => df.withWatermark('eventTime', delay)
  .groupBy(window(col('eventTime'), '5 seconds').alias('window')).agg(count('*').alias('count'));

describe('EventTimeWatermarkSuite', () => {
  it('"complete mode": no eviction and no late row dropped when asked to compute complete results', async () => {
    const t = await StreamTest.start(windowedCount(), 'complete');
    await t.addData(10, 11, 12);
    expect(t.completeAnswer()).toEqual([[10, 3]]);
    await t.addData(25);
    expect(t.completeAnswer()).toEqual([[10, 3], [25, 1]]);
    await t.addData(25);
    expect(t.completeAnswer()).toEqual([[10, 3], [25, 2]]);
    await t.addData(10);
    expect(t.completeAnswer()).toEqual([[10, 4], [25, 2]]);
    await t.addData(25);
    expect(t.completeAnswer()).toEqual([[10, 4], [25, 3]]);
    await t.q.stop();
  });

  it('"append mode"', async () => {
    const t = await StreamTest.start(windowedCount(), 'append');
    await t.addData(10, 11, 12, 13, 14, 15);
    expect(t.newAnswer()).toEqual([]);
    await t.addData(25); // Advance watermark to 15 seconds
    expect(t.newAnswer()).toEqual([[10, 5]]);
    expect(op0(t.q.lastProgress!).numRowsTotal).toBe(2);
    expect(op0(t.lastWithData()).numRowsDroppedByWatermark).toBe(0);
    await t.addData(10); // Should not emit anything as data less than watermark
    expect(t.newAnswer()).toEqual([]);
    expect(op0(t.q.lastProgress!).numRowsTotal).toBe(2);
    expect(op0(t.lastWithData()).numRowsDroppedByWatermark).toBe(1);
    await t.q.stop();
  });

  it('"update mode"', async () => {
    const t = await StreamTest.start(windowedCount(), 'update');
    await t.addData(10, 11, 12, 13, 14, 15);
    expect(t.newAnswer()).toEqual([[10, 5], [15, 1]]);
    await t.addData(25); // Advance watermark to 15 seconds
    expect(t.newAnswer()).toEqual([[25, 1]]);
    expect(op0(t.q.lastProgress!).numRowsTotal).toBe(2);
    expect(op0(t.lastWithData()).numRowsDroppedByWatermark).toBe(0);
    await t.addData(10, 25); // Ignore 10 as its less than watermark
    expect(t.newAnswer()).toEqual([[25, 2]]);
    expect(op0(t.q.lastProgress!).numRowsTotal).toBe(2);
    expect(op0(t.lastWithData()).numRowsDroppedByWatermark).toBe(1);
    await t.addData(10); // Should not emit anything as data less than watermark
    expect(t.newAnswer()).toEqual([]);
    expect(op0(t.q.lastProgress!).numRowsTotal).toBe(2);
    expect(op0(t.lastWithData()).numRowsDroppedByWatermark).toBe(1);
    await t.q.stop();
  });

  it('"event time and watermark metrics" (with a watermark)', async () => {
    const t = await StreamTest.start(windowedCount(), 'append');
    const stats = () => { const e = t.lastWithData().eventTime; return [e.min, e.max, e.avg, e.watermark]; };
    await t.addData(15);
    expect(t.newAnswer()).toEqual([]);
    expect(stats()).toEqual([iso(15), iso(15), iso(15), iso(0)]);
    await t.addData(10, 12, 14);
    expect(t.newAnswer()).toEqual([]);
    expect(stats()).toEqual([iso(10), iso(14), iso(12), iso(5)]);
    await t.addData(25);
    expect(t.newAnswer()).toEqual([[10, 3]]);
    expect(stats()).toEqual([iso(25), iso(25), iso(25), iso(5)]);
    await t.q.stop();
  });

  it('"error on bad column" and "error on wrong type"', () => {
    const df = new MemoryStream(session, T.struct({ value: T.int })).toDF();
    expect(() => df.withWatermark('badColumn', '1 minute').schema).toThrow(AnalysisError);
    expect(() => df.withWatermark('badColumn', '1 minute').schema).toThrow(/badColumn/);
    expect(() => df.withWatermark('value', '1 minute').schema).toThrow(/value.*int/);
  });

  it('"event time and watermark metrics" (no event-time metrics without a watermark)', async () => {
    const t = await StreamTest.start((df) => df.groupBy(window(col('eventTime'), '5 seconds').alias('window')).agg(count('*').alias('count')), 'complete');
    await t.addData(15);
    expect(t.completeAnswer()).toEqual([[15, 1]]);
    expect(t.lastWithData().eventTime).toEqual({});
    await t.addData(10, 12, 14);
    expect(t.completeAnswer()).toEqual([[10, 3], [15, 1]]);
    expect(t.lastWithData().eventTime).toEqual({});
    await t.q.stop();
  });

  it('"group by on raw timestamp"', async () => {
    const input = new MemoryStream(session, schema);
    const out: Pair[] = [];
    const q = await input.toDF().withWatermark('eventTime', '10 seconds').groupBy(col('eventTime')).agg(count('*').alias('count'))
      .writeStream.outputMode('append').foreachBatch((b) => { for (const r of b.collect()) out.push([(r.eventTime as Date).getTime() / 1000, Number(r.count)]); }).start();
    input.addData(rowsOf([10])); await q.processAllAvailable();
    expect(out).toEqual([]);
    input.addData(rowsOf([25])); await q.processAllAvailable(); // Advance watermark to 15 seconds
    expect(out).toEqual([[10, 1]]);
    await q.stop();
  });

  it('a group by the raw timestamp keeps a null event time: never late, never evicted (Spark\'s predicates `eventTime <= watermark` are null there, not true)', async () => {
    const input = new MemoryStream(session, schema);
    const out: [number | null, number][][] = [];
    const q = await input.toDF().withWatermark('eventTime', '10 seconds').groupBy(col('eventTime')).agg(count('*').alias('count'))
      .writeStream.outputMode('update').foreachBatch((b) => { out.push(b.collect().map((r) => [r.eventTime === null ? null : (r.eventTime as Date).getTime() / 1000, Number(r.count)])); }).start();
    input.addData(rowsOf([10, 25])); await q.processAllAvailable(); // watermark 15 s
    input.addData([{ value: 0n, eventTime: null }, ...rowsOf([12])]); await q.processAllAvailable();
    const withData = q.recentProgress.filter((p) => p.numInputRows > 0);
    expect(out.filter((b) => b.length).at(-1)).toEqual([[null, 1]]);
    expect(op0(withData.at(-1)!).numRowsDroppedByWatermark).toBe(1); // 12, not the null
    input.addData(rowsOf([60])); await q.processAllAvailable(); // watermark 50 s: 25 is evicted, the null group stays
    expect(op0(q.recentProgress.at(-1)!).numRowsTotal).toBe(2);
    await q.stop();
  });

  it('issue 12 item 2 (consequence of shouldRunAnotherBatch): add 30, then 12: a no-data batch at W=20 has run, so 12 is late', async () => {
    const t = await StreamTest.start(windowedCount(), 'append');
    await t.addData(30);
    await t.addData(12);
    expect(t.newAnswer()).toEqual([]);
    expect(t.q.recentProgress.map((p) => [p.batchId, p.numInputRows, p.eventTime.watermark])).toEqual([
      [0, 1, iso(0)], [1, 0, iso(20)], [2, 1, iso(20)],
    ]);
    expect(op0(t.q.lastProgress!).numRowsDroppedByWatermark).toBe(1);
    await t.q.stop();
  });

  // "watermark with 2 streams" as a query, through union, is in test/union.test.ts; its watermark arithmetic alone is below.

  it('"watermark with 2 streams", on the WatermarkTracker: an input with no data yet counts as 0 under min', () => {
    // Spark's query: first.withWatermark(10 s) union second.withWatermark(5 s), complete mode (so no
    // no-data batches). Each step is a batch with the data, then the dummy batch `first.addData(0)`,
    // whose batchWatermarkMs Spark reads: the watermark computed after the data batch.
    const specs = [{ column: 'eventTime', delayMs: 10_000, delay: '10 seconds' }, { column: 'eventTime', delayMs: 5000, delay: '5 seconds' }];
    const stats = (secs: readonly number[]): EventTimeStats => {
      const s = newEventTimeStats();
      for (const v of secs) { s.min = Math.min(s.min, v * 1000); s.max = Math.max(s.max, v * 1000); s.sum += v * 1000; s.count++; }
      return s;
    };
    let tracker = new WatermarkTracker(specs, 'min');
    let w = 0;
    const after = (firstData: number[] = [], secondData: number[] = []): number => {
      if (firstData.length || secondData.length) { tracker.observe([stats(firstData), stats(secondData)]); w = tracker.next(w); }
      const batchWatermarkMs = w; // the dummy batch runs with it
      tracker.observe([stats([0]), stats([])]); w = tracker.next(w);
      return batchWatermarkMs;
    };
    // Global watermark starts at 0 until we get data from both sides
    expect(after([11])).toBe(0);
    expect(after([], [6])).toBe(1000);
    // Global watermark stays at left watermark 1 when right watermark moves to 2
    expect(after([], [8])).toBe(1000);
    // Global watermark switches to right side value 2 when left watermark goes higher
    expect(after([21])).toBe(3000);
    // Global watermark goes back to left
    expect(after([], [17, 28, 39])).toBe(11000);
    // Global watermark stays on left as long as it's below right
    expect(after([31])).toBe(21000);
    expect(after([41])).toBe(31000);
    // Global watermark switches back to right again
    expect(after([51])).toBe(34000);
    // Global watermark is updated correctly with simultaneous data from both sides
    expect(after([100], [100])).toBe(90000);
    expect(after([120], [110])).toBe(105000);
    expect(after([130], [125])).toBe(120000);
    // Global watermark doesn't decrement with simultaneous data
    expect(after([100], [100])).toBe(120000);
    expect(after([140], [100])).toBe(120000);
    expect(after([100], [135])).toBe(130000);
    // Global watermark recovers after restart, but left side watermark ahead of it does not.
    expect(after([200], [190])).toBe(185000);
    tracker = new WatermarkTracker(specs, 'min'); // union.stop(); unionWriter.start(): w comes from the checkpoint
    expect(after()).toBe(185000);
    // Even though the left side was ahead of 185000 in the last execution, the watermark won't
    // increment until it gets past it in this execution.
    expect(after([], [200])).toBe(185000);
    expect(after([200])).toBe(190000);
  });

  it('issue 12 item 3, through the engine: a withWatermark whose column has had no event time yet holds the min watermark at 0', async () => {
    // One stream, two watermarked columns; `b` is null in the first rows, so its watermark has seen no data.
    // Two withWatermark calls on one stream: Spark 3.5's compatibility mode (see "overriding watermark").
    const two = T.struct({ a: T.timestamp, b: T.timestamp });
    session.conf.set('spark.sql.streaming.statefulOperator.allowMultiple', 'false');
    onTestFinished(() => { session.conf.delete('spark.sql.streaming.statefulOperator.allowMultiple'); });
    const input = new MemoryStream(session, two);
    const q = await input.toDF().withWatermark('a', '10 seconds').withWatermark('b', '5 seconds')
      .groupBy(window(col('a'), '5 seconds')).agg(count('*').alias('count'))
      .writeStream.outputMode('update').foreachBatch(() => undefined).start();
    input.addData([{ a: new Date(30_000), b: null }]);
    await q.processAllAvailable();
    input.addData([{ a: new Date(31_000), b: null }]);
    await q.processAllAvailable();
    expect(q.lastProgress!.eventTime.watermark).toBe(iso(0)); // min(20 s, 0): b counts as 0
    input.addData([{ a: new Date(32_000), b: new Date(40_000) }]);
    await q.processAllAvailable();
    expect(q.lastProgress!.eventTime.watermark).toBe(iso(22)); // min(32 - 10, 40 - 5) = 22 s
    await q.stop();
  });
  // "MultipleWatermarkPolicy: min" / "max" run through union in test/union.test.ts.
  it.skip('"MultipleWatermarkPolicy: recovery from checkpoints ignores session conf": not ported yet (union exists now; see test/union.test.ts for min/max)', () => {});
  it.skip('"MultipleWatermarkPolicy: recovery from Spark ver 2.3.1 checkpoints ensures min policy": needs union and a Spark checkpoint', () => {});
  it.skip('"event time and watermark metrics with Trigger.Once (SPARK-24699)": restarts one MemoryStream with Trigger.Once; sluice\'s MemoryStream does not outlive its query', () => {});
  it.skip('"recovery from Spark ver 2.3.1 commit log without commit metadata (SPARK-24699)": reads a Spark checkpoint', () => {});
  it('"recovery": restarts on the checkpoint keep the watermark, so rows for windows it closed stay late', async () => {
    const cp = tmpDir('spark-et-recovery');
    let chunks = 0;
    // Spark's StopStream/StartStream: a new query on the checkpoint, over a MemoryStream that has
    // the chunks the checkpoint already read (offsets count chunks), and an empty sink.
    const start = async () => {
      const input = new MemoryStream(session, schema);
      for (let i = 0; i < chunks; i++) input.addData([]);
      const out: Pair[] = [];
      const q = await windowedCount()(input.toDF()).writeStream.outputMode('append').option('checkpointLocation', cp)
        .foreachBatch((b) => { for (const r of b.collect()) out.push([(r.window as { start: Date }).start.getTime() / 1000, Number(r.count)]); }).start();
      const add = async (...secs: number[]) => { input.addData(rowsOf(secs)); chunks++; await q.processAllAvailable(); };
      return { q, out, add };
    };
    let run = await start();
    await run.add(10, 11, 12, 13, 14, 15);
    expect(run.out).toEqual([]);
    await run.add(25); // Advance watermark to 15 seconds
    expect(run.out).toEqual([[10, 5]]);
    await run.q.stop();
    // Spark's commitLog.purge(latest) removes the commits before the latest (its purge keeps the threshold).
    const commits = await fs.readdir(path.join(cp, 'commits'));
    const latest = Math.max(...commits.map(Number));
    for (const c of commits) if (Number(c) < latest) await fs.rm(path.join(cp, 'commits', c));
    run = await start(); // and the sink is cleared
    await run.add(10, 27, 30); // Advance watermark to 20 seconds, 10 should be ignored
    expect(run.out).toEqual([[15, 1]]);
    await run.q.stop();
    const before = run.out;
    run = await start();
    await run.add(17); // Watermark should still be 20 seconds, 17 should be ignored
    expect([...before, ...run.out]).toEqual([[15, 1]]);
    await run.add(40); // Advance watermark to 30 seconds, emit first data 25
    expect(run.out).toEqual([[25, 2]]);
    await run.q.stop();
  });
  it.skip('"test no-data flag": spark.sql.streaming.noDataMicroBatches.enabled is not a sluice setting', () => {});
  it.skip('"EventTimeStats" (5 cases: add, merge, zero merges, avg on large values): Spark\'s accumulator class; sluice\'s stats are a plain record summed per batch', () => {});
  // Spark's query: (first, second) seconds -> withWatermark('first', 1 min).select('*').withWatermark('second', 2 min)
  // .groupBy(window(second, 1 min)).count(), update mode (testStream's default is append; the aggregation is the same).
  const overriding = () => {
    const input = new MemoryStream(session, T.struct({ first: T.timestamp, second: T.timestamp }));
    const df = input.toDF().withWatermark('first', '1 minute').select('*').withWatermark('second', '2 minutes')
      .groupBy(window(col('second'), '1 minute')).count();
    return { input, df };
  };
  it('"overriding watermark should not be allowed by default"', async () => {
    const { df } = overriding();
    const started = df.writeStream.outputMode('append').foreachBatch(() => undefined).start();
    await expect(started).rejects.toThrow(AnalysisError);
    await expect(overriding().df.writeStream.foreachBatch(() => undefined).start()).rejects.toThrow(/Redefining watermark is disallowed\..*spark\.sql\.streaming\.statefulOperator\.allowMultiple/);
  });
  it('"overriding watermark should not fail in compatibility mode": both definitions count, the global watermark is min(40 s, 80 s)', async () => {
    session.conf.set('spark.sql.streaming.statefulOperator.allowMultiple', 'false');
    onTestFinished(() => { session.conf.delete('spark.sql.streaming.statefulOperator.allowMultiple'); });
    const { input, df } = overriding();
    const out: unknown[] = [];
    const q = await df.writeStream.outputMode('append').foreachBatch((b) => { out.push(...b.collect()); }).start();
    input.addData([{ first: new Date(100_000), second: new Date(200_000) }]);
    await q.processAllAvailable();
    expect(out).toEqual([]); // CheckAnswer()
    // Spark reads the state operator's eventTimeWatermarkForEviction of the next batch: here, the
    // no-data batch that follows (watermark from first = 100 - 60 = 40, from second = 200 - 120 = 80).
    expect(q.lastProgress!.eventTime.watermark).toBe(iso(40));
    await q.stop();
  });
  it.skip('"multiple event time columns in an input DataFrame for stateful operator is not allowed" / "... compatibility mode": need a stream-stream join', () => {});
  it('"MultipleWatermarkPolicy: fail on incorrect conf values": refused when set', () => {
    for (const value of ['', 'random']) {
      expect(() => session.conf.set('spark.sql.streaming.multipleWatermarkPolicy', value)).toThrow(/Valid values are 'min' and 'max'/);
      expect(() => Session.builder().config('spark.sql.streaming.multipleWatermarkPolicy', value)).toThrow(/valid values are 'min' and 'max'/i);
    }
    expect(session.conf.has('spark.sql.streaming.multipleWatermarkPolicy')).toBe(false);
  });
  it('"SPARK-27340 Alias on TimeWindow expression cause watermark metadata lost"', async () => {
    const input = new MemoryStream(session, schema);
    const aliasWindow = input.toDF().withWatermark('eventTime', '10 seconds').select(window(col('eventTime'), '5 seconds').alias('aliasWindow'));
    // Spark checks the alias keeps the event-time metadata; here: append mode is accepted, which needs the
    // window to close with the watermark, and the answers below are the watermark's.
    const out: Pair[] = [];
    const q = await aliasWindow.groupBy(col('aliasWindow')).agg(count('*').alias('count'))
      .writeStream.outputMode('append').foreachBatch((b) => { for (const r of b.collect()) out.push([(r.aliasWindow as { start: Date }).start.getTime() / 1000, Number(r.count)]); }).start();
    const add = async (...secs: number[]) => { input.addData(rowsOf(secs)); await q.processAllAvailable(); };
    await add(10, 11, 12, 13, 14, 15);
    expect(out).toEqual([]);
    await add(25); // Advance watermark to 15 seconds
    expect(out).toEqual([[10, 5]]);
    expect(op0(q.lastProgress!).numRowsTotal).toBe(2);
    await add(10); // Should not emit anything as data less than watermark
    expect(out).toEqual([[10, 5]]);
    expect(op0(q.lastProgress!).numRowsTotal).toBe(2);
    await q.stop();
  });
  it('window() in select() (SPARK-27340): without the watermark on its time column, append is refused; a sliding window stays a groupBy key', async () => {
    const df = new MemoryStream(session, schema).toDF().select(window(col('eventTime'), '5 seconds').alias('w'));
    expect(df.schema.fields.map((f) => [f.name, T.typeToString(f.type)])).toEqual([['w', 'struct<start:timestamp,end:timestamp>']]);
    await expect(df.groupBy('w').count().writeStream.outputMode('append').foreachBatch(() => undefined).start()).rejects.toThrow(/Append output mode is not supported/);
    expect(() => new MemoryStream(session, schema).toDF().select(window(col('eventTime'), '10 seconds', '5 seconds')).schema).toThrow(/can only be used as a key of groupBy/);
  });
  it.skip('"EventTime watermark should be ignored in batch query." / "SPARK-21565": need batch DataFrames from a Scala Seq / a JSON file source', () => {});
});

describe('StreamingAggregationSuite', () => {
  it('"state metrics - append mode": no-data batches 1 and 4 run because the watermark moved', async () => {
    const t = await StreamTest.start(windowedCount(), 'append');
    const op = () => op0(t.q.lastProgress!);
    // batchId 0
    await t.addData(15);
    // batchId 1 without data: watermark = 5 (Spark's AdvanceManualClock; processAllAvailable waits for it here)
    expect(t.q.lastProgress!.batchId).toBe(1);
    expect(t.newAnswer()).toEqual([]);
    expect([op().numRowsUpdated, op().numRowsTotal, t.q.lastProgress!.sink.numOutputRows]).toEqual([0, 1, 0]);
    // batchId 2 with data
    await t.addData(10, 12, 14);
    expect(t.q.lastProgress!.batchId).toBe(2);
    expect([op().numRowsUpdated, op().numRowsTotal, t.q.lastProgress!.sink.numOutputRows]).toEqual([1, 2, 0]);
    // batchId 3 with data, then batchId 4 without data: watermark = 15
    await t.addData(25);
    expect(t.q.recentProgress.at(-2)!.batchId).toBe(3);
    expect(op0(t.q.recentProgress.at(-2)!).numRowsTotal).toBe(3);
    expect(t.q.lastProgress!.batchId).toBe(4);
    expect(t.newAnswer()).toEqual([[10, 3]]);
    expect([op().numRowsUpdated, op().numRowsTotal, t.q.lastProgress!.sink.numOutputRows]).toEqual([0, 2, 1]);
    await t.q.stop();
  });
});

describe('StreamingAggregationSuite: state metrics and keys', () => {
  const ints = T.struct({ value: T.int });
  /** CheckLastBatch of a `groupBy(...).agg(count(*))` over ints: the last batch's rows, sorted. */
  async function countQuery(build: (df: DataFrame) => DataFrame, mode: OutputMode, cp?: string, onBatch?: (rows: Record<string, unknown>[]) => void) {
    const input = new MemoryStream(session, ints);
    let last: number[][] = [];
    let w = build(input.toDF()).writeStream.outputMode(mode);
    if (cp) w = w.option('checkpointLocation', cp);
    const q = await w.foreachBatch((b) => {
      const rows = b.collect();
      onBatch?.(rows);
      last = rows.map((r) => Object.values(r).map(Number)).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    }).start();
    return { input, q, add: async (...v: number[]) => { input.addData(v.map((value) => ({ value }))); await q.processAllAvailable(); }, lastBatch: () => last };
  }

  it('"state metrics - update/complete mode" (Spark\'s flatMap(x => Seq(x, x + 1)) done by the test: the rows x and x + 1)', async () => {
    const both = (...xs: number[]) => xs.flatMap((x) => [x, x + 1]);
    const byValue = (df: DataFrame) => df.groupBy(col('value')).agg(count('*'));
    const u = await countQuery(byValue, 'update');
    const metrics = (q: StreamingQuery) => [q.lastProgress!.sink.numOutputRows, op0(q.lastProgress!).numRowsUpdated, op0(q.lastProgress!).numRowsTotal];
    await u.add(...both(1));
    expect(u.lastBatch()).toEqual([[1, 1], [2, 1]]);
    expect(u.q.lastProgress!.stateOperators.length).toBe(1);
    expect(metrics(u.q)).toEqual([2, 2, 2]);
    await u.add(...both(2, 3));
    expect(u.lastBatch()).toEqual([[2, 2], [3, 2], [4, 1]]);
    expect(metrics(u.q)).toEqual([3, 3, 4]);
    await u.q.stop();
    const c = await countQuery(byValue, 'complete');
    await c.add(...both(1));
    expect(c.lastBatch()).toEqual([[1, 1], [2, 1]]);
    expect(metrics(c.q)).toEqual([2, 2, 2]);
    await c.add(...both(2, 3));
    expect(c.lastBatch()).toEqual([[1, 1], [2, 2], [3, 2], [4, 1]]);
    expect(metrics(c.q)).toEqual([4, 3, 4]);
    await c.q.stop();
  });

  it('"multiple keys"', async () => {
    const t = await countQuery((df) => df.groupBy(col('value'), col('value').plus(1)).agg(count('*')), 'update');
    await t.add(1, 2);
    expect(t.lastBatch()).toEqual([[1, 2, 1], [2, 3, 1]]);
    await t.add(1, 2);
    expect(t.lastBatch()).toEqual([[1, 2, 2], [2, 3, 2]]);
    await t.q.stop();
  });

  it('"midbatch failure" (the failure is injected in the sink, the state of the failed batch is not kept)', async () => {
    const cp = tmpDir('spark-midbatch');
    let firstTime = true;
    const fail = (rows: Record<string, unknown>[]) => { if (firstTime && rows.some((r) => r.value === 4)) { firstTime = false; throw new Error('injected failure'); } };
    const t = await countQuery((df) => df.groupBy(col('value')).agg(count('*')), 'update', cp, fail);
    t.input.addData([1, 2, 3, 4].map((value) => ({ value })));
    await expect(t.q.awaitTermination()).rejects.toThrow(/injected failure/);
    // StartStream(): the same MemoryStream's data, a new query on the checkpoint re-runs the batch.
    const again = await countQuery((df) => df.groupBy(col('value')).agg(count('*')), 'update', cp, fail);
    again.input.addData([1, 2, 3, 4].map((value) => ({ value })));
    await again.q.processAllAvailable();
    expect(again.lastBatch()).toEqual([[1, 1], [2, 1], [3, 1], [4, 1]]);
    await again.q.stop();
  });

  it('"SPARK-22230: last should change with new batches"', async () => {
    const t = await countQuery((df) => df.groupBy().agg(last('value')), 'complete');
    await t.add(1, 2, 3);
    expect(t.lastBatch()).toEqual([[3]]);
    await t.add(4, 5, 6);
    expect(t.lastBatch()).toEqual([[6]]);
    await t.add();
    expect(t.lastBatch()).toEqual([[6]]);
    await t.add(0);
    expect(t.lastBatch()).toEqual([[0]]);
    await t.q.stop();
  });
  it.skip('"prune results by current_time / current_date, complete mode": need current_timestamp/current_date and a manual clock', () => {});
  it.skip('"SPARK-29438: ensure UNION doesn\'t lead streaming aggregation to use shifted partition IDs", "SPARK-21977 ...": union and Spark partitioning', () => {});
});

describe('EventTimeWatermarkSuite: delays', () => {
  it('"delay in months and years handled correctly": 2 years 5 months is 29 months of 31 days', async () => {
    // Spark checks the watermark is 29 or 30 calendar months before the event; sluice, as Spark's
    // EventTimeWatermark.getDelayMs, counts 31 days a month, so the exact delay is asserted too.
    expect(parseWatermarkDelay('2 years 5 months')).toBe(29 * 31 * 86_400_000);
    const nowSec = Math.floor(Date.now() / 1000);
    const t = await StreamTest.start(windowedCount('2 years 5 months'), 'append');
    await t.addData(nowSec);
    expect(t.newAnswer()).toEqual([]);
    await t.addData(nowSec);
    expect(t.newAnswer()).toEqual([]);
    const e = t.lastWithData().eventTime;
    expect(e.max).toBe(iso(nowSec));
    const monthsSinceEpoch = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();
    const monthDiff = monthsSinceEpoch(new Date(nowSec * 1000)) - monthsSinceEpoch(new Date(e.watermark!));
    expect([29, 30]).toContain(monthDiff);
    await t.q.stop();
  });

  it('"delay threshold should not be negative."', () => {
    const df = new MemoryStream(session, schema).toDF();
    for (const d of ['-1 year', '1 year -13 months', '1 month -40 days', '-10 seconds']) {
      expect(() => df.withWatermark('eventTime', d), d).toThrow(/should not be negative\./);
    }
  });

  it('"SPARK-35815: Support ANSI intervals for delay threshold"', () => {
    const DAY = 86_400_000, HOUR = 3_600_000, MINUTE = 60_000, SECOND = 1000, DAYS_PER_MONTH = 31;
    const cases: [string[], number][] = [
      // Conventional form and some variants
      [['3 days', 'Interval 3 day', "inTerval '3' day"], 3 * DAY],
      [[' 5 hours', 'INTERVAL 5 hour', "interval '5' hour"], 5 * HOUR],
      [['\t8 minutes', 'interval 8 minute', "interval '8' minute"], 8 * MINUTE],
      [['10 seconds', 'interval 10 second', "interval '10' second"], 10 * SECOND],
      [['1 years', 'interval 1 year', "interval '1' year"], 12 * DAYS_PER_MONTH * DAY],
      [['1 months', 'interval 1 month', "interval '1' month"], DAYS_PER_MONTH * DAY],
      [['1 day 2 hours 3 minutes 4 seconds', ' interval 1 day 2 hours 3 minutes 4 seconds',
        "\tinterval '1' day '2' hours '3' minutes '4' seconds", "interval '1 2:3:4' day to second"],
      DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND],
      [[' 1 year 2 months', 'interval 1 year 2 month', "interval '1' year '2' month", "\tinterval '1-2' year to month"],
        (12 * DAYS_PER_MONTH + 2 * DAYS_PER_MONTH) * DAY],
    ];
    for (const [variants, expectedMs] of cases) {
      for (const d of variants) {
        expect(parseWatermarkDelay(d), JSON.stringify(d)).toBe(expectedMs);
        // The delay reaches the plan: withWatermark accepts it.
        expect(() => new MemoryStream(session, schema).toDF().withWatermark('eventTime', d).schema, JSON.stringify(d)).not.toThrow();
      }
    }
    // Invalid interval patterns
    for (const d of ['1 foo', 'interva 2 day', "intrval '3' day", 'interval 4 foo', "interval '5' foo",
      "interval '1 2:3:4' day to hour", "interval '1 2' year to month"]) {
      expect(() => new MemoryStream(session, schema).toDF().withWatermark('eventTime', d), d).toThrow(AnalysisError);
    }
  });
});

/** Spark's StateStoreMetricsTest.assertNumStateRows: total from the last progress, the rest summed since the last check. */
class MetricsCheck {
  private seen = 0;
  constructor(private readonly q: StreamingQuery) {}
  rows(): { total: number; updated: number; droppedByWatermark: number; removed: number } {
    const ps = this.q.recentProgress.slice(this.seen).map(op0);
    this.seen = this.q.recentProgress.length;
    const sum = (f: (o: StateOperatorProgress) => number) => ps.reduce((a, o) => a + f(o), 0);
    return { total: ps.at(-1)!.numRowsTotal, updated: sum((o) => o.numRowsUpdated), droppedByWatermark: sum((o) => o.numRowsDroppedByWatermark), removed: sum((o) => o.numRowsRemoved) };
  }
  /** Spark's assertStateOperatorCustomMetric: the metric summed over the progress since the last check. */
  custom(metric: string): number {
    const ps = this.q.recentProgress.slice(this.seen).map(op0);
    this.seen = this.q.recentProgress.length;
    return ps.reduce((a, o) => a + (o.customMetrics[metric] ?? 0), 0);
  }
}

/** A dropDuplicates query over a MemoryStream, with CheckNewAnswer of the mapped rows. */
async function dedupTest<R>(rowSchema: ReturnType<typeof T.struct>, build: (df: DataFrame) => DataFrame, map: (r: Record<string, unknown>) => R) {
  const input = new MemoryStream(session, rowSchema);
  const out: R[] = [];
  let seen = 0;
  const q = await build(input.toDF()).writeStream.outputMode('append').queryName(`spark-dedup-${queries++}`)
    .foreachBatch((b) => { for (const r of b.collect()) out.push(map(r)); }).start();
  return {
    q, metrics: new MetricsCheck(q),
    add: async (rows: Record<string, unknown>[]) => { input.addData(rows); await q.processAllAvailable(); },
    newAnswer: (): R[] => { const r = out.slice(seen); seen = out.length; return r; },
  };
}

const byValue = (r: Record<string, unknown>) => Number(r.value);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const repeat = (times: number, from: number, to: number) => Array.from({ length: times }, () => Array.from({ length: to - from + 1 }, (_, k) => from + k)).flat();

describe('StreamingDeduplicationSuite', () => {

  it('"deduplicate with watermark"', async () => {
    const t = await dedupTest(schema, (df) => df.withWatermark('eventTime', '10 seconds').dropDuplicates(), byValue);
    await t.add(rowsOf(repeat(5, 10, 15)));
    expect(sorted(t.newAnswer())).toEqual([10, 11, 12, 13, 14, 15]);
    expect(t.metrics.rows()).toMatchObject({ total: 6, updated: 6 });
    await t.add(rowsOf([25])); // Advance watermark to 15 secs, no-data-batch drops rows <= 15
    expect(t.newAnswer()).toEqual([25]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 1 });
    await t.add(rowsOf([10])); // Should not emit anything as data less than watermark
    expect(t.newAnswer()).toEqual([]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 0, droppedByWatermark: 1 });
    await t.add(rowsOf([45])); // Advance watermark to 35 seconds, no-data-batch drops row 25
    expect(t.newAnswer()).toEqual([45]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 1 });
    await t.q.stop();
  });

  it('"SPARK-35896: metrics in StateOperatorProgress are output correctly" (without the shuffle-partition metrics)', async () => {
    const t = await dedupTest(schema, (df) => df.withWatermark('eventTime', '10 seconds').dropDuplicates(), byValue);
    await t.add(rowsOf(repeat(5, 10, 15)));
    expect(sorted(t.newAnswer())).toEqual([10, 11, 12, 13, 14, 15]);
    expect(t.metrics.rows()).toEqual({ total: 6, updated: 6, droppedByWatermark: 0, removed: 0 });
    await t.add(rowsOf([25])); // Advance watermark to 15 secs, no-data-batch drops rows <= 15
    expect(t.newAnswer()).toEqual([25]);
    expect(t.metrics.rows()).toEqual({ total: 1, updated: 1, droppedByWatermark: 0, removed: 6 });
    await t.add(rowsOf([10])); // Should not emit anything as data less than watermark
    expect(t.newAnswer()).toEqual([]);
    expect(t.metrics.rows()).toEqual({ total: 1, updated: 0, droppedByWatermark: 1, removed: 0 });
    await t.q.stop();
  });

  it('"deduplicate with some columns" and "deduplicate with all columns"', async () => {
    const s2 = T.struct({ _1: T.string, _2: T.long });
    const t = await dedupTest(s2, (df) => df.dropDuplicates('_1'), (r) => [r._1, Number(r._2)]);
    await t.add([{ _1: 'a', _2: 1n }]);
    expect(t.newAnswer()).toEqual([['a', 1]]);
    expect(t.metrics.rows()).toEqual({ total: 1, updated: 1, droppedByWatermark: 0, removed: 0 });
    await t.add([{ _1: 'a', _2: 2n }]); // Dropped
    expect(t.newAnswer()).toEqual([]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 0, droppedByWatermark: 0 });
    await t.add([{ _1: 'b', _2: 1n }]);
    expect(t.newAnswer()).toEqual([['b', 1]]);
    expect(t.metrics.rows()).toMatchObject({ total: 2, updated: 1, droppedByWatermark: 0 });
    await t.q.stop();

    const u = await dedupTest(T.struct({ value: T.string }), (df) => df.dropDuplicates(), (r) => r.value);
    await u.add([{ value: 'a' }]);
    expect(u.newAnswer()).toEqual(['a']);
    expect(u.metrics.rows()).toMatchObject({ total: 1, updated: 1 });
    await u.add([{ value: 'a' }]);
    expect(u.newAnswer()).toEqual([]);
    expect(u.metrics.rows()).toMatchObject({ total: 1, updated: 0 });
    await u.add([{ value: 'b' }]);
    expect(u.newAnswer()).toEqual(['b']);
    expect(u.metrics.rows()).toMatchObject({ total: 2, updated: 1 });
    await u.q.stop();
  });

  it('"SPARK-19841: watermarkPredicate should filter based on keys"', async () => {
    const s2 = T.struct({ time: T.timestamp, id: T.long });
    const rows = (pairs: [number, number][]) => pairs.map(([time, id]) => ({ time: new Date(time * 1000), id: BigInt(id) }));
    const t = await dedupTest(s2, (df) => df.withWatermark('time', '1 second').dropDuplicates('id', 'time'), (r) => Number(r.id));
    await t.add(rows([[1, 1], [1, 1], [1, 2]]));
    expect(sorted(t.newAnswer())).toEqual([1, 2]);
    await t.add(rows([[1, 1], [2, 3], [2, 4]]));
    expect(sorted(t.newAnswer())).toEqual([3, 4]);
    await t.add(rows([[1, 0], [1, 1], [3, 5], [3, 6]])); // Drop (1 -> 0, 1 -> 1) due to watermark
    expect(sorted(t.newAnswer())).toEqual([5, 6]);
    await t.add(rows([[1, 0], [4, 7]])); // Drop (1 -> 0) due to watermark
    expect(t.newAnswer()).toEqual([7]);
    await t.q.stop();
  });

  it('"SPARK-21546: dropDuplicates should ignore watermark when it\'s not a key"', async () => {
    const s2 = T.struct({ id: T.long, time: T.timestamp });
    const t = await dedupTest(s2, (df) => df.withWatermark('time', '1 second').dropDuplicates('id'),
      (r) => [Number(r.id), (r.time as Date).getTime() / 1000]);
    await t.add([[1, 1], [1, 2], [2, 2]].map(([id, time]) => ({ id: BigInt(id!), time: new Date(time! * 1000) })));
    expect(t.newAnswer()).toEqual([[1, 1], [2, 2]]);
    await t.q.stop();
  });

  // "multiple deduplicates", "deduplicate with aggregate - append / update / complete mode": in test/spark-multi-stateful.test.ts.
  it('"SPARK-35880: custom metric numDroppedDuplicateRows in state operator progress"', async () => {
    const s2 = T.struct({ _1: T.string, _2: T.long });
    const t = await dedupTest(s2, (df) => df.dropDuplicates('_1'), (r) => [r._1, Number(r._2)]);
    await t.add([{ _1: 'a', _2: 1n }]);
    expect(t.newAnswer()).toEqual([['a', 1]]);
    expect(t.metrics.custom('numDroppedDuplicateRows')).toBe(0);
    await t.add([{ _1: 'a', _2: 2n }, { _1: 'b', _2: 3n }]);
    expect(t.newAnswer()).toEqual([['b', 3]]);
    expect(t.metrics.custom('numDroppedDuplicateRows')).toBe(1);
    await t.add([{ _1: 'a', _2: 5n }, { _1: 'b', _2: 2n }, { _1: 'c', _2: 9n }]);
    expect(t.newAnswer()).toEqual([['c', 9]]);
    expect(t.metrics.custom('numDroppedDuplicateRows')).toBe(2);
    await t.q.stop();

    // with watermark
    const u = await dedupTest(schema, (df) => df.withWatermark('eventTime', '10 seconds').dropDuplicates(), byValue);
    await u.add(rowsOf(repeat(5, 10, 15)));
    expect(sorted(u.newAnswer())).toEqual([10, 11, 12, 13, 14, 15]);
    expect(u.metrics.custom('numDroppedDuplicateRows')).toBe(24);
    await u.add(rowsOf([14]));
    expect(u.newAnswer()).toEqual([]);
    expect(u.metrics.custom('numDroppedDuplicateRows')).toBe(1);
    await u.add(rowsOf([25])); // Advance watermark to 15 secs, no-data-batch drops rows <= 15
    expect(u.newAnswer()).toEqual([25]);
    expect(u.metrics.custom('numDroppedDuplicateRows')).toBe(0);
    await u.add(rowsOf([10])); // Should not emit anything as data less than watermark
    expect(u.newAnswer()).toEqual([]);
    expect(u.metrics.custom('numDroppedDuplicateRows')).toBe(0);
    await u.add(rowsOf([26, 26]));
    expect(u.newAnswer()).toEqual([26]);
    expect(u.metrics.custom('numDroppedDuplicateRows')).toBe(1);
    await u.q.stop();
  });
  it.skip('"SPARK-29438: ensure UNION doesn\'t lead streaming deduplication to use shifted partition IDs": needs union of streams', () => {});
  it.skip('"test no-data flag": spark.sql.streaming.noDataMicroBatches.enabled is not a sluice setting', () => {});
  it.skip('"deduplicate with file sink": covered by the Parquet sink\'s own tests; it has no event time', () => {});
});

describe('StreamingDeduplicationWithinWatermarkSuite', () => {
  const pairs = T.struct({ _1: T.string, _2: T.long, eventTime: T.timestamp });
  const pairRows = (ps: [string, number][]) => ps.map(([k, v]) => ({ _1: k, _2: BigInt(v), eventTime: new Date(v * 1000) }));
  const pair = (r: Record<string, unknown>): [string, number] => [r._1 as string, (r.eventTime as Date).getTime() / 1000];

  it('"deduplicate in batch DataFrame"', () => {
    const batch = session.createDataFrame([{ id: 1n }], T.struct({ id: T.long }));
    for (const df of [batch.dropDuplicatesWithinWatermark(), batch.withColumn('newcol', col('id')).dropDuplicatesWithinWatermark('newcol')]) {
      expect(() => df.schema).toThrow(AnalysisError);
      expect(() => df.schema).toThrow(/dropDuplicatesWithinWatermark is not supported.*batch DataFrames\/DataSets/);
    }
  });

  it('"deduplicate without event time column should result in error"', async () => {
    const input = new MemoryStream(session, T.struct({ value: T.string }));
    for (const df of [input.toDF().dropDuplicatesWithinWatermark(), input.toDF().withColumn('newcol', col('value')).dropDuplicatesWithinWatermark('newcol')]) {
      await expect(df.writeStream.format('memory').queryName(`dww-err-${queries++}`).start())
        .rejects.toThrow(/dropDuplicatesWithinWatermark is not supported.*streaming DataFrames\/DataSets without watermark/);
    }
  });
  it.skip('"deduplicate without event time column should result in error", its third case: the watermark is on the other side of a stream-stream join, which sluice lacks', () => {});

  it('"deduplicate with all columns with event time column in DataFrame"', async () => {
    const t = await dedupTest(schema, (df) => df.withWatermark('eventTime', '10 seconds').dropDuplicatesWithinWatermark(), byValue);
    // Advance watermark to 5 secs, no-data-batch does not drop state rows
    await t.add(rowsOf(repeat(5, 10, 15)));
    expect(sorted(t.newAnswer())).toEqual([10, 11, 12, 13, 14, 15]);
    expect(t.metrics.rows()).toMatchObject({ total: 6, updated: 6 });
    // Advance watermark to 7 secs, no-data-batch does not drop state rows
    await t.add(rowsOf([13, 14, 15, 16, 17]));
    expect(sorted(t.newAnswer())).toEqual([16, 17]); // 13 to 15 are duplicated
    expect(t.metrics.rows()).toMatchObject({ total: 8, updated: 2 });
    await t.add(rowsOf([5])); // Should not emit anything as data less than watermark
    expect(t.newAnswer()).toEqual([]);
    expect(t.metrics.rows()).toMatchObject({ total: 8, updated: 0, droppedByWatermark: 1 });
    // Advance watermark to 25 secs, no-data-batch drops state rows having expired time <= 25
    await t.add(rowsOf([35]));
    expect(t.newAnswer()).toEqual([35]);
    expect(t.metrics.rows()).toMatchObject({ total: 3, updated: 1 });
    // Advance watermark to 45 seconds, no-data-batch drops state rows having expired time <= 45
    await t.add(rowsOf([55]));
    expect(t.newAnswer()).toEqual([55]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 1 });
    await t.q.stop();
  });

  const subsetCase = async () => {
    const t = await dedupTest(pairs, (df) => df.withWatermark('eventTime', '2 seconds').dropDuplicatesWithinWatermark('_1'), pair);
    // Advances watermark to 15
    await t.add(pairRows([['a', 17]]));
    expect(t.newAnswer()).toEqual([['a', 17]]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 1 }); // expired time is set to 19
    await t.add(pairRows([['a', 16]])); // Watermark does not advance
    expect(t.newAnswer()).toEqual([]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 0 });
    // Watermark does not advance; should not emit anything as data less than watermark
    await t.add(pairRows([['a', 13]]));
    expect(t.newAnswer()).toEqual([]);
    expect(t.metrics.rows()).toMatchObject({ total: 1, updated: 0, droppedByWatermark: 1 });
    // Advances watermark to 20. no-data batch drops state row ("a" -> 19)
    await t.add(pairRows([['b', 22], ['c', 21]]));
    expect(t.newAnswer()).toEqual([['b', 22], ['c', 21]]);
    expect(t.metrics.rows()).toMatchObject({ total: 2, updated: 2 }); // expired time is set to 24 and 23
    // Watermark does not advance; "a" is identified as new event since previous batch dropped state row ("a" -> 19)
    await t.add(pairRows([['a', 21]]));
    expect(t.newAnswer()).toEqual([['a', 21]]);
    expect(t.metrics.rows()).toMatchObject({ total: 3, updated: 1 }); // expired time is set to 23
    // Advances watermark to 23. no-data batch drops state row ("a" -> 23), ("c" -> 23)
    await t.add(pairRows([['d', 25]]));
    expect(t.newAnswer()).toEqual([['d', 25]]);
    expect(t.metrics.rows()).toMatchObject({ total: 2, updated: 1 });
    await t.q.stop();
  };
  it('"deduplicate with subset of columns which event time column is not in subset"', subsetCase);
  it('issue 12 item 4: with a 2 s delay, (a,17), (x,20), (a,20) emits a once (dropDuplicates would keep no watermark on _1)', async () => {
    const t = await dedupTest(pairs, (df) => df.withWatermark('eventTime', '2 seconds').dropDuplicatesWithinWatermark('_1'), pair);
    for (const p of [['a', 17], ['x', 20], ['a', 20]] as [string, number][]) await t.add(pairRows([p]));
    expect(t.newAnswer()).toEqual([['a', 17], ['x', 20]]);
    await t.q.stop();
  });
  it.skip('"incremental cleanup factor does not change dropDuplicatesWithinWatermark output": spark.sql.streaming.stateStore.incrementalCleanupFactor is not a sluice setting (the case\'s answers are those of the subset case above)', () => {});

  it('"SPARK-39650: duplicate with specific keys should allow input to change schema"', async () => {
    const cp = tmpDir('spark-dww-schema');
    const run = async <R>(rowSchema: ReturnType<typeof T.struct>, earlier: Record<string, unknown>[][], map: (r: Record<string, unknown>) => R) => {
      const input = new MemoryStream(session, rowSchema);
      for (const rows of earlier) input.addData(rows);
      const out: R[] = [];
      const q = await input.toDF().withWatermark('eventTime', '10 seconds').dropDuplicatesWithinWatermark('_1')
        .writeStream.option('checkpointLocation', cp).foreachBatch((b) => { for (const r of b.collect()) out.push(map(r)); }).start();
      return { input, out, q };
    };
    const first = await run(pairs, [], pair);
    first.input.addData(pairRows([['a', 1]])); await first.q.processAllAvailable();
    expect(first.out).toEqual([['a', 1]]);
    first.input.addData(pairRows([['a', 2], ['b', 3]])); await first.q.processAllAvailable();
    expect(first.out.slice(1)).toEqual([['b', 3]]);
    await first.q.stop();
    const triples = T.struct({ _1: T.string, _2: T.long, eventTime: T.timestamp, _3: T.string });
    const tri = (ps: [string, number, string][]) => ps.map(([k, v, x]) => ({ _1: k, _2: BigInt(v), eventTime: new Date(v * 1000), _3: x }));
    // initialize new memory stream with previously executed batches
    const second = await run(triples, [tri([['a', 1, 'dummy']]), tri([['a', 2, 'dummy'], ['b', 3, 'dummy']])],
      (r) => [r._1, (r.eventTime as Date).getTime() / 1000, r._3]);
    second.input.addData(tri([['a', 5, 'a'], ['b', 2, 'b'], ['c', 9, 'c']])); await second.q.processAllAvailable();
    expect(second.out).toEqual([['c', 9, 'c']]);
    await second.q.stop();
  });

  it('"SPARK-50492: drop event time column after dropDuplicatesWithinWatermark"', async () => {
    const t = await dedupTest(T.struct({ _1: T.long, _2: T.long, first: T.timestamp }),
      (df) => df.withWatermark('first', '10 seconds').dropDuplicatesWithinWatermark('_2').select('_2'), (r) => Number(r._2));
    await t.add([{ _1: 1n, _2: 2n, first: new Date(1000) }]);
    expect(t.newAnswer()).toEqual([2]);
    await t.q.stop();
  });
  it.skip('"SPARK-46676: canonicalization of StreamingDeduplicateWithinWatermarkExec should work": tests Spark\'s plan canonicalization, which sluice has no counterpart of', () => {});
  it.skip('"Partition key extraction - DedupeWithinWatermark": tests Spark\'s state partition-key extractor; sluice\'s state has one partition', () => {});
});

describe('StreamingSessionWindowSuite', () => {
  // Spark's sessionWindowQuery splits each line into words (explode(split(value, ' '))), one event per
  // word at the line's time, then groupBy(session_window(eventTime, 10 s).as('session'), sessionId)
  // .agg(count(*)) with a 30 s watermark. sluice has no explode: the test adds one row per word, at the
  // line's time and in the line's batch, which is the same input to the aggregation. Answers are
  // (sessionId, start s, end s, end - start, numEvents) as Spark's selectExpr gives them.
  type Session5 = [string, number, number, number, number];
  const words = T.struct({ sessionId: T.string, eventTime: T.timestamp });
  const lines = (...ls: [string, number][]) => ls.flatMap(([text, sec]) => text.split(' ').map((w) => ({ sessionId: w, eventTime: new Date(sec * 1000) })));
  const sessionQuery = (df: DataFrame) => df.withWatermark('eventTime', '30 seconds')
    .groupBy(session_window(col('eventTime'), '10 seconds').alias('session'), col('sessionId')).agg(count('*').alias('numEvents'));
  const toSession = (r: Record<string, unknown>): Session5 => {
    const w = r.session as { start: Date; end: Date };
    const start = w.start.getTime() / 1000, end = w.end.getTime() / 1000;
    return [r.sessionId as string, start, end, end - start, Number(r.numEvents)];
  };
  const order = (xs: Session5[]) => [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  async function sessionTest(mode: OutputMode) {
    const input = new MemoryStream(session, words);
    const batches: Session5[][] = [];
    let seen = 0;
    const q = await sessionQuery(input.toDF()).writeStream.outputMode(mode).queryName(`spark-session-${queries++}`)
      .foreachBatch((b) => { batches.push(b.collect().map(toSession)); }).start();
    return {
      q,
      add: async (...ls: [string, number][]) => { input.addData(lines(...ls)); await q.processAllAvailable(); },
      /** CheckNewAnswer: in complete mode the last batch (the whole result), else the rows since the last check. */
      newAnswer: (): Session5[] => {
        const rows = mode === 'complete' ? batches.at(-1) ?? [] : batches.slice(seen).flat();
        seen = batches.length;
        return order(rows);
      },
      /** Spark's assertNumRowsDroppedByWatermark: the last progress with input. */
      droppedByWatermark: () => op0(q.recentProgress.filter((p) => p.numInputRows > 0).at(-1)!).numRowsDroppedByWatermark,
    };
  }

  it('"complete mode - session window"', async () => {
    const t = await sessionTest('complete');
    await t.add(['hello world spark streaming', 40], ['world hello structured streaming', 41]);
    expect(t.newAnswer()).toEqual(order([
      ['hello', 40, 51, 11, 2], ['world', 40, 51, 11, 2], ['streaming', 40, 51, 11, 2], ['spark', 40, 50, 10, 1], ['structured', 41, 51, 10, 1],
    ]));
    // placing new sessions "before" previous sessions
    await t.add(['spark streaming', 25]);
    expect(t.newAnswer()).toEqual(order([
      ['spark', 25, 35, 10, 1], ['streaming', 25, 35, 10, 1],
      ['hello', 40, 51, 11, 2], ['world', 40, 51, 11, 2], ['streaming', 40, 51, 11, 2], ['spark', 40, 50, 10, 1], ['structured', 41, 51, 10, 1],
    ]));
    // concatenating multiple previous sessions into one
    await t.add(['spark streaming', 30]);
    expect(t.newAnswer()).toEqual(order([
      ['spark', 25, 50, 25, 3], ['streaming', 25, 51, 26, 4], ['hello', 40, 51, 11, 2], ['world', 40, 51, 11, 2], ['structured', 41, 51, 10, 1],
    ]));
    // placing new sessions after previous sessions
    await t.add(['hello apache spark', 60]);
    expect(t.newAnswer()).toEqual(order([
      ['spark', 25, 50, 25, 3], ['streaming', 25, 51, 26, 4], ['hello', 40, 51, 11, 2], ['world', 40, 51, 11, 2], ['structured', 41, 51, 10, 1],
      ['hello', 60, 70, 10, 1], ['apache', 60, 70, 10, 1], ['spark', 60, 70, 10, 1],
    ]));
    await t.add(['structured streaming', 90]);
    expect(t.newAnswer()).toEqual(order([
      ['spark', 25, 50, 25, 3], ['streaming', 25, 51, 26, 4], ['hello', 40, 51, 11, 2], ['world', 40, 51, 11, 2], ['structured', 41, 51, 10, 1],
      ['hello', 60, 70, 10, 1], ['apache', 60, 70, 10, 1], ['spark', 60, 70, 10, 1], ['structured', 90, 100, 10, 1], ['streaming', 90, 100, 10, 1],
    ]));
    await t.q.stop();
  });

  it('"append mode - session window"', async () => {
    const t = await sessionTest('append');
    await t.add(['hello world spark streaming', 40], ['world hello structured streaming', 41]);
    expect(t.newAnswer()).toEqual([]); // watermark: 11
    await t.add(['spark streaming', 25]); // placing new sessions "before" previous sessions
    expect(t.newAnswer()).toEqual([]);
    // late event which session's end 10 would be later than watermark 11: should be dropped
    await t.add(['spark streaming', 0]);
    expect(t.newAnswer()).toEqual([]);
    expect(t.droppedByWatermark()).toBe(2);
    await t.add(['spark streaming', 30]); // concatenating multiple previous sessions into one
    expect(t.newAnswer()).toEqual([]);
    await t.add(['hello apache spark', 60]); // placing new sessions after previous sessions; watermark: 30
    expect(t.newAnswer()).toEqual([]);
    await t.add(['structured streaming', 90]); // watermark: 60
    expect(t.newAnswer()).toEqual(order([
      ['spark', 25, 50, 25, 3], ['streaming', 25, 51, 26, 4], ['hello', 40, 51, 11, 2], ['world', 40, 51, 11, 2], ['structured', 41, 51, 10, 1],
    ]));
    await t.q.stop();
  });

  // Spark's sessionWindowQueryOnGlobalKey: value seconds as eventTime, 10 s watermark, groupBy(session_window(5 s)) only.
  const globalSession = () => new MemoryStream(session, schema).toDF().withWatermark('eventTime', '10 seconds')
    .groupBy(session_window(col('eventTime'), '5 seconds').alias('session')).agg(count('*').alias('count'), sum('value').alias('sum'));
  it('"complete mode - session window - no key" and "append mode - session window - no key"', async () => {
    for (const mode of ['complete', 'append'] as const) {
      const started = globalSession().writeStream.outputMode(mode).foreachBatch(() => undefined).start();
      await expect(started, mode).rejects.toThrow(/Global aggregation with session window.*not supported/i);
    }
  });
  it('"update mode - session window" and "update mode - session window - no key"', async () => {
    for (const df of [sessionQuery(new MemoryStream(session, words).toDF()), globalSession()]) {
      await expect(df.writeStream.outputMode('update').foreachBatch(() => undefined).start()).rejects.toThrow(AnalysisError);
      await expect(df.writeStream.outputMode('update').foreachBatch(() => undefined).start()).rejects.toThrow(/Update output mode.*not supported.*for session window/i);
    }
  });

  it('"session window with first/last function" (min_by(t, t) and max_by(t, t) as min(t) and max(t))', async () => {
    const input = new MemoryStream(session, words);
    const out: [string, number, number, number, number][] = [];
    const q = await input.toDF().withWatermark('eventTime', '30 seconds')
      .groupBy(session_window(col('eventTime'), '10 seconds').alias('session'), col('sessionId'))
      .agg(min('eventTime').alias('minTime'), max('eventTime').alias('maxTime'))
      .writeStream.outputMode('append').foreachBatch((b) => {
        for (const r of b.collect()) {
          const w = r.session as { start: Date; end: Date }, sec = (d: unknown) => (d as Date).getTime() / 1000;
          out.push([r.sessionId as string, sec(w.start), sec(w.end), sec(r.minTime), sec(r.maxTime)]);
        }
      }).start();
    for (const [w, t] of [['a', 41], ['a', 42], ['a', 40]] as [string, number][]) { input.addData(lines([w, t])); await q.processAllAvailable(); }
    expect(out).toEqual([]);
    input.addData(lines(['b', 100])); await q.processAllAvailable(); // Move the watermark past the end of the session.
    input.addData(lines(['b', 101])); await q.processAllAvailable(); // Trigger the session production.
    expect(out).toEqual([['a', 40, 52, 40, 42]]);
    await q.stop();
  });

  it.skip('"complete mode - session window - nested tuple key" / "... - multiple col key" and their dynamic-gap variants: need arrays_zip and struct grouping keys, which sluice lacks', () => {});
  it.skip('"SPARK-36465: dynamic gap duration": the gap is a fixed duration in sluice, not an expression (no UDFs)', () => {});
  it.skip('"session window - with more aggregation functions and UDAFs": median, stddev, variance and UDAFs are not sluice aggregates', () => {});
  it.skip('"session window with async state checkpointing": a Databricks state store setting', () => {});
  it.skip('testWithAllOptions\'s variants (merging sessions in the local partition, HDFS or RocksDB provider): sluice has one session operator and one store; each case is ported once', () => {});
});

describe('StreamingQueryListenerSuite', () => {
  /** Spark's EventCollector: checks onQueryStarted comes first, keeps progress with input. */
  class EventCollector {
    startEvent: { id: string; runId: string; name: string | null } | null = null;
    terminationEvent: { id: string; runId: string; exception: string | null } | null = null;
    private readonly all: StreamingQueryProgress[] = [];
    readonly errors: string[] = [];
    get progressEvents() { return this.all.filter((p) => p.numInputRows > 0); }
    reset() { this.startEvent = null; this.terminationEvent = null; this.all.length = 0; this.errors.length = 0; }
    onQueryStarted(e: { id: string; runId: string; name: string | null }) { this.startEvent = e; }
    onQueryProgress(e: { progress: StreamingQueryProgress }) {
      if (!this.startEvent) this.errors.push('onQueryProgress called before onQueryStarted');
      this.all.push(e.progress);
    }
    onQueryTerminated(e: { id: string; runId: string; exception: string | null }) {
      if (!this.startEvent) this.errors.push('onQueryTerminated called before onQueryStarted');
      this.terminationEvent = e;
    }
  }
  const ints = T.struct({ value: T.int });
  const waitFor = async (cond: () => boolean) => { for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25)); };

  it('"single listener, check trigger events are generated correctly" (the failing batch throws in foreachBatch, as 10 / 0 throws in Spark\'s map)', async () => {
    const input = new MemoryStream(session, ints);
    const listener = new EventCollector();
    session.streams.addListener(listener);
    try {
      // No events until started
      expect([listener.startEvent, listener.progressEvents, listener.terminationEvent]).toEqual([null, [], null]);
      const start = () => input.toDF().writeStream.queryName(`listener-${queries++}`).trigger({ processingTime: 100 }).foreachBatch((b) => {
        for (const r of b.collect()) if (r.value === 0) throw new Error('ArithmeticException: / by zero');
      }).start();
      let q = await start();
      // Start event generated when query started
      expect(listener.startEvent).toMatchObject({ id: q.id, runId: q.runId, name: q.name });
      expect(listener.progressEvents).toEqual([]);
      expect(listener.terminationEvent).toBeNull();
      // Progress event generated when data processed
      input.addData([{ value: 1 }, { value: 2 }]);
      await q.processAllAvailable();
      expect(listener.progressEvents.length).toBeGreaterThan(0);
      expect(JSON.stringify(listener.progressEvents.at(-1))).toBe(JSON.stringify(q.lastProgress));
      expect(listener.terminationEvent).toBeNull();
      // Termination event generated when stopped cleanly
      await q.stop();
      await waitFor(() => listener.terminationEvent !== null);
      expect(listener.terminationEvent).toEqual({ id: q.id, runId: q.runId, exception: null });
      expect(listener.errors).toEqual([]);
      listener.reset();
      // Termination event generated with exception message when stopped with error
      q = await start();
      input.addData([{ value: 0 }]);
      await expect(q.awaitTermination()).rejects.toThrow();
      await waitFor(() => listener.terminationEvent !== null);
      expect(listener.terminationEvent!.id).toBe(q.id);
      expect(listener.terminationEvent!.exception).toContain('ArithmeticException');
      expect(listener.terminationEvent!.exception).not.toContain('StreamingQueryException');
      expect(listener.errors).toEqual([]);
    } finally {
      session.streams.removeListener(listener);
    }
  });

  it('"adding and removing listener"', async () => {
    const isListenerActive = async (l: EventCollector) => {
      l.reset();
      const q = await new MemoryStream(session, ints).toDF().writeStream.foreachBatch(() => undefined).start();
      await q.stop();
      return l.startEvent !== null;
    };
    const listener1 = new EventCollector(), listener2 = new EventCollector();
    try {
      session.streams.addListener(listener1);
      expect(await isListenerActive(listener1)).toBe(true);
      expect(await isListenerActive(listener2)).toBe(false);
      session.streams.addListener(listener2);
      expect(await isListenerActive(listener1)).toBe(true);
      expect(await isListenerActive(listener2)).toBe(true);
      session.streams.removeListener(listener1);
      expect(await isListenerActive(listener1)).toBe(false);
      expect(await isListenerActive(listener2)).toBe(true);
    } finally {
      session.streams.removeListener(listener1);
      session.streams.removeListener(listener2);
    }
  });

  it('"event ordering" (20 rounds; Spark runs 100): onQueryStarted before start() returns, nothing before it', async () => {
    const listener = new EventCollector();
    session.streams.addListener(listener);
    try {
      for (let i = 1; i <= 20; i++) {
        listener.reset();
        const q = await new MemoryStream(session, ints).toDF().writeStream.foreachBatch(() => undefined).start();
        expect(listener.startEvent, 'onQueryStarted not called before query returned').not.toBeNull();
        await q.stop();
        expect(listener.errors).toEqual([]);
      }
    } finally {
      session.streams.removeListener(listener);
    }
  });
  it.skip('"QueryStartedEvent / QueryProgressEvent / QueryTerminatedEvent serialization" and "ReplayListenerBus should ignore broken event jsons": Spark\'s event-log JSON protocol, which sluice does not write', () => {});
});

describe('StreamingQuerySuite', () => {
  it('"lastProgress should be null when recentProgress is empty"', async () => {
    const q = await new MemoryStream(session, schema).toDF().writeStream.foreachBatch(() => undefined).start();
    expect(q.recentProgress).toEqual([]);
    expect(q.lastProgress).toBeNull();
    await q.stop();
  });

  it('"query statuses and progresses in lastProgress and recentProgress", its clock-free assertions', async () => {
    // Spark's query: a global count over a MemoryStream (one state row), CheckAnswer(2) then CheckAnswer(4).
    const input = new MemoryStream(session, schema);
    const q = await input.toDF().groupBy().agg(count('*').alias('count')).writeStream.outputMode('complete')
      .format('memory').queryName(`statuses-${queries++}`).start();
    input.addData(rowsOf([1, 2]));
    await q.processAllAvailable();
    expect(q.lastProgress).not.toBeNull();
    expect(q.recentProgress.some((p) => p.numInputRows > 0)).toBe(true);
    expect(q.recentProgress.at(-1)).toBe(q.lastProgress);
    const progress = q.lastProgress!;
    expect([progress.id, progress.name, progress.batchId, progress.numInputRows]).toEqual([q.id, q.name, 0, 2]);
    expect(progress.sources.length).toBe(1);
    expect(progress.sources[0]!.description).toContain('MemoryStream');
    expect(progress.stateOperators.length).toBe(1);
    expect([op0(progress).numRowsUpdated, op0(progress).numRowsTotal]).toEqual([1, 1]);
    expect(progress.sink.description).toContain('MemorySink');
    // Test whether input rate is updated after two batches
    input.addData(rowsOf([1, 2]));
    await q.processAllAvailable();
    expect(q.recentProgress.at(-1)).toBe(q.lastProgress);
    expect(q.lastProgress!.batchId).toBe(1);
    const before = JSON.stringify(q.lastProgress);
    await q.stop();
    expect(JSON.stringify(q.lastProgress)).toBe(before); // progress after query stopped
  });
  it.skip('"query statuses and progresses ...": its durations and rates (a manual clock sluice lacks), status messages (sluice has no status), and MemoryStream offsets (Spark\'s name the last chunk, null then "0"; sluice\'s count chunks, 0 then 1)', () => {});

  it('"input row calculation with mixed batch and streaming V2 sources" (its first query)', async () => {
    const streamInput = new MemoryStream(session, T.struct({ value: T.int }));
    const staticInput = session.createDataFrame([{ value: 1, anotherValue: '1' }, { value: 2, anotherValue: '2' }], T.struct({ value: T.int, anotherValue: T.string }));
    const q = await streamInput.toDF().join(staticInput, 'value').writeStream.foreachBatch(() => undefined).start();
    streamInput.addData([{ value: 1 }, { value: 2 }, { value: 3 }]);
    await q.processAllAvailable();
    const last = q.recentProgress.filter((p) => p.numInputRows > 0).at(-1)!;
    expect([last.numInputRows, last.sources.length, last.sources[0]!.numInputRows]).toEqual([3, 1, 3]);
    await q.stop();
  });
  it.skip('"input row calculation" with self-join, self-union, two sources or a cached union: need union and stream-stream joins', () => {});
  it.skip('"codahale metrics", "SPARK-22975: MetricsReporter defaults": Dropwizard metrics; sluice exports Prometheus from its web UI instead', () => {});
  it.skip('the rest of the suite (stop/awaitTermination with a manual clock, explain, DataSource V1/V2 specifics, Trigger.Continuous, SparkSession cloning): features sluice does not have; the no-data batch contract is ported in StreamingAggregationSuite "state metrics - append mode" above', () => {});
});
