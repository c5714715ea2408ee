// from_json pruning (plan/prune-from-json.ts, Spark's OptimizeCsvJsonExprs): which queries are narrowed
// to the fields they read, and, for each shape, the same rows with pruning on and off
// (spark.sql.optimizer.enableJsonExpressionOptimization), over records that are malformed, of the
// wrong type, with escaped and duplicate keys, nested values and Spark's single-quote leniency.
import { describe, expect, it } from 'vitest';
import { Session, MemoryStream, col, count, from_json, lit, to_json, window, types as T, DataError, type DataFrame, type Column } from '../src/index.ts';
import { pruneFromJson } from '../src/plan/prune-from-json.ts';
import type { LogicalPlan } from '../src/plan/logical.ts';
import type { Expr } from '../src/plan/expr.ts';
import type { DataType } from '../src/data/types.ts';
import { queryRows, aggRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('from-json-pruning-test').getOrCreate();
const CONF = 'spark.sql.optimizer.enableJsonExpressionOptimization';
const V = T.struct({ value: T.string, n: T.int });
const schema = T.struct({
  user: T.string, ad: T.string, kind: T.string, at: T.timestamp, score: T.double, tags: T.array(T.string), who: T.struct({ id: T.long, name: T.string }),
});
const values = [
  '{"user":"u1","ad":"a1","kind":"view","at":"2024-05-01T00:00:01Z","score":1.5,"tags":["x"],"who":{"id":1,"name":"n"}}',
  '{"ad":"a2","kind":"click","user":"u2","at":"2024-05-01T00:00:02Z"}', // keys in another order
  '{"user":"u3","ad":"a3","kind":"view","score":"not a number","who":5}', // wrong types: null fields, record kept
  '{"user":"u4","ad":"a4","kind":"view","tags":[1,{"deep":[true]}], "extra":{"a":[1,2]}}',
  '{"user":"u5","ad":"a5","kind":"view","who":{"id":1,}}', // malformed inside a field the narrow queries skip
  '{"user":"u6","ad":"a6","kind":"view","tags":["x"]', // truncated
  '{"user":"u7","ad":"a7","kind":"view","score":01}', // leading zero: malformed by default
  "{'user':'u8','ad':'a8','kind':'view'}", // single quotes: Spark's default allowSingleQuotes reads it
  '{"\\u0075ser":"u9","ad":"a\\"9","kind":"view","kind":"click"}', // an escaped key; a duplicate key (last wins)
  'not json',
  '',
  null,
  '{"user":"u10","ad":"a10","kind":"view","at":1714521600.5}',
];
const rows = values.map((value, n) => ({ value, n }));

async function both(build: (df: DataFrame) => DataFrame, agg = false): Promise<Record<string, unknown>[]> {
  const run = async (on: boolean): Promise<Record<string, unknown>[]> => {
    session.conf.set(CONF, String(on));
    try { return agg ? await aggRows(V, rows, build) : await queryRows(V, rows, build); } finally { session.conf.delete(CONF); }
  };
  const pruned = await run(true), whole = await run(false);
  expect(pruned).toEqual(whole);
  return pruned;
}

const parsed = (options: Record<string, string> = {}): Column => from_json(col('value'), schema, options).alias('e');

/** The fields each from_json of the plan parses after pruning. */
function parsedFields(df: DataFrame): string[][] {
  const out: string[][] = [];
  const inExpr = (e: Expr): void => {
    if (e.op === 'from_json') out.push(e.schema.kind === 'struct' ? e.schema.fields.map((f) => f.name) : []);
    else if ('child' in e && e.child && typeof e.child === 'object' && 'op' in e.child) inExpr(e.child as Expr);
  };
  const walk = (p: LogicalPlan): void => {
    if (p.kind === 'project') p.exprs.forEach(inExpr);
    if (p.kind === 'withColumn') inExpr(p.expr);
    if ('child' in p) walk(p.child);
    if ('right' in p) walk(p.right);
  };
  walk(pruneFromJson(df.plan));
  return out;
}

describe('which fields are parsed', () => {
  const df = new MemoryStream(session, V).toDF();
  const all = schema.fields.map((f) => f.name);
  it("the YSB shape: select('e.*'), watermark, filter, join keys and a windowed count read 3 of 7 fields", () => {
    const ads = session.createDataFrame([{ ad: 'a1', campaign: 'c' }], T.struct({ ad: T.string, campaign: T.string }));
    const q = df.select(parsed()).select('e.*').withWatermark('at', '10 seconds').filter(col('kind').equalTo('view'))
      .join(ads, 'ad', 'inner').groupBy(col('campaign')).agg(count('*'));
    expect(parsedFields(q)).toEqual([['ad', 'kind', 'at']]);
  });
  it("e.x and getField read only x; the corrupt-record field is always kept; nothing read parses one field", () => {
    expect(parsedFields(df.select(parsed()).select(col('e.user'), col('e').getField('score')))).toEqual([['user', 'score']]);
    const withCorrupt = T.struct({ ...Object.fromEntries(schema.fields.map((f) => [f.name, f.type])) as Record<string, DataType>, bad: T.string });
    expect(parsedFields(df.select(from_json(col('value'), withCorrupt, { columnNameOfCorruptRecord: 'bad' }).alias('e')).select('e.ad')))
      .toEqual([['ad', 'bad']]);
    expect(parsedFields(df.select(parsed()).groupBy(lit(1)).agg(count('*')))).toEqual([['user']]);
    expect(parsedFields(df.withColumn('e', parsed()).select(col('e.kind'), col('n')))).toEqual([['kind']]);
  });
  it('the whole struct, to_json, a star over everything, an unqualified star at the top and a union are not narrowed', () => {
    expect(parsedFields(df.select(parsed()))).toEqual([all]);
    expect(parsedFields(df.select(parsed()).select(to_json(col('e')).alias('j')))).toEqual([all]);
    expect(parsedFields(df.select(parsed()).select('e.*'))).toEqual([all]);
    expect(parsedFields(df.select(parsed(), col('n')).select('*'))).toEqual([all]);
    expect(parsedFields(df.select(parsed()).select('e.user').union(df.select(parsed()).select('e.user')))).toEqual([all, all]);
  });
});

describe('pruned and unpruned give the same rows', () => {
  it('a few fields read by name, with malformed, wrong-typed, escaped, duplicate and single-quoted records', async () => {
    const out = await both((df) => df.select(col('n'), parsed()).select(col('n'), col('e.user'), col('e.kind'), col('e.at')));
    expect(out.length).toBe(rows.length);
    expect(out.find((r) => r.n === 8)).toEqual({ n: 8, user: 'u9', kind: 'click', at: null });
    expect(out.find((r) => r.n === 7)).toEqual({ n: 7, user: 'u8', kind: 'view', at: null });
    expect(out.find((r) => r.n === 4)).toEqual({ n: 4, user: null, kind: null, at: null }); // malformed in a skipped field
  });
  it("select('e.*') then a filter and a subset; the whole struct; to_json; every field", async () => {
    const views = await both((df) => df.select(parsed()).select('e.*').filter(col('kind').equalTo('view')).select('user', 'score'));
    expect(views.map((r) => r.user).sort()).toEqual(['u1', 'u10', 'u3', 'u4', 'u8']);
    expect(await both((df) => df.select(parsed(), col('n')).select('e', 'n'))).toHaveLength(rows.length);
    expect(await both((df) => df.select(parsed()).select(to_json(col('e')).alias('j')))).toHaveLength(rows.length);
    expect(await both((df) => df.select(parsed()).select('e.*'))).toHaveLength(rows.length);
  });
  it('the corrupt-record column holds the same raw text; DROPMALFORMED drops the same rows; FAILFAST fails on both', async () => {
    const withCorrupt = T.struct({ ...Object.fromEntries(schema.fields.map((f) => [f.name, f.type])) as Record<string, DataType>, bad: T.string });
    const corrupt = await both((df) => df.select(col('n'), from_json(col('value'), withCorrupt, { columnNameOfCorruptRecord: 'bad' }).alias('e')).select(col('n'), col('e.kind'), col('e.bad')));
    expect(corrupt.filter((r) => r.bad !== null).map((r) => r.n).sort()).toEqual([10, 4, 5, 6, 9]);
    const kept = await both((df) => df.select(col('n'), from_json(col('value'), schema, { mode: 'DROPMALFORMED' }).alias('e')).select(col('n'), col('e.user')));
    expect(kept.map((r) => r.n).sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 7, 8, 11, 12]);
    for (const on of ['true', 'false']) {
      session.conf.set(CONF, on);
      try {
        await expect(queryRows(V, rows, (df) => df.select(from_json(col('value'), schema, { mode: 'FAILFAST' }).alias('e')).select('e.user'))).rejects.toThrow(DataError);
      } finally { session.conf.delete(CONF); }
    }
  });
  it('an aggregation over a parsed field, and withColumn of the struct', async () => {
    const counts = await both((df) => df.select(parsed()).groupBy(col('e.kind').alias('kind')).agg(count('*').alias('c')), true);
    expect(new Map(counts.map((r) => [r.kind, r.c]))).toEqual(new Map([['view', 5n], ['click', 2n], [null, 6n]]));
    expect(await both((df) => df.withColumn('e', parsed()).select(col('n'), col('e.ad')))).toHaveLength(rows.length);
  });
});

