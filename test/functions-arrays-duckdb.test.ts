// The array functions against DuckDB over seeded random arrays with nulls (a null array, [],
// null elements, random indexes), where DuckDB has Spark's semantics: element_at is DuckDB's
// 1-based list_extract (negative from the end, null out of range), size is len (with Spark's
// -1 for a null array), sort_array is list_sort with NULLS FIRST / LAST, array_join is
// array_to_string (null elements skipped; DuckDB gives null for an array of only nulls, Spark ''), get is l[i + 1], split is string_split for a plain
// separator, and explode is unnest. Where DuckDB differs (array_contains returns false, not
// null, next to a null element; list_distinct drops nulls and order) only the shared part is compared.
import { describe, expect, it } from 'vitest';
import { col, types as T, split, size, array_contains, element_at, get, array_join, sort_array, array_distinct, explode } from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';

const rng = mulberry32(13);
const N = 300;
const rows = Array.from({ length: N }, (_, id) => {
  const r = rng();
  const xs = r < 0.1 ? null : Array.from({ length: randInt(rng, 0, 6) }, () => (rng() < 0.15 ? null : randInt(rng, -5, 5)));
  const s = rng() < 0.1 ? null : Array.from({ length: randInt(rng, 1, 5) }, () => ['a', 'bb', '', 'é'][randInt(rng, 0, 3)]).join(',');
  return { id, xs, i: randInt(rng, -8, 8) || 1, s };
});
const schema = T.struct({ id: T.int, xs: T.array(T.int), i: T.int, s: T.string });
const sqlList = (xs: (number | null)[] | null): string => (xs === null ? 'NULL::INTEGER[]' : `[${xs.map((x) => (x === null ? 'NULL' : String(x))).join(', ')}]::INTEGER[]`);
const sqlStr = (s: string | null): string => (s === null ? 'NULL' : `'${s}'`);
const table = `(VALUES ${rows.map((r) => `(${r.id}, ${sqlList(r.xs)}, ${r.i}, ${sqlStr(r.s)})`).join(', ')}) AS t(id, xs, i, s)`;
const byId = (a: Record<string, unknown>[]) => [...a].sort((x, y) => Number(x.id) - Number(y.id));
/** DuckDB's BIGINT answers as numbers, to compare with sluice's ints. */
const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.map(num) : v);

describe('array functions agree with DuckDB over random arrays with nulls', () => {
  it('element_at, get, size, sort_array, array_join, split', async () => {
    const ours = byId(await queryRows(schema, rows, (df) => df.select('id',
      element_at('xs', col('i')).alias('e'), get('xs', col('i')).alias('g'), size('xs').alias('n'),
      sort_array('xs').alias('asc'), sort_array('xs', false).alias('desc'), array_join('xs', '|').alias('j'), split('s', ',').alias('p'))));
    const theirs = byId(await duckQuery(`SELECT id, xs[i] e, CASE WHEN i >= 0 THEN xs[i + 1] END g, coalesce(len(xs), -1) n,
      list_sort(xs, 'ASC', 'NULLS FIRST') "asc", list_sort(xs, 'DESC', 'NULLS LAST') "desc", CASE WHEN xs IS NOT NULL THEN coalesce(array_to_string(xs, '|'), '') END j, string_split(s, ',') p FROM ${table}`));
    expect(ours.length).toBe(N);
    expect(ours).toEqual(theirs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)]))));
  });

  it('array_contains where no null element is involved; array_distinct as a set of its non-null values', async () => {
    const ours = byId(await queryRows(schema, rows, (df) => df.select('id', array_contains('xs', col('i')).alias('c'), array_distinct('xs').alias('d'))));
    const theirs = byId(await duckQuery(`SELECT id, list_contains(xs, i) c, list_sort(list_distinct(xs)) d, list_contains(xs, NULL) OR len(list_filter(xs, x -> x IS NULL)) > 0 has_null FROM ${table}`));
    for (let k = 0; k < N; k++) {
      const o = ours[k]!, t = theirs[k]!;
      if (t.has_null !== true) expect(o.c, `row ${k}`).toBe(t.c);
      else expect(o.c === true || o.c === null, `row ${k}`).toBe(true);
      const set = o.d === null ? null : [...(o.d as (number | null)[])].filter((x) => x !== null).sort((a, b) => a! - b!);
      expect(set, `row ${k}`).toEqual(num(t.d));
      if (o.d !== null) expect(new Set(o.d as unknown[]).size, `row ${k}: no repeats`).toBe((o.d as unknown[]).length);
    }
  });

  it('explode is unnest: the same rows, in order', async () => {
    const ours = await queryRows(schema, rows, (df) => df.select('id', explode('xs').alias('x')));
    const theirs = await duckQuery(`SELECT id, unnest(xs) x FROM ${table} ORDER BY id`);
    expect(ours.length).toBeGreaterThan(N);
    expect(ours.map((r) => [r.id, r.x])).toEqual(theirs.map((r) => [num(r.id), num(r.x)]));
  });
});
