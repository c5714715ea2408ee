// The map functions against DuckDB over seeded random maps with nulls (a null map, {}, null
// values, keys present and absent), where DuckDB has Spark's semantics: element_at(m, k) is
// map_extract_value (null when absent), size is cardinality (with Spark's -1 for a null map),
// map_keys / map_values are DuckDB's, map_contains_key is map_contains (null for a null map).
import { describe, expect, it } from 'vitest';
import { col, types as T, element_at, size, map_keys, map_values, map_contains_key } from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';

const rng = mulberry32(29);
const N = 300, KEYS = ['a', 'b', 'c', 'dd', 'é', ''];
const rows = Array.from({ length: N }, (_, id) => {
  let m: Map<string, number | null> | null = null;
  if (rng() >= 0.1) {
    m = new Map();
    const n = randInt(rng, 0, 4);
    for (let j = 0; j < n; j++) m.set(KEYS[randInt(rng, 0, KEYS.length - 1)]!, rng() < 0.2 ? null : randInt(rng, -9, 9));
  }
  return { id, m, k: KEYS[randInt(rng, 0, KEYS.length - 1)]! };
});
const schema = T.struct({ id: T.int, m: T.map(T.string, T.int), k: T.string });
const sqlMap = (m: Map<string, number | null> | null): string => (m === null ? 'NULL::MAP(VARCHAR, INTEGER)'
  : `MAP([${[...m.keys()].map((k) => `'${k}'`).join(', ')}]::VARCHAR[], [${[...m.values()].map((v) => (v === null ? 'NULL' : String(v))).join(', ')}]::INTEGER[])`);
const table = `(VALUES ${rows.map((r) => `(${r.id}, ${sqlMap(r.m)}, '${r.k}')`).join(', ')}) AS t(id, m, k)`;
const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.map(num) : v);

describe('map functions agree with DuckDB over random maps with nulls', () => {
  it('element_at, size, map_keys, map_values, map_contains_key', async () => {
    const ours = await queryRows(schema, rows, (df) => df.select('id',
      element_at('m', col('k')).alias('e'), size('m').alias('n'), map_keys('m').alias('ks'), map_values('m').alias('vs'), map_contains_key('m', col('k')).alias('c')));
    const theirs = await duckQuery(`SELECT id, map_extract_value(m, k) e, coalesce(cardinality(m), -1) n, map_keys(m) ks, map_values(m) vs,
      CASE WHEN m IS NOT NULL THEN map_contains(m, k) END c FROM ${table} ORDER BY id`);
    expect(ours.length).toBe(N);
    expect(ours).toEqual(theirs.map((r) => Object.fromEntries(Object.entries(r).map(([key, v]) => [key, num(v)]))));
  });
});