describe('late rows', () => {
  it("with lateRowsPath the late rows keep every column of the aggregation's input: nothing is pruned there", async () => {
    const s = new MemoryStream(session, V);
    const out = tmpDir('prune-out'), late = tmpDir('prune-late');
    const q = await s.toDF().select(parsed()).select('e.*').withWatermark('at', '10 seconds')
      .groupBy(window(col('at'), '10 seconds')).agg(count('*').alias('c'))
      .writeStream.outputMode('append').format('parquet').option('checkpointLocation', tmpDir('prune-cp')).option('lateRowsPath', late).start(out);
    const ev = (user: string, sec: number): { value: string; n: number } => ({ value: JSON.stringify({ user, ad: 'a', kind: 'view', at: new Date(Date.UTC(2024, 4, 1, 0, 0, sec)).toISOString(), score: 2.5 }), n: 0 });
    s.addData([ev('u1', 0), ev('u2', 40)]);
    await q.processAllAvailable();
    s.addData([ev('u3', 45)]);
    await q.processAllAvailable();
    s.addData([ev('late', 1)]);
    await q.processAllAvailable();
    await q.stop();
    expect(await duckQuery(`SELECT user, ad, kind, score FROM read_parquet('${late}/**/*.parquet')`)).toEqual([{ user: 'late', ad: 'a', kind: 'view', score: 2.5 }]);
  }, 60_000);
});
