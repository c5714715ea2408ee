// The map type of issue 13 (map<K,V> over Arrow Map columns) and its functions, each checked
// against the examples of its PySpark docstring (python/pyspark/sql/functions/builtin.py) or
// Spark's SQL examples (ExpressionDescription of CreateMap, MapKeys, MapValues, MapEntries,
// MapFromArrays, ElementAt, MapContainsKey, Size, Explode) with their expected answers, plus
// Spark's rules: a null or duplicate key stops the query, a missing key is null.
import { describe, expect, it } from 'vitest';
import {
  Session, MemoryStream, col, lit, expr, types as T, AnalysisError, DataError,
  create_map, map_keys, map_values, map_entries, map_from_arrays, map_contains_key, element_at, size,
  explode, explode_outer, posexplode, to_json, from_json, hash,
} from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';

const session = Session.builder().appName('functions-maps-test').getOrCreate();
type DF = ReturnType<MemoryStream['toDF']>;
let seq = 0;

async function failure(schema: T.Struct, rows: Record<string, unknown>[], build: (df: DF) => DF): Promise<Error> {
  const s = new MemoryStream(session, schema);
  s.addData(rows);
  try {
    const q = await build(s.toDF()).writeStream.format('memory').queryName(`fm${seq++}`).start();
    await q.processAllAvailable().finally(() => q.stop());
  } catch (e) { return e as Error; }
  throw new Error('expected the query to fail');
}

const ONE = T.struct({ id: T.int });
const M = (k: T.DataType, v: T.DataType) => T.struct({ data: T.map(k, v) });

describe('create_map', () => {
  it("PySpark: df.select(create_map('name', 'age').alias('map')) gives {'Alice': 2}, {'Bob': 5}", async () => {
    const out = await queryRows(T.struct({ name: T.string, age: T.long }), [{ name: 'Alice', age: 2n }, { name: 'Bob', age: 5n }],
      (df) => df.select(create_map('name', 'age').alias('map'), create_map([col('name'), col('age')]).alias('m2')));
    expect(out).toEqual([{ map: new Map([['Alice', 2n]]), m2: new Map([['Alice', 2n]]) }, { map: new Map([['Bob', 5n]]), m2: new Map([['Bob', 5n]]) }]);
  });

  it("SQL: map(1.0, '2', 3.0, '4') is {1.0 -> '2', 3.0 -> '4'}; keys and values meet in common types; a null value is kept", async () => {
    const out = await queryRows(ONE, [{ id: 1 }], (df) => df.select(expr("map(1.0, '2', 3.0, '4')").alias('m'), expr('map(1, 2L, 2, NULL)').alias('n'), expr('map()').alias('e')));
    // 1.0 is Spark's decimal(2,1), so the keys are decimals, read as their text.
    expect(out).toEqual([{ m: new Map([['1.0', '2'], ['3.0', '4']]), n: new Map([[1, 2n], [2, null]]), e: new Map() }]);
  });

  it('a duplicate or null key stops the query naming the row (Spark: DUPLICATED_MAP_KEY, NULL_MAP_KEY)', async () => {
    const dup = await failure(T.struct({ a: T.string, b: T.string }), [{ a: 'x', b: 'y' }, { a: 'k', b: 'k' }], (df) => df.select(create_map('a', lit(1), 'b', lit(2))));
    expect(dup).toBeInstanceOf(DataError);
    expect(dup.message).toMatch(/duplicate map key 'k' in row 1/);
    const nul = await failure(T.struct({ a: T.string }), [{ a: null }], (df) => df.select(create_map('a', lit(1))));
    expect(nul.message).toMatch(/row 0 of the batch has a null map key/);
  });

  it('an odd number of arguments is an analysis error', async () => {
    const e = await failure(ONE, [], (df) => df.select(expr('map(1, 2, 3)')));
    expect(e).toBeInstanceOf(AnalysisError);
    expect(e.message).toMatch(/positive even number of arguments/);
  });
});

