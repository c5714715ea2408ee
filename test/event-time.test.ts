import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  Session, MemoryStream, col, window, session_window, sum, count, avg, min, max, first, last, approx_count_distinct, types as T,
  AnalysisError, CheckpointError,
} from '../src/index.ts';
import { duckQuery } from './support/duck.ts';
import { StateStore } from '../src/state/state-store.ts';
import { encodeCells } from '../src/state/key-encoding.ts';
import { LocalStorage } from '../src/storage/local.ts';
import type { Cell } from '../src/data/cells.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('event-time-test').getOrCreate();
const schema = T.struct({ order_id: T.string, user_id: T.string, amount: T.double, event_time: T.timestamp });
const at = (m: number, s = 0): Date => new Date(Date.UTC(2024, 0, 1, 10, m, s));
let n = 0;
const order = (user: string, amount: number, m: number, s = 0) => ({ order_id: `o${n++}`, user_id: user, amount, event_time: at(m, s) });
const windowed = (df: ReturnType<MemoryStream['toDF']>) => df.withWatermark('event_time', '10 minutes')
  .groupBy(window(col('event_time'), '5 minutes'), col('user_id'))
  .agg(sum('amount').alias('total_spend'), count('order_id').alias('order_count'));
const simple = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, window: `${((r.window as { start: Date }).start).toISOString().slice(11, 16)}` }));

