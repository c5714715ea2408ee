// bround, initcap, reverse, repeat, instr, locate, translate, ascii, left, right: the `>>>` examples
// of PySpark's docstrings (python/pyspark/sql/functions/builtin.py) and Spark's SQL examples, then nulls.
import { describe, expect, it } from 'vitest';
import { col, lit, expr, bround, initcap, reverse, repeat, instr, locate, translate, ascii, left, right, types as T } from '../src/index.ts';
import { selectRows } from './support/select-rows.ts';

const s = T.struct({ s: T.string });
const one = async (schema: T.Struct, row: Record<string, unknown>, ...cols: Parameters<typeof selectRows>[2][]) => (await selectRows(schema, [row], ...cols))[0];

describe('PySpark docstring examples', () => {
  it('bround(a, 0) of 2.5 is 2.0; bround(2.1267, 2) is 2.13', async () => {
    expect(await one(T.struct({ a: T.double }), { a: 2.5 }, bround('a', 0).alias('r'), bround(lit(2.1267), 2).alias('q'), bround(lit(2.5)))).toEqual({ r: 2, q: 2.13, 'bround(2.5, 0)': 2 });
  });
  it("initcap('ab cd') is 'Ab Cd'", async () => {
    expect(await one(T.struct({ a: T.string }), { a: 'ab cd' }, initcap('a').alias('v'))).toEqual({ v: 'Ab Cd' });
  });
  it("reverse of 'Spark SQL' and of arrays [2, 1, 3], [1], []", async () => {
    expect(await one(T.struct({ data: T.string }), { data: 'Spark SQL' }, reverse(col('data')).alias('s'))).toEqual({ s: 'LQS krapS' });
    const out = await selectRows(T.struct({ data: T.array(T.int) }), [{ data: [2, 1, 3] }, { data: [1] }, { data: [] }], reverse('data').alias('r'));
    expect(out).toEqual([{ r: [3, 1, 2] }, { r: [1] }, { r: [] }]);
  });
  it("repeat('ab', 3), instr('abcd', 'b'), locate('b', 'abcd', 1)", async () => {
    expect(await one(s, { s: 'ab' }, repeat('s', 3).alias('s'))).toEqual({ s: 'ababab' });
    expect(await one(s, { s: 'abcd' }, instr('s', 'b').alias('i'), locate('b', 's', 1).alias('l'))).toEqual({ i: 2, l: 2 });
  });
  it("translate('translate', 'rnlt', '123') is '1a2s3ae'", async () => {
    expect(await one(T.struct({ a: T.string }), { a: 'translate' }, translate('a', 'rnlt', '123').alias('r'))).toEqual({ r: '1a2s3ae' });
  });
  it("ascii of 'Spark', 'PySpark', 'Pandas API' is 83, 80, 80", async () => {
    const out = await selectRows(T.struct({ value: T.string }), [{ value: 'Spark' }, { value: 'PySpark' }, { value: 'Pandas API' }], ascii('value'));
    expect(out).toEqual([{ 'ascii(value)': 83 }, { 'ascii(value)': 80 }, { 'ascii(value)': 80 }]);
  });
  it("left / right of ('Spark SQL', 3) are 'Spa' / 'SQL'", async () => {
    expect(await one(T.struct({ a: T.string, b: T.int }), { a: 'Spark SQL', b: 3 }, left('a', 'b').alias('l'), right(col('a'), col('b')).alias('r'))).toEqual({ l: 'Spa', r: 'SQL' });
  });
});

describe("Spark's SQL examples, by name in expr()", () => {
  it('each function answers as Spark documents', async () => {
    const cases: [string, unknown][] = [
      ['bround(25, -1)', 20], ["instr('SparkSQL', 'SQL')", 6], ["locate('bar', 'foobarbar')", 4], ["locate('bar', 'foobarbar', 5)", 7],
      ["position('bar', 'foobarbar')", 4], ["translate('AaBbCc', 'abc', '123')", 'A1B2C3'], ["repeat('123', 2)", '123123'],
      ["ascii('222')", 50], ['ascii(2)', 50], ["initcap('sPark sql')", 'Spark Sql'], ["left('Spark SQL', 3)", 'Spa'],
      ["right('Spark SQL', 3)", 'SQL'], ["reverse('Spark SQL')", 'LQS krapS'], ['bround(-2.5)', '-2'], ['bround(3.5)', '4'], ['bround(0.125, 2)', '0.12'], // decimal literals: bround keeps a decimal, read as its text
    ];
    const row = await one(s, { s: 'x' }, ...cases.map(([sql], k) => expr(`${sql} AS c${k}`)));
    expect(cases.map((_, k) => row![`c${k}`])).toEqual(cases.map(([, want]) => want));
  });
});

describe('nulls, edges and characters beyond ASCII', () => {
  it('null in, null out; locate with a null pos is 0 and with pos < 1 is 0, as Spark', async () => {
    const row = await one(s, { s: null }, initcap('s').alias('a'), reverse('s').alias('b'), repeat('s', 2).alias('c'), instr('s', 'x').alias('d'),
      translate('s', 'a', 'b').alias('e'), ascii('s').alias('f'), left('s', lit(1)).alias('g'), bround('s').alias('h'),
      expr("locate('a', 'abc', NULL) AS i"), expr("locate('a', 'abc', 0) AS j"));
    expect(row).toEqual({ a: null, b: null, c: null, d: null, e: null, f: null, g: null, h: null, i: 0, j: 0 });
  });
  it('counts characters, not UTF-16 units, and repeat/left/right take n <= 0 as empty', async () => {
    const row = await one(s, { s: 'zoë 😀x' }, reverse('s').alias('r'), instr('s', 'x').alias('i'), locate('x', 's', 6).alias('l'), ascii(lit('😀')).alias('a'),
      left('s', lit(5)).alias('lf'), right('s', lit(2)).alias('rt'), right('s', lit(0)).alias('r0'), repeat('s', -1).alias('p'), initcap(lit('élan vital-x')).alias('ic'),
      translate('s', 'ëë😀', 'e').alias('t'));
    expect(row).toEqual({ r: 'x😀 ëoz', i: 6, l: 6, a: 0x1f600, lf: 'zoë 😀', rt: '😀x', r0: '', p: '', ic: 'Élan Vital-x', t: 'zoe x' });
  });
});
