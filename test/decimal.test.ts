// Exact decimal(p,s) (issue #13) with Spark 3.5's non-ANSI semantics (spark.sql.ansi.enabled=false,
// its default): the type and its names; casts; arithmetic result types and values (golden answers
// of Spark's decimalArithmeticOperations.sql, allowPrecisionLoss=true); cases of Spark's
// DecimalSuite; round/bround/floor/ceil/abs; sum/avg/min/max through the state store over several
// micro-batches; from_json/to_json/CSV; the Parquet sink read back by real DuckDB as DECIMAL(p,s).
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Session, MemoryStream, col, expr, from_json, to_json, struct, sum, avg, min, max, types as T, AnalysisError, type DataFrame } from '../src/index.ts';
import { parseDdlSchema } from '../src/data/ddl.ts';
import { columnFromValues } from '../src/data/column-from-values.ts';
import { cellReader, cellWriter } from '../src/data/cells.ts';
import { take } from '../src/data/take.ts';
import { concatColumns } from '../src/data/concat.ts';
import { fromArrowTable, makeBatch, toArrowTable } from '../src/data/batch.ts';
import { javaDecimalString } from '../src/data/decimal.ts';
import { encodeCsv } from '../src/formats/csv/encode-csv.ts';
import { queryRows, selectRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('decimal-test').getOrCreate();

/** One expression over one row of `values` in `schema`: its type and its value (collect()'s text). */
async function one(schema: T.Struct, values: Record<string, unknown>, sql: string): Promise<{ type: string; value: unknown }> {
  const df = session.createDataFrame([values], schema).selectExpr(`${sql} AS r`);
  return { type: T.typeToString(df.schema.fields[0]!.type), value: df.collect()[0]!.r };
}

/** A literal-only expression. */
const lit1 = (sql: string) => one(T.struct({ x: T.int }), { x: 0 }, sql);

describe('decimal(p,s): the type', () => {
  it("is named as Spark's simpleString and parsed from type names, DDL and CAST", () => {
    expect(T.typeToString(T.decimal(10, 2))).toBe('decimal(10,2)');
    expect(T.typeToString(T.decimal())).toBe('decimal(10,0)');
    expect(T.sameType(T.typeByName('DECIMAL(38, 18)'), T.decimal(38, 18))).toBe(true);
    expect(T.typeToString(T.typeByName('decimal'))).toBe('decimal(10,0)');
    expect(T.typeToString(T.typeByName('numeric(5)'))).toBe('decimal(5,0)');
    expect(T.typeToString(parseDdlSchema('order_id STRING, amount DECIMAL(10,2), n DEC'))).toBe('struct<order_id:string,amount:decimal(10,2),n:decimal(10,0)>');
  });

  it("refuses what Spark's DecimalType refuses, naming the bound", () => {
    expect(() => T.decimal(39, 0)).toThrow(/precision must be an integer from 1 to 38/);
    expect(() => T.decimal(5, 6)).toThrow(/scale must be an integer from 0 to the precision 5/);
    expect(() => T.typeByName('decimal(0,0)')).toThrow(AnalysisError);
    expect(() => parseDdlSchema('a DECIMAL(40, 2)')).toThrow(/precision must be an integer from 1 to 38/);
    expect(() => expr('CAST(x AS DECIMAL(3, 4))')).toThrow(/scale must be an integer from 0 to the precision 3/);
  });

  it('is Arrow Decimal128 both ways, and survives cells, take, concat and Arrow IPC (the state store format)', () => {
    const t = T.decimal(38, 10);
    const big = '-1234567890123456789012345678.0123456789';
    const d = columnFromValues(t, ['1.5', null, big, 7n, 0.25], 'test', 'd');
    expect(d.type).toBeInstanceOf(A.Decimal);
    expect(T.typeToString(T.fromArrowType(d.type))).toBe('decimal(38,10)');
    const read = cellReader(d, t);
    expect([0, 1, 2, 3, 4].map(read)).toEqual([15000000000n, null, -12345678901234567890123456780123456789n, 70000000000n, 2500000000n]);
    const w = cellWriter(t, 1);
    for (const i of [4, 2, 1]) w.push(read(i));
    const built = w.finish();
    expect([0, 1, 2].map(cellReader(built, t))).toEqual([2500000000n, -12345678901234567890123456780123456789n, null]);
    const taken = take(d, Int32Array.from([2, 2, 1, 0]));
    expect([0, 1, 2, 3].map(cellReader(taken, t))).toEqual([read(2), read(2), null, read(0)]);
    const joined = concatColumns(t, [d, taken]);
    expect(Array.from({ length: 9 }, (_, i) => cellReader(joined, t)(i))).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3].map((i, k) => (k < 5 ? read(i) : cellReader(taken, t)(i))));
    const schema = T.struct({ d: t });
    const back = fromArrowTable(A.tableFromIPC(A.tableToIPC(toArrowTable(makeBatch(schema, [d], 5)))))[0]!;
    expect([0, 1, 2, 3, 4].map(cellReader(back.columns[0]!, t))).toEqual([0, 1, 2, 3, 4].map(read));
    // A table Arrow has sliced (offset 1) is copied flat, nulls kept in place.
    const sliced = fromArrowTable(new A.Table({ d: A.makeVector(d) }).slice(1, 4))[0]!;
    expect([0, 1, 2].map(cellReader(sliced.columns[0]!, t))).toEqual([1, 2, 3].map(read));
  });

  it('createDataFrame takes text, numbers and bigints, rounds HALF_UP, and refuses a value with too many digits', () => {
    const schema = T.struct({ a: T.decimal(5, 2) });
    const df = session.createDataFrame([{ a: '1.005' }, { a: 2.675 }, { a: 12n }, { a: '-999.994' }, { a: null }], schema);
    expect(df.collect().map((r) => r.a)).toEqual(['1.01', '2.68', '12.00', '-999.99', null]);
    expect(() => session.createDataFrame([{ a: '-999.995' }], schema)).toThrow(/row 0, column 'a': a decimal\(5,2\) column cannot hold '-999.995'/);
    expect(() => session.createDataFrame([{ a: 'abc' }], schema)).toThrow(AnalysisError);
  });

  it('printSchema and show() print the type and the plain digits, as Spark', () => {
    const df = session.createDataFrame([{ a: '1.2' }, { a: '0.0000001' }], T.struct({ a: T.decimal(10, 8) }));
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => { lines.push(s); };
    try { df.printSchema(); df.show(); } finally { console.log = log; }
    expect(lines[0]).toContain('|-- a: decimal(10,8) (nullable = true)');
    expect(lines[1]).toContain('|1.20000000|');
    expect(lines[1]).toContain('|0.00000010|');
  });
});

