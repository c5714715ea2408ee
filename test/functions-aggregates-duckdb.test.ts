// The new aggregates against DuckDB over seeded random groups with nulls, where DuckDB has
// Spark's semantics: stddev_samp/stddev_pop/var_samp/var_pop (null below 2 rows for the
// sample ones), count(DISTINCT ...) (DuckDB counts a (y, s) struct with a null member, so
// those rows are filtered out as Spark skips them), max_by/min_by as the x of the first row
// ordered by ord (ord is unique, so ties cannot differ; a null ord skipped, a null x kept),
// and percentile_approx as DuckDB's sorted list at rank ceil(p * n): Spark's answer while the
// summary's rank spans are 0, i.e. below 2 * relativeError * n < 1 (accuracy 10000, n < 5000).
import { describe, expect, it } from 'vitest';
import { types as T, count_distinct, stddev_samp, stddev_pop, var_samp, var_pop, max_by, min_by, percentile_approx } from '../src/index.ts';
import { aggRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';

const rng = mulberry32(1313);
const N = 600;
const ords = Array.from({ length: N }, (_, i) => i).sort(() => rng() - 0.5);
const rows = Array.from({ length: N }, (_, i) => ({
  // Group 7 gets one row (sample statistics null), group 8 only null x.
  k: i === 0 ? 7 : i === 1 ? 8 : randInt(rng, 0, 6),
  x: i === 1 || rng() < 0.15 ? null : Math.round((rng() * 200 - 100) * 1000) / 1000,
  y: rng() < 0.1 ? null : randInt(rng, 0, 20),
  s: rng() < 0.1 ? null : ['a', 'b', 'é', ''][randInt(rng, 0, 3)]!,
  o: rng() < 0.1 ? null : ords[i]!,
}));
const schema = T.struct({ k: T.int, x: T.double, y: T.int, s: T.string, o: T.int });
const sql = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
const table = `(VALUES ${rows.map((r) => `(${sql(r.k)}, ${sql(r.x)}::DOUBLE, ${sql(r.y)}::INTEGER, ${sql(r.s)}::VARCHAR, ${sql(r.o)}::INTEGER)`).join(', ')}) AS t(k, x, y, s, o)`;
const byK = (a: Record<string, unknown>[]) => [...a].sort((p, q) => Number(p.k) - Number(q.k));
const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.map(num) : v);

describe('new aggregates agree with DuckDB over random groups with nulls', () => {
  it('stddev_samp, stddev_pop, var_samp, var_pop', async () => {
    const ours = byK(await aggRows(schema, rows, (df) => df.groupBy('k').agg(stddev_samp('x').alias('ss'), stddev_pop('x').alias('sp'), var_samp('x').alias('vs'), var_pop('x').alias('vp'))));
    const theirs = byK(await duckQuery(`SELECT k, stddev_samp(x) ss, stddev_pop(x) sp, var_samp(x) vs, var_pop(x) vp FROM ${table} GROUP BY k`));
    expect(ours.length).toBe(9);
    expect(ours.map((r) => r.k)).toEqual(theirs.map((r) => r.k));
    for (let g = 0; g < ours.length; g++) {
      for (const c of ['ss', 'sp', 'vs', 'vp']) {
        const o = ours[g]![c], t = theirs[g]![c];
        if (t === null) expect(o, `k=${ours[g]!.k} ${c}`).toBeNull();
        else expect(o as number, `k=${ours[g]!.k} ${c}`).toBeCloseTo(t as number, 9);
      }
    }
    expect(ours.find((r) => r.k === 7)).toMatchObject({ ss: null, vs: null, sp: 0, vp: 0 });
  });

  it('count(DISTINCT y), count(DISTINCT y, s)', async () => {
    const ours = byK(await aggRows(schema, rows, (df) => df.groupBy('k').agg(count_distinct('y').alias('dy'), count_distinct('y', 's').alias('dys'))));
    const theirs = byK(await duckQuery(`SELECT k, count(DISTINCT y) dy, count(DISTINCT (y, s)) FILTER (WHERE y IS NOT NULL AND s IS NOT NULL) dys FROM ${table} GROUP BY k`));
    expect(ours.map((r) => [r.k, num(r.dy), num(r.dys)])).toEqual(theirs.map((r) => [r.k, num(r.dy), num(r.dys)]));
    expect(ours.some((r) => Number(r.dys) > 10)).toBe(true);
  });

  it('max_by(x, o), min_by(x, o)', async () => {
    const ours = byK(await aggRows(schema, rows, (df) => df.groupBy('k').agg(max_by('x', 'o').alias('mx'), min_by('x', 'o').alias('mn'))));
    const theirs = byK(await duckQuery(`SELECT k, (list(x ORDER BY o DESC) FILTER (WHERE o IS NOT NULL))[1] mx,
      (list(x ORDER BY o ASC) FILTER (WHERE o IS NOT NULL))[1] mn FROM ${table} GROUP BY k`));
    expect(ours.map((r) => [r.k, r.mx, r.mn])).toEqual(theirs.map((r) => [r.k, r.mx, r.mn]));
  });

  it('percentile_approx at 0.25, 0.5, 0.9 is the value of rank ceil(p * n)', async () => {
    const ours = byK(await aggRows(schema, rows, (df) => df.groupBy('k').agg(percentile_approx('x', [0.25, 0.5, 0.9]).alias('p'))));
    const rank = (p: number) => `list_sort(list(x) FILTER (WHERE x IS NOT NULL))[greatest(1, ceil(${p} * count(x)))::BIGINT]`;
    const theirs = byK(await duckQuery(`SELECT k, CASE WHEN count(x) > 0 THEN [${rank(0.25)}, ${rank(0.5)}, ${rank(0.9)}] END p FROM ${table} GROUP BY k`));
    expect(ours.map((r) => [r.k, r.p])).toEqual(theirs.map((r) => [r.k, r.p]));
    expect(ours.find((r) => r.k === 8)!.p).toBeNull();
  });
});
