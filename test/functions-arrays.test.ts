// The array functions of issue 13, each checked against the examples of its PySpark docstring
// (python/pyspark/sql/functions/builtin.py, apache/spark) with their expected answers, plus
// Spark's null rules: split, array, size, array_contains, element_at, get / col[i], array_join,
// sort_array, array_distinct; the explode generators; collect_list / collect_set, whose state
// survives a restart through the state store.
import { describe, expect, it } from 'vitest';
import {
  Session, MemoryStream, col, lit, expr, types as T, AnalysisError, DataError, ParseError,
  split, array, size, array_contains, element_at, get, array_join, sort_array, array_distinct,
  explode, explode_outer, posexplode, posexplode_outer, collect_list, collect_set, count, session_window, concat_ws,
} from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';
import { tmpDir } from './support/tmp.ts';
import { mulberry32, randInt } from './support/prng.ts';
import { javaSplit } from '../src/exec/functions/split.ts';

const session = Session.builder().appName('functions-arrays-test').getOrCreate();
type DF = ReturnType<MemoryStream['toDF']>;
const rowsOf = (schema: T.Struct, rows: Record<string, unknown>[], build: (df: DF) => DF) => queryRows(schema, rows, build);
let seq = 0;

async function analysisError(schema: T.Struct, build: (df: DF) => DF): Promise<string> {
  const err = await build(new MemoryStream(session, schema).toDF()).writeStream.format('memory').queryName(`fa${seq++}`).start().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AnalysisError);
  return (err as Error).message;
}

const S = T.struct({ s: T.string });
const DATA = (el: T.DataType) => T.struct({ data: T.array(el) });

describe('split', () => {
  it("PySpark: split(df.s, '[ABC]', 2) and split(df.s, '[ABC]', -1)", async () => {
    const out = await rowsOf(S, [{ s: 'oneAtwoBthreeC' }], (df) => df.select(split(col('s'), '[ABC]', 2).alias('a'), split('s', '[ABC]', -1).alias('b'), split('s', '[ABC]')));
    expect(out).toEqual([{ a: ['one', 'twoBthreeC'], b: ['one', 'two', 'three', ''], 'split(s, [ABC], -1)': ['one', 'two', 'three', ''] }]);
  });

  it("Java's split rules: empty input, no match, leading separator, empty pattern, limit 1, null in null out", async () => {
    const out = await rowsOf(S, [{ s: '' }, { s: 'abc' }, { s: ',a,,b,' }, { s: null }], (df) => df.select(
      split('s', ',').alias('c'), split('s', '').alias('e'), split('s', ',', 1).alias('one')));
    expect(out).toEqual([
      { c: [''], e: [''], one: [''] },
      { c: ['abc'], e: ['a', 'b', 'c'], one: ['abc'] },
      { c: ['', 'a', '', 'b', ''], e: [',', 'a', ',', ',', 'b', ','], one: [',a,,b,'] },
      { c: null, e: null, one: null },
    ]);
  });

  it("is indexed 0-based with getItem and [i] in SQL: split(s, ',')[0]", async () => {
    const out = await rowsOf(S, [{ s: 'a,b' }, { s: 'x' }], (df) => df.select(
      split('s', ',').getItem(0).alias('g0'), split('s', ',').getItem(1).alias('g1'), expr("split(s, ',')[0]").alias('e0'), expr("split(s, ',')[5]").alias('e5')));
    expect(out).toEqual([{ g0: 'a', g1: 'b', e0: 'a', e5: null }, { g0: 'x', g1: null, e0: 'x', e5: null }]);
  });

  it('a literal separator (split on bytes) gives what the regex split gives, limits included', async () => {
    const rng = mulberry32(7);
    const alphabet = ['a', 'é', '|', ':', '.', ',', '😀', ' '];
    const rows = Array.from({ length: 200 }, () => ({ s: Array.from({ length: randInt(rng, 0, 12) }, () => alphabet[randInt(rng, 0, alphabet.length - 1)]).join('') }));
    const seps: [string, RegExp][] = [['\\|', /\|/gu], ['::', /::/gu], ['\\.', /\./gu], [',', /,/gu], ['😀', /😀/gu]];
    for (const limit of [-1, 0, 1, 2, 3]) {
      const out = await rowsOf(S, rows, (df) => df.select(...seps.map(([p], k) => split('s', p, limit).alias(`p${k}`))));
      out.forEach((r, i) => seps.forEach(([p, re], k) => expect(r[`p${k}`], `split('${rows[i]!.s}', '${p}', ${limit})`).toEqual(javaSplit(rows[i]!.s, re, limit))));
    }
  });

  it('an invalid pattern is an analysis error', async () => {
    expect(await analysisError(S, (df) => df.select(split('s', '(')))).toMatch(/split: the pattern '\(' is invalid/);
  });
});

