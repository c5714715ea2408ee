// Casts with Spark 3.5's rules, ANSI off: cases of Spark's CastSuiteBase and CastWithAnsiOffSuite
// (sql/catalyst/src/test/scala/org/apache/spark/sql/catalyst/expressions/) with their expected
// answers, and the non-ANSI examples of Spark's "ANSI Compliance" page
// (CAST(2147483648L AS INT) is -2147483648, CAST(DATE'2020-01-01' AS INT) is null).
// Float, byte and short rows are not ported: sluice has no float, tinyint or smallint types.
import { describe, expect, it } from 'vitest';
import { Session, col, lit, types as T } from '../src/index.ts';

const session = Session.builder().appName('cast-spark-test').getOrCreate();
const schema = T.struct({ d: T.double, l: T.long, i: T.int, s: T.string, ts: T.timestamp, dt: T.date, b: T.boolean });

/** cast(<column of one value>, to), evaluated by a static DataFrame (not folded as a literal). */
function castOf(column: 'd' | 'l' | 'i' | 's' | 'ts' | 'dt' | 'b', value: unknown, to: string): unknown {
  const row: Record<string, unknown> = { d: null, l: null, i: null, s: null, ts: null, dt: null, b: null, [column]: value };
  return session.createDataFrame([row], schema).select(col(column).cast(to).alias('x')).collect()[0]!.x;
}

describe('CastSuiteBase', () => {
  it('"cast from boolean"', () => {
    expect(castOf('b', true, 'int')).toBe(1);
    expect(castOf('b', false, 'int')).toBe(0);
    expect(castOf('b', true, 'string')).toBe('true');
    expect(castOf('b', false, 'string')).toBe('false');
  });
  it('"cast from int"', () => {
    expect(castOf('i', 0, 'boolean')).toBe(false);
    expect(castOf('i', 1, 'boolean')).toBe(true);
    expect(castOf('i', -5, 'boolean')).toBe(true);
    expect(castOf('i', 1, 'long')).toBe(1n);
    expect(castOf('i', 1, 'double')).toBe(1);
    expect(castOf('i', 123, 'string')).toBe('123');
  });
  it('"cast from long"', () => {
    expect(castOf('l', 0n, 'boolean')).toBe(false);
    expect(castOf('l', 1n, 'boolean')).toBe(true);
    expect(castOf('l', -5n, 'boolean')).toBe(true);
    expect(castOf('l', 1n, 'int')).toBe(1);
    expect(castOf('l', 1n, 'double')).toBe(1);
    expect(castOf('l', 123n, 'string')).toBe('123');
  });
  it('"cast from double": toward zero, and Java\'s Double.toString', () => {
    expect(castOf('d', 0, 'boolean')).toBe(false);
    expect(castOf('d', 0.5, 'boolean')).toBe(true);
    expect(castOf('d', -5, 'boolean')).toBe(true);
    expect(castOf('d', 1.5, 'int')).toBe(1);
    expect(castOf('d', 1.5, 'long')).toBe(1n);
    expect(castOf('d', 1.5, 'string')).toBe('1.5');
  });
  it('"cast from timestamp": seconds, floor', () => {
    const ts = new Date(15 * 1000 + 3);
    expect(castOf('ts', ts, 'int')).toBe(15);
    expect(castOf('ts', ts, 'long')).toBe(15n);
    expect(castOf('ts', ts, 'double')).toBe(15.003);
  });
  it('"data type casting": strings to numbers', () => {
    expect(castOf('s', '23', 'double')).toBe(23);
    expect(castOf('s', '23', 'int')).toBe(23);
    expect(castOf('s', '5', 'long')).toBe(5n);
  });
});

