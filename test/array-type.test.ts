// The array<T> type over Arrow List columns: its names, printSchema, null array vs empty array vs
// null elements through cells, take, concat, Arrow IPC (the state store's format), Parquet (read back
// by real DuckDB as a LIST and by sluice's own reader), the memory and console sinks, and the
// refusals where arrays cannot go yet (grouping and dedup keys).
import { readdirSync } from 'node:fs';
import * as A from 'apache-arrow';
import { describe, expect, it, vi } from 'vitest';
import { Session, MemoryStream, col, types as T, AnalysisError } from '../src/index.ts';
import { columnFromValues } from '../src/data/column-from-values.ts';
import { makeBatch, fromArrowTable, toArrowTable } from '../src/data/batch.ts';
import { batchToRows } from '../src/data/rows.ts';
import { cellReader, cellWriter } from '../src/data/cells.ts';
import { take } from '../src/data/take.ts';
import { concatColumns } from '../src/data/concat.ts';
import { encodeParquet } from '../src/formats/parquet/encode-parquet.ts';
import { decodeParquet } from '../src/formats/parquet/read-parquet.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';
import { cellJson, cellText } from '../src/cli/checkpoint/state-table.ts';
import { queryRows } from './support/select-rows.ts';

const session = Session.builder().appName('array-type-test').getOrCreate();
const strs = T.array(T.string);
const nested = T.array(T.array(T.long));
const schema = T.struct({ id: T.int, tags: strs, nums: nested });
// A full array with a null element, a null array, an empty array.
const rows = [
  { id: 1, tags: ['a', null, 'b'], nums: [[1n, 2n], [], null] },
  { id: 2, tags: null, nums: null },
  { id: 3, tags: [], nums: [] },
];
const batch = () => makeBatch(schema, schema.fields.map((f) => columnFromValues(f.type, rows.map((r) => (r as Record<string, unknown>)[f.name]), 'test', f.name)), rows.length);

describe('array<T>: the type', () => {
  it("is named as Spark's simpleString and parsed from it", () => {
    expect(T.typeToString(strs)).toBe('array<string>');
    expect(T.typeToString(T.array(T.struct({ key: T.string, value: T.binary })))).toBe('array<struct<key:string,value:binary>>');
    expect(T.typeToString(T.typeByName('array<array<int>>'))).toBe('array<array<int>>');
    expect(T.sameType(T.typeByName('ARRAY<bigint>'), T.array(T.long))).toBe(true);
  });

  it('prints in printSchema as Spark does: an element line with containsNull', async () => {
    const df = new MemoryStream(session, T.struct({ h: T.array(T.struct({ key: T.string })) })).toDF();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try { df.printSchema(); expect(log.mock.calls[0]![0]).toBe([
      'root',
      ' |-- h: array (nullable = true)',
      ' |    |-- element: struct (containsNull = true)',
      ' |    |    |-- key: string (nullable = true)',
    ].join('\n')); } finally { log.mockRestore(); }
  });
});

describe('array<T>: columns', () => {
  it('keeps a null array, an empty array and null elements apart through cells and rows', () => {
    const b = batch();
    expect(batchToRows(b)).toEqual(rows);
    expect(b.columns[1]!.nullCount).toBe(1);
    const read = cellReader(b.columns[1]!, strs);
    expect([read(0), read(1), read(2)]).toEqual([['a', null, 'b'], null, []]);
    const w = cellWriter(strs, 1);
    for (const v of [['x'], null, [], [null]]) w.push(v);
    expect(batchToRows(makeBatch(T.struct({ t: strs }), [w.finish()], 4)).map((r) => r.t)).toEqual([['x'], null, [], [null]]);
  });

  it('take gathers rows with their elements (repeats, reorders)', () => {
    const b = batch();
    const idx = Int32Array.from([2, 0, 1, 0]);
    expect(batchToRows(makeBatch(schema, b.columns.map((c) => take(c, idx)), 4)).map((r) => r.id)).toEqual([3, 1, 2, 1]);
    expect(batchToRows(makeBatch(schema, b.columns.map((c) => take(c, idx)), 4)).map((r) => r.nums)).toEqual([[], [[1n, 2n], [], null], null, [[1n, 2n], [], null]]);
  });

  it('concat joins columns, also one whose offsets do not start at 0 (a taken slice)', () => {
    const b = batch(), c = b.columns[2]!;
    const tail = take(c, Int32Array.from([0]));
    const sliced = A.makeData({ type: c.type as A.List, length: 1, nullCount: 0, valueOffsets: Int32Array.from([1, 3]), child: c.children[0]! });
    const all = concatColumns(nested, [c, tail, sliced]);
    expect(batchToRows(makeBatch(T.struct({ n: nested }), [all], 5)).map((r) => r.n)).toEqual([[[1n, 2n], [], null], null, [], [[1n, 2n], [], null], [[], null]]);
  });

  it('survives Arrow IPC, the state store file format', () => {
    const back = fromArrowTable(A.tableFromIPC(A.tableToIPC(toArrowTable(batch()), 'stream')));
    expect(back[0]!.schema.fields.map((f) => T.typeToString(f.type))).toEqual(['int', 'array<string>', 'array<array<long>>']);
    expect(batchToRows(back[0]!)).toEqual(rows);
  });

  it('is refused by createDataFrame-style checks with the row and element position', () => {
    expect(() => columnFromValues(strs, [['a'], ['b', 7]], 'createDataFrame', 'tags')).toThrow("createDataFrame: row 1, column 'tags[1]': a string column cannot hold 7");
    expect(() => columnFromValues(strs, ['a'], 'createDataFrame', 'tags')).toThrow("row 0, column 'tags': a array<string> column cannot hold 'a'");
  });
});