describe('array', () => {
  it("PySpark: array('age', 'age') and array([...])", async () => {
    const out = await rowsOf(T.struct({ name: T.string, age: T.long }), [{ name: 'Alice', age: 2n }, { name: 'Bob', age: 5n }],
      (df) => df.select(array('age', 'age').alias('arr'), array([col('age'), col('age')]).alias('col')));
    expect(out).toEqual([{ arr: [2n, 2n], col: [2n, 2n] }, { arr: [5n, 5n], col: [5n, 5n] }]);
  });

  it('casts to the common type, keeps null elements, and parses in SQL as array(1, 2)', async () => {
    const out = await rowsOf(T.struct({ n: T.int }), [{ n: 1 }, { n: null }], (df) => df.select(
      array(col('n'), lit(2.5)).alias('d'), expr('array(1, 2)').alias('e'), expr('array()').alias('z'), expr('size(array(n, n, n))').alias('k')));
    expect(out).toEqual([{ d: [1, 2.5], e: [1, 2], z: [], k: 3 }, { d: [null, 2.5], e: [1, 2], z: [], k: 3 }]);
    expect(T.typeToString((await new MemoryStream(session, T.struct({ n: T.int })).toDF().select(array('n', lit(2.5)).alias('d')).schema).fields[0]!.type)).toBe('array<double>');
  });
});

describe('lit of a JS array, and concat_ws over arrays', () => {
  it("PySpark: lit([1, 2, 3]) is the array literal named array(1, 2, 3)", async () => {
    const out = await rowsOf(S, [{ s: 'x' }], (df) => df.select(lit([1, 2, 3]), lit(['a', null]).alias('b')));
    expect(out).toEqual([{ 'array(1, 2, 3)': [1, 2, 3], b: ['a', null] }]);
  });

  it("PySpark: concat_ws('-', df.s, df.d) with arrays among the arguments joins their non-null elements", async () => {
    const schema = T.struct({ s: T.string, arr: T.array(T.string), n: T.array(T.int) });
    const out = await rowsOf(schema, [{ s: 'abcd', arr: ['1', null, '2'], n: [3] }, { s: null, arr: null, n: [] }], (df) => df.select(
      concat_ws('-', col('s'), col('arr'), col('n')).alias('j')));
    expect(out.map((r) => r.j)).toEqual(['abcd-1-2-3', '']);
  });
});

describe('size', () => {
  it('PySpark: [1, 2, 3], [1], [] give 3, 1, 0; a null array gives -1 (Spark default, non-ANSI)', async () => {
    const out = await rowsOf(DATA(T.long), [{ data: [1, 2, 3] }, { data: [1] }, { data: [] }, { data: null }, { data: [null] }], (df) => df.select(size('data')));
    expect(out.map((r) => r['size(data)'])).toEqual([3, 1, 0, -1, 1]);
  });
});