describe('windowed aggregation', () => {
  it('append: a window is emitted once, when the watermark passes its end; late rows are dropped and counted', async () => {
    const s = new MemoryStream(session, schema);
    const q = await windowed(s.toDF()).writeStream.outputMode('append').format('memory').queryName('append1').start();
    s.addData([order('a', 1, 0), order('a', 2, 3), order('b', 5, 7)]);
    await q.processAllAvailable();
    expect(session.table('append1').collect()).toEqual([]);
    s.addData([order('a', 10, 30)]); // watermark -> 10:20: closes [10:00,10:05) and [10:05,10:10)
    await q.processAllAvailable();
    s.addData([order('a', 100, 1), order('c', 7, 29)]); // 10:01 is late (its window ended at 10:05 <= 10:20); 10:29 is not
    await q.processAllAvailable();
    await q.stop();
    expect(simple(session.table('append1').collect())).toEqual([
      { window: '10:00', user_id: 'a', total_spend: 3, order_count: 2n },
      { window: '10:05', user_id: 'b', total_spend: 5, order_count: 1n },
    ]);
    const p = q.recentProgress;
    // Spark runs a no-data batch whenever the watermark moves (shouldRunAnotherBatch): batch 1 moves it to
    // 09:57 and closes nothing; batch 3 is the no-data batch that closed the windows.
    expect(p.map((x) => x.numInputRows)).toEqual([3, 0, 1, 0, 2]);
    expect(p[1]!.eventTime.watermark).toBe('2024-01-01T09:57:00.000Z');
    expect(p[3]!.eventTime.watermark).toBe('2024-01-01T10:20:00.000Z');
    expect(p[4]!.stateOperators[0]).toMatchObject({ numRowsDroppedByWatermark: 1, numRowsTotal: 2 });
    expect(p[0]!.eventTime).toEqual({ watermark: '1970-01-01T00:00:00.000Z', min: '2024-01-01T10:00:00.000Z', max: '2024-01-01T10:07:00.000Z', avg: '2024-01-01T10:03:20.000Z' });
  });

  it('a row older than W(N) but in a window that is still open is counted (Spark 3.4+ lateness)', async () => {
    const s = new MemoryStream(session, schema);
    const q = await s.toDF().withWatermark('event_time', '1 minute').groupBy(window(col('event_time'), '10 minutes')).agg(count('*').alias('n'))
      .writeStream.outputMode('update').format('memory').queryName('open1').start();
    s.addData([order('a', 1, 8)]); // W -> 10:07
    await q.processAllAvailable();
    s.addData([order('a', 1, 2)]); // 10:02 < W = 10:07, but [10:00, 10:10) is open
    await q.processAllAvailable();
    await q.stop();
    expect(session.table('open1').collect().map((r) => r.n)).toEqual([1n, 2n]);
  });

  it('update and complete modes through memory and foreachBatch; every aggregate function', async () => {
    const s = new MemoryStream(session, schema);
    const df = s.toDF().groupBy('user_id').agg(
      sum('amount').alias('s'), count('*').alias('n'), avg('amount').alias('a'), min('amount').alias('lo'), max('amount').alias('hi'),
      first('order_id').alias('f'), last('order_id').alias('l'), approx_count_distinct('order_id').alias('d'));
    const batches: Record<string, unknown>[][] = [];
    const qu = await df.writeStream.outputMode('update').foreachBatch((b) => { batches.push(b.collect()); }).start();
    const qc = await df.writeStream.outputMode('complete').format('memory').queryName('complete1').start();
    n = 0;
    s.addData([order('a', 1, 0), order('b', 2, 0), order('a', 3, 0)]);
    await qu.processAllAvailable(); await qc.processAllAvailable();
    s.addData([order('b', 10, 0)]);
    await qu.processAllAvailable(); await qc.processAllAvailable();
    await qu.stop(); await qc.stop();
    expect(batches).toEqual([
      [{ user_id: 'a', s: 4, n: 2n, a: 2, lo: 1, hi: 3, f: 'o0', l: 'o2', d: 2n }, { user_id: 'b', s: 2, n: 1n, a: 2, lo: 2, hi: 2, f: 'o1', l: 'o1', d: 1n }],
      [{ user_id: 'b', s: 12, n: 2n, a: 6, lo: 2, hi: 10, f: 'o1', l: 'o3', d: 2n }],
    ]);
    // complete: the whole result each batch; the memory table keeps the last one.
    expect(session.table('complete1').collect()).toEqual([
      { user_id: 'a', s: 4, n: 2n, a: 2, lo: 1, hi: 3, f: 'o0', l: 'o2', d: 2n },
      { user_id: 'b', s: 12, n: 2n, a: 6, lo: 2, hi: 10, f: 'o1', l: 'o3', d: 2n },
    ]);
  });

  it('output mode rules are checked at start() with a clear message', async () => {
    const s = new MemoryStream(session, schema);
    const agg = s.toDF().groupBy('user_id').count();
    await expect(agg.writeStream.outputMode('append').format('memory').queryName('x1').start()).rejects.toThrow(/Append output mode is not supported for a streaming aggregation without a watermark/);
    await expect(windowed(s.toDF()).writeStream.outputMode('update').format('parquet').option('checkpointLocation', tmpDir('event-time-cp')).start(tmpDir('event-time-out')))
      .rejects.toThrow(/parquet sink does not support output mode 'update'/);
    await expect(windowed(s.toDF()).writeStream.outputMode('complete').format('parquet').option('checkpointLocation', tmpDir('event-time-cp')).start(tmpDir('event-time-out')))
      .rejects.toThrow(/parquet sink does not support output mode 'complete'/);
    await expect(s.toDF().writeStream.outputMode('complete').format('memory').queryName('x2').start()).rejects.toThrow(/Complete output mode is not supported when there are no streaming aggregations/);
    expect(() => s.toDF().withWatermark('amount', '1 minute').schema).toThrow(/needs a timestamp column, but 'amount' is double/);
    expect(() => s.toDF().groupBy(window(col('amount'), '1 minute')).count().schema).toThrow(/not a timestamp/);
    expect(() => s.toDF().select(sum('amount')).schema).toThrow(AnalysisError);
    expect(() => window(col('event_time'), '5 minutes', '10 minutes')).toThrow(/slide .* must not be longer than the window/);
  });

  it('sliding and session windows', async () => {
    const s = new MemoryStream(session, schema);
    const slid = await s.toDF().withWatermark('event_time', '0 seconds').groupBy(window(col('event_time'), '10 minutes', '5 minutes')).agg(sum('amount').alias('t'))
      .writeStream.outputMode('append').format('memory').queryName('slide1').start();
    const sess = await s.toDF().withWatermark('event_time', '0 seconds').groupBy(col('user_id'), session_window(col('event_time'), '5 minutes')).agg(count('*').alias('n'))
      .writeStream.outputMode('append').format('memory').queryName('sess1').start();
    s.addData([order('a', 1, 1), order('a', 2, 4), order('a', 4, 12), order('b', 8, 3)]);
    s.addData([order('z', 0, 59)]);
    for (const q of [slid, sess]) { await q.processAllAvailable(); await q.stop(); }
    expect(session.table('slide1').collect().map((r) => [(r.window as { start: Date }).start.toISOString().slice(11, 16), r.t]).sort())
      .toEqual([['09:55', 11], ['10:00', 11], ['10:05', 4], ['10:10', 4]]);
    expect(session.table('sess1').collect().map((r) => [r.user_id, (r.session_window as { start: Date; end: Date }).start.toISOString().slice(11, 16), (r.session_window as { end: Date }).end.toISOString().slice(11, 16), r.n]))
      .toEqual(expect.arrayContaining([['a', '10:01', '10:09', 2n], ['a', '10:12', '10:17', 1n], ['b', '10:03', '10:08', 1n]]));
    expect(session.table('sess1').count()).toBe(3);
  });
});