describe("DecimalSuite (Spark's own cases)", () => {
  it('creating decimals: text, precision and scale (HALF_UP when the scale is cut)', async () => {
    const cases: [string, string, string][] = [
      // Decimal(BigDecimal(v), p, s) is CAST(v AS DECIMAL(p, s)): toString, precision, scale.
      ["CAST('10.030' AS DECIMAL(4,1))", '10.0', 'decimal(4,1)'],
      ["CAST('-9.95' AS DECIMAL(4,1))", '-10.0', 'decimal(4,1)'],
      ["CAST('10.030' AS DECIMAL(5,3))", '10.030', 'decimal(5,3)'],
      ['CAST(10.03D AS DECIMAL(4,2))', '10.03', 'decimal(4,2)'],
      ['CAST(17L AS DECIMAL(20,0))', '17', 'decimal(20,0)'],
      ['CAST(17 AS DECIMAL(10,0))', '17', 'decimal(10,0)'],
      ['CAST(1000000000000000000L AS DECIMAL(38,2)) / 100', '10000000000000000.00', 'decimal(38,6)'],
      ['CAST(9223372036854775807L AS DECIMAL(20,0))', '9223372036854775807', 'decimal(20,0)'],
      ['CAST(-9223372036854775808L AS DECIMAL(20,0))', '-9223372036854775808', 'decimal(20,0)'],
      ['0.09BD', '0.09', 'decimal(2,2)'],
      ['0.90BD', '0.90', 'decimal(2,2)'],
      ['-0.9BD', '-0.9', 'decimal(1,1)'],
      ['10.030BD', '10.030', 'decimal(5,3)'],
    ];
    for (const [sql, text, type] of cases) {
      const r = await lit1(sql);
      expect([sql, r.type], sql).toEqual([sql, type]);
      expect(String(r.value).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''), sql).toBe(text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''));
    }
    // Decimal(170L, 2, 1) etc. throw in Spark's constructor; a cast that cannot hold the value is null (non-ANSI).
    expect((await lit1("CAST('10.030' AS DECIMAL(2,1))")).value).toBeNull();
    expect((await lit1("CAST('-9.95' AS DECIMAL(2,1))")).value).toBeNull();
    expect((await lit1('CAST(100000000000000000L AS DECIMAL(17,0))')).value).toBeNull();
  });

  it('double and long values (toDouble, and toLong truncating toward zero)', async () => {
    const cases: [string, number, bigint][] = [
      ["CAST('10.030' AS DECIMAL(5,3))", 10.03, 10n],
      ["CAST('10.030' AS DECIMAL(4,1))", 10.0, 10n],
      ["CAST('-9.95' AS DECIMAL(4,1))", -10.0, -10n],
      ["CAST('1.7' AS DECIMAL(2,1))", 1.7, 1n],
      ["CAST('1.70' AS DECIMAL(4,2))", 1.7, 1n],
      ['CAST(2000000000000000000L AS DECIMAL(20,0))', 2e18, 2000000000000000000n],
      ['CAST(9223372036854775807L AS DECIMAL(20,0))', 9223372036854775807, 9223372036854775807n],
    ];
    for (const [sql, d, l] of cases) {
      expect((await lit1(`CAST(${sql} AS DOUBLE)`)).value, sql).toBe(d);
      expect((await lit1(`CAST(${sql} AS BIGINT)`)).value, sql).toBe(l);
    }
    // Past the long range the low 64 bits are kept, as Decimal.toLong's BigDecimal.longValue.
    expect((await lit1("CAST(CAST('18446744073709551617' AS DECIMAL(20,0)) AS BIGINT)")).value).toBe(1n);
  });

  it('arithmetic', async () => {
    const d = (v: number) => `CAST(${v} AS DECIMAL(10,0))`;
    expect((await lit1(`${d(100)} + ${d(-100)}`)).value).toBe('0');
    expect((await lit1(`${d(100)} * ${d(-100)}`)).value).toBe('-10000');
    expect((await lit1('CAST(10000000000000L AS DECIMAL(20,0)) * CAST(10000000000000L AS DECIMAL(20,0))')).value).toBe('100000000000000000000000000');
    expect((await lit1(`${d(100)} / ${d(-100)}`)).value).toBe('-1.00000000000');
    expect((await lit1(`${d(100)} / ${d(0)}`)).value).toBeNull();
    expect((await lit1(`${d(100)} % ${d(-100)}`)).value).toBe('0');
    expect((await lit1(`${d(100)} % ${d(3)}`)).value).toBe('1');
    expect((await lit1(`${d(-100)} % ${d(3)}`)).value).toBe('-1');
    expect((await lit1(`${d(100)} % ${d(0)}`)).value).toBeNull();
    // SPARK-8359: Long.MaxValue squared keeps every digit (38 of them).
    expect((await lit1('CAST(9223372036854775807L AS DECIMAL(38,0)) * CAST(9223372036854775807L AS DECIMAL(38,0))')).value).toBe('85070591730234615847396907784232501249');
    // SPARK-8800: 1/8 is exact.
    expect((await lit1(`CAST(${d(1)} / ${d(8)} AS DOUBLE)`)).value).toBe(0.125);
  });

  it('changePrecision respects the rounding mode: HALF_UP (round), HALF_EVEN (bround), FLOOR, CEILING', async () => {
    const ns = ['0.4', '0.5', '0.6', '1.0', '1.1', '1.6', '2.5', '5.5'].flatMap((n) => [n, '-' + n]);
    const rows = ns.map((n) => ({ n }));
    const got = await selectRows(T.struct({ n: T.decimal(8, 1) }), rows, expr('round(n)').alias('up'), expr('bround(n)').alias('even'), expr('floor(n)').alias('fl'), expr('ceil(n)').alias('ce'));
    const halfUp = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
    const halfEven = (x: number) => { const f = Math.floor(x), r = x - f; return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f; };
    const str = (x: number) => String(Object.is(x, -0) ? 0 : x);
    expect(got).toEqual(ns.map((n) => ({ up: str(halfUp(+n)), even: str(halfEven(+n)), fl: str(Math.floor(+n)), ce: str(Math.ceil(+n)) })));
  });
});