describe('CastWithAnsiOffSuite', () => {
  it('"cast from int #2": int seconds to timestamp and back', () => {
    const df = session.createDataFrame([{ i: 1000 }, { i: -1200 }], T.struct({ i: T.int }));
    expect(df.select(col('i').cast('timestamp').cast('long').alias('x')).collect().map((r) => r.x)).toEqual([1000n, -1200n]);
  });
  it('"cast from date": every number is null, the string is the date', () => {
    const d = new Date('1970-01-01T00:00:00Z');
    expect(castOf('dt', d, 'int')).toBe(null);
    expect(castOf('dt', d, 'long')).toBe(null);
    expect(castOf('dt', d, 'double')).toBe(null);
    expect(castOf('dt', d, 'decimal(10,2)')).toBe(null);
    expect(castOf('dt', d, 'string')).toBe('1970-01-01');
  });
  it('"cast from timestamp II": NaN and infinity are null', () => {
    expect(castOf('d', NaN, 'timestamp')).toBe(null);
    expect(castOf('d', Infinity, 'timestamp')).toBe(null);
    expect(castOf('d', -Infinity, 'timestamp')).toBe(null);
  });
  it('"cast a timestamp before the epoch": the seconds floor, and null when they do not fit an int', () => {
    const ts = new Date('1900-05-05T18:34:56.100Z');
    expect(castOf('ts', ts, 'int')).toBe(null);
    expect(castOf('ts', ts, 'long')).toBe(BigInt(Math.floor(ts.getTime() / 1000)));
  });
  it('"Cast from double II": 1.0 seconds as a timestamp and back', () => {
    const df = session.createDataFrame([{ d: 1 }], T.struct({ d: T.double }));
    expect(df.select(col('d').cast('timestamp').cast('double').alias('x')).collect()[0]!.x).toBe(1);
  });
  it('"Cast should output null for invalid strings": bad numbers and booleans are null', () => {
    expect(castOf('s', '2012-12-11', 'double')).toBe(null);
    expect(castOf('s', 'badvalue', 'double')).toBe(null);
    expect(castOf('s', 'abc', 'boolean')).toBe(null);
    expect(castOf('s', '', 'boolean')).toBe(null);
  });
});

describe('non-ANSI overflow (Cast.scala: Scala\'s toInt/toLong; the ANSI Compliance page)', () => {
  it('a bigint too wide for int keeps its low 32 bits', () => {
    expect(castOf('l', 2147483648n, 'int')).toBe(-2147483648);
    expect(castOf('l', 4294967297n, 'int')).toBe(1);
    expect(castOf('l', -2147483649n, 'int')).toBe(2147483647);
  });
  it('a double past the range is the nearest end, NaN is 0 (Java\'s conversion)', () => {
    expect(castOf('d', 1e10, 'int')).toBe(2147483647);
    expect(castOf('d', -1e10, 'int')).toBe(-2147483648);
    expect(castOf('d', NaN, 'int')).toBe(0);
    expect(castOf('d', Infinity, 'long')).toBe(9223372036854775807n);
    expect(castOf('d', -1e300, 'long')).toBe(-9223372036854775808n);
    expect(castOf('d', NaN, 'long')).toBe(0n);
    expect(castOf('d', -2.7, 'long')).toBe(-2n);
  });
  it('a string out of range is null, not wrapped (UTF8String.toInt)', () => {
    expect(castOf('s', '2147483648', 'int')).toBe(null);
    expect(castOf('s', '9223372036854775808', 'long')).toBe(null);
    expect(castOf('s', ' 12.9 ', 'int')).toBe(12);
  });
});

describe('doubles as text, both ways', () => {
  it('to string as Java\'s Double.toString', () => {
    expect(castOf('d', 1, 'string')).toBe('1.0');
    expect(castOf('d', 1e10, 'string')).toBe('1.0E10');
    expect(castOf('d', 1.5e-5, 'string')).toBe('1.5E-5');
    expect(castOf('d', NaN, 'string')).toBe('NaN');
    expect(castOf('d', -Infinity, 'string')).toBe('-Infinity');
  });
  it('from string as Double.parseDouble plus Spark\'s special words', () => {
    expect(castOf('s', '1.5d', 'double')).toBe(1.5);
    expect(castOf('s', ' 1e3 ', 'double')).toBe(1000);
    expect(castOf('s', 'Infinity', 'double')).toBe(Infinity);
    expect(castOf('s', '-inf', 'double')).toBe(-Infinity);
    expect(castOf('s', 'INF', 'double')).toBe(Infinity);
    expect(Number.isNaN(castOf('s', 'NaN', 'double'))).toBe(true);
    expect(castOf('s', '1.2.3', 'double')).toBe(null);
  });
  it('a literal folds the same way', () => {
    const df = session.createDataFrame([{ d: 1 }], T.struct({ d: T.double }));
    expect(df.select(lit(2147483648n).cast('int').alias('x')).collect()[0]!.x).toBe(-2147483648);
  });
});
