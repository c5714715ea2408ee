// reverse, repeat, instr, left, right, translate, ascii and bround against DuckDB over seeded random
// strings with nulls and characters beyond ASCII ('é', an emoji), where DuckDB has Spark's
// semantics. Where it differs, the Spark rule is written into the DuckDB side and said here:
// left/right of a count <= 0 are '' in Spark (DuckDB counts from the other end), repeat of a count
// < 0 is '' (DuckDB takes only counts >= 0). bround is DuckDB's round_even on values k/8, whose
// ties are exact in binary, so both sides see the same digits.
import { describe, expect, it } from 'vitest';
import { col, lit, types as T, reverse, repeat, instr, left, right, translate, ascii, bround } from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, randInt } from './support/prng.ts';

const rng = mulberry32(29);
const N = 300;
const pieces = ['a', 'b', 'é', '😀', ' ', 'ab', 'x'];
const rows = Array.from({ length: N }, (_, id) => ({
  id,
  s: rng() < 0.1 ? null : Array.from({ length: randInt(rng, 0, 6) }, () => pieces[randInt(rng, 0, pieces.length - 1)]).join(''),
  n: rng() < 0.1 ? null : randInt(rng, -2, 5),
  d: rng() < 0.1 ? null : randInt(rng, -200, 200) / 8,
  k: randInt(rng, 0, 2),
}));
const schema = T.struct({ id: T.int, s: T.string, n: T.int, d: T.double, k: T.int });
const sql = (v: string | number | null): string => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v}'`);
const table = `(VALUES ${rows.map((r) => `(${r.id}, ${sql(r.s)}::VARCHAR, ${sql(r.n)}::INTEGER, ${sql(r.d)}::DOUBLE, ${r.k})`).join(', ')}) AS t(id, s, n, d, k)`;
const byId = (a: Record<string, unknown>[]) => [...a].sort((x, y) => Number(x.id) - Number(y.id));
const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

describe('string functions agree with DuckDB over random strings with nulls', () => {
  it('reverse, repeat, instr, left, right, translate, ascii', async () => {
    const ours = byId(await queryRows(schema, rows, (df) => df.select('id', reverse('s').alias('rev'), repeat('s', col('n')).alias('rep'),
      instr('s', 'b').alias('ins'), left('s', 'n').alias('l'), right('s', 'n').alias('r'), translate('s', 'aé😀', 'xy').alias('tr'), ascii('s').alias('first'))));
    const theirs = byId(await duckQuery(`SELECT id, reverse(s) rev, CASE WHEN s IS NOT NULL AND n IS NOT NULL THEN repeat(s, greatest(n, 0)) END rep,
      instr(s, 'b') ins, CASE WHEN n <= 0 AND s IS NOT NULL THEN '' ELSE left(s, n) END l, CASE WHEN n <= 0 AND s IS NOT NULL THEN '' ELSE right(s, n) END r,
      translate(s, 'aé😀', 'xy') tr, CASE WHEN s = '' THEN 0 ELSE ascii(s) END "first" FROM ${table}`));
    expect(ours.length).toBe(N);
    expect(ours).toEqual(theirs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)]))));
  });

  it('bround is round_even at scales 0..2', async () => {
    const ours = byId(await queryRows(schema, rows, (df) => df.select('id', bround('d', 0).alias('b0'), bround('d', 1).alias('b1'), bround(col('d'), 2).alias('b2'), bround(lit(-0.5)).alias('m'))));
    const theirs = byId(await duckQuery(`SELECT id, round_even(d, 0) b0, round_even(d, 1) b1, round_even(d, 2) b2, round_even(-0.5::DOUBLE, 0) m FROM ${table}`));
    expect(ours).toEqual(theirs.map((r) => ({ ...r, id: num(r.id) })));
  });
});