describe('state across restarts', () => {
  it('a restart with a changed query is refused, naming the difference', async () => {
    const cp = tmpDir('event-time-cp'), out = tmpDir('event-time-out');
    const run = async (rows: Record<string, unknown>[], build = windowed) => {
      const s = new MemoryStream(session, schema);
      const q = await build(s.toDF()).writeStream.outputMode('append').format('parquet').option('checkpointLocation', cp).trigger({ availableNow: true }).start(out);
      return { s, q };
    };
    const first = await run([]);
    first.s.addData([order('a', 1, 0), order('a', 2, 1)]);
    await first.q.awaitTermination();
    // Batch 1 is Spark's no-data batch: the watermark moved to 09:51 (it closes nothing).
    expect(readdirSync(path.join(cp, 'state', '0')).sort()).toEqual(['0.delta', '1.delta', '_metadata']);
    const changed = (df: ReturnType<MemoryStream['toDF']>) => df.withWatermark('event_time', '10 minutes')
      .groupBy(window(col('event_time'), '10 minutes'), col('user_id')).agg(sum('amount').alias('total_spend'), count('order_id').alias('order_count'));
    await expect((async () => { const r = await run([], changed); await r.q.awaitTermination(); })()).rejects.toThrow(CheckpointError);
    await expect((async () => { const r = await run([], changed); await r.q.awaitTermination(); })()).rejects.toThrow(/keys: the checkpoint has \["window:tumbling\(event_time,300000,300000\)","user_id:string"\], the query has \["window:tumbling\(event_time,600000,600000\)","user_id:string"\]/);
    const noAgg = (df: ReturnType<MemoryStream['toDF']>) => df.withWatermark('event_time', '10 minutes').groupBy(window(col('event_time'), '5 minutes'), col('user_id')).agg(sum('amount').alias('total_spend'));
    await expect((async () => { const r = await run([], noAgg); await r.q.awaitTermination(); })()).rejects.toThrow(/aggregates: the checkpoint has/);
    // Same output names and types, another function: sum's state must not be read as max's (or avg's).
    for (const fn of [max, avg]) {
      const otherFn = (df: ReturnType<MemoryStream['toDF']>) => df.withWatermark('event_time', '10 minutes')
        .groupBy(window(col('event_time'), '5 minutes'), col('user_id')).agg(fn('amount').alias('total_spend'), count('order_id').alias('order_count'));
      await expect((async () => { const r = await run([], otherFn); await r.q.awaitTermination(); })())
        .rejects.toThrow(new RegExp(`functions: the checkpoint has \\["sum\\(amount\\)","count\\(order_id\\)"\\], the query has \\["${fn === max ? 'max' : 'avg'}\\(amount\\)`));
    }
    const rows = await duckQuery(`SELECT count(*) AS n FROM read_parquet('${out}/**/*.parquet')`).catch(() => [{ n: 0n }]);
    expect(rows).toEqual([{ n: 0n }]);
  });
});

describe('the state store', () => {
  it('a reloaded store finds every key as the operators encode it: nulls, unicode, binary, booleans, doubles, timestamps', async () => {
    const keySchema = T.struct({ s: T.string, b: T.boolean, d: T.double, t: T.timestamp, bin: T.binary, n: T.long });
    const valueSchema = T.struct({ v: T.long });
    const types = keySchema.fields.map((f) => f.type);
    const keys: Cell[][] = [
      ['plain', true, 1.5, Date.UTC(2024, 0, 1), new Uint8Array([1, 2]), 7n],
      ['ünïcødé 區域 🦆', false, -0.1, 0, new Uint8Array([]), -9223372036854775808n],
      [null, null, null, null, null, null],
      ['', true, 1e300, -1, new Uint8Array([0, 255]), 0n],
      ['a\u0001b', false, Number.NaN, 1, new Uint8Array([1]), 1n],
    ];
    const dir = tmpDir('event-time-store');
    const store = new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 2);
    keys.forEach((cells, i) => { const slot = store.insert(encodeCells(cells, types), cells); store.values[0]![slot] = BigInt(i); });
    await store.commit(0);
    store.remove(store.lookup(encodeCells(keys[4]!, types)));
    await store.commit(1);
    for (const version of [0, 1]) {
      const again = new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 2);
      await again.load(version);
      expect(again.size).toBe(version === 0 ? 5 : 4);
      keys.forEach((cells, i) => {
        const slot = again.lookup(encodeCells(cells, types));
        if (version === 1 && i === 4) { expect(slot).toBe(-1); return; }
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(again.values[0]![slot]).toBe(BigInt(i));
        expect(again.keys.map((c) => c[slot])).toEqual(cells);
      });
    }
  });
});