describe("decimalArithmeticOperations.sql (Spark's golden answers, allowPrecisionLoss=true)", () => {
  // decimals_test(id int, a decimal(38,18), b decimal(38,18))
  const schema = T.struct({ id: T.int, a: T.decimal(38, 18), b: T.decimal(38, 18) });
  const rows = [
    { id: 1, a: '100.0', b: '999.0' }, { id: 2, a: '12345.123', b: '12345.123' },
    { id: 3, a: '0.1234567891011', b: '1234.1' }, { id: 4, a: '123456789123456789.0', b: '1.123456789123456789' },
  ];
  // The golden files print Java's toString of the result, which drops no digits: compare without trailing zeros.
  const trim = (v: unknown): unknown => (typeof v === 'string' && v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v);

  it('select id, a+b, a-b, a*b, a/b from decimals_test', async () => {
    const df = session.createDataFrame(rows, schema).selectExpr('id', 'a+b', 'a-b', 'a*b', 'a/b');
    expect(df.schema.fields.map((f) => T.typeToString(f.type))).toEqual(['int', 'decimal(38,17)', 'decimal(38,17)', 'decimal(38,6)', 'decimal(38,6)']);
    expect(df.collect().map((r) => Object.values(r).map(trim))).toEqual([
      [1, '1099', '-899', '99900', '0.1001'],
      [2, '24690.246', '0', '152402061.885129', '1'],
      [3, '1234.2234567891011', '-1233.9765432108989', '152.358023', '0.0001'],
      [4, '123456789123456790.12345678912345679', '123456789123456787.87654321087654321', '138698367904130467.515623', '109890109097814272.043109'],
    ]);
  });

  it('select id, a*10, b/10 from decimals_test (an integer literal is decimal(2,0))', async () => {
    const df = session.createDataFrame(rows, schema).selectExpr('id', 'a*10', 'b/10');
    expect(df.schema.fields.map((f) => T.typeToString(f.type))).toEqual(['int', 'decimal(38,15)', 'decimal(38,18)']);
    expect(df.collect().map((r) => Object.values(r).map(trim))).toEqual([
      [1, '1000', '99.9'], [2, '123451.23', '1234.5123'], [3, '1.234567891011', '123.41'], [4, '1234567891234567890', '0.112345678912345679'],
    ]);
  });

  it('literal queries: types and values, null on overflow', async () => {
    expect((await lit1("CAST('1.5' AS DECIMAL(5, 2))")).type).toBe('decimal(5,2)');
    const cases: [string, string, string | null][] = [
      ['10.3BD * 3.0BD', 'decimal(6,2)', '30.9'],
      ['10.3000BD * 3.0BD', 'decimal(9,5)', '30.9'],
      ['10.30000BD * 30.0BD', 'decimal(11,6)', '309'],
      ['10.300000000000000000BD * 3.000000000000000000BD', 'decimal(38,34)', '30.9'],
      ['12345678912345678912345678912.1234567BD + 9999999999999999999999999999999.12345BD', 'decimal(38,6)', '10012345678912345678912345678911.246907'],
      ['123456789123456789.1234567890BD * 1.123456789123456789BD', 'decimal(38,18)', '138698367904130467.654320988515622621'],
      ['12345678912345.123456789123BD / 0.000000012345678BD', 'decimal(38,9)', '1000000073899961059796.725866332'],
      ['12345678901234567890.0BD * 12345678901234567890.0BD', 'decimal(38,2)', null],
      ['100000000000000000000000000000000000BD / 0.1BD', 'decimal(38,6)', null],
    ];
    for (const [sql, type, value] of cases) {
      const r = await lit1(sql);
      expect([sql, r.type, trim(r.value)]).toEqual([sql, type, value]);
    }
  });
});