describe('array_contains', () => {
  it('PySpark: ["a", "b", "c"] and [] with "a" give true, false', async () => {
    const out = await rowsOf(DATA(T.string), [{ data: ['a', 'b', 'c'] }, { data: [] }], (df) => df.select(array_contains('data', 'a'), array_contains(col('data'), lit('a')).alias('l')));
    expect(out).toEqual([{ 'array_contains(data, a)': true, l: true }, { 'array_contains(data, a)': false, l: false }]);
  });

  it("Spark's nulls: a null array or value gives null; no match but a null element gives null", async () => {
    const out = await rowsOf(DATA(T.long), [{ data: [1, null] }, { data: [2, null] }, { data: null }, { data: [3] }], (df) => df.select(
      array_contains('data', 1).alias('one'), array_contains('data', lit(null)).alias('nul'), array_contains('data', 3.0).alias('three')));
    expect(out).toEqual([
      { one: true, nul: null, three: null }, { one: null, nul: null, three: null }, { one: null, nul: null, three: null }, { one: false, nul: null, three: true },
    ]);
  });
});

describe('element_at and get', () => {
  it('PySpark: element_at(data, 1) is a, element_at(data, -1) is c; [] gives null', async () => {
    const out = await rowsOf(DATA(T.string), [{ data: ['a', 'b', 'c'] }, { data: [] }], (df) => df.select(element_at('data', 1), element_at(col('data'), -1)));
    expect(out).toEqual([{ 'element_at(data, 1)': 'a', 'element_at(data, -1)': 'c' }, { 'element_at(data, 1)': null, 'element_at(data, -1)': null }]);
  });

  it('out of range is null (non-ANSI); index 0 is an error, at analysis for a literal and at run time for a column', async () => {
    const out = await rowsOf(DATA(T.string), [{ data: ['a', null] }, { data: null }], (df) => df.select(element_at('data', 3).alias('p'), element_at('data', -3).alias('m'), element_at('data', 2).alias('n')));
    expect(out).toEqual([{ p: null, m: null, n: null }, { p: null, m: null, n: null }]);
    expect(await analysisError(DATA(T.string), (df) => df.select(element_at('data', 0)))).toMatch(/the index 0 is invalid/);
    const schema = T.struct({ data: T.array(T.string), i: T.int });
    await expect(rowsOf(schema, [{ data: ['a'], i: 0 }], (df) => df.select(element_at('data', col('i'))))).rejects.toThrow(DataError);
  });

  it("PySpark get: get(data, 1) is b, get(data, 3) is null, get(data, index) by column; Column.getItem names it data[1]", async () => {
    const schema = T.struct({ data: T.array(T.string), index: T.int });
    const out = await rowsOf(schema, [{ data: ['a', 'b', 'c'], index: 2 }], (df) => df.select(get('data', 1).alias('g1'), get('data', 3).alias('g3'), get('data', col('index')).alias('gi'), get('data', -1).alias('neg'), col('data').getItem(1)));
    expect(out).toEqual([{ g1: 'b', g3: null, gi: 'c', neg: null, 'data[1]': 'b' }]);
  });

  it('picks structs too, from a Kafka headers-like array<struct<key, value>>', async () => {
    const h = T.struct({ h: T.array(T.struct({ key: T.string, value: T.binary })) });
    const bytes = (x: string) => new TextEncoder().encode(x);
    const rows = [{ h: [{ key: 'k1', value: bytes('a') }, { key: 'k2', value: null }] }, { h: null }];
    const out = await rowsOf(h, rows, (df) => df.select(element_at('h', -1).getField('key').alias('last'), expr('h[0].key').alias('first'), expr('h[0]').alias('s')));
    expect(out).toEqual([{ last: 'k2', first: 'k1', s: { key: 'k1', value: bytes('a') } }, { last: null, first: null, s: null }]);
  });

  it("h.key on an array of structs is the array of every element's key (Spark's GetArrayStructFields)", async () => {
    const h = T.struct({ h: T.array(T.struct({ key: T.string, n: T.int })) });
    const rows = [{ h: [{ key: 'a', n: 1 }, null, { key: null, n: 3 }] }, { h: null }, { h: [] }];
    const out = await rowsOf(h, rows, (df) => df.select(col('h.key'), expr('h.n').alias('ns'), size(col('h').getField('key')).alias('k')));
    expect(out).toEqual([{ key: ['a', null, null], ns: [1, null, 3], k: 3 }, { key: null, ns: null, k: -1 }, { key: [], ns: [], k: 0 }]);
    expect(await analysisError(h, (df) => df.select(col('h.nope')))).toMatch(/No field 'nope' in the elements of 'h' \(h.nope\). Their fields: key, n/);
  });

  it('an array field of a null struct element is null, not the array underneath', async () => {
    const h = T.struct({ h: T.array(T.struct({ tags: T.array(T.string) })) });
    const out = await rowsOf(h, [{ h: [{ tags: ['x', 'y'] }, null, { tags: [] }] }], (df) => df.select(col('h.tags').alias('t'), explode('h').alias('e')).select('t', col('e.tags').alias('et')));
    expect(out).toEqual([
      { t: [['x', 'y'], null, []], et: ['x', 'y'] }, { t: [['x', 'y'], null, []], et: null }, { t: [['x', 'y'], null, []], et: [] },
    ]);
  });
});

