// The aggregates of issue #13 against the `>>>` examples of PySpark's docstrings
// (python/pyspark/sql/functions/builtin.py) and the SQL examples of Spark's
// ExpressionDescriptions, with their expected answers and Spark's column names.
import { describe, expect, it } from 'vitest';
import {
  col, expr, lit, types as T, count_distinct, countDistinct, stddev, std, stddev_samp, stddev_pop, variance, var_samp, var_pop,
  skewness, kurtosis, max_by, min_by, percentile_approx, approx_percentile,
} from '../src/index.ts';
import { aggRows } from './support/select-rows.ts';
import { mulberry32 } from './support/prng.ts';

const range = (n: number) => Array.from({ length: n }, (_, id) => ({ id }));
const idSchema = T.struct({ id: T.long });

describe('stddev / variance family (spark.range(6))', () => {
  it('stddev(id) = 1.8708286933869707, stddev_pop = 1.707825127659933, named as called', async () => {
    const [r] = await aggRows(idSchema, range(6), (df) => df.agg(stddev('id'), std('id'), stddev_samp('id'), stddev_pop('id')));
    expect(Object.keys(r!)).toEqual(['stddev(id)', 'std(id)', 'stddev_samp(id)', 'stddev_pop(id)']);
    expect(r!['stddev(id)']).toBeCloseTo(1.8708286933869707, 12);
    expect(r!['std(id)']).toBeCloseTo(1.8708286933869707, 12);
    expect(r!['stddev_samp(id)']).toBeCloseTo(1.8708286933869707, 12);
    expect(r!['stddev_pop(id)']).toBeCloseTo(1.707825127659933, 12);
  });

  it('variance(id) = 3.5, var_samp = 3.5, var_pop = 2.9166666666666665', async () => {
    const [r] = await aggRows(idSchema, range(6), (df) => df.agg(variance('id'), var_samp('id'), var_pop('id')));
    expect(Object.keys(r!)).toEqual(['variance(id)', 'var_samp(id)', 'var_pop(id)']);
    expect(r!['variance(id)']).toBeCloseTo(3.5, 12);
    expect(r!['var_samp(id)']).toBeCloseTo(3.5, 12);
    expect(r!['var_pop(id)']).toBeCloseTo(2.9166666666666665, 12);
  });

  it('skewness(c) of [1, 1, 2] = 0.7071067811865475, kurtosis = -1.5', async () => {
    const [r] = await aggRows(T.struct({ c: T.int }), [{ c: 1 }, { c: 1 }, { c: 2 }], (df) => df.agg(skewness('c'), kurtosis('c')));
    expect(r!['skewness(c)']).toBeCloseTo(0.7071067811865475, 12);
    expect(r!['kurtosis(c)']).toBeCloseTo(-1.5, 12);
  });

  it('one row: stddev_samp/var_samp null, *_pop 0, skewness/kurtosis null (Spark 3, legacy.statisticalAggregate=false); no rows of a group: null; nulls ignored', async () => {
    const rows = [{ k: 'one', x: 4 }, { k: 'one', x: null }, { k: 'none', x: null }];
    const out = await aggRows(T.struct({ k: T.string, x: T.double }), rows, (df) => df.groupBy('k').agg(stddev_samp('x'), var_samp('x'), stddev_pop('x'), var_pop('x'), skewness('x'), kurtosis('x')));
    const by = Object.fromEntries(out.map((r) => [r.k, r]));
    expect(by.one).toEqual({ k: 'one', 'stddev_samp(x)': null, 'var_samp(x)': null, 'stddev_pop(x)': 0, 'var_pop(x)': 0, 'skewness(x)': null, 'kurtosis(x)': null });
    expect(by.none).toEqual({ k: 'none', 'stddev_samp(x)': null, 'var_samp(x)': null, 'stddev_pop(x)': null, 'var_pop(x)': null, 'skewness(x)': null, 'kurtosis(x)': null });
  });

  it('a NaN input gives NaN, as in Spark', async () => {
    const [r] = await aggRows(T.struct({ x: T.double }), [{ x: 1 }, { x: NaN }, { x: 3 }], (df) => df.agg(stddev('x')));
    expect(r!['stddev(x)']).toBeNaN();
  });

  it('refuses a string column, naming the aggregate', async () => {
    await expect(aggRows(T.struct({ s: T.string }), [{ s: 'a' }], (df) => df.agg(variance('s')))).rejects.toThrow(/variance\(s\): variance\(\) needs a number, but its input is string/);
  });
});