describe('casts (Cast.scala, non-ANSI)', () => {
  it('string, int, long, double and boolean to decimal: HALF_UP, trimmed, null when unparsable or too wide', async () => {
    const cases: [string, string | null][] = [
      ["CAST(' 123.45 ' AS DECIMAL(4,1))", '123.5'], ["CAST('123.45' AS DECIMAL(3,1))", null], ["CAST('1e3' AS DECIMAL(5,0))", '1000'],
      ["CAST('-.5' AS DECIMAL(2,1))", '-0.5'], ["CAST('abc' AS DECIMAL(5,2))", null], ["CAST('' AS DECIMAL(5,2))", null], ["CAST('NaN' AS DECIMAL(5,2))", null],
      ['CAST(123 AS DECIMAL(3,0))', '123'], ['CAST(123 AS DECIMAL(3,1))', null], ['CAST(1234L AS DECIMAL(6,2))', '1234.00'],
      ['CAST(-1.5D AS DECIMAL(2,0))', '-2'], ['CAST(1.005D AS DECIMAL(3,2))', '1.01'], ["CAST(CAST('Infinity' AS DOUBLE) AS DECIMAL(5,2))", null],
      ['CAST(true AS DECIMAL(3,2))', '1.00'], ['CAST(12.345BD AS DECIMAL(4,2))', '12.35'], ['CAST(12.345BD AS DECIMAL(3,2))', null],
    ];
    for (const [sql, want] of cases) expect([sql, (await lit1(sql)).value]).toEqual([sql, want]);
  });

  it("decimal to string is Java's BigDecimal.toString (scientific below 1E-6); to int truncates", async () => {
    expect((await lit1("CAST(CAST('1.20' AS DECIMAL(5,2)) AS STRING)")).value).toBe('1.20');
    expect((await lit1("CAST(CAST('0.0000001' AS DECIMAL(10,8)) AS STRING)")).value).toBe('1.0E-7');
    expect((await lit1("CAST(CAST('0' AS DECIMAL(12,10)) AS STRING)")).value).toBe('0E-10');
    expect((await lit1("CAST(CAST('-12.9' AS DECIMAL(5,1)) AS INT)")).value).toBe(-12);
    expect(javaDecimalString(-1n, 7)).toBe('-1E-7');
    expect(javaDecimalString(123n, 8)).toBe('0.00000123');
  });

  it('comparisons widen both sides (decimal(10,2) vs decimal(5,3) vs int) and equality ignores the scale', async () => {
    const schema = T.struct({ a: T.decimal(10, 2), c: T.decimal(5, 3), i: T.int });
    const got = await selectRows(schema, [{ a: '1.50', c: '1.5', i: 1 }, { a: '2.00', c: '1.999', i: 2 }, { a: null, c: '0', i: 0 }],
      expr('a = c').alias('eq'), expr('a > c').alias('gt'), expr('a >= i').alias('ge'), expr('a IN (1.5BD, 7)').alias('inn'), expr('coalesce(a, c)').alias('co'));
    expect(got).toEqual([
      { eq: true, gt: false, ge: true, inn: true, co: '1.500' },
      { eq: false, gt: true, ge: true, inn: false, co: '2.000' },
      { eq: null, gt: null, ge: null, inn: null, co: '0.000' },
    ]);
  });
});

