// orderBy/sort, limit, toDF, distinct on static DataFrames, checked against the examples of their
// PySpark docstrings (python/pyspark/sql/dataframe.py, column.py) with their expected answers; the
// streaming refusals; and StreamingAggregationSuite cases that need these verbs or static aggregation.
import { describe, expect, it } from 'vitest';
import {
  Session, MemoryStream, AnalysisError, col, asc, desc, count, sum, size, collect_set, explode, types as T, type DataFrame,
} from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('dataframe-order-test').getOrCreate();
const people = (rows: [number, string][]) => session.createDataFrame(rows.map(([age, name]) => ({ age, name })), T.struct({ age: T.long, name: T.string }));
const pairs = (df: DataFrame) => df.collect().map((r) => [Number(r.age), r.name]);

describe('DataFrame.sort / orderBy (PySpark docstring)', () => {
  const df = people([[2, 'Alice'], [5, 'Bob']]);
  it('asc and desc', () => {
    expect(pairs(df.sort(asc('age')))).toEqual([[2, 'Alice'], [5, 'Bob']]);
    expect(pairs(df.sort(desc('age')))).toEqual([[5, 'Bob'], [2, 'Alice']]);
    expect(pairs(df.orderBy(desc('age'), 'name'))).toEqual([[5, 'Bob'], [2, 'Alice']]);
    expect(pairs(df.sort(col('age').desc()))).toEqual([[5, 'Bob'], [2, 'Alice']]);
  });
  it('ascending= per column, and for all', () => {
    const three = people([[2, 'Alice'], [2, 'Bob'], [5, 'Bob']]);
    expect(pairs(three.orderBy(['age', 'name'], { ascending: [false, false] }))).toEqual([[5, 'Bob'], [2, 'Bob'], [2, 'Alice']]);
    expect(pairs(three.orderBy('age', 'name', { ascending: false }))).toEqual([[5, 'Bob'], [2, 'Bob'], [2, 'Alice']]);
    expect(() => three.orderBy(['age', 'name'], { ascending: [false] })).toThrow(/2 columns but 1 ascending flags/);
  });
  it('Column.asc_nulls_first and friends', () => {
    const df2 = session.createDataFrame([{ name: 'Tom', height: 80 }, { name: null, height: 60 }, { name: 'Alice', height: null }], T.struct({ name: T.string, height: T.int }));
    const names = (c: ReturnType<typeof col>) => df2.select('name').orderBy(c).collect().map((r) => r.name);
    expect(names(col('name').asc_nulls_first())).toEqual([null, 'Alice', 'Tom']);
    expect(names(col('name').asc_nulls_last())).toEqual(['Alice', 'Tom', null]);
    expect(names(col('name').desc_nulls_first())).toEqual([null, 'Tom', 'Alice']);
    expect(names(col('name').desc_nulls_last())).toEqual(['Tom', 'Alice', null]);
    // Spark's defaults: ascending puts nulls first, descending last.
    expect(names(col('name').asc())).toEqual([null, 'Alice', 'Tom']);
    expect(names(col('name').desc())).toEqual(['Tom', 'Alice', null]);
  });
  it('doubles (NaN largest, as Spark), decimals, timestamps, and ties keep their order', () => {
    const d = session.createDataFrame([{ x: 1.5, k: 1 }, { x: NaN, k: 2 }, { x: -2, k: 3 }, { x: 1.5, k: 4 }], T.struct({ x: T.double, k: T.int }));
    expect(d.orderBy('x').collect().map((r) => r.k)).toEqual([3, 1, 4, 2]);
    const m = session.createDataFrame([{ a: '10.50' }, { a: '-3.25' }, { a: '2.00' }], T.struct({ a: T.decimal(10, 2) }));
    expect(m.orderBy(desc('a')).collect().map((r) => r.a)).toEqual(['10.50', '2.00', '-3.25']);
    const t = session.createDataFrame([{ t: new Date(2000) }, { t: new Date(1000) }], T.struct({ t: T.timestamp }));
    expect(t.orderBy('t').collect().map((r) => (r.t as Date).getTime())).toEqual([1000, 2000]);
  });
  it('an expression key, and what follows the sort keeps the order', () => {
    const df3 = people([[3, 'c'], [1, 'a'], [2, 'b']]);
    expect(df3.orderBy(col('age').multiply(-1)).select('name').collect().map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(df3.orderBy('age').filter(col('age').gt(1)).collect().map((r) => r.name)).toEqual(['b', 'c']);
  });
  it('a stream is refused, with Spark\'s words and what to do instead', async () => {
    const s = new MemoryStream(session, T.struct({ value: T.int }));
    await expect(s.toDF().orderBy('value').writeStream.format('memory').queryName('order-stream').start())
      .rejects.toThrow(/Sorting is not supported on streaming DataFrames\/Datasets.*foreachBatch/);
    expect(() => s.toDF().select(col('value').desc())).not.toThrow();
    expect(() => s.toDF().select(col('value').desc()).schema).toThrow(AnalysisError);
  });
});

describe('limit, toDF, distinct (PySpark docstrings)', () => {
  const df = people([[14, 'Tom'], [23, 'Alice'], [16, 'Bob']]);
  it('limit', () => {
    expect(pairs(df.limit(1))).toEqual([[14, 'Tom']]);
    expect(df.limit(0).count()).toBe(0);
    expect(pairs(df.orderBy('age').limit(2))).toEqual([[14, 'Tom'], [16, 'Bob']]);
    expect(() => df.limit(-1).count()).toThrow(/whole number of rows/);
  });
  it('toDF', () => {
    expect(df.toDF('f1', 'f2').columns).toEqual(['f1', 'f2']);
    expect(df.toDF('f1', 'f2').collect()[0]).toEqual({ f1: 14n, f2: 'Tom' });
    expect(() => df.toDF('f1')).toThrow(/1 names for 2 columns/);
  });
  it('distinct', () => {
    expect(people([[14, 'Tom'], [23, 'Alice'], [23, 'Alice']]).distinct().count()).toBe(2);
  });
  it('coalesce, repartition and cache change nothing', () => {
    expect(pairs(df.coalesce(1).repartition(4, 'age').cache())).toEqual(pairs(df));
  });
});

describe('static aggregation (Spark runs groupBy on batch DataFrames)', () => {
  it('groupBy().agg() and distinct over a static DataFrame, and orderBy of the result', () => {
    const df = people([[2, 'Alice'], [2, 'Bob'], [5, 'Bob']]);
    expect(df.groupBy('age').agg(count('*').alias('n')).orderBy('age').collect()).toEqual([{ age: 2n, n: 2n }, { age: 5n, n: 1n }]);
    expect(df.groupBy('name').agg(sum('age').alias('total')).orderBy(desc('total')).collect()).toEqual([{ name: 'Bob', total: 7n }, { name: 'Alice', total: 2n }]);
  });
});

describe('StreamingAggregationSuite', () => {
  const ints = T.struct({ value: T.int });
  /** A groupBy(value).count() query on a checkpoint, over a MemoryStream already holding `before` (StartStream on the same stream). */
  async function countQuery(mode: 'update' | 'complete', cp: string, before: number[][] = []) {
    const input = new MemoryStream(session, ints);
    for (const b of before) input.addData(b.map((value) => ({ value })));
    let last: number[][] = [];
    const q = await input.toDF().groupBy(col('value')).agg(count('*')).writeStream.outputMode(mode).option('checkpointLocation', cp)
      .foreachBatch((b) => { last = b.collect().map((r) => [Number(r.value), Number(r['count(1)'])]).sort((x, y) => x[0]! - y[0]!); }).start();
    return { q, add: async (...v: number[]) => { input.addData(v.map((value) => ({ value }))); await q.processAllAvailable(); }, last: () => last };
  }

  it('"simple count, update mode" (StopStream, StartStream)', async () => {
    const cp = tmpDir('sas-update');
    const a = await countQuery('update', cp);
    await a.add(3);
    expect(a.last()).toEqual([[3, 1]]);
    await a.add(3, 2);
    expect(a.last()).toEqual([[2, 1], [3, 2]]);
    await a.q.stop();
    const b = await countQuery('update', cp, [[3], [3, 2]]);
    await b.add(3, 2, 1);
    expect(b.last()).toEqual([[1, 1], [2, 2], [3, 3]]);
    await b.add(4, 4, 4, 4);
    expect(b.last()).toEqual([[4, 4]]);
    await b.q.stop();
  });

  it('"simple count, complete mode" (StopStream, StartStream)', async () => {
    const cp = tmpDir('sas-complete');
    const a = await countQuery('complete', cp);
    await a.add(3);
    expect(a.last()).toEqual([[3, 1]]);
    await a.add(2);
    expect(a.last()).toEqual([[2, 1], [3, 1]]);
    await a.q.stop();
    const b = await countQuery('complete', cp, [[3], [2]]);
    await b.add(3, 2, 1);
    expect(b.last()).toEqual([[1, 1], [2, 2], [3, 2]]);
    await b.add(4, 4, 4, 4);
    expect(b.last()).toEqual([[1, 1], [2, 2], [3, 2], [4, 4]]);
    await b.q.stop();
  });

  it('"simple count, append mode": refused, the message says append is not supported', async () => {
    const input = new MemoryStream(session, ints);
    const e = await input.toDF().groupBy(col('value')).agg(count('*')).writeStream.outputMode('append').format('memory').queryName('sas-append').start()
      .then(() => null, (x: Error) => x);
    expect(e).toBeInstanceOf(AnalysisError);
    for (const m of ['append', 'not supported']) expect(e!.message.toLowerCase()).toContain(m);
  });

  it('"count distinct": size(collect_set(explode(...)))', async () => {
    const input = new MemoryStream(session, T.struct({ _1: T.int, _2: T.array(T.int) }));
    let last: unknown[] = [];
    const q = await input.toDF().select(col('*'), explode(col('_2')).alias('value')).groupBy(col('_1')).agg(size(collect_set(col('value'))))
      .writeStream.outputMode('update').foreachBatch((b) => { last = b.collect().map((r) => Object.values(r).map(Number)); }).start();
    input.addData([{ _1: 1, _2: [1, 2] }]);
    await q.processAllAvailable();
    expect(last).toEqual([[1, 2]]);
    await q.stop();
  });

  it('"typed aggregators" (groupByKey(_._1).agg(typed.sumLong(_._2)) as groupBy/sum)', async () => {
    const input = new MemoryStream(session, T.struct({ _1: T.string, _2: T.int }));
    let last: unknown[] = [];
    const q = await input.toDF().groupBy('_1').agg(sum('_2')).writeStream.outputMode('update')
      .foreachBatch((b) => { last = b.collect().map((r) => [r._1, Number(r['sum(_2)'])]).sort(); }).start();
    input.addData([['a', 10], ['a', 20], ['b', 1], ['b', 2], ['c', 1]].map(([a, b]) => ({ _1: a, _2: b })));
    await q.processAllAvailable();
    expect(last).toEqual([['a', 30], ['b', 3], ['c', 1]]);
    await q.stop();
  });

  it('"SPARK-19690: do not convert batch aggregation in streaming query to streaming"', async () => {
    const batchDF = session.createDataFrame([1, 2, 3, 4, 5].map((value) => ({ value })), ints)
      .withColumn('parity', col('value').mod(2)).groupBy('parity').agg(count('*').alias('joinValue'));
    const stream = new MemoryStream(session, ints);
    const batches: number[][][] = [];
    const q = await stream.toDF().join(batchDF, col('value').equalTo(col('parity')))
      .writeStream.outputMode('append')
      .foreachBatch((b) => { batches.push(b.collect().map((r) => [Number(r.value), Number(r.parity), Number(r.joinValue)]).sort((x, y) => x[0]! - y[0]!)); }).start();
    stream.addData([0, 1, 2, 3].map((value) => ({ value })));
    await q.processAllAvailable();
    stream.addData([0, 1, 2, 3].map((value) => ({ value })));
    await q.processAllAvailable();
    expect(batches).toEqual([[[0, 0, 2], [1, 1, 3]], [[0, 0, 2], [1, 1, 3]]]);
    await q.stop();
  });

  it('"sort after aggregate in complete mode" (StopStream, StartStream); update mode is refused', async () => {
    const cp = tmpDir('sas-sorted');
    const start = async (before: number[][]) => {
      const input = new MemoryStream(session, ints);
      for (const b of before) input.addData(b.map((value) => ({ value })));
      let last: number[][] = [];
      const q = await input.toDF().groupBy(col('value')).agg(count('*')).toDF('value', 'count').orderBy(col('count').desc())
        .writeStream.outputMode('complete').option('checkpointLocation', cp)
        .foreachBatch((b) => { last = b.collect().map((r) => [Number(r.value), Number(r.count)]); }).start();
      return { q, add: async (...v: number[]) => { input.addData(v.map((value) => ({ value }))); await q.processAllAvailable(); }, last: () => last };
    };
    const a = await start([]);
    await a.add(3);
    expect(a.last()).toEqual([[3, 1]]);
    await a.add(2, 3);
    expect(a.last()).toEqual([[3, 2], [2, 1]]);
    await a.q.stop();
    const b = await start([[3], [2, 3]]);
    await b.add(3, 2, 1);
    expect(b.last()).toEqual([[3, 3], [2, 2], [1, 1]]);
    await b.add(4, 4, 4, 4);
    expect(b.last()).toEqual([[4, 4], [3, 3], [2, 2], [1, 1]]);
    await b.q.stop();
    const input = new MemoryStream(session, ints);
    await expect(input.toDF().groupBy(col('value')).agg(count('*')).orderBy('value').writeStream.outputMode('update').format('memory').queryName('sas-sort-update').start())
      .rejects.toThrow(/Sorting is not supported on streaming DataFrames\/Datasets, unless it is on aggregated DataFrame\/Dataset in Complete output mode/);
  });
});
