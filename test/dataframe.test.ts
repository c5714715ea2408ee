import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Session, MemoryStream, col, lit, not, from_json, types as T, AnalysisError, type StreamingQueryProgress } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';
import { queryRows } from './support/select-rows.ts';

const session = Session.builder().appName('dataframe-test').getOrCreate();
const schema = T.struct({ id: T.long, name: T.string, score: T.double, n: T.int, at: T.timestamp, flag: T.boolean });
const rows = [
  { id: 1n, name: 'ann', score: 1.5, n: 10, at: new Date('2024-01-01T00:00:00Z'), flag: true },
  { id: 2n, name: 'bob', score: null, n: 20, at: new Date('2024-01-01T00:00:01.250Z'), flag: false },
  { id: 3n, name: null, score: 3.25, n: null, at: null, flag: null },
  { id: 9007199254740993n, name: 'zoë', score: -0.5, n: -1, at: new Date('2023-12-31T23:59:59Z'), flag: true },
];

/** Run a query over `rows` through the memory sink and return its rows. */
const run = (build: (df: ReturnType<MemoryStream['toDF']>) => ReturnType<MemoryStream['toDF']>, input = rows) => queryRows(schema, input, build);

describe('DataFrame operations over a MemoryStream', () => {
  it('select by name, expression and alias; arithmetic with Spark types', async () => {
    const out = await run((df) => df.select('id', col('n').plus(1).alias('n1'), col('score').multiply(2).alias('s2'), col('n').divide(4).alias('q'), lit('x').alias('k')));
    expect(out).toEqual([
      { id: 1n, n1: 11, s2: 3, q: 2.5, k: 'x' },
      { id: 2n, n1: 21, s2: null, q: 5, k: 'x' },
      { id: 3n, n1: null, s2: 6.5, q: null, k: 'x' },
      { id: 9007199254740993n, n1: 0, s2: -1, q: -0.25, k: 'x' },
    ]);
  });

  it('filter with comparisons, and/or/not, null checks and isin', async () => {
    const ids = async (f: Parameters<ReturnType<MemoryStream['toDF']>['filter']>[0]) => (await run((df) => df.filter(f).select('id'))).map((r) => r.id);
    expect(await ids(col('n').gt(5))).toEqual([1n, 2n]);
    expect(await ids(col('n').geq(10).and(col('flag')))).toEqual([1n]);
    expect(await ids(col('flag').or(col('n').equalTo(20)))).toEqual([1n, 2n, 9007199254740993n]);
    expect(await ids(not(col('flag')))).toEqual([2n]);
    expect(await ids(col('name').isNull())).toEqual([3n]);
    expect(await ids(col('score').isNotNull())).toEqual([1n, 3n, 9007199254740993n]);
    expect(await ids(col('name').isin('bob', 'zoë'))).toEqual([2n, 9007199254740993n]);
    expect(await ids(col('name').notEqual('ann'))).toEqual([2n, 9007199254740993n]);
    expect(await ids(col('id').gt(9007199254740992n))).toEqual([9007199254740993n]);
    expect(await ids(col('at').lt('2024-01-01 00:00:01'))).toEqual([1n, 9007199254740993n]);
    expect(await ids(col('name').lt('b'))).toEqual([1n]);
  });

  it('withColumn, withColumnRenamed, drop and casts', async () => {
    const out = await run((df) => df
      .withColumn('n', col('n').cast('long'))
      .withColumn('s', col('score').cast('string'))
      .withColumn('secs', col('at').cast('long'))
      .withColumn('back', col('secs').cast('timestamp'))
      .withColumn('num', lit('42').cast('int'))
      .withColumn('bad', lit('x1').cast('double'))
      .withColumnRenamed('name', 'who')
      .drop('score', 'at', 'flag', 'no_such_column'));
    expect(out[0]).toEqual({ id: 1n, who: 'ann', n: 10n, s: '1.5', secs: 1704067200n, back: new Date('2024-01-01T00:00:00Z'), num: 42, bad: null });
    expect(out[1]!.secs).toBe(1704067201n);
    expect(out[2]).toMatchObject({ n: null, s: '3.25', secs: null, who: null });
  });

  it('from_json over a string column, and data.*', async () => {
    const js = T.struct({ a: T.int, b: T.string });
    const stream = new MemoryStream(session, T.struct({ value: T.string }));
    stream.addData([{ value: '{"a":1,"b":"x"}' }, { value: 'oops' }, { value: '{"a":"wrong","b":"y"}' }, { value: null }]);
    const q = await stream.toDF().select(from_json(col('value'), js).alias('data')).select('data.*').writeStream.format('memory').queryName('json1').start();
    await q.processAllAvailable();
    await q.stop();
    expect(session.table('json1').collect()).toEqual([{ a: 1, b: 'x' }, { a: null, b: null }, { a: null, b: 'y' }, { a: null, b: null }]);
  });

  it('type errors are found at start()', async () => {
    const stream = new MemoryStream(session, schema);
    await expect(stream.toDF().filter(col('name')).writeStream.format('memory').queryName('e1').start()).rejects.toThrow(/filter\(\) needs a boolean condition, but 'name' is string/);
    await expect(stream.toDF().select(col('flag').cast('binary')).writeStream.format('memory').queryName('e2').start()).rejects.toThrow(AnalysisError);
    await expect(stream.toDF().filter(col('id').equalTo(col('flag'))).writeStream.format('memory').queryName('e3').start()).rejects.toThrow(/Cannot compare 'id' \(long\) with 'flag' \(boolean\)/);
    await expect(stream.toDF().select(from_json(col('n'), T.struct({ a: T.int }))).writeStream.format('memory').queryName('e4').start()).rejects.toThrow(/from_json needs a string column, but 'n' is int/);
  });
});

