// The map<K,V> type over Arrow Map columns: null map vs empty map vs null values through cells,
// take, concat, Arrow IPC (the state store's format), Parquet (read back by real DuckDB as a MAP
// and by sluice's own reader, and a file DuckDB wrote read by sluice), the parquet sink of a
// streaming query, and createDataFrame's checks.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Session, MemoryStream, types as T, AnalysisError } from '../src/index.ts';
import { columnFromValues } from '../src/data/column-from-values.ts';
import { makeBatch, fromArrowTable, toArrowTable } from '../src/data/batch.ts';
import { batchToRows } from '../src/data/rows.ts';
import { cellReader, cellWriter } from '../src/data/cells.ts';
import { take } from '../src/data/take.ts';
import { concatColumns } from '../src/data/concat.ts';
import { parseDdlSchema } from '../src/data/ddl.ts';
import { encodeParquet } from '../src/formats/parquet/encode-parquet.ts';
import { decodeParquet } from '../src/formats/parquet/read-parquet.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('map-type-test').getOrCreate();
const attrs = T.map(T.string, T.long);
const nested = T.map(T.int, T.array(T.string));
const schema = T.struct({ id: T.int, attrs, nested });
// A map with a null value, a null map, an empty map.
const rows = [
  { id: 1, attrs: new Map<string, bigint | null>([['a', 1n], ['b', null]]), nested: new Map([[7, ['x', null]], [8, null]]) },
  { id: 2, attrs: null, nested: null },
  { id: 3, attrs: new Map(), nested: new Map() },
];
const batch = () => makeBatch(schema, schema.fields.map((f) => columnFromValues(f.type, rows.map((r) => r[f.name as keyof typeof r]), 'test', f.name)), rows.length);

describe('map<K,V>: the type', () => {
  it("is named as Spark names it, from DDL, from a type name and from Arrow's Map", () => {
    expect(T.typeToString(schema)).toBe('struct<id:int,attrs:map<string,long>,nested:map<int,array<string>>>');
    expect(T.typeToString(T.typeByName('map<string, array<map<int,string>>>'))).toBe('map<string,array<map<int,string>>>');
    expect(T.typeToString(parseDdlSchema('tags ARRAY<STRING>, attrs MAP<STRING,STRING>, user STRUCT<id: BIGINT, name: STRING>')))
      .toBe('struct<tags:array<string>,attrs:map<string,string>,user:struct<id:long,name:string>>');
    expect(T.typeToString(T.fromArrowType(T.toArrowType(nested)))).toBe('map<int,array<string>>');
    expect(A.DataType.isMap(T.toArrowType(attrs))).toBe(true);
  });

  it('keeps null map, empty map and null values apart through cells, take, concat and Arrow IPC', () => {
    const b = batch();
    expect(batchToRows(b)).toEqual(rows);
    const d = b.columns[1]!;
    const cells = [0, 1, 2].map(cellReader(d, attrs));
    expect(cells).toEqual([[['a', 1n], ['b', null]], null, []]);
    const w = cellWriter(attrs, 1);
    for (const c of cells) w.push(c);
    expect([0, 1, 2].map(cellReader(w.finish(), attrs))).toEqual(cells);
    expect([0, 1, 2].map(cellReader(take(d, Int32Array.from([2, 0, 1])), attrs))).toEqual([[], cells[0], null]);
    const both = concatColumns(attrs, [d, take(d, Int32Array.from([0]))]);
    expect([0, 1, 2, 3].map(cellReader(both, attrs))).toEqual([...cells, cells[0]]);
    const back = fromArrowTable(A.tableFromIPC(A.tableToIPC(toArrowTable(b))));
    expect(batchToRows(back[0]!)).toEqual(rows);
  });

  it('is refused by createDataFrame-style checks naming the row and column', () => {
    expect(() => columnFromValues(attrs, [{ a: 'x' }], 'createDataFrame', 'attrs')).toThrow("createDataFrame: row 0, column 'attrs.value': a long column cannot hold 'x'");
    expect(() => columnFromValues(attrs, [['a']], 'createDataFrame', 'attrs')).toThrow(AnalysisError);
  });
});

describe('map<K,V>: Parquet', () => {
  it('writes a MAP that DuckDB reads as MAP(VARCHAR, BIGINT), nulls and empties intact, and sluice reads back', async () => {
    const dir = tmpDir('map-parquet');
    const bytes = encodeParquet(schema, [batch()], { codec: 'snappy' });
    writeFileSync(`${dir}/m.parquet`, bytes);
    const got = await duckQuery(`SELECT id, typeof(attrs) ta, typeof(nested) tn, map_keys(attrs) k, map_values(attrs) v, attrs['a'] a, cardinality(nested) n, nested[7] n7
      FROM read_parquet('${dir}/m.parquet') ORDER BY id`);
    expect(got).toEqual([
      { id: 1, ta: 'MAP(VARCHAR, BIGINT)', tn: 'MAP(INTEGER, VARCHAR[])', k: ['a', 'b'], v: [1n, null], a: 1n, n: 2n, n7: ['x', null] },
      { id: 2, ta: 'MAP(VARCHAR, BIGINT)', tn: 'MAP(INTEGER, VARCHAR[])', k: null, v: null, a: null, n: null, n7: null },
      { id: 3, ta: 'MAP(VARCHAR, BIGINT)', tn: 'MAP(INTEGER, VARCHAR[])', k: [], v: [], a: null, n: 0n, n7: null },
    ]);
    const back = decodeParquet(bytes, 'm.parquet');
    expect(T.typeToString(back.schema)).toBe(T.typeToString(schema));
    expect(batchToRows(back.batches[0]!)).toEqual(rows);
  });

  it('reads a file DuckDB wrote with maps (entries named key_value) as maps', async () => {
    const dir = tmpDir('map-duck');
    await duckQuery(`COPY (SELECT MAP {'k': 1, 'j': NULL} AS m UNION ALL SELECT NULL::MAP(VARCHAR, INTEGER) UNION ALL SELECT MAP {}) TO '${dir}/d.parquet' (FORMAT parquet)`);
    const back = decodeParquet(readFileSync(`${dir}/d.parquet`), 'd.parquet');
    expect(back.schema.fields.map((f) => T.typeToString(f.type))).toEqual(['map<string,int>']);
    expect(back.batches.flatMap(batchToRows)).toEqual([{ m: new Map([['k', 1], ['j', null]]) }, { m: null }, { m: new Map() }]);
  });

  it('goes through the parquet sink of a streaming query', async () => {
    const dir = tmpDir('map-sink');
    const stream = new MemoryStream(session, schema);
    stream.addData(rows);
    const q = await stream.toDF().writeStream.format('parquet').option('checkpointLocation', `${dir}/cp`).start(`${dir}/out`);
    await q.processAllAvailable(); await q.stop();
    expect(readdirSync(`${dir}/out`).filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(0);
    const got = await duckQuery(`SELECT id, attrs FROM read_parquet('${dir}/out/*.parquet') ORDER BY id`);
    expect(got.map((r) => ({ id: r.id, attrs: r.attrs }))).toEqual([
      { id: 1, attrs: [{ key: 'a', value: 1n }, { key: 'b', value: null }] }, { id: 2, attrs: null }, { id: 3, attrs: [] },
    ]);
  });
});