describe('count_distinct / countDistinct', () => {
  // The docstring joins [1, 1, 3] with [1, 2]: six (value, value) pairs, four distinct.
  const pairs = [1, 1, 3].flatMap((a) => [1, 2].map((b) => ({ a, b })));
  const ab = T.struct({ a: T.int, b: T.int });

  it('count(DISTINCT a, b) of the docstring join = 4; count(DISTINCT a) = 2', async () => {
    const [r] = await aggRows(ab, pairs, (df) => df.agg(count_distinct(col('a'), col('b')), countDistinct('a')));
    expect(r).toEqual({ 'count(DISTINCT a, b)': 4n, 'count(DISTINCT a)': 2n });
  });

  it('a row with any null column is not counted; a group of only nulls counts 0', async () => {
    const rows = [{ k: 'x', a: 1, b: null }, { k: 'x', a: 1, b: 2 }, { k: 'x', a: null, b: 2 }, { k: 'x', a: 1, b: 2 }, { k: 'y', a: null, b: null }];
    const out = await aggRows(T.struct({ k: T.string, a: T.int, b: T.int }), rows, (df) => df.groupBy('k').agg(count_distinct('a', 'b'), count_distinct('a')));
    expect(out.sort((p, q) => String(p.k).localeCompare(String(q.k)))).toEqual([
      { k: 'x', 'count(DISTINCT a, b)': 1n, 'count(DISTINCT a)': 1n },
      { k: 'y', 'count(DISTINCT a, b)': 0n, 'count(DISTINCT a)': 0n },
    ]);
  });

  it('SQL: count(DISTINCT a, b) in expr() and the dict form know the names', async () => {
    const [r] = await aggRows(ab, pairs, (df) => df.agg(expr('count(DISTINCT a, b)'), expr('count(distinct b)').alias('nb')));
    expect(r).toEqual({ 'count(DISTINCT a, b)': 4n, nb: 2n });
    const [d] = await aggRows(ab, pairs, (df) => df.groupBy().agg({ a: 'stddev', b: 'var_pop' }));
    expect(Object.keys(d!)).toEqual(['stddev(a)', 'var_pop(b)']);
  });

  it('other DISTINCT aggregates are refused at their position', () => {
    expect(() => expr('sum(DISTINCT a)')).toThrow(/DISTINCT/);
  });
});

describe('max_by / min_by', () => {
  const rows = [
    { course: 'Java', year: 2012, earnings: 20000 }, { course: 'dotNET', year: 2012, earnings: 5000 },
    { course: 'dotNET', year: 2013, earnings: 48000 }, { course: 'Java', year: 2013, earnings: 30000 },
  ];
  const schema = T.struct({ course: T.string, year: T.long, earnings: T.long });
  const sorted = (a: Record<string, unknown>[]) => [...a].sort((p, q) => (String(p.course) < String(q.course) ? -1 : 1));

  it('max_by(year, earnings): Java 2013, dotNET 2013', async () => {
    const out = await aggRows(schema, rows, (df) => df.groupBy('course').agg(max_by('year', 'earnings')));
    expect(sorted(out)).toEqual([{ course: 'Java', 'max_by(year, earnings)': 2013n }, { course: 'dotNET', 'max_by(year, earnings)': 2013n }]);
  });

  it('min_by(year, earnings): Java 2012, dotNET 2012; also through SQL', async () => {
    const out = await aggRows(schema, rows, (df) => df.groupBy('course').agg(min_by('year', 'earnings'), expr('max_by(course, year)')));
    expect(sorted(out)).toEqual([
      { course: 'Java', 'min_by(year, earnings)': 2012n, 'max_by(course, year)': 'Java' },
      { course: 'dotNET', 'min_by(year, earnings)': 2012n, 'max_by(course, year)': 'dotNET' },
    ]);
  });

  it.each([
    ['Example 2', [['Marketing', 'Anna', 4], ['IT', 'Bob', 2], ['IT', 'Charlie', 3], ['Marketing', 'David', 1]], { IT: ['Charlie', 'Bob'], Marketing: ['Anna', 'David'] }],
    ['Example 3', [['Consult', 'Eva', 6], ['Finance', 'Frank', 5], ['Finance', 'George', 9], ['Consult', 'Henry', 7]], { Consult: ['Henry', 'Eva'], Finance: ['George', 'Frank'] }],
  ] as const)('%s: max_by/min_by(name, years_in_dept) by department', async (_, data, want) => {
    const s = T.struct({ department: T.string, name: T.string, years_in_dept: T.long });
    const out = await aggRows(s, data.map(([department, name, y]) => ({ department, name, years_in_dept: BigInt(y) })),
      (df) => df.groupBy('department').agg(max_by('name', 'years_in_dept'), min_by('name', 'years_in_dept')));
    expect(Object.fromEntries(out.map((r) => [r.department, [r['max_by(name, years_in_dept)'], r['min_by(name, years_in_dept)']]]))).toEqual(want);
  });

  it('SQL example: max_by(x, y) FROM VALUES (a, 10), (b, 50), (c, 20) = b; min_by = a; a null ord is skipped, a null x returned', async () => {
    const s = T.struct({ x: T.string, y: T.int });
    const [r] = await aggRows(s, [{ x: 'a', y: 10 }, { x: 'b', y: 50 }, { x: 'c', y: 20 }, { x: 'z', y: null }], (df) => df.agg(max_by('x', 'y'), min_by('x', 'y')));
    expect(r).toEqual({ 'max_by(x, y)': 'b', 'min_by(x, y)': 'a' });
    const [n] = await aggRows(s, [{ x: 'a', y: 10 }, { x: null, y: 50 }, { x: 'q', y: null }], (df) => df.agg(max_by('x', 'y')));
    expect(n).toEqual({ 'max_by(x, y)': null });
  });
});