describe('the trigger loop', () => {
  it('runs each new chunk as a batch, reports progress and calls listeners', async () => {
    const events: string[] = [];
    const progress: StreamingQueryProgress[] = [];
    session.streams.addListener({
      onQueryStarted: (e) => events.push(`started ${e.name}`),
      onQueryProgress: (e) => { if (e.progress.name === 'loop') progress.push(e.progress); },
      onQueryTerminated: (e) => events.push(`terminated ${e.exception}`),
    });
    const stream = new MemoryStream(session, schema);
    const cp = tmpDir('cp');
    const q = await stream.toDF().filter(col('flag')).writeStream.format('memory').queryName('loop').option('checkpointLocation', cp).start();
    stream.addData(rows.slice(0, 2));
    await q.processAllAvailable();
    stream.addData(rows.slice(2));
    await q.processAllAvailable();
    expect(q.isActive).toBe(true);
    await q.stop();
    expect(session.table('loop').collect().map((r) => r.id)).toEqual([1n, 9007199254740993n]);
    expect(progress.map((p) => [p.batchId, p.numInputRows, p.sink.numOutputRows])).toEqual([[0, 2, 1], [1, 2, 1]]);
    const p = q.lastProgress!;
    expect(p).toMatchObject({ id: q.id, runId: q.runId, name: 'loop', batchId: 1, sources: [{ description: 'MemoryStream', startOffset: 1, endOffset: 2, numInputRows: 2 }] });
    for (const k of ['latestOffset', 'walCommit', 'getBatch', 'addBatch', 'commitOffsets', 'triggerExecution']) expect(p.durationMs[k]).toBeGreaterThanOrEqual(0);
    expect(events).toContain('started loop');
    expect(events).toContain('terminated null');
    expect(readdirSync(path.join(cp, 'commits'))).toEqual(['0', '1']);
  });

  it('onQueryIdle: once when the query runs out of data, then at most every 10 s, not on every idle trigger', async () => {
    const idles: string[] = [];
    const l = { onQueryIdle: (e: { id: string }) => idles.push(e.id) };
    session.streams.addListener(l);
    try {
      const stream = new MemoryStream(session, schema);
      const q = await stream.toDF().writeStream.format('memory').queryName('idleEvents').start();
      stream.addData(rows.slice(0, 1));
      await q.processAllAvailable();
      await new Promise((r) => setTimeout(r, 700)); // ~7 idle triggers
      expect(idles.filter((id) => id === q.id)).toHaveLength(1);
      stream.addData(rows.slice(1, 2));
      await q.processAllAvailable();
      await new Promise((r) => setTimeout(r, 300));
      expect(idles.filter((id) => id === q.id)).toHaveLength(2);
      await q.stop();
    } finally {
      session.streams.removeListener(l);
    }
  });

  it('a listener that throws is reported and skipped; the query goes on (as in Spark)', async () => {
    const bad = { onQueryProgress: () => { throw new Error('listener bug'); }, onQueryStarted: () => { throw new Error('listener bug'); } };
    session.streams.addListener(bad);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      const stream = new MemoryStream(session, schema);
      const q = await stream.toDF().writeStream.format('memory').queryName('badListener').start();
      stream.addData(rows.slice(0, 2));
      await q.processAllAvailable();
      stream.addData(rows.slice(2));
      await q.processAllAvailable();
      expect(q.isActive).toBe(true);
      expect(q.exception()).toBeNull();
      await q.stop();
      expect(session.table('badListener').count()).toBe(rows.length);
    } finally {
      process.stderr.write = write;
      session.streams.removeListener(bad);
    }
    expect(written.join('')).toMatch(/a StreamingQueryListener threw in onQueryProgress \(ignored\): Error: listener bug/);
    expect(written.join('')).toMatch(/threw in onQueryStarted/);
  });

  it('a partition value too long for a directory name does not stop the query: its rows are written, and progress warns', async () => {
    const s2 = T.struct({ region: T.string, id: T.long });
    const stream = new MemoryStream(session, s2);
    const out = tmpDir('long'), cp = tmpDir('cp');
    const q = await stream.toDF().writeStream.format('parquet').partitionBy('region').option('checkpointLocation', cp).start(out);
    stream.addData([{ region: 'r'.repeat(400), id: 1n }, { region: 'eu', id: 2n }]);
    await q.processAllAvailable();
    expect(q.exception()).toBeNull();
    expect(q.lastProgress!.sink.numOutputRows).toBe(2);
    expect(q.lastProgress!.warnings.join('\n')).toMatch(/Partition column 'region': a value starting 'r{40}' would make a directory name of 407 bytes/);
    await q.stop();
    expect(readdirSync(out).filter((d) => d.startsWith('region=')).sort()).toEqual([expect.stringMatching(/^region=eu$/), expect.stringMatching(/^region=r+~[0-9a-f]{16}$/)]);
  });

  it('a bad session setting fails start() and leaves the checkpoint free for the next start()', async () => {
    const stream = new MemoryStream(session, schema);
    const cp = tmpDir('cp');
    const start = () => stream.toDF().writeStream.format('memory').queryName('badConf').option('checkpointLocation', cp).start();
    session.conf.set('sluice.minBatchesToRetain', 'zero');
    try {
      await expect(start()).rejects.toThrow(/Session config 'sluice.minBatchesToRetain' must be a whole number/);
    } finally {
      session.conf.delete('sluice.minBatchesToRetain');
    }
    const q = await start();
    await q.stop();
  });

  it('session config: the sluice name wins over the Spark name, and a bad value names its key', async () => {
    const s = Session.builder().getOrCreate();
    s.conf.set('sluice.minBatchesToRetain', '7');
    s.conf.set('spark.sql.streaming.minBatchesToRetain', '3');
    s.conf.set('spark.sql.streaming.multipleWatermarkPolicy', 'MAX');
    try {
      expect(s.minBatchesToRetain()).toBe(7);
      expect(s.watermarkPolicy()).toBe('max');
      s.conf.set('sluice.stateSnapshotInterval', 'often');
      expect(() => s.stateSnapshotInterval()).toThrow(/Session config 'sluice.stateSnapshotInterval' must be a whole number >= 1, got 'often'/);
    } finally {
      for (const k of ['sluice.minBatchesToRetain', 'spark.sql.streaming.minBatchesToRetain', 'spark.sql.streaming.multipleWatermarkPolicy', 'sluice.stateSnapshotInterval']) s.conf.delete(k);
    }
  });

  it('purges logs beyond minBatchesToRetain', async () => {
    const s = Session.builder().config('spark.sql.streaming.minBatchesToRetain', 2).getOrCreate();
    const stream = new MemoryStream(s, schema);
    const cp = tmpDir('cp');
    const q = await stream.toDF().writeStream.format('memory').queryName('purge').option('checkpointLocation', cp).start();
    for (let i = 0; i < 5; i++) { stream.addData([rows[i % rows.length]!]); await q.processAllAvailable(); }
    await q.stop();
    s.conf.delete('spark.sql.streaming.minBatchesToRetain');
    expect(readdirSync(path.join(cp, 'offsets')).sort()).toEqual(['3', '4']);
    expect(readdirSync(path.join(cp, 'commits')).sort()).toEqual(['3', '4']);
    expect(session.table('purge').count()).toBe(5);
  });

  it('foreachBatch gets each batch with its id; once runs a single batch', async () => {
    const stream = new MemoryStream(session, schema);
    stream.addData(rows.slice(0, 1));
    stream.addData(rows.slice(1));
    const seen: [number, number][] = [];
    const q = await stream.toDF().select('id').writeStream.foreachBatch((df, id) => { seen.push([id, df.count()]); }).trigger({ once: true }).start();
    await q.awaitTermination();
    expect(seen).toEqual([[0, 4]]);
    expect(q.isActive).toBe(false);
  });

  it('processingTime triggers at the interval; a failing batch fails the query', async () => {
    const stream = new MemoryStream(session, schema);
    const times: number[] = [];
    const q = await stream.toDF().writeStream.foreachBatch(() => { times.push(Date.now()); if (times.length === 3) throw new Error('boom in batch 2'); })
      .trigger({ processingTime: '200 milliseconds' }).start();
    for (let i = 0; i < 3; i++) { stream.addData(rows.slice(0, 1)); await new Promise((r) => setTimeout(r, 250)); }
    await expect(q.awaitTermination()).rejects.toThrow('boom in batch 2');
    expect(times.length).toBe(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(150);
    expect(q.exception()?.message).toBe('boom in batch 2');
  });

  it('the console sink prints a table per batch; awaitTermination(timeout) says whether the query ended', async () => {
    const stream = new MemoryStream(session, schema);
    stream.addData(rows);
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => { printed.push(String(chunk)); return true; }) as typeof process.stdout.write;
    try {
      const q = await stream.toDF().select('id', 'name', 'at').writeStream.format('console').option('numRows', 2).start();
      await q.processAllAvailable();
      expect(await q.awaitTermination(0.05)).toBe(false);
      await q.stop();
      expect(await q.awaitTermination(0.05)).toBe(true);
    } finally {
      process.stdout.write = write;
    }
    expect(printed.join('')).toBe([
      '-------------------------------------------', 'Batch: 0', '-------------------------------------------',
      '+--+----+--------------------+', '|id|name|                  at|', '+--+----+--------------------+',
      '| 1| ann| 2024-01-01 00:00:00|', '| 2| bob|2024-01-01 00:00:...|', '+--+----+--------------------+', 'only showing top 2 rows',
    ].join('\n') + '\n\n');
  });

  it('the rate source produces rowsPerSecond rows with value and timestamp', async () => {
    const q = await session.readStream.format('rate').option('rowsPerSecond', 50).load().writeStream.format('memory').queryName('rate').start();
    // Wait for rows rather than a fixed time: a busy machine runs fewer batches in 600 ms.
    const deadline = Date.now() + 20_000;
    while (session.table('rate').count() < 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await q.stop();
    const out = session.table('rate').collect();
    expect(out.length).toBeGreaterThanOrEqual(15);
    expect(out.map((r) => r.value)).toEqual(out.map((_, i) => BigInt(i)));
    expect(out.slice(0, 3).map((r) => r.value)).toEqual([0n, 1n, 2n]);
    expect((out[1]!.timestamp as Date).getTime() - (out[0]!.timestamp as Date).getTime()).toBe(20);
  });

  it('rate with availableNow stops at the rows due when the query started', async () => {
    const q = await session.readStream.format('rate').option('rowsPerSecond', 1000).load().writeStream.format('memory').queryName('rateNow').trigger({ availableNow: true }).start();
    expect(await q.awaitTermination(5)).toBe(true);
    expect(session.table('rateNow').count()).toBeLessThan(5000);
  });

  it('options are case-insensitive, as in Spark; a fixed-schema source refuses schema()', async () => {
    const df = session.readStream.format('rate').option('ROWSPERSECOND', 10).load();
    expect(df.columns).toEqual(['timestamp', 'value']);
    expect(() => session.readStream.format('kafka').schema(T.struct({ a: T.int })).option('kafka.bootstrap.servers', 'h:1').option('subscribe', 't').load())
      .toThrow(/kafka source has a fixed schema/);
    await expect(df.writeStream.format('parquet').option('CheckpointLocation', tmpDir('cp')).option('Compresion', 'zstd').start(tmpDir('o')))
      .rejects.toThrow(/Unknown option 'Compresion' for the parquet sink\. Its options are: checkpointLocation, path, lateRowsPath, (sluice.scaleOut, )?(ui.port, )?compression/);
  });
});
