// when/otherwise (CASE WHEN), coalesce, abs, round, between: the `>>>` examples of PySpark's
// docstrings, then nulls, types and names.
import { describe, expect, it } from 'vitest';
import {
  col, lit, expr, when, coalesce, abs, round, negative, nullif, greatest, least, types as T, AnalysisError,
  sqrt, exp, log, ln, log10, log2, log1p, pow, floor, ceil, signum, degrees, radians, pi, atan2, hypot, cbrt,
} from '../src/index.ts';
import { roundHalfUp } from '../src/exec/functions/round.ts';
import { selectRows, queryRows } from './support/select-rows.ts';

const people = T.struct({ name: T.string, age: T.long });
const alice_bob = [{ name: 'Alice', age: 2n }, { name: 'Bob', age: 5n }];

describe('PySpark docstring examples', () => {
  it('when / otherwise', async () => {
    const out = await selectRows(people, alice_bob, 'name', when(col('age').gt(4), 1).when(col('age').lt(3), -1).otherwise(0).alias('age'));
    expect(out).toEqual([{ name: 'Alice', age: -1 }, { name: 'Bob', age: 1 }]);
    expect(await selectRows(people, alice_bob, when(col('age').equalTo(3), 3).alias('age'))).toEqual([{ age: null }, { age: null }]);
  });
  it('between', async () => {
    expect(await selectRows(people, alice_bob, 'name', col('age').between(2, 4))).toEqual([
      { name: 'Alice', '((age >= 2) AND (age <= 4))': true }, { name: 'Bob', '((age >= 2) AND (age <= 4))': false },
    ]);
  });
  it('coalesce', async () => {
    const ab = T.struct({ a: T.long, b: T.long });
    const rows = [{ a: null, b: null }, { a: 1n, b: null }, { a: null, b: 2n }];
    expect(await selectRows(ab, rows, coalesce('a', 'b'))).toEqual([{ 'coalesce(a, b)': null }, { 'coalesce(a, b)': 1n }, { 'coalesce(a, b)': 2n }]);
    // The docstring's lit(0.0) is a Python float, so a double: 0.0D (a plain 0.0 would be Spark's decimal(1,1)).
    expect((await selectRows(ab, rows, coalesce(col('a'), expr('0.0D')).alias('r'))).map((r) => r.r)).toEqual([0, 1, 0]);
  });
  it('nullif / greatest / least', async () => {
    const ab = T.struct({ a: T.long, b: T.long, c: T.long });
    const r = await selectRows(ab, [{ a: 1n, b: 4n, c: 3n }, { a: 2n, b: 2n, c: null }], nullif('a', 'b'), greatest('a', 'b', 'c'), least('a', 'b', 'c'));
    expect(r).toEqual([
      { 'nullif(a, b)': 1n, 'greatest(a, b, c)': 4n, 'least(a, b, c)': 1n },
      { 'nullif(a, b)': null, 'greatest(a, b, c)': 2n, 'least(a, b, c)': 2n },
    ]);
  });
  it('round / abs', async () => {
    const x = T.struct({ x: T.int });
    const out = await selectRows(x, [{ x: 0 }], round(lit(2.5)).alias('a'), round(lit(-2.5)).alias('b'), round(lit(2.1267), 2).alias('c'), abs(lit(-1)).alias('d'));
    expect(out).toEqual([{ a: 3, b: -3, c: 2.13, d: 1 }]);
  });
});