describe('percentile_approx / approx_percentile', () => {
  const colSchema = T.struct({ col: T.int });
  const vals = (xs: number[]) => xs.map((c) => ({ col: c }));

  it('SQL example: percentile_approx(col, array(0.5, 0.4, 0.1), 100) of (0), (1), (2), (10) = [1, 1, 0]', async () => {
    const [r] = await aggRows(colSchema, vals([0, 1, 2, 10]), (df) => df.agg(percentile_approx('col', [0.5, 0.4, 0.1], 100)));
    expect(r).toEqual({ 'percentile_approx(col, array(0.5, 0.4, 0.1), 100)': [1, 1, 0] });
  });

  it('SQL example: percentile_approx(col, 0.5, 100) of (0), (6), (7), (9), (10) = 7, in SQL too', async () => {
    const [r] = await aggRows(colSchema, vals([0, 6, 7, 9, 10]), (df) => df.agg(percentile_approx('col', 0.5, 100), expr('approx_percentile(col, 0.5)')));
    expect(r).toEqual({ 'percentile_approx(col, 0.5, 100)': 7, 'approx_percentile(col, 0.5, 10000)': 7 });
  });

  it('docstring schema: an array of percentages over doubles is array<double> (containsNull false); a lit percentage is double', async () => {
    const rows = Array.from({ length: 1000 }, (_, id) => ({ key: id % 3, value: (id % 3) * 10 + ((id * 7919) % 1000) / 1000 }));
    const schema = T.struct({ key: T.long, value: T.double });
    const q = await aggRows(schema, rows, (df) => df.agg(percentile_approx('value', [0.25, 0.5, 0.75], 1000000).alias('quantiles')));
    const got = q[0]!.quantiles as number[];
    const sorted = rows.map((r) => r.value).sort((a, b) => a - b);
    expect(got).toEqual([sorted[249], sorted[499], sorted[749]]);
    const m = await aggRows(schema, rows, (df) => df.groupBy('key').agg(percentile_approx('value', lit(0.5), lit(1000000)).alias('median')));
    expect(m.length).toBe(3);
    for (const r of m) expect(rows.some((x) => x.value === r.median && BigInt(x.key) === r.key)).toBe(true);
  });

  it('p <= 1/accuracy is the least value and p >= 1 - 1/accuracy the greatest; nulls skipped; no values is null', async () => {
    const rows = [...vals([5, 1, 9, 3]), { col: null }];
    const [r] = await aggRows(colSchema, rows, (df) => df.agg(percentile_approx('col', [0, 0.1, 0.9, 1], 10).alias('p')));
    expect(r).toEqual({ p: [1, 1, 9, 9] });
    const [e] = await aggRows(colSchema, [{ col: null }], (df) => df.agg(approx_percentile('col', 0.5).alias('p')));
    expect(e).toEqual({ p: null });
  });

  it('refuses a percentage outside [0, 1] and a non-positive accuracy', async () => {
    await expect(aggRows(colSchema, vals([1]), (df) => df.agg(percentile_approx('col', 1.5)))).rejects.toThrow(/percentage must be a number between 0.0 and 1.0/);
    await expect(aggRows(colSchema, vals([1]), (df) => df.agg(percentile_approx('col', 0.5, 0)))).rejects.toThrow(/accuracy must be a positive integer/);
  });
});

