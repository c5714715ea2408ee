// union / unionByName of two streams (issue 13), and the cases of Spark's EventTimeWatermarkSuite
// that need them: "watermark with 2 streams" and "MultipleWatermarkPolicy: min" / "max", with
// Spark's expected answers (apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/).
import { describe, expect, it } from 'vitest';
import { AnalysisError } from '../src/errors.ts';
import { Session, MemoryStream, col, sum, types as T, type DataFrame, type StreamingQuery } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('union-test').getOrCreate();
let queries = 0;

/** Runs `df` to a memory table until `feed` has added everything; returns the table's rows. */
async function collect(df: DataFrame, feed: () => void): Promise<Record<string, unknown>[]> {
  const name = `union_${queries++}`;
  const q = await df.writeStream.format('memory').queryName(name).start();
  feed();
  await q.processAllAvailable();
  await q.stop();
  return session.table(name).collect();
}

describe('union / unionByName of two streams', () => {
  const ab = T.struct({ a: T.int, b: T.string });
  it('union: the rows of both, columns by position, names from the left side, UNION ALL', async () => {
    const s1 = new MemoryStream(session, ab), s2 = new MemoryStream(session, T.struct({ x: T.long, y: T.string }));
    const rows = await collect(s1.toDF().union(s2.toDF()), () => {
      s1.addData([{ a: 1, b: 'one' }, { a: 2, b: 'two' }]);
      s2.addData([{ x: 2n, y: 'two' }, { x: 3n, y: null }]);
    });
    // int and long widen to long, as Spark's WidenSetOperationTypes; duplicates stay (UNION ALL).
    expect(rows.sort((p, q) => Number(p.a) - Number(q.a))).toEqual([
      { a: 1n, b: 'one' }, { a: 2n, b: 'two' }, { a: 2n, b: 'two' }, { a: 3n, b: null },
    ]);
  });

  it('unionByName matches columns by name; allowMissingColumns fills a missing one with null (PySpark docstring)', async () => {
    // df1 = [[1, 2, 3]] ["col0", "col1", "col2"]; df2 = [[4, 5, 6]] ["col1", "col2", "col3"]
    // df1.unionByName(df2, allowMissingColumns=True) -> (1, 2, 3, NULL), (NULL, 4, 5, 6)
    const s1 = new MemoryStream(session, T.struct({ col0: T.long, col1: T.long, col2: T.long }));
    const s2 = new MemoryStream(session, T.struct({ col1: T.long, col2: T.long, col3: T.long }));
    const rows = await collect(s1.toDF().unionByName(s2.toDF(), true), () => {
      s1.addData([{ col0: 1n, col1: 2n, col2: 3n }]);
      s2.addData([{ col1: 4n, col2: 5n, col3: 6n }]);
    });
    expect(rows.sort((p, q) => Number(p.col1) - Number(q.col1))).toEqual([
      { col0: 1n, col1: 2n, col2: 3n, col3: null }, { col0: null, col1: 4n, col2: 5n, col3: 6n },
    ]);
    // df1 = ["col0", "col1", "col2"] (1, 2, 3); df2 = ["col1", "col2", "col0"] (4, 5, 6) -> (1, 2, 3), (6, 4, 5)
    const t1 = new MemoryStream(session, T.struct({ col0: T.long, col1: T.long, col2: T.long }));
    const t2 = new MemoryStream(session, T.struct({ col1: T.long, col2: T.long, col0: T.long }));
    const byName = await collect(t1.toDF().unionByName(t2.toDF()), () => {
      t1.addData([{ col0: 1n, col1: 2n, col2: 3n }]);
      t2.addData([{ col1: 4n, col2: 5n, col0: 6n }]);
    });
    expect(byName.sort((p, q) => Number(p.col0) - Number(q.col0))).toEqual([{ col0: 1n, col1: 2n, col2: 3n }, { col0: 6n, col1: 4n, col2: 5n }]);
  });

  it('refuses what Spark refuses, with its reasons, at start()', () => {
    const s = new MemoryStream(session, ab).toDF();
    const three = new MemoryStream(session, T.struct({ a: T.int, b: T.string, c: T.int })).toDF();
    expect(() => s.union(three).schema).toThrow(AnalysisError);
    expect(() => s.union(three).schema).toThrow(/NUM_COLUMNS_MISMATCH.*first input has 2 columns and the second input has 3 columns/);
    const structs = new MemoryStream(session, T.struct({ a: T.struct({ x: T.int }), b: T.string })).toDF();
    expect(() => s.union(structs).schema).toThrow(/INCOMPATIBLE_COLUMN_TYPE.*The 1st column of the second table is "STRUCT<x: INT>" type which is not compatible with "INT"/);
    expect(() => s.unionByName(three).schema).toThrow(/the first input has no column 'c'.*allowMissingColumns/);
    const staticDf = session.createDataFrame([{ a: 1, b: 'x' }], ab);
    expect(() => s.union(staticDf).schema).toThrow(/Union between streaming and batch DataFrames\/Datasets is not supported/);
    expect(() => s.groupBy('b').count().union(s.groupBy('b').count()).schema).toThrow(/Union the inputs first, then aggregate/);
  });
});