describe('map_keys, map_values, map_entries, map_from_arrays', () => {
  it("SQL: map_keys(map(1, 'a', 2, 'b')) is [1,2]; map_values is ['a','b']; map_entries is [{1,'a'},{2,'b'}]; nulls stay null", async () => {
    const schema = M(T.int, T.string);
    const out = await queryRows(schema, [{ data: new Map([[1, 'a'], [2, 'b']]) }, { data: null }, { data: new Map() }], (df) => df.select(
      map_keys('data').alias('k'), map_values('data').alias('v'), map_entries('data').alias('e')));
    expect(out).toEqual([
      { k: [1, 2], v: ['a', 'b'], e: [{ key: 1, value: 'a' }, { key: 2, value: 'b' }] },
      { k: null, v: null, e: null },
      { k: [], v: [], e: [] },
    ]);
  });

  it("PySpark: map_from_arrays(df.k, df.v) over ([2, 5], ['a', 'b']) is {2: 'a', 5: 'b'}; a null array gives null", async () => {
    const schema = T.struct({ k: T.array(T.long), v: T.array(T.string) });
    const out = await queryRows(schema, [{ k: [2n, 5n], v: ['a', 'b'] }, { k: null, v: ['a'] }], (df) => df.select(map_from_arrays(col('k'), col('v')).alias('col')));
    expect(out).toEqual([{ col: new Map([[2n, 'a'], [5n, 'b']]) }, { col: null }]);
  });

  it('map_from_arrays refuses arrays of different lengths and repeated keys', async () => {
    const schema = T.struct({ k: T.array(T.int), v: T.array(T.string) });
    const len = await failure(schema, [{ k: [1, 2], v: ['a'] }], (df) => df.select(map_from_arrays('k', 'v')));
    expect(len.message).toMatch(/key array has 2 elements and the value array 1/);
    const dup = await failure(schema, [{ k: [1, 1], v: ['a', 'b'] }], (df) => df.select(map_from_arrays('k', 'v')));
    expect(dup.message).toMatch(/duplicate map key 1 in row 0/);
  });
});

describe('lookups: element_at, getItem, m[k] in expr(), map_contains_key, size', () => {
  const schema = M(T.string, T.double);
  const rows = [{ data: { a: 1.0, b: 2.0 } }, { data: null }, { data: { c: null } }];

  it("PySpark: element_at(df.data, lit('a')) is 1.0; a missing key or a null map is null", async () => {
    const out = await queryRows(schema, rows, (df) => df.select(element_at(col('data'), lit('a')).alias('a'), element_at('data', 'b').alias('b'), element_at('data', 'zz').alias('z')));
    expect(out).toEqual([{ a: 1, b: 2, z: null }, { a: null, b: null, z: null }, { a: null, b: null, z: null }]);
  });

  it("getItem('a'), data['a'] and data.a in expr() are Spark's GetMapValue, named data[a]", async () => {
    const out = await queryRows(schema, rows, (df) => df.select(col('data').getItem('a'), expr("data['b']"), expr('data.c IS NULL').alias('c_null'), expr("data[concat('', 'a')]").alias('dyn')));
    expect(out).toEqual([
      { 'data[a]': 1, 'data[b]': 2, c_null: true, dyn: 1 },
      { 'data[a]': null, 'data[b]': null, c_null: true, dyn: null },
      { 'data[a]': null, 'data[b]': null, c_null: true, dyn: null },
    ]);
  });

  it('a non-string key is cast to the key type: map<int,string>[1] and element_at(m, 1L)', async () => {
    const out = await queryRows(M(T.int, T.string), [{ data: new Map([[1, 'a'], [2, 'b']]) }], (df) => df.select(
      col('data').getItem(2).alias('g'), element_at('data', lit(1n)).alias('e'), expr('data[3]').alias('x')));
    expect(out).toEqual([{ g: 'b', e: 'a', x: null }]);
  });

  it("SQL: map_contains_key(map(1, 'a', 2, 'b'), 1) is true, with -1 false; null map null", async () => {
    const out = await queryRows(M(T.int, T.string), [{ data: new Map([[1, 'a'], [2, 'b']]) }, { data: null }], (df) => df.select(
      map_contains_key('data', 1).alias('t'), map_contains_key('data', -1).alias('f'), expr("map_contains_key(map(1, 'a', 2, 'b'), 2)").alias('sql')));
    expect(out).toEqual([{ t: true, f: false, sql: true }, { t: null, f: null, sql: true }]);
  });

  it("SQL: size(map('a', 1, 'b', 2)) is 2; a null map is -1 (Spark's legacy default)", async () => {
    const out = await queryRows(schema, rows, (df) => df.select(size('data').alias('n'), expr("size(map('a', 1, 'b', 2))").alias('two')));
    expect(out).toEqual([{ n: 2, two: 2 }, { n: -1, two: 2 }, { n: 1, two: 2 }]);
  });

  it('a key of another type, a lookup on a non-map, and hash() of a map are analysis errors', async () => {
    const e1 = await failure(M(T.int, T.string), [], (df) => df.select(map_contains_key('data', lit(true))));
    expect(e1.message).toMatch(/map followed by a value with same key type/);
    const e2 = await failure(ONE, [], (df) => df.select(map_keys('id')));
    expect(e2.message).toMatch(/argument 1 requires map type, however, 'id' is of int type/);
    const e3 = await failure(schema, [], (df) => df.select(hash('data')));
    expect(e3.message).toMatch(/maps cannot be hashed/);
  });
});