describe('array_join', () => {
  it('PySpark: ["a", "b", "c"] and ["a", None] joined by "," without and with a null replacement', async () => {
    const out = await rowsOf(DATA(T.string), [{ data: ['a', 'b', 'c'] }, { data: ['a', null] }], (df) => df.select(
      array_join('data', ',').alias('joined'), array_join(col('data'), ',', 'NULL').alias('r')));
    expect(out).toEqual([{ joined: 'a,b,c', r: 'a,b,c' }, { joined: 'a', r: 'a,NULL' }]);
  });

  it('casts array<int> to strings; a null array is null; an empty one is empty', async () => {
    const out = await rowsOf(DATA(T.int), [{ data: [1, 2] }, { data: null }, { data: [] }], (df) => df.select(array_join('data', '-').alias('j')));
    expect(out.map((r) => r.j)).toEqual(['1-2', null, '']);
  });
});

describe('sort_array', () => {
  it('PySpark: [2, 1, None, 3], [1], [] ascending and descending, nulls first then last', async () => {
    const rows = [{ data: [2, 1, null, 3] }, { data: [1] }, { data: [] }];
    const out = await rowsOf(DATA(T.long), rows, (df) => df.select(sort_array('data').alias('r'), sort_array(col('data'), false).alias('d'), sort_array('data')));
    expect(out).toEqual([
      { r: [null, 1n, 2n, 3n], d: [3n, 2n, 1n, null], 'sort_array(data, true)': [null, 1n, 2n, 3n] },
      { r: [1n], d: [1n], 'sort_array(data, true)': [1n] },
      { r: [], d: [], 'sort_array(data, true)': [] },
    ]);
  });

  it('orders strings by code point (as UTF-8 bytes), and doubles with NaN last', async () => {
    const out = await rowsOf(T.struct({ s: T.array(T.string), d: T.array(T.double) }), [{ s: ['b', 'é', 'a', '😀', 'Z'], d: [NaN, 1, -Infinity] }], (df) => df.select(sort_array('s').alias('s'), sort_array('d').alias('d')));
    expect(out).toEqual([{ s: ['Z', 'a', 'b', 'é', '😀'], d: [-Infinity, 1, NaN] }]);
  });
});