describe('decimal functions', () => {
  it("round, bround, floor, ceil, abs and - keep decimals, with Spark's result types", async () => {
    const schema = T.struct({ a: T.decimal(5, 2) });
    const df = session.createDataFrame([{ a: '9.99' }, { a: '-2.35' }, { a: '123.45' }], schema)
      .selectExpr('round(a, 1)', 'bround(a, 1)', 'round(a)', 'round(a, -1)', 'floor(a)', 'ceil(a)', 'abs(a)', '-a');
    expect(df.schema.fields.map((f) => `${f.name}:${T.typeToString(f.type)}`)).toEqual([
      'round(a, 1):decimal(5,1)', 'bround(a, 1):decimal(5,1)', 'round(a, 0):decimal(4,0)', 'round(a, -1):decimal(4,0)',
      'FLOOR(a):decimal(4,0)', 'CEIL(a):decimal(4,0)', 'abs(a):decimal(5,2)', '(- a):decimal(5,2)',
    ]);
    expect(df.collect().map((r) => Object.values(r))).toEqual([
      ['10.0', '10.0', '10', '10', '9', '10', '9.99', '-9.99'],
      ['-2.4', '-2.4', '-2', '0', '-3', '-2', '2.35', '2.35'],
      ['123.5', '123.4', '123', '120', '123', '124', '123.45', '-123.45'],
    ]);
  });

  it("hash of a decimal up to 18 digits is Spark's Murmur3 of its unscaled long", async () => {
    const r = session.createDataFrame([{ a: '1.23' }, { a: '-0.01' }], T.struct({ a: T.decimal(10, 2) })).selectExpr('hash(a) h', 'hash(CAST(a * 100 AS BIGINT)) l').collect();
    expect(r.map((x) => x.h)).toEqual(r.map((x) => x.l));
    expect(new Set(r.map((x) => x.h)).size).toBe(2);
  });

  it('na.fill(0) fills decimal columns, and a union widens decimal(10,2) with decimal(5,3) and int', async () => {
    const schema = T.struct({ a: T.decimal(10, 2), c: T.decimal(5, 3), i: T.int });
    const filled = await queryRows(schema, [{ a: null, c: '1.5', i: 1 }], (df) => df.na.fill(0));
    expect(filled).toEqual([{ a: '0.00', c: '1.500', i: 1 }]);
    const left = new MemoryStream(session, T.struct({ x: T.decimal(10, 2) })), right = new MemoryStream(session, T.struct({ x: T.decimal(5, 3) }));
    const ints = new MemoryStream(session, T.struct({ x: T.int }));
    expect(T.typeToString(left.toDF().union(right.toDF()).schema)).toBe('struct<x:decimal(11,3)>');
    expect(T.typeToString(left.toDF().union(ints.toDF()).schema)).toBe('struct<x:decimal(12,2)>');
  });

  it('a decimal meets a double as a double; sqrt reads a decimal as a double', async () => {
    expect(await lit1('1.5BD * 2.0D')).toEqual({ type: 'double', value: 3 });
    expect(await lit1('sqrt(2.25BD)')).toEqual({ type: 'double', value: 1.5 });
  });
});