describe('nulls, types and names', () => {
  const s = T.struct({ n: T.int, l: T.long, d: T.double, s: T.string });
  const rows = [
    { n: 5, l: 15n, d: 1.005, s: 'x' },
    { n: null, l: null, d: null, s: null },
    { n: -2147483648, l: -25n, d: -0.5, s: '7.5' },
  ];
  it.each<[string, string, unknown[]]>([
    ['CASE picks the first true branch; null conditions are false', "CASE WHEN n > 0 THEN 'pos' WHEN n IS NULL THEN 'none' ELSE 'neg' END", ['pos', 'none', 'neg']],
    ['CASE without ELSE is null', "CASE WHEN n > 0 THEN 'pos' END", ['pos', null, null]],
    ['CASE values meet in a common type', 'CASE WHEN n > 0 THEN n ELSE d END', [5, null, -0.5]],
    ['CASE x WHEN v', "CASE s WHEN 'x' THEN 1 WHEN '7.5' THEN 2 END", [1, null, 2]],
    ['coalesce of three', 'coalesce(n, l, 0)', [5n, 0n, -2147483648n]],
    ['coalesce of strings', "coalesce(s, 'none')", ['x', 'none', '7.5']],
    ['abs keeps the type; the smallest int wraps, as in Spark', 'abs(n)', [5, null, -2147483648]],
    ['abs of a long and a double', 'abs(l) + abs(d)', [16.005, null, 25.5]],
    ['abs reads a string as a double', 'abs(s)', [null, null, 7.5]],
    ['round HALF_UP on the decimal text of the double', 'round(d, 2)', [1.01, null, -0.5]],
    ['round of a long to tens', 'round(l, -1)', [20n, null, -30n]],
    ['round of an int is the int', 'round(n)', [5, null, -2147483648]],
    ['unary minus', '-n', [-5, null, -2147483648]],
    ['nullif with a null side keeps the first', 'nullif(n, 5)', [null, null, -2147483648]],
    ['greatest skips nulls and meets in a common type', 'greatest(n, d, -1)', [5, -1, -0.5]],
    ['least of strings', "least(s, 'y')", ['x', 'y', '7.5']],
    ['greatest of nulls only', 'greatest(NULL, NULL)', [null, null, null]],
  ])('%s: %s', async (_, sql, expected) => {
    expect((await selectRows(s, rows, expr(`${sql} AS r`))).map((r) => r.r)).toEqual(expected);
  });

  it('roundHalfUp matches Spark on the classic cases', () => {
    expect([roundHalfUp(0.125, 2), roundHalfUp(2.675, 2), roundHalfUp(-1.5, 0), roundHalfUp(1234.5, -2), roundHalfUp(1e-7, 3)]).toEqual([0.13, 2.68, -2, 1200, 0]);
  });

  it('names: CASE WHEN, coalesce, round(x, 0), (- x)', async () => {
    const out = await selectRows(s, rows.slice(0, 1), when(col('n').gt(1), 'big').otherwise('small'), coalesce('n', 'l'), round('d'), negative('n'), abs('n'));
    expect(Object.keys(out[0]!)).toEqual(['CASE WHEN (n > 1) THEN big ELSE small END', 'coalesce(n, l)', 'round(d, 0)', '(- n)', 'abs(n)']);
  });

  it('mistakes: otherwise twice, a non-boolean WHEN, a non-constant scale', async () => {
    expect(() => when(col('n').gt(1), 1).otherwise(2).otherwise(3)).toThrow(/cannot be applied once otherwise/);
    expect(() => col('n').otherwise(3)).toThrow(/only be applied on a Column built by when/);
    const err = async (sql: string) => queryRows(s, rows, (df) => df.select(expr(sql))).then(() => null, (e: unknown) => e as Error);
    const e1 = await err("CASE WHEN s THEN 1 END");
    expect(e1).toBeInstanceOf(AnalysisError);
    expect(e1!.message).toContain("WHEN expressions must be boolean, however, 's' is of string type");
    expect((await err('round(d, n)'))!.message).toContain("the scale 'n' must be an integer constant");
    expect((await err("coalesce(n, CAST(s AS BINARY))"))!.message).toContain('coalesce should all be the same type');
  });
});

describe('math on doubles, floor and ceil', () => {
  const x = T.struct({ x: T.int });
  it('PySpark docstring answers', async () => {
    // spark.range(1).select(sf.floor(sf.lit(2.5))) -> 2; sf.ceil(sf.lit(-0.1)) -> 0; sf.sqrt(sf.lit(4)) -> 2.0;
    // sf.pow(sf.lit(3), sf.lit(2)) -> 9.0; sf.log10(sf.lit(100)) -> 2.0; sf.log2(sf.lit(4)) -> 2.0; sf.exp(sf.lit(0)) -> 1.0;
    // sf.log(2.0, sf.lit(4)) -> 2.0; sf.cbrt(sf.lit(27)) -> 3.0
    const out = await selectRows(x, [{ x: 0 }],
      floor(lit(2.5)).alias('f'), ceil(lit(-0.1)).alias('c'), sqrt(lit(4)).alias('s'), pow(lit(3), lit(2)).alias('p'),
      log10(lit(100)).alias('l10'), log2(lit(4)).alias('l2'), exp(lit(0)).alias('e'), log(2.0, lit(4)).alias('lb'), cbrt(lit(27)).alias('cb'));
    expect(out).toEqual([{ f: 2n, c: 0n, s: 2, p: 9, l10: 2, l2: 2, e: 1, lb: 2, cb: 3 }]);
  });
  it("nulls, the logarithms' domain (null, as Spark's Logarithm), NaN kept elsewhere, integral floor, names", async () => {
    const n = T.struct({ x: T.double, k: T.long });
    const out = await selectRows(n, [{ x: 0, k: 7n }, { x: -1, k: null }, { x: null, k: -3n }],
      ln(col('x')).alias('ln'), log(col('x')).alias('log'), log1p(col('x')).alias('l1p'), sqrt(col('x')).alias('sq'),
      floor(col('k')).alias('fk'), signum(col('x')).alias('sg'));
    expect(out).toEqual([
      { ln: null, log: null, l1p: 0, sq: 0, fk: 7n, sg: 0 },
      { ln: null, log: null, l1p: null, sq: NaN, fk: null, sg: -1 },
      { ln: null, log: null, l1p: null, sq: null, fk: -3n, sg: null },
    ]);
    const named = await selectRows(n, [{ x: 1, k: 1n }], sqrt('x'), floor('x'), pow('x', 'k'), expr('POWER(x, 2)'), expr('ceiling(x)'));
    expect(Object.keys(named[0]!)).toEqual(['SQRT(x)', 'FLOOR(x)', 'POWER(x, k)', 'POWER(x, 2)', 'CEIL(x)']);
  });
  it('degrees, radians, pi, atan2, hypot', async () => {
    const out = await selectRows(x, [{ x: 0 }], degrees(pi()).alias('d'), radians(lit(180)).alias('r'), atan2(1, 1).alias('a'), hypot(3, 4).alias('h'));
    expect(out).toEqual([{ d: 180, r: Math.PI, a: Math.PI / 4, h: 5 }]);
  });
  it('refuses a non-numeric argument, naming it', async () => {
    await expect(selectRows(T.struct({ s: T.struct({ a: T.int }) }), [], sqrt('s'))).rejects.toThrow(AnalysisError);
  });
});