describe('array_distinct', () => {
  it('PySpark: [1, 2, 3, 2] and [4, 5, 5, 4] give [1, 2, 3] and [4, 5]', async () => {
    const out = await rowsOf(DATA(T.long), [{ data: [1, 2, 3, 2] }, { data: [4, 5, 5, 4] }], (df) => df.select(array_distinct('data')));
    expect(out).toEqual([{ 'array_distinct(data)': [1n, 2n, 3n] }, { 'array_distinct(data)': [4n, 5n] }]);
  });

  it('finds repeats the same way in long arrays (a set of keys) and short ones (comparisons); NaN meets NaN', async () => {
    const long = Array.from({ length: 40 }, (_, k) => (k % 7 === 3 ? null : `s${(k * 5) % 11}`));
    const want = [...new Set(long)];
    const out = await rowsOf(DATA(T.string), [{ data: long }, { data: long.slice(0, 10) }], (df) => df.select(array_distinct('data').alias('d')));
    expect(out.map((r) => r.d)).toEqual([want, [...new Set(long.slice(0, 10))]]);
    const nan = await rowsOf(DATA(T.double), [{ data: [NaN, 1, NaN, -0, 0] }, { data: [...Array(20).fill(NaN), 2] }], (df) => df.select(array_distinct('data').alias('d')));
    expect(nan.map((r) => r.d)).toEqual([[NaN, 1, -0], [NaN, 2]]);
  });

  it('keeps one null, first occurrences in order; null array stays null', async () => {
    const out = await rowsOf(DATA(T.string), [{ data: ['b', null, 'a', 'b', null] }, { data: null }], (df) => df.select(array_distinct('data').alias('d')));
    expect(out.map((r) => r.d)).toEqual([['b', null, 'a'], null]);
  });
});