// Spark builds eventTime as timestamp_seconds(value); here the MemoryStreams carry both columns.
const timed = T.struct({ value: T.long, eventTime: T.timestamp });
const rowsOf = (secs: readonly number[]) => secs.map((v) => ({ value: BigInt(v), eventTime: new Date(v * 1000) }));
const watermarkMs = (q: StreamingQuery): number => Date.parse(q.lastProgress!.eventTime.watermark!);

describe("Spark's EventTimeWatermarkSuite, through union", () => {
  it('"watermark with 2 streams"', async () => {
    const first = new MemoryStream(session, timed), second = new MemoryStream(session, timed);
    const firstDf = first.toDF().withWatermark('eventTime', '10 seconds').select('value');
    const secondDf = second.toDF().withWatermark('eventTime', '5 seconds').select('value');
    const cp = tmpDir('union-2-streams');
    const start = () => firstDf.union(secondDf).agg(sum('value')).writeStream.option('checkpointLocation', cp)
      .format('memory').outputMode('complete').queryName('union_2_streams').start();
    let union = await start();
    const getWatermarkAfterData = async (firstData: number[] = [], secondData: number[] = [], query = union): Promise<number> => {
      if (firstData.length) first.addData(rowsOf(firstData));
      if (secondData.length) second.addData(rowsOf(secondData));
      await query.processAllAvailable();
      // add a dummy batch so the last batch has the new watermark
      first.addData(rowsOf([0]));
      await query.processAllAvailable();
      return watermarkMs(query);
    };
    // Global watermark starts at 0 until we get data from both sides
    expect(await getWatermarkAfterData([11])).toBe(0);
    expect(await getWatermarkAfterData([], [6])).toBe(1000);
    // Global watermark stays at left watermark 1 when right watermark moves to 2
    expect(await getWatermarkAfterData([], [8])).toBe(1000);
    // Global watermark switches to right side value 2 when left watermark goes higher
    expect(await getWatermarkAfterData([21])).toBe(3000);
    // Global watermark goes back to left
    expect(await getWatermarkAfterData([], [17, 28, 39])).toBe(11000);
    // Global watermark stays on left as long as it's below right
    expect(await getWatermarkAfterData([31])).toBe(21000);
    expect(await getWatermarkAfterData([41])).toBe(31000);
    // Global watermark switches back to right again
    expect(await getWatermarkAfterData([51])).toBe(34000);
    // Global watermark is updated correctly with simultaneous data from both sides
    expect(await getWatermarkAfterData([100], [100])).toBe(90000);
    expect(await getWatermarkAfterData([120], [110])).toBe(105000);
    expect(await getWatermarkAfterData([130], [125])).toBe(120000);
    // Global watermark doesn't decrement with simultaneous data
    expect(await getWatermarkAfterData([100], [100])).toBe(120000);
    expect(await getWatermarkAfterData([140], [100])).toBe(120000);
    expect(await getWatermarkAfterData([100], [135])).toBe(130000);
    // Global watermark recovers after restart, but left side watermark ahead of it does not.
    expect(await getWatermarkAfterData([200], [190])).toBe(185000);
    await union.stop();
    union = await start();
    expect(await getWatermarkAfterData([], [], union)).toBe(185000);
    // Even though the left side was ahead of 185000 in the last execution, the watermark won't
    // increment until it gets past it in this execution.
    expect(await getWatermarkAfterData([], [200], union)).toBe(185000);
    expect(await getWatermarkAfterData([200], [], union)).toBe(190000);
    await union.stop();
  }, 60_000);

  // dfWithMultipleWatermarks: input1 with a 10 s watermark union input2 with a 15 s one, select value.
  async function policyCase(policy: 'min' | 'max') {
    const s = Session.builder().appName(`union-policy-${policy}`).config('spark.sql.streaming.multipleWatermarkPolicy', policy).getOrCreate();
    const input1 = new MemoryStream(s, timed), input2 = new MemoryStream(s, timed);
    const df = input1.toDF().withWatermark('eventTime', '10 seconds')
      .union(input2.toDF().withWatermark('eventTime', '15 seconds')).select('value');
    const cp = tmpDir(`union-policy-${policy}`);
    let last: number[] = [];
    const start = () => df.writeStream.option('checkpointLocation', cp).foreachBatch((b) => {
      const rows = b.collect().map((r) => Number(r.value));
      if (rows.length) last = rows.sort((x, y) => x - y);
    }).start();
    let q = await start();
    const add = async (one: number[], two: number[]): Promise<void> => {
      if (one.length) input1.addData(rowsOf(one));
      if (two.length) input2.addData(rowsOf(two));
      await q.processAllAvailable();
    };
    /** Spark's checkWatermark(input, w): input.addData(1), then the watermark that batch ran with, in seconds. */
    const watermark = async (which: 1 | 2): Promise<number> => {
      (which === 1 ? input1 : input2).addData(rowsOf([1]));
      await q.processAllAvailable();
      return watermarkMs(q) / 1000;
    };
    return { add, watermark, last: () => last, restart: async () => { await q.stop(); q = await start(); }, stop: () => q.stop() };
  }

  it('"MultipleWatermarkPolicy: max"', async () => {
    const t = await policyCase('max');
    await t.add([20], [30]);
    expect(t.last()).toEqual([20, 30]);
    expect(await t.watermark(1)).toBe(15); // max(20 - 10, 30 - 15) = 15
    await t.restart();
    expect(await t.watermark(1)).toBe(15); // watermark recovered correctly
    await t.add([120], [130]);
    expect(t.last()).toEqual([120, 130]);
    expect(await t.watermark(1)).toBe(115); // max(120 - 10, 130 - 15) = 115, policy recovered correctly
    await t.add([150], []);
    expect(t.last()).toEqual([150]);
    expect(await t.watermark(1)).toBe(140); // should advance even if one of the input has data
    await t.stop();
  }, 60_000);

  it('"MultipleWatermarkPolicy: min"', async () => {
    const t = await policyCase('min');
    await t.add([20], [30]);
    expect(t.last()).toEqual([20, 30]);
    expect(await t.watermark(1)).toBe(10); // min(20 - 10, 30 - 15) = 10
    await t.restart();
    expect(await t.watermark(1)).toBe(10); // watermark recovered correctly
    await t.add([120], [130]);
    expect(t.last()).toEqual([120, 130]);
    expect(await t.watermark(2)).toBe(110); // min(120 - 10, 130 - 15) = 110, policy recovered correctly
    await t.add([], [150]);
    expect(t.last()).toEqual([150]);
    expect(await t.watermark(2)).toBe(110); // does not advance when only one of the input has data
    await t.stop();
  }, 60_000);
});