describe('late rows and dropDuplicates', () => {
  it('late rows can go to a Parquet path instead of vanishing', async () => {
    const s = new MemoryStream(session, schema);
    const out = tmpDir('event-time-out'), late = tmpDir('event-time-late');
    const q = await windowed(s.toDF()).writeStream.outputMode('append').format('parquet').option('checkpointLocation', tmpDir('event-time-cp')).option('lateRowsPath', late).start(out);
    s.addData([order('a', 1, 30)]);
    await q.processAllAvailable();
    s.addData([order('a', 2, 30)]);
    await q.processAllAvailable();
    s.addData([order('late', 9, 1), order('late2', 8, 2), order('ok', 7, 25)]);
    await q.processAllAvailable();
    await q.stop();
    expect(await duckQuery(`SELECT user_id, amount FROM read_parquet('${late}/**/*.parquet') ORDER BY user_id`)).toEqual([{ user_id: 'late', amount: 9 }, { user_id: 'late2', amount: 8 }]);
  });

  it('dropDuplicatesWithinWatermark keeps the first row of a key; its state is bounded by the watermark', async () => {
    const s = new MemoryStream(session, schema);
    const q = await s.toDF().withWatermark('event_time', '10 minutes').dropDuplicatesWithinWatermark('order_id')
      .writeStream.format('memory').queryName('dedup1').start();
    s.addData([{ order_id: 'x', user_id: 'a', amount: 1, event_time: at(0) }, { order_id: 'x', user_id: 'b', amount: 2, event_time: at(1) }, { order_id: 'y', user_id: 'c', amount: 3, event_time: at(2) }]);
    await q.processAllAvailable();
    s.addData([{ order_id: 'y', user_id: 'd', amount: 4, event_time: at(3) }, { order_id: 'z', user_id: 'e', amount: 5, event_time: at(40) }]);
    await q.processAllAvailable();
    s.addData([{ order_id: 'w', user_id: 'f', amount: 6, event_time: at(45) }]);
    await q.processAllAvailable();
    await q.stop();
    expect(session.table('dedup1').collect().map((r) => r.user_id)).toEqual(['a', 'c', 'e', 'f']);
    expect(q.lastProgress!.stateOperators[0]).toMatchObject({ numRowsTotal: 2 }); // x and y evicted once event time + 10 min passed the watermark
  });

  it('a restart that swaps dropDuplicates for dropDuplicatesWithinWatermark is refused: the state holds event times, not expiries', async () => {
    const cp = tmpDir('event-time-cp');
    const run = async (within: boolean) => {
      const s = new MemoryStream(session, schema);
      const df = s.toDF().withWatermark('event_time', '10 minutes');
      const q = await (within ? df.dropDuplicatesWithinWatermark('order_id', 'event_time') : df.dropDuplicates('order_id', 'event_time'))
        .writeStream.foreachBatch(() => undefined).option('checkpointLocation', cp).start();
      s.addData([{ order_id: 'x', user_id: 'a', amount: 1, event_time: at(0) }]);
      await q.processAllAvailable();
      await q.stop();
      return q;
    };
    await run(false);
    await expect(run(true)).rejects.toThrow(/operator: the checkpoint has "dropDuplicates", the query has "dropDuplicatesWithinWatermark"/);
  });

  it('dropDuplicates on keys without the watermarked column ignores the watermark (SPARK-21546): no key is forgotten', async () => {
    const s = new MemoryStream(session, schema);
    const q = await s.toDF().withWatermark('event_time', '10 minutes').dropDuplicates('order_id')
      .writeStream.format('memory').queryName('dedup2').start();
    s.addData([{ order_id: 'x', user_id: 'a', amount: 1, event_time: at(0) }]);
    await q.processAllAvailable();
    s.addData([{ order_id: 'z', user_id: 'b', amount: 2, event_time: at(40) }]);
    await q.processAllAvailable();
    s.addData([{ order_id: 'x', user_id: 'c', amount: 3, event_time: at(45) }, { order_id: 'y', user_id: 'd', amount: 4, event_time: at(1) }]);
    await q.processAllAvailable();
    await q.stop();
    // x is still remembered although the watermark (10:30) passed its event time; y at 10:01 is not late.
    expect(session.table('dedup2').collect().map((r) => r.user_id)).toEqual(['a', 'b', 'd']);
    expect(q.lastProgress!.stateOperators[0]).toMatchObject({ numRowsTotal: 3, numRowsDroppedByWatermark: 0 });
  });

  it('two watermarks (Spark\'s compatibility mode) combine with min by default, or max as a session option; state files are purged with the logs', async () => {
    const two = T.struct({ k: T.string, a: T.timestamp, b: T.timestamp });
    session.conf.set('spark.sql.streaming.statefulOperator.allowMultiple', 'false');
    const watermarks = async (policy: 'min' | 'max' | null) => {
      const s2 = policy ? Session.builder().config('spark.sql.streaming.multipleWatermarkPolicy', policy).getOrCreate() : session;
      const s = new MemoryStream(s2, two);
      const cp = tmpDir('event-time-cp');
      const q = await s.toDF().withWatermark('a', '1 minute').withWatermark('b', '5 minutes').groupBy(window(col('a'), '1 minute')).count()
        .writeStream.outputMode('update').format('memory').queryName(`wm-${policy}`).option('checkpointLocation', cp).start();
      s.addData([{ k: 'x', a: at(30), b: at(40) }]);
      await q.processAllAvailable();
      for (let i = 0; i < 4; i++) { s.addData([{ k: 'y', a: at(31 + i), b: at(41 + i) }]); await q.processAllAvailable(); }
      await q.stop();
      session.conf.delete('spark.sql.streaming.multipleWatermarkPolicy');
      return { w: q.recentProgress[1]!.eventTime.watermark, cp };
    };
    // a: 10:30 - 1 min = 10:29; b: 10:40 - 5 min = 10:35.
    expect((await watermarks(null)).w).toBe('2024-01-01T10:29:00.000Z');
    expect((await watermarks('min')).w).toBe('2024-01-01T10:29:00.000Z');
    const withMax = await watermarks('max');
    expect(withMax.w).toBe('2024-01-01T10:35:00.000Z');
    // The checkpoint keeps the policy it was written with (as Spark does): a restart under 'min' still combines with max.
    session.conf.set('spark.sql.streaming.multipleWatermarkPolicy', 'min');
    try {
      const s = new MemoryStream(session, two);
      const q = await s.toDF().withWatermark('a', '1 minute').withWatermark('b', '5 minutes').groupBy(window(col('a'), '1 minute')).count()
        .writeStream.outputMode('update').format('memory').queryName('wm-pinned').option('checkpointLocation', withMax.cp).start();
      // MemoryStream offsets count chunks: the checkpoint has read 5.
      for (let i = 0; i < 5; i++) s.addData([]);
      s.addData([{ k: 'z', a: at(50), b: at(52) }]);
      await q.processAllAvailable();
      s.addData([{ k: 'z', a: at(51), b: at(53) }]);
      await q.processAllAvailable();
      await q.stop();
      // max(10:50 - 1 min, 10:52 - 5 min) = 10:49 (min would give 10:47).
      // The last batch with data, as Spark's assertEventStats reads it: a no-data batch (W moved to 10:50) follows it.
      expect(q.recentProgress.filter((p) => p.numInputRows > 0).at(-1)!.eventTime.watermark).toBe('2024-01-01T10:49:00.000Z');
      expect(q.recentProgress[0]!.warnings.join()).toMatch(/multipleWatermarkPolicy 'min', but this checkpoint was written with 'max', which it keeps/);
    } finally {
      session.conf.delete('spark.sql.streaming.multipleWatermarkPolicy');
      session.conf.delete('spark.sql.streaming.statefulOperator.allowMultiple');
    }

    const s3 = Session.builder().config('spark.sql.streaming.minBatchesToRetain', 2).config('sluice.stateSnapshotInterval', 2).getOrCreate();
    const s = new MemoryStream(s3, schema);
    const cp = tmpDir('event-time-cp');
    const q = await s.toDF().groupBy('user_id').count().writeStream.outputMode('complete').format('memory').queryName('purged').option('checkpointLocation', cp).start();
    for (let i = 0; i < 7; i++) { s.addData([order(`u${i % 3}`, 1, i)]); await q.processAllAvailable(); }
    await q.stop();
    session.conf.delete('spark.sql.streaming.minBatchesToRetain');
    session.conf.delete('sluice.stateSnapshotInterval');
    // Batches 5 and 6 are kept; version 5 needs snapshot 4 (+ delta 5), so nothing below 4 remains.
    expect(readdirSync(path.join(cp, 'state', '0')).sort()).toEqual(['4.delta', '4.snapshot', '5.delta', '6.delta', '6.snapshot', '_metadata']);
    expect(session.table('purged').collect().map((r) => [r.user_id, r.count])).toEqual([['u0', 3n], ['u1', 2n], ['u2', 2n]]);
  });
});