describe('explode, explode_outer, posexplode, posexplode_outer', () => {
  const schema = T.struct({ id: T.int, an_array: T.array(T.string) });
  const rows = [{ id: 1, an_array: ['foo', 'bar'] }, { id: 2, an_array: [] }, { id: 3, an_array: null }];

  it('PySpark: explode(intlist) gives a row per element, named col; alias renames it', async () => {
    const out = await rowsOf(T.struct({ a: T.int, intlist: T.array(T.int) }), [{ a: 1, intlist: [1, 2, 3] }], (df) => df.select(explode(col('intlist')).alias('anInt')));
    expect(out).toEqual([{ anInt: 1 }, { anInt: 2 }, { anInt: 3 }]);
    const named = await rowsOf(T.struct({ a: T.int, intlist: T.array(T.int) }), [{ a: 1, intlist: [1, 2] }], (df) => df.select('a', explode('intlist')));
    expect(named).toEqual([{ a: 1, col: 1 }, { a: 1, col: 2 }]);
  });

  it('PySpark: posexplode(intlist) gives pos and col', async () => {
    const out = await rowsOf(T.struct({ intlist: T.array(T.int) }), [{ intlist: [1, 2, 3] }], (df) => df.select(posexplode('intlist')));
    expect(out).toEqual([{ pos: 0, col: 1 }, { pos: 1, col: 2 }, { pos: 2, col: 3 }]);
  });

  it("PySpark: explode_outer keeps rows with an empty or null array, with a null col; explode drops them", async () => {
    expect(await rowsOf(schema, rows, (df) => df.select('id', explode_outer('an_array')))).toEqual([
      { id: 1, col: 'foo' }, { id: 1, col: 'bar' }, { id: 2, col: null }, { id: 3, col: null },
    ]);
    expect(await rowsOf(schema, rows, (df) => df.select('id', explode('an_array')))).toEqual([{ id: 1, col: 'foo' }, { id: 1, col: 'bar' }]);
    expect(await rowsOf(schema, rows, (df) => df.select(posexplode_outer('an_array'), 'id'))).toEqual([
      { pos: 0, col: 'foo', id: 1 }, { pos: 1, col: 'bar', id: 1 }, { pos: null, col: null, id: 2 }, { pos: null, col: null, id: 3 },
    ]);
  });

  it('works in withColumn, in selectExpr / expr, over split, and keeps null elements', async () => {
    const out = await rowsOf(S, [{ s: 'a b' }, { s: null }], (df) => df.withColumn('w', explode(split('s', ' '))));
    expect(out).toEqual([{ s: 'a b', w: 'a' }, { s: 'a b', w: 'b' }]);
    const sql = await rowsOf(schema, rows.slice(0, 1), (df) => df.selectExpr('id', 'explode(an_array) AS w'));
    expect(sql).toEqual([{ id: 1, w: 'foo' }, { id: 1, w: 'bar' }]);
    const nulls = await rowsOf(DATA(T.int), [{ data: [1, null] }], (df) => df.select(explode('data')));
    expect(nulls).toEqual([{ col: 1 }, { col: null }]);
  });

  it('explodes an array of structs into struct rows whose fields can be selected', async () => {
    const out = await rowsOf(S, [{ s: 'x' }], (df) => df.select(explode(array(expr("'a'"), expr("'b'"))).alias('v')).select(col('v')));
    expect(out).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('is refused nested in an expression, twice in one select, in a filter, over a non-array, and posexplode with one alias', async () => {
    expect(await analysisError(schema, (df) => df.select(size(explode('an_array') as never)))).toMatch(/generator explode\(an_array\) is not supported here/);
    expect(await analysisError(schema, (df) => df.select(explode('an_array'), explode('an_array').alias('b')))).toMatch(/Only one generator is allowed per select, but got 2/);
    expect(await analysisError(schema, (df) => df.filter(explode('an_array') as never))).toMatch(/not supported here/);
    expect(await analysisError(schema, (df) => df.select(explode('id')))).toMatch(/explode needs an array or a map, but 'id' is int/);
    expect(await analysisError(schema, (df) => df.select(posexplode('an_array').alias('x')))).toMatch(/makes the columns pos, col,/);
  });
});

describe("Spark's structured_network_wordcount.py, line for line", () => {
  it('explode(split(value, " ")) then groupBy(word).count(), complete mode, over two micro-batches', async () => {
    const stream = new MemoryStream(session, T.struct({ value: T.string }));
    const lines = stream.toDF();
    const words = lines.select(explode(split(col('value'), ' ')).alias('word'));
    const wordCounts = words.groupBy('word').count();
    const q = await wordCounts.writeStream.outputMode('complete').format('memory').queryName('wordcount').start();
    stream.addData([{ value: 'apache spark' }, { value: 'apache hadoop' }]);
    await q.processAllAvailable();
    const sorted = () => session.table('wordcount').collect().sort((a, b) => String(a.word).localeCompare(String(b.word)));
    expect(sorted()).toEqual([{ word: 'apache', count: 2n }, { word: 'hadoop', count: 1n }, { word: 'spark', count: 1n }]);
    stream.addData([{ value: 'spark streaming' }]);
    await q.processAllAvailable(); await q.stop();
    expect(sorted()).toEqual([{ word: 'apache', count: 2n }, { word: 'hadoop', count: 1n }, { word: 'spark', count: 2n }, { word: 'streaming', count: 1n }]);
  });
});

describe('collect_list and collect_set', () => {
  const ages = T.struct({ k: T.string, age: T.long });
  /** The aggregation's result table after the given chunks (complete mode, one MemoryStream chunk each). */
  const complete = async (schema: T.Struct, chunks: Record<string, unknown>[][], build: (df: DF) => DF, checkpoint?: string) => {
    const stream = new MemoryStream(session, schema);
    for (const c of chunks) stream.addData(c);
    const name = `collect_${seq++}`;
    let w = build(stream.toDF()).writeStream.format('memory').outputMode('complete').queryName(name);
    if (checkpoint) w = w.option('checkpointLocation', checkpoint);
    const q = await w.start();
    await q.processAllAvailable(); await q.stop();
    return session.table(name).collect();
  };

  it("PySpark: agg(collect_list('age')) is [2, 5, 5]; collect_set is {2, 5}", async () => {
    const rows = [{ k: 'a', age: 2 }, { k: 'a', age: 5 }, { k: 'a', age: 5 }];
    const out = await complete(ages, [rows], (df) => df.groupBy('k').agg(collect_list('age'), collect_set(col('age'))) as unknown as DF);
    expect(out).toEqual([{ k: 'a', 'collect_list(age)': [2n, 5n, 5n], 'collect_set(age)': [2n, 5n] }]);
  });

  it('skip nulls (a group of only nulls is []), and parse in SQL', async () => {
    const rows = [{ k: 'a', age: null }, { k: 'b', age: 1 }, { k: 'b', age: null }];
    const out = await complete(ages, [rows], (df) => df.groupBy('k').agg(expr('collect_list(age)').alias('l'), collect_set('age').alias('s'), count('*').alias('n')) as unknown as DF);
    expect(out.sort((x, y) => String(x.k).localeCompare(String(y.k)))).toEqual([{ k: 'a', l: [], s: [], n: 1n }, { k: 'b', l: [1n], s: [1n], n: 2n }]);
  });

  it('keep their state across a restart: the arrays are written to and reloaded from the state store', async () => {
    const cp = `${tmpDir('collect-restart')}/cp`;
    const schema = T.struct({ k: T.string, v: T.string });
    const build = (df: DF) => df.groupBy('k').agg(collect_list('v').alias('l'), collect_set('v').alias('s')) as unknown as DF;
    const first = [{ k: 'a', v: 'x' }, { k: 'a', v: 'y' }, { k: 'a', v: 'x' }, { k: 'b', v: null }];
    expect(await complete(schema, [first], build, cp)).toHaveLength(2);
    // A new process: the MemoryStream's first chunk is batch 0's range, already committed, so only the second is read,
    // and its groups go on from the state the first run committed.
    const out = await complete(schema, [first, [{ k: 'a', v: 'z' }, { k: 'a', v: 'y' }, { k: 'b', v: 'q' }]], build, cp);
    expect(out.sort((x, y) => String(x.k).localeCompare(String(y.k)))).toEqual([
      { k: 'a', l: ['x', 'y', 'x', 'z', 'y'], s: ['x', 'y', 'z'] },
      { k: 'b', l: ['q'], s: ['q'] },
    ]);
  });

  it('merge when session windows merge: a later event bridging two sessions joins their lists', async () => {
    const schema = T.struct({ k: T.string, v: T.string, t: T.timestamp });
    const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
    const out = await complete(schema, [[{ k: 'a', v: 'x', t: at(0) }, { k: 'a', v: 'z', t: at(16) }], [{ k: 'a', v: 'y', t: at(8) }]],
      (df) => df.withWatermark('t', '1 hour').groupBy(col('k'), session_window(col('t'), '10 seconds')).agg(collect_list('v').alias('l'), collect_set('v').alias('s')) as unknown as DF);
    expect(out.map((r) => [r.k, [...(r.l as string[])].sort(), [...(r.s as string[])].sort()])).toEqual([['a', ['x', 'y', 'z'], ['x', 'y', 'z']]]);
  });

  it('refuse struct input with a message naming the call', async () => {
    const err = await analysisError(T.struct({ st: T.struct({ a: T.int }) }), (df) => df.groupBy().agg(collect_set('st')) as unknown as DF);
    expect(err).toMatch(/collect_set\(\) needs an atomic column, but its input is struct<a:int>/);
  });
});

describe('SQL strings', () => {
  it('CAST to ARRAY<...> and a subscript on a struct field by name', async () => {
    const out = await rowsOf(DATA(T.int), [{ data: [1, 2] }], (df) => df.selectExpr('CAST(data AS ARRAY<STRING>) AS s', 'data[1] + 1 AS n'));
    expect(out).toEqual([{ s: ['1', '2'], n: 3 }]);
  });

  it('an unclosed subscript is a ParseError pointing at the end', () => {
    expect(() => expr('data[1')).toThrow(ParseError);
  });
});