/** `build(df)` in complete mode over `batches` (one micro-batch each, so the state store carries the groups between them). */
async function aggOverBatches(schema: T.Struct, batches: readonly Record<string, unknown>[][], build: (df: DataFrame) => DataFrame): Promise<Record<string, unknown>[]> {
  const stream = new MemoryStream(session, schema);
  const name = `decimal_agg_${Math.random().toString(36).slice(2)}`;
  const q = await build(stream.toDF()).writeStream.format('memory').outputMode('complete').queryName(name).start();
  for (const b of batches) { stream.addData(b); await q.processAllAvailable(); }
  await q.stop();
  return session.table(name).collect().sort((x, y) => String(x.k).localeCompare(String(y.k)));
}

describe('aggregates through the state store', () => {
  it('sum is decimal(p+10,s), avg decimal(p+4,s+4) (HALF_UP), min/max the input type, over three micro-batches', async () => {
    const schema = T.struct({ k: T.string, a: T.decimal(10, 2) });
    const got = await aggOverBatches(schema, [
      [{ k: 'x', a: '1.23' }, { k: 'y', a: null }, { k: 'z', a: '99999999.99' }],
      [{ k: 'x', a: '2.50' }, { k: 'z', a: '99999999.99' }],
      [{ k: 'x', a: '-0.07' }, { k: 'z', a: '0.01' }],
    ], (df) => df.groupBy('k').agg(sum('a').alias('s'), avg('a').alias('m'), min('a').alias('lo'), max('a').alias('hi')));
    expect(got).toEqual([
      { k: 'x', s: '3.66', m: '1.220000', lo: '-0.07', hi: '2.50' },
      { k: 'y', s: null, m: null, lo: null, hi: null },
      { k: 'z', s: '199999999.99', m: '66666666.663333', lo: '0.01', hi: '99999999.99' },
    ]);
    const df = new MemoryStream(session, schema).toDF().groupBy('k').agg(sum('a'), avg('a'));
    expect(df.schema.fields.map((f) => T.typeToString(f.type))).toEqual(['string', 'decimal(20,2)', 'decimal(14,6)']);
  });

  it("sum that overflows decimal(38,s) is null for its group (Spark's non-ANSI Sum), and stays null", async () => {
    const nines = '9'.repeat(30) + '.99';
    const schema = T.struct({ k: T.string, a: T.decimal(32, 2) });
    const many = Array.from({ length: 5 }, () => ({ k: 'big', a: nines }));
    const got = await aggOverBatches(schema, [
      [...many, { k: 'ok', a: '1.00' }], [...many, ...many], [{ k: 'big', a: '-' + nines }, { k: 'ok', a: '2.00' }],
    ], (df) => df.groupBy('k').agg(sum('a').alias('s')));
    // decimal(32,2) sums as decimal(38,2): 14 values near 10^30 fit. A decimal(38,2) input also sums as
    // decimal(38,2): its largest value plus 1.00 does not, and a later -5.00 does not bring the group back.
    expect(got).toEqual([{ k: 'big', s: (14n * (10n ** 32n - 1n)).toString().replace(/(\d\d)$/, '.$1') }, { k: 'ok', s: '3.00' }]);
    const wide = T.struct({ k: T.string, a: T.decimal(38, 2) });
    const max38 = '9'.repeat(36) + '.99';
    const over = await aggOverBatches(wide, [[{ k: 'w', a: max38 }], [{ k: 'w', a: '1.00' }], [{ k: 'w', a: '-5.00' }]], (df) => df.groupBy('k').agg(sum('a').alias('s')));
    expect(over).toEqual([{ k: 'w', s: null }]);
  });

  it('a restarted query reads its decimal sums back from the checkpoint and goes on exactly', async () => {
    const schema = T.struct({ k: T.string, a: T.decimal(12, 4) });
    const stream = new MemoryStream(session, schema);
    const cp = tmpDir('decimal-restart');
    let last: Record<string, unknown>[] = [];
    const start = () => stream.toDF().groupBy('k').agg(sum('a').alias('s'), avg('a').alias('m')).writeStream.outputMode('complete')
      .option('checkpointLocation', cp).foreachBatch((b) => { last = b.collect().sort((x, y) => String(x.k).localeCompare(String(y.k))); }).start();
    let q = await start();
    stream.addData([{ k: 'x', a: '12345678.1234' }, { k: 'y', a: '-0.0001' }]);
    await q.processAllAvailable();
    await q.stop();
    q = await start();
    stream.addData([{ k: 'x', a: '0.0002' }, { k: 'x', a: '1' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(last).toEqual([{ k: 'x', s: '12345679.1236', m: '4115226.37453333' }, { k: 'y', s: '-0.0001', m: '-0.00010000' }]);
  });

  it('groups by a decimal key, 1.5 and 1.50 of one type being one group', async () => {
    const got = await aggOverBatches(T.struct({ k: T.decimal(6, 2), v: T.int }), [[{ k: '1.5', v: 1 }, { k: '1.50', v: 2 }], [{ k: '-3', v: 4 }, { k: null, v: 8 }]],
      (df) => df.groupBy('k').agg(sum('v').alias('s')));
    expect(got.map((r) => [r.k, r.s]).sort()).toEqual([['-3.00', 4n], ['1.50', 3n], [null, 8n]].sort());
  });
});

describe('JSON and CSV', () => {
  it("from_json reads a number's exact digits or a string, HALF_UP, null when too wide or the wrong JSON type", async () => {
    const got = await queryRows(T.struct({ v: T.string }), [
      { v: '{"id":"a","amount":12.345}' }, { v: '{"id":"b","amount":"1,000.5"}' }, { v: '{"id":"c","amount":123456789012}' },
      { v: '{"id":"d","amount":true}' }, { v: '{"id":"e","amount":12345678.904999999999999999}' }, { v: '{"id":"f","amount":-1e-3}' },
    ], (df) => df.select(from_json(col('v'), 'id STRING, amount DECIMAL(10,2)').alias('d')).select('d.*'));
    expect(got).toEqual([
      { id: 'a', amount: '12.35' }, { id: 'b', amount: '1000.50' }, { id: 'c', amount: null },
      { id: 'd', amount: null }, { id: 'e', amount: '12345678.90' }, { id: 'f', amount: '0.00' },
    ]);
  });

  it('to_json and the CSV writer print the digits as Spark (Java BigDecimal.toString), unquoted', async () => {
    const schema = T.struct({ id: T.int, amount: T.decimal(12, 10) });
    const got = await selectRows(schema, [{ id: 1, amount: '12.5' }, { id: 2, amount: '0.00000001' }, { id: 3, amount: null }], to_json(struct(col('id'), col('amount'))).alias('j'));
    expect(got.map((r) => r.j)).toEqual(['{"id":1,"amount":12.5000000000}', '{"id":2,"amount":1.00E-8}', '{"id":3}']);
    const b = makeBatch(schema, [columnFromValues(T.int, [1, 2], 't', 'id'), columnFromValues(schema.fields[1]!.type, ['-3.25', null], 't', 'amount')], 2);
    expect(encodeCsv(schema, [b], { header: true, sep: ',' })).toBe('id,amount\n1,-3.2500000000\n2,\n');
  });
});

describe('Parquet', () => {
  it('the Parquet sink writes DECIMAL(p,s) that DuckDB reads exactly, and read.parquet reads back as decimal(p,s)', async () => {
    const schema = T.struct({ id: T.int, small: T.decimal(9, 2), mid: T.decimal(18, 4), wide: T.decimal(38, 10) });
    const rows = [
      { id: 1, small: '1234567.89', mid: '-12345678901234.5678', wide: '1234567890123456789012345678.0123456789' },
      { id: 2, small: null, mid: '0.0001', wide: '-0.0000000001' },
      { id: 3, small: '-0.01', mid: null, wide: null },
    ];
    const dir = tmpDir('decimal-sink');
    const stream = new MemoryStream(session, schema);
    stream.addData(rows);
    const q = await stream.toDF().writeStream.format('parquet').option('checkpointLocation', `${dir}/cp`).start(`${dir}/out`);
    await q.processAllAvailable(); await q.stop();
    const got = await duckQuery(`SELECT id, typeof(small) ts, typeof(mid) tm, typeof(wide) tw, small::VARCHAR small, mid::VARCHAR mid, wide::VARCHAR wide,
      (SELECT sum(wide)::VARCHAR FROM read_parquet('${dir}/out/*.parquet')) total FROM read_parquet('${dir}/out/*.parquet') ORDER BY id`);
    expect(got).toEqual(rows.map((r) => ({
      id: r.id, ts: 'DECIMAL(9,2)', tm: 'DECIMAL(18,4)', tw: 'DECIMAL(38,10)', small: r.small, mid: r.mid, wide: r.wide, total: '1234567890123456789012345678.0123456788',
    })));
    const back = await session.read.parquet(`${dir}/out`);
    expect(T.typeToString(back.schema)).toBe('struct<id:int,small:decimal(9,2),mid:decimal(18,4),wide:decimal(38,10)>');
    expect(back.collect().sort((a, b) => (a.id as number) - (b.id as number))).toEqual(rows);
  });
});