describe('explode, explode_outer, posexplode of a map: columns key and value', () => {
  it("PySpark: df.select(explode(df.mapfield)) over {'a': 'b'} gives key a, value b; posexplode adds pos 0", async () => {
    const schema = T.struct({ a: T.int, mapfield: T.map(T.string, T.string) });
    const rows = [{ a: 1, mapfield: { a: 'b' } }];
    expect(await queryRows(schema, rows, (df) => df.select(explode('mapfield')))).toEqual([{ key: 'a', value: 'b' }]);
    expect(await queryRows(schema, rows, (df) => df.select(posexplode('mapfield')))).toEqual([{ pos: 0, key: 'a', value: 'b' }]);
  });

  it("PySpark: explode_outer('a_map') over {'x': 1.0}, {}, None keeps rows 2 and 3 with null key and value", async () => {
    const schema = T.struct({ id: T.long, a_map: T.map(T.string, T.double) });
    const out = await queryRows(schema, [{ id: 1n, a_map: { x: 1.0 } }, { id: 2n, a_map: {} }, { id: 3n, a_map: null }],
      (df) => df.select('id', 'a_map', explode_outer('a_map')));
    expect(out).toEqual([
      { id: 1n, a_map: new Map([['x', 1]]), key: 'x', value: 1 },
      { id: 2n, a_map: new Map(), key: null, value: null },
      { id: 3n, a_map: null, key: null, value: null },
    ]);
    const inner = await queryRows(schema, [{ id: 1n, a_map: { x: 1.0, y: 2.0 } }, { id: 2n, a_map: {} }, { id: 3n, a_map: { z: null } }],
      (df) => df.select('id', explode('a_map')));
    expect(inner).toEqual([{ id: 1n, key: 'x', value: 1 }, { id: 1n, key: 'y', value: 2 }, { id: 3n, key: 'z', value: null }]);
  });

  it('a single alias is refused: a map explodes into two columns', async () => {
    const e = await failure(M(T.string, T.int), [], (df) => df.select(explode('data').alias('x')));
    expect(e.message).toMatch(/makes the columns key, value, so it takes no single alias/);
  });
});

describe('maps through to_json, show() and printSchema()', () => {
  it("PySpark: to_json(df.data) over {'name': 'Alice'} is {\"name\":\"Alice\"}; a null value is written as null", async () => {
    const out = await queryRows(M(T.string, T.string), [{ data: { name: 'Alice' } }, { data: { a: null, b: 'x' } }], (df) => df.select(to_json('data').alias('json')));
    expect(out).toEqual([{ json: '{"name":"Alice"}' }, { json: '{"a":null,"b":"x"}' }]);
  });

  it("show() prints a map as Spark does, {a -> 1, b -> 2}; printSchema shows key and value", async () => {
    const df = session.createDataFrame([{ m: new Map([['a', 1], ['b', 2]]) }, { m: null }], T.struct({ m: T.map(T.string, T.int) }));
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => { lines.push(s); };
    try { df.show(); df.printSchema(); } finally { console.log = log; }
    expect(lines.join('\n')).toBe([
      '+----------------+', '|               m|', '+----------------+', '|{a -> 1, b -> 2}|', '|            null|', '+----------------+',
      'root', ' |-- m: map (nullable = true)', ' |    |-- key: string', ' |    |-- value: int (valueContainsNull = true)',
    ].join('\n'));
  });
});

describe('maps in writers and where Spark refuses them', () => {
  it('df.write.json writes a map as a JSON object that DuckDB reads back; CSV refuses it as Spark does', async () => {
    const { tmpDir } = await import('./support/tmp.ts');
    const { duckQuery } = await import('./support/duck.ts');
    const dir = tmpDir('maps-write');
    const df = session.createDataFrame([{ id: 1, m: { a: 1n, b: null } }, { id: 2, m: null }], T.struct({ id: T.int, m: T.map(T.string, T.long) }));
    await df.write.json(`${dir}/j`);
    const back = await duckQuery(`SELECT id, m.a AS a, json_keys(to_json(m)) AS k FROM read_json('${dir}/j/*.json', columns = {id: 'INTEGER', m: 'JSON'}) ORDER BY id`);
    expect(back.map((r) => [r.id, r.a === null ? null : Number(r.a), r.k])).toEqual([[1, 1, ['a', 'b']], [2, null, null]]);
    await expect(df.write.csv(`${dir}/c`)).rejects.toThrow(/CSV data source does not support map<string,long> data type \(column 'm'\)/);
  });

  it('groupBy, dropDuplicates and aggregates over a map are refused at start(), naming the column', async () => {
    const schema = T.struct({ id: T.int, m: T.map(T.string, T.int) });
    const g = await failure(schema, [], (df) => df.groupBy('m').count() as unknown as DF);
    expect(g.message).toMatch(/groupBy on the map column 'm' \(map<string,int>\) is not supported, as in Spark/);
    const d = await failure(schema, [], (df) => df.dropDuplicates(['m']));
    expect(d.message).toMatch(/on the map column 'm' is not supported/);
    const { first } = await import('../src/index.ts');
    const a = await failure(schema, [], (df) => df.groupBy('id').agg(first('m')) as unknown as DF);
    expect(a.message).toMatch(/first\(\) over a map column is not supported/);
  });
});
