// Aggregate state held as numbers in typed arrays (state/number-column.ts, exec/aggregate/grouped.ts)
// must answer what the cell path answers, survive a restart, and read and write the very files
// the cell path does: checkpoints written before it must load, and state tools that read cells
// (sluice checkpoint state) must read what it writes.
import { describe, expect, it } from 'vitest';
import * as T from '../src/data/types.ts';
import { cellWriter, type Cell } from '../src/data/cells.ts';
import { BatchKeys, rowHash } from '../src/state/key-hash.ts';
import { StateStore } from '../src/state/state-store.ts';
import type { NumberHolder } from '../src/state/number-column.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { Session, MemoryStream, col, count, sum, avg, min, max } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

const column = (type: T.DataType, cells: Cell[]) => {
  const w = cellWriter(type, cells.length);
  for (const c of cells) w.push(c);
  return w.finish();
};

describe('state values held as numbers', () => {
  const keySchema = T.struct({ k: T.string });
  const valueSchema = T.struct([
    { name: 'sum', type: T.double, nullable: true }, { name: 'n', type: T.long, nullable: true }, { name: 'big', type: T.long, nullable: true },
    { name: 'ts', type: T.timestamp, nullable: true }, { name: 'i', type: T.int, nullable: true }, { name: 'day', type: T.date, nullable: true },
  ]);
  const holders: NumberHolder[] = ['f64', 'f64', 'i64', 'f64', 'f64', 'f64'];
  const rows: Cell[][] = [
    [1.5, 3n, -(2n ** 63n), Date.UTC(2024, 0, 1), -7, 19000],
    [null, null, null, null, null, null],
    [-0.25, 2n ** 52n, 2n ** 63n - 1n, -86_400_001, 2147483647, -3],
    [Number.NaN, 0n, 5n, 0, 0, 0],
  ];
  const keys = ['a', 'b', 'c', 'd'];
  const open = (dir: string, numbers: readonly (NumberHolder | null)[] = []) => new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 2, { numbers });
  const cellOf = (s: StateStore, v: number, slot: number): Cell => (s.numbers[v] ? s.numbers[v]!.cell(slot) : s.values[v]![slot]!);
  const read = (s: StateStore) => Object.fromEntries(keys.map((k) => { const slot = s.find([k]); return [k, slot < 0 ? null : valueSchema.fields.map((_, v) => cellOf(s, v, slot))]; }));

  it('files written by a store of cells load into one of numbers, and the other way round, value for value', async () => {
    const dir = tmpDir('state-numbers');
    const cells = open(dir);
    const batch = new BatchKeys([column(T.string, keys)], [T.string], keys.length);
    keys.forEach((_, i) => { const slot = cells.insertRow(batch, i, rowHash(batch, i)); rows[i]!.forEach((c, v) => { cells.values[v]![slot] = c; }); });
    await cells.commit(0);
    cells.remove(cells.find(['d']));
    cells.values[0]![cells.find(['a'])] = 2.5;
    cells.touch(cells.find(['a']));
    await cells.commit(1);
    const want = { a: [2.5, ...rows[0]!.slice(1)], b: rows[1], c: rows[2], d: null };
    expect(read(cells)).toEqual(want);

    const numbers = open(dir, holders);
    await numbers.load(1);
    expect(read(numbers)).toEqual(want);
    // Written by the numbers store (version 2 is a snapshot: every key), read back by a store of cells.
    const c = numbers.find(['c']);
    numbers.numbers[1]!.setCell(c, 7n); numbers.numbers[3]!.setCell(c, null); numbers.touch(c);
    await numbers.commit(2);
    const again = open(dir);
    await again.load(2);
    const want2 = { ...want, c: [-0.25, 7n, 2n ** 63n - 1n, null, 2147483647, -3] };
    expect(read(again)).toEqual(want2);
    expect(read(numbers)).toEqual(want2);
    // A new slot of the numbers store starts null, as a cell does.
    const batch2 = new BatchKeys([column(T.string, ['e'])], [T.string], 1);
    const e = numbers.insertRow(batch2, 0, rowHash(batch2, 0));
    expect(valueSchema.fields.map((_, v) => cellOf(numbers, v, e))).toEqual([null, null, null, null, null, null]);
  });

  it('count, sum, avg, min and max of numbers give the cell path\'s answers, across a restart, nulls and a wrapping long sum included', async () => {
    const session = Session.builder().appName('state-numbers').getOrCreate();
    const schema = T.struct({ k: T.string, i: T.int, l: T.long, d: T.double, t: T.timestamp, day: T.date });
    type Row = { k: string; i: number | null; l: bigint | null; d: number | null; t: Date | null; day: number | null };
    const day0 = Date.UTC(2024, 0, 1);
    const batches: Row[][] = [
      [
        { k: 'x', i: 1, l: 2n ** 62n, d: 1.5, t: new Date(day0 + 5), day: 10 },
        { k: 'x', i: null, l: 2n ** 62n, d: null, t: null, day: null },
        { k: 'y', i: -4, l: -3n, d: -2, t: new Date(day0 - 1), day: -2 },
        { k: 'nulls', i: null, l: null, d: null, t: null, day: null },
      ],
      [
        { k: 'x', i: 2147483647, l: 2n ** 62n, d: 0.25, t: new Date(day0 + 3), day: 12 },
        { k: 'z', i: 0, l: 0n, d: Number.NaN, t: new Date(day0), day: 0 },
      ],
      [
        // After the restart: x's long sum passes 2^63 and wraps, as Spark's (non-ANSI) sum of longs does.
        { k: 'x', i: -1, l: 2n ** 62n, d: 2, t: new Date(day0 + 9), day: 11 },
        { k: 'y', i: 4, l: 3n, d: 2, t: new Date(day0 - 2), day: -1 },
        { k: 'nulls', i: null, l: null, d: null, t: null, day: null },
      ],
    ];
    const cp = tmpDir('state-numbers-cp');
    let last: Record<string, unknown>[] = [];
    const run = async (upTo: number) => {
      const s = new MemoryStream(session, schema);
      for (let b = 0; b < upTo; b++) s.addData(batches[b]!);
      const q = await s.toDF().groupBy(col('k')).agg(
        count('*').alias('rows'), count('i').alias('ni'), sum('i').alias('si'), sum('l').alias('sl'), sum('d').alias('sd'),
        avg('d').alias('ad'), avg('l').alias('al'), min('i').alias('mini'), max('l').alias('maxl'), min('d').alias('mind'), max('d').alias('maxd'),
        min('t').alias('mint'), max('t').alias('maxt'), min('day').alias('minday'), max('day').alias('maxday'),
      ).writeStream.outputMode('complete').option('checkpointLocation', cp)
        .foreachBatch((df) => { last = df.collect(); }).start();
      await q.processAllAvailable();
      await q.stop();
    };
    await run(2);
    await run(3);
    const by = Object.fromEntries(last.map((r) => [r.k, r]));
    const wrap = (x: bigint) => BigInt.asIntN(64, x), days = (n: number) => new Date(n * 86_400_000);
    expect(by.x).toEqual({
      k: 'x', rows: 4n, ni: 3n, si: 1n + 2147483647n - 1n, sl: wrap(4n * 2n ** 62n), sd: 3.75, ad: 1.25, al: Number(4n * 2n ** 62n) / 4,
      mini: -1, maxl: 2n ** 62n, mind: 0.25, maxd: 2, mint: new Date(day0 + 3), maxt: new Date(day0 + 9), minday: days(10), maxday: days(12),
    });
    expect(by.y).toEqual({
      k: 'y', rows: 2n, ni: 2n, si: 0n, sl: 0n, sd: 0, ad: 0, al: 0,
      mini: -4, maxl: 3n, mind: -2, maxd: 2, mint: new Date(day0 - 2), maxt: new Date(day0 - 1), minday: days(-2), maxday: days(-1),
    });
    // No non-null input: counts are 0, the rest null.
    expect(by.nulls).toEqual({
      k: 'nulls', rows: 2n, ni: 0n, si: null, sl: null, sd: null, ad: null, al: null,
      mini: null, maxl: null, mind: null, maxd: null, mint: null, maxt: null, minday: null, maxday: null,
    });
    // NaN is a sum's and an average's NaN, and min/max keep it as the only value seen.
    expect(by.z).toMatchObject({ rows: 1n, sd: Number.NaN, ad: Number.NaN, mind: Number.NaN, maxd: Number.NaN, mint: new Date(day0), minday: days(0) });
  }, 60_000);

  it('update mode outputs a count as its state column, and 0 for a group that counted nothing, also after a restart', async () => {
    const session = Session.builder().appName('state-numbers-count').getOrCreate();
    const schema = T.struct({ k: T.string, i: T.int });
    const batches = [
      [{ k: 'a', i: 1 }, { k: 'a', i: 2 }, { k: 'b', i: 3 }],
      [{ k: 'nulls', i: null }, { k: 'a', i: null }],
      [{ k: 'nulls', i: null }, { k: 'b', i: 4 }, { k: 'c', i: 5 }],
    ];
    const cp = tmpDir('state-numbers-count-cp');
    const out: Record<string, unknown>[][] = [];
    // One micro-batch per input batch; a restart replays the committed ones into the new stream first.
    const run = async (from: number, upTo: number) => {
      const s = new MemoryStream(session, schema);
      for (let b = 0; b < from; b++) s.addData(batches[b]!);
      const q = await s.toDF().groupBy(col('k')).agg(count('*').alias('rows'), count('i').alias('ni'))
        .writeStream.outputMode('update').option('checkpointLocation', cp)
        .foreachBatch((df, id) => { out[id] = df.collect().sort((x, y) => String(x.k).localeCompare(String(y.k))); }).start();
      for (let b = from; b < upTo; b++) { s.addData(batches[b]!); await q.processAllAvailable(); }
      await q.stop();
    };
    await run(0, 2);
    await run(2, 3);
    expect(out).toEqual([
      [{ k: 'a', rows: 2n, ni: 2n }, { k: 'b', rows: 1n, ni: 1n }],
      [{ k: 'a', rows: 3n, ni: 2n }, { k: 'nulls', rows: 1n, ni: 0n }],
      [{ k: 'b', rows: 2n, ni: 2n }, { k: 'c', rows: 1n, ni: 1n }, { k: 'nulls', rows: 2n, ni: 0n }],
    ]);
  }, 60_000);
});