describe('array<T>: Parquet', () => {
  it('writes a LIST that DuckDB reads as VARCHAR[] / BIGINT[][], nulls and empties intact, and sluice reads back', async () => {
    const dir = tmpDir('array-parquet');
    const bytes = encodeParquet(schema, [batch()], { codec: 'snappy' });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/a.parquet`, bytes);
    const got = await duckQuery(`SELECT id, typeof(tags) tt, typeof(nums) tn, tags, len(tags) n, tags[2] IS NULL second_null, nums
      FROM read_parquet('${dir}/a.parquet') ORDER BY id`);
    expect(got).toEqual([
      { id: 1, tt: 'VARCHAR[]', tn: 'BIGINT[][]', tags: ['a', null, 'b'], n: 3n, second_null: true, nums: [[1n, 2n], [], null] },
      { id: 2, tt: 'VARCHAR[]', tn: 'BIGINT[][]', tags: null, n: null, second_null: true, nums: null },
      { id: 3, tt: 'VARCHAR[]', tn: 'BIGINT[][]', tags: [], n: 0n, second_null: true, nums: [] },
    ]);
    const back = decodeParquet(bytes, 'a.parquet');
    expect(T.typeToString(back.schema.fields[2]!.type)).toBe('array<array<long>>');
    expect(batchToRows(back.batches[0]!)).toEqual(rows);
  });

  it('reads a file DuckDB wrote with lists (its child is named differently) as arrays', async () => {
    const dir = tmpDir('array-duck');
    await duckQuery(`COPY (SELECT [1, NULL, 3]::INTEGER[] AS xs, NULL::VARCHAR[] AS ys UNION ALL SELECT [], ['q']) TO '${dir}/d.parquet' (FORMAT parquet)`);
    const { readFileSync } = await import('node:fs');
    const back = decodeParquet(readFileSync(`${dir}/d.parquet`), 'd.parquet');
    expect(back.schema.fields.map((f) => T.typeToString(f.type))).toEqual(['array<int>', 'array<string>']);
    expect(back.batches.flatMap(batchToRows)).toEqual([{ xs: [1, null, 3], ys: null }, { xs: [], ys: ['q'] }]);
  });

  it('goes through the parquet sink of a streaming query', async () => {
    const dir = tmpDir('array-sink');
    const stream = new MemoryStream(session, schema);
    stream.addData(rows);
    const q = await stream.toDF().writeStream.format('parquet').option('checkpointLocation', `${dir}/cp`).start(`${dir}/out`);
    await q.processAllAvailable(); await q.stop();
    expect(readdirSync(`${dir}/out`).filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(0);
    const got = await duckQuery(`SELECT id, tags FROM read_parquet('${dir}/out/*.parquet') ORDER BY id`);
    expect(got).toEqual([{ id: 1, tags: ['a', null, 'b'] }, { id: 2, tags: null }, { id: 3, tags: [] }]);
  });
});

describe('array<T>: sinks and refusals', () => {
  it('the memory sink hands back JS arrays', async () => {
    expect(await queryRows(schema, rows, (df) => df.select('tags'))).toEqual(rows.map((r) => ({ tags: r.tags })));
  });

  it("the console sink prints arrays as Spark's show() does: [a, null, b]", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    try {
      const stream = new MemoryStream(session, schema);
      stream.addData(rows);
      const q = await stream.toDF().select('tags').writeStream.format('console').start();
      await q.processAllAvailable(); await q.stop();
    } finally { spy.mockRestore(); }
    const text = out.join('');
    expect(text).toContain('|[a, null, b]|');
    expect(text).toContain('|          []|');
  });

  it("`sluice checkpoint state` prints array state cells (collect_list's) as [a, b], and as JSON arrays", () => {
    expect(cellText(['x', null, 'y'], strs)).toBe('[x, null, y]');
    expect(cellText([[1n], []], nested)).toBe('[[1], []]');
    expect(cellJson([1n, null], T.array(T.long))).toEqual([1, null]);
    expect(cellJson([0], T.array(T.timestamp))).toEqual(['1970-01-01T00:00:00.000Z']);
  });

  it('groupBy and dropDuplicates on an array column are refused with what to do instead', () => {
    const df = new MemoryStream(session, schema).toDF();
    expect(() => df.groupBy(col('tags')).count().schema).toThrow(AnalysisError);
    expect(() => df.groupBy(col('tags')).count().schema).toThrow(/groupBy on the array column 'tags' \(array<string>\) is not supported; group by array_join\(tags, ','\) or explode\(\) it first/);
    expect(() => df.dropDuplicates(['tags']).schema).toThrow(/dropDuplicates on the array column 'tags' is not supported/);
  });
});