describe('percentile_approx over a large group: Spark\'s Greenwald-Khanna bound and a bounded state', () => {
  it('120000 values, accuracy 100: each answer is an input value within rank n / accuracy of ceil(p * n); the stored summary stays small', async () => {
    const { makeAggregator } = await import('../src/exec/aggregate/aggregators.ts');
    const rng = mulberry32(99);
    const n = 120_000, accuracy = 100, ps = [0.05, 0.25, 0.5, 0.75, 0.9, 0.99];
    const xs = Array.from({ length: n }, (_, i) => i + rng() / 2).sort(() => rng() - 0.5);
    const rows = xs.map((x) => ({ x }));
    const [r] = await aggRows(T.struct({ x: T.double }), rows, (df) => df.agg(percentile_approx('x', ps, accuracy).alias('p')));
    const got = r!.p as number[];
    const sorted = [...xs].sort((a, b) => a - b), pos = new Map(sorted.map((x, i) => [x, i + 1]));
    got.forEach((v, k) => {
      expect(pos.has(v), `p=${ps[k]}: ${v} is an input value`).toBe(true);
      expect(Math.abs(pos.get(v)! - Math.ceil(ps[k]! * n)), `p=${ps[k]}`).toBeLessThanOrEqual(n / accuracy);
    });
    // The aggregator's own state after the same values in one batch: the head is flushed past
    // Spark's 50000 and compressed, the rest inserted at the batch's end, so the samples are far
    // fewer than the values.
    const agg = makeAggregator('percentile_approx', T.double, 'p', { percentages: ps, asArray: true, accuracy });
    const vals: (unknown[])[] = agg.stateFields.map(() => []);
    for (const x of xs) agg.update(vals as never, 0, 0, x);
    expect((vals[0]![0] as number[]).length, 'the head holds what is past the last 50000').toBe(n % 50_000);
    agg.endBatch!(vals as never, 0, 0);
    const samples = (vals[1]![0] as number[]).length, head = (vals[0]![0] as number[]).length;
    expect(samples).toBeGreaterThan(0);
    expect(samples).toBeLessThan(1000);
    expect(head, 'a batch end inserts the head into the summary').toBe(0);
    expect(agg.result(vals as never, 0, 0)).toEqual(got);
  }, 60_000);
});

describe('the new aggregates merge sessions', () => {
  it('two stored sessions joined by a later event give the answers of all three events', async () => {
    const { Session, MemoryStream, session_window } = await import('../src/index.ts');
    const session = Session.builder().appName('aggs-sessions').getOrCreate();
    const schema = T.struct({ user_id: T.string, id: T.long, x: T.double, tag: T.string, t: T.timestamp });
    const at = (m: number) => Date.UTC(2024, 0, 1, 10, m);
    const s = new MemoryStream(session, schema);
    const q = await s.toDF().withWatermark('t', '30 minutes').groupBy(col('user_id'), session_window(col('t'), '5 minutes'))
      .agg(stddev('x').alias('sd'), var_pop('x').alias('vp'), max_by('id', 'x').alias('top'), min_by('tag', 'x').alias('low'),
        count_distinct('tag').alias('tags'), percentile_approx('x', [0.5, 1]).alias('p'))
      .writeStream.outputMode('append').format('memory').queryName('aggs_sessions').start();
    s.addData([{ user_id: 'a', id: 1n, x: 10, tag: 'p', t: at(0) }, { user_id: 'a', id: 2n, x: 30, tag: 'q', t: at(8) }]);
    await q.processAllAvailable();
    s.addData([{ user_id: 'a', id: 3n, x: 20, tag: 'p', t: at(4) }]);
    await q.processAllAvailable();
    s.addData([{ user_id: 'z', id: 9n, x: 0, tag: 'z', t: at(59) }]);
    await q.processAllAvailable();
    await q.stop();
    const rows = session.table('aggs_sessions').collect().filter((r) => r.user_id === 'a');
    expect(rows.length).toBe(1);
    const r = rows[0]!;
    expect(r.sd as number).toBeCloseTo(10, 12);
    expect(r.vp as number).toBeCloseTo(200 / 3, 12);
    expect({ top: r.top, low: r.low, tags: r.tags, p: r.p }).toEqual({ top: 2n, low: 'p', tags: 2n, p: [20, 30] });
  }, 60_000);
});
