// Decimal arithmetic, comparisons, rounding and aggregates against DuckDB over seeded random
// decimal(10,2) and decimal(18,4) columns with nulls. Where both are exact (+, -, *, comparisons,
// round/floor/ceil HALF_UP, sum/min/max) the digits must agree; DuckDB's avg and '/' of decimals are
// doubles, so avg is checked against DuckDB's exact integer arithmetic on the unscaled sum instead
// (HALF_UP at scale s + 4, Spark's Average), and '/' is left to the golden answers in decimal.test.ts.
// DuckDB sizes a product of two DECIMAL(18) as DECIMAL(18) and fails on overflow: it is widened there first.
import { describe, expect, it } from 'vitest';
import { types as T, expr, sum, min, max, avg, count } from '../src/index.ts';
import { aggRows, selectRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';

const rng = mulberry32(2613);
const N = 500;
/** A random decimal's text with `int` integer digits at most and `scale` digits, sometimes tiny or round. */
function randDecimal(int: number, scale: number): string | null {
  if (rng() < 0.1) return null;
  const digits = randInt(rng, 0, int);
  const i = digits === 0 ? '0' : String(randInt(rng, 1, 9)) + Array.from({ length: digits - 1 }, () => randInt(rng, 0, 9)).join('');
  const f = Array.from({ length: scale }, () => (rng() < 0.2 ? 0 : randInt(rng, 0, 9))).join('');
  return `${rng() < 0.4 ? '-' : ''}${i}.${f}`;
}
const rows = Array.from({ length: N }, (_, k) => ({ id: k, k: randInt(rng, 0, 9), a: randDecimal(8, 2), b: randDecimal(14, 4) }));
const schema = T.struct({ id: T.int, k: T.int, a: T.decimal(10, 2), b: T.decimal(18, 4) });
const sql = (v: string | null): string => (v === null ? 'NULL' : `'${v}'`);
const table = `(SELECT id, k, a::DECIMAL(10,2) a, b::DECIMAL(18,4) b FROM (VALUES ${rows.map((r) => `(${r.id}, ${r.k}, ${sql(r.a)}, ${sql(r.b)})`).join(', ')}) AS t(id, k, a, b))`;
/** The number a decimal's text is, without trailing zeros: '1.50' and '1.5000' are the same value. */
const norm = (v: unknown): unknown => {
  if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v)) return v;
  const s = v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v;
  return s === '-0' ? '0' : s;
};

describe('decimals agree with DuckDB over random columns with nulls', () => {
  it('+, -, *, negation, abs, comparisons, round/floor/ceil, cast to double', async () => {
    const ours = await selectRows(schema, rows, 'id', expr('a + b').alias('add'), expr('a - b').alias('sub'), expr('a * b').alias('mul'), expr('-b').alias('neg'),
      expr('abs(a)').alias('ab'), expr('a < b').alias('lt'), expr('a = round(b, 2)').alias('eq'), expr('round(b, 1)').alias('r1'), expr('round(a, -2)').alias('rm2'),
      expr('floor(b)').alias('fl'), expr('ceil(a)').alias('ce'), expr('CAST(b AS DOUBLE)').alias('d'),
      // Up to 15 digits the kernel computes in doubles (decimal-arith.ts fitsDoubles): the same digits.
      expr('a + a').alias('aa'), expr('a - a * 3').alias('a3'));
    const theirs = await duckQuery(`SELECT id, (a + b)::VARCHAR "add", (a - b)::VARCHAR sub, (a::DECIMAL(38,2) * b)::VARCHAR mul, (-b)::VARCHAR neg, abs(a)::VARCHAR ab,
      a < b lt, a = round(b, 2) eq, round(b, 1)::VARCHAR r1, round(a, -2)::VARCHAR rm2, floor(b)::VARCHAR fl, ceil(a)::VARCHAR ce, b::DOUBLE d,
      (a + a)::VARCHAR aa, (a - a * 3)::VARCHAR a3 FROM ${table} ORDER BY id`);
    const view = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)]));
    expect(ours.sort((x, y) => (x.id as number) - (y.id as number)).map(view)).toEqual(theirs.map(view));
    // The data reaches the corners: products past 18 digits, rounding up across a digit.
    expect(ours.some((r) => typeof r.mul === 'string' && r.mul.replace(/[-.]/g, '').length > 19)).toBe(true);
  });

  it('sum, min, max, count per group; avg as the HALF_UP quotient of the exact sum', async () => {
    const ours = (await aggRows(schema, rows, (df) => df.groupBy('k').agg(sum('a').alias('sa'), sum('b').alias('sb'), min('b').alias('lo'), max('a').alias('hi'),
      count('a').alias('n'), avg('a').alias('m')))).sort((x, y) => (x.k as number) - (y.k as number));
    const theirs = await duckQuery(`SELECT k, sum(a)::VARCHAR sa, sum(b)::VARCHAR sb, min(b)::VARCHAR lo, max(a)::VARCHAR hi, count(a) n,
      CASE WHEN count(a) > 0 THEN (sign(sum(a)) * ((abs(sum(a) * 100)::HUGEINT * 10000 * 2 + count(a)) // (2 * count(a))))::VARCHAR END m_unscaled
      FROM ${table} GROUP BY k ORDER BY k`);
    expect(ours.length).toBe(10);
    expect(ours.map((r) => [r.k, norm(r.sa), norm(r.sb), norm(r.lo), norm(r.hi), Number(r.n)]))
      .toEqual(theirs.map((r) => [r.k, norm(r.sa), norm(r.sb), norm(r.lo), norm(r.hi), Number(r.n)]));
    // avg(decimal(10,2)) is decimal(14,6): its unscaled value is the digits without the point.
    expect(ours.map((r) => (r.m === null ? null : BigInt((r.m as string).replace('.', '')).toString()))).toEqual(theirs.map((r) => r.m_unscaled));
  });
});
