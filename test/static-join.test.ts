import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Session, MemoryStream, DataFrame, col, types as T, AnalysisError, DataError, OptionError } from '../src/index.ts';
import type { Struct } from '../src/data/types.ts';
import { DataFrameReader, createDataFrame } from '../src/api/data-frame-reader.ts';
import { planQuery } from '../src/plan/planner.ts';
import { planJoin } from '../src/plan/plan-join.ts';
import { materialize } from '../src/plan/plan-static.ts';
import type { JoinType, LogicalPlan } from '../src/plan/logical.ts';
import { newEvalContext } from '../src/exec/compiled-expr.ts';
import type { Batch } from '../src/data/batch.ts';
import { batchToRows } from '../src/data/rows.ts';
import { rowsToBatch } from '../src/sources/memory/memory-source.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('static-join-test').getOrCreate();

const clicks = T.struct({ ad_id: T.long, user: T.string, at: T.timestamp });
const campaignRows = [
  { ad_id: 1n, campaign_id: 'c1', budget: 10.5 },
  { ad_id: 2n, campaign_id: 'c2', budget: 20 },
  { ad_id: 2n, campaign_id: 'c2b', budget: 21 },
  { ad_id: null, campaign_id: 'orphan', budget: 0 },
];
const campaignSchema = T.struct({ ad_id: T.long, campaign_id: T.string, budget: T.double });
const clickRows = [
  { ad_id: 1n, user: 'ann', at: new Date('2024-01-01T00:00:00Z') },
  { ad_id: 2n, user: 'bob', at: new Date('2024-01-01T00:00:01Z') },
  { ad_id: 3n, user: 'cy', at: new Date('2024-01-01T00:00:02Z') },
  { ad_id: null, user: 'dee', at: new Date('2024-01-01T00:00:03Z') },
];

const ctx = newEvalContext();

/** Plans `left.join(right, on, how)` as the lead's planQuery will, and runs it over `chunks` of the left side. */
function join(leftSchema: Struct, right: DataFrame, on: string | string[], how: JoinType, chunks: readonly Record<string, unknown>[][]) {
  const left = new MemoryStream(session, leftSchema).toDF();
  const node: Extract<LogicalPlan, { kind: 'join' }> = { kind: 'join', child: left.plan, right: right.plan, on: [on].flat(), how };
  const j = planJoin(node, leftSchema, planQuery);
  const out: Batch[] = chunks.map((rows) => j.operator(rowsToBatch(leftSchema, rows), ctx));
  return { schema: j.schema, rows: out.flatMap(batchToRows) };
}

describe('stream-static hash join (planJoin + kernel)', () => {
  const campaigns = createDataFrame(session, campaignRows, campaignSchema);

  it('inner join: multiple matches give multiple rows; null keys never match; key appears once', () => {
    const { schema, rows } = join(clicks, campaigns, 'ad_id', 'inner', [clickRows]);
    expect(schema.fields.map((f) => f.name)).toEqual(['ad_id', 'user', 'at', 'campaign_id', 'budget']);
    expect(rows).toEqual([
      { ad_id: 1n, user: 'ann', at: new Date('2024-01-01T00:00:00Z'), campaign_id: 'c1', budget: 10.5 },
      { ad_id: 2n, user: 'bob', at: new Date('2024-01-01T00:00:01Z'), campaign_id: 'c2', budget: 20 },
      { ad_id: 2n, user: 'bob', at: new Date('2024-01-01T00:00:01Z'), campaign_id: 'c2b', budget: 21 },
    ]);
  });

  it('left join keeps unmatched and null-key rows with null right columns', () => {
    const { schema, rows } = join(clicks, campaigns, 'ad_id', 'left', [clickRows.slice(0, 2), clickRows.slice(2)]);
    expect(schema.fields.find((f) => f.name === 'campaign_id')!.nullable).toBe(true);
    expect(rows.map((r) => [r.user, r.campaign_id, r.budget])).toEqual([
      ['ann', 'c1', 10.5], ['bob', 'c2', 20], ['bob', 'c2b', 21], ['cy', null, null], ['dee', null, null],
    ]);
  });

  it('the right side may be a projection/filter of a static DataFrame', () => {
    const right = campaigns.select('ad_id', 'campaign_id').filter(col('campaign_id').notEqual('c2b'));
    const { schema, rows } = join(clicks, right, 'ad_id', 'inner', [clickRows]);
    expect(schema.fields.map((f) => f.name)).toEqual(['ad_id', 'user', 'at', 'campaign_id']);
    expect(rows.map((r) => [r.user, r.campaign_id])).toEqual([['ann', 'c1'], ['bob', 'c2']]);
  });

  it('composite keys: every part must match, and a null part never does', () => {
    const left = T.struct({ country: T.string, day: T.date, n: T.int });
    const right = createDataFrame(session, [
      { country: 'US', day: '2024-01-01', tz: 'America/New_York' },
      { country: 'US', day: '2024-01-02', tz: 'x' },
      { country: 'FR', day: '2024-01-01', tz: 'Europe/Paris' },
      { country: null, day: '2024-01-01', tz: 'nowhere' },
    ], T.struct({ country: T.string, day: T.date, tz: T.string }));
    const day = (s: string): number => Date.parse(s) / 86400000;
    const { rows } = join(left, right, ['country', 'day'], 'left', [[
      { country: 'US', day: day('2024-01-01'), n: 1 },
      { country: 'FR', day: day('2024-01-02'), n: 2 },
      { country: 'FR', day: day('2024-01-01'), n: 3 },
      { country: null, day: day('2024-01-01'), n: 4 },
      // '1:U' + 'S' and 'U' + 'S:...' must not collide: parts are length-prefixed.
      { country: 'USUS', day: day('2024-01-01'), n: 5 },
    ]]);
    expect(rows.map((r) => [r.n, r.tz])).toEqual([[1, 'America/New_York'], [2, null], [3, 'Europe/Paris'], [4, null], [5, null]]);
  });

  it('int and long keys join; string keys are compared on their bytes', () => {
    const left = T.struct({ id: T.int, name: T.string });
    const right = createDataFrame(session, [{ id: 7n, name2: 'seven' }, { id: 9007199254740993n, name2: 'big' }]);
    expect(join(left, right, 'id', 'inner', [[{ id: 7, name: 'a' }, { id: 8, name: 'b' }]]).rows).toEqual([{ id: 7, name: 'a', name2: 'seven' }]);
    const byName = createDataFrame(session, [{ name: 'zoë', v: 1n }, { name: 'zoe', v: 2n }]);
    expect(join(left, byName, 'name', 'inner', [[{ id: 1, name: 'zoë' }, { id: 2, name: 'zoe' }, { id: 3, name: 'Zoë' }]]).rows)
      .toEqual([{ id: 1, name: 'zoë', v: 1n }, { id: 2, name: 'zoe', v: 2n }]);
  });

  it('one string key (the bytes index): chains in right-row order, null and empty keys, prefixes, 3000 keys', () => {
    // The right side: keys k0..k2999, each twice for every tenth, plus '', 'k1' again, a null key.
    const rightRows: { key: string | null; r: number }[] = [];
    for (let i = 0; i < 3000; i++) { rightRows.push({ key: `k${i}`, r: i }); if (i % 10 === 0) rightRows.push({ key: `k${i}`, r: 10000 + i }); }
    rightRows.push({ key: '', r: 5000 }, { key: null, r: 6000 }, { key: 'k1', r: 7000 });
    const right = createDataFrame(session, rightRows, T.struct({ key: T.string, r: T.int }));
    const probes: (string | null)[] = ['k0', 'k1', 'k', 'k10', 'k100', 'k1000', 'k3000', '', null, 'K1', 'k2999', 'k01', 'zoë'];
    for (let i = 0; i < 500; i++) probes.push(`k${(i * 7919) % 3100}`);
    const leftSchema = T.struct({ key: T.string, n: T.int });
    const leftRows = probes.map((key, n) => ({ key, n }));
    for (const how of ['inner', 'left'] as const) {
      const want: unknown[][] = [];
      leftRows.forEach((l) => {
        const m = rightRows.filter((x) => l.key !== null && x.key === l.key);
        if (m.length) for (const x of m) want.push([l.n, x.r]); else if (how === 'left') want.push([l.n, null]);
      });
      const { rows } = join(leftSchema, right, 'key', how, [leftRows.slice(0, 200), leftRows.slice(200)]);
      expect(rows.map((r) => [r.n, r.r])).toEqual(want);
      expect(want.length).toBeGreaterThan(400);
    }
  });

  it('an empty right side: inner gives nothing, left gives nulls', () => {
    const empty = createDataFrame(session, [], campaignSchema);
    expect(join(clicks, empty, 'ad_id', 'inner', [clickRows]).rows).toEqual([]);
    expect(join(clicks, empty, 'ad_id', 'left', [clickRows]).rows.map((r) => r.campaign_id)).toEqual([null, null, null, null]);
  });

  it('errors: unknown key, type mismatch, clashing columns, streaming right side, bad join type', () => {
    expect(() => join(clicks, campaigns, 'campaign', 'inner', [])).toThrow(AnalysisError);
    expect(() => join(clicks, campaigns, 'campaign', 'inner', [])).toThrow(/key column 'campaign' is not on the left side\. Available columns on the left: ad_id, user, at/);
    expect(() => join(T.struct({ ad_id: T.long, campaign_id: T.string }), campaigns.select('budget', 'campaign_id'), 'ad_id', 'inner', []))
      .toThrow(/key column 'ad_id' is not on the right side of join\(\) \(createDataFrame\(4 rows\)\)\. Available columns on the right: budget, campaign_id/);
    expect(() => join(T.struct({ ad_id: T.string }), campaigns, 'ad_id', 'inner', []))
      .toThrow(/cannot join on 'ad_id': it is string on the left but long on the right.*cast\('string'\)/);
    expect(() => join(T.struct({ ad_id: T.long, budget: T.double }), campaigns, 'ad_id', 'inner', []))
      .toThrow(/both sides have a column 'budget' that is not a join key/);
    const stream = new MemoryStream(session, campaignSchema).toDF();
    expect(() => join(clicks, stream, 'ad_id', 'inner', [])).toThrow(/two streams are joined by planStreamJoin/);
    expect(() => join(clicks, campaigns, 'ad_id', 'full' as JoinType, [])).toThrow(/a stream joined with a static DataFrame takes 'inner' or 'left' joins, not 'full'/);
  });

  it('materialize runs a static plan once and refuses a stream', () => {
    const rows = materialize(planQuery(campaigns.filter(col('budget').gt(15)).plan)).flatMap(batchToRows);
    expect(rows.map((r) => r.campaign_id)).toEqual(['c2', 'c2b']);
    expect(() => materialize(planQuery(new MemoryStream(session, clicks).toDF().plan))).toThrow(/is a streaming DataFrame/);
  });
});

describe('createDataFrame', () => {
  it('infers long, double, string, boolean, timestamp and structs, in first-seen order', () => {
    const df = createDataFrame(session, [
      { id: 1, name: 'a', price: 2, ok: true, at: new Date('2024-01-01T00:00:00Z'), geo: { lat: 1.5 } },
      { id: 2n, name: null, price: 2.5, extra: 'x', geo: { lat: 2, lon: 3 } },
    ]);
    const p = df.plan as Extract<LogicalPlan, { kind: 'static' }>;
    expect(p.schema.fields.map((f) => `${f.name}:${T.typeToString(f.type)}`)).toEqual([
      'id:long', 'name:string', 'price:double', 'ok:boolean', 'at:timestamp', 'geo:struct<lat:double,lon:long>', 'extra:string',
    ]);
    expect(p.batches.flatMap(batchToRows)).toEqual([
      { id: 1n, name: 'a', price: 2, ok: true, at: new Date('2024-01-01T00:00:00Z'), geo: { lat: 1.5, lon: null }, extra: null },
      { id: 2n, name: null, price: 2.5, ok: null, at: null, geo: { lat: 2, lon: 3n }, extra: 'x' },
    ]);
  });

  it('refuses what it cannot type, naming row and column', () => {
    expect(() => createDataFrame(session, [{ a: 1 }, { a: 'x' }])).toThrow(/column 'a' is long in earlier rows but string in row 1/);
    expect(() => createDataFrame(session, [{ a: null }])).toThrow(/column 'a' is null in every row/);
    expect(() => createDataFrame(session, [])).toThrow(/cannot infer a schema from no rows/);
    expect(() => createDataFrame(session, [{ a: 1.5 }], T.struct({ a: T.long }))).toThrow(/createDataFrame: row 0, column 'a': a long column cannot hold 1.5/);
    expect(() => createDataFrame(session, [{ s: { t: 'x' } }], T.struct({ s: T.struct({ t: T.int }) }))).toThrow(/row 0, column 's\.t': a int column cannot hold 'x'/);
  });

  it('with a schema: timestamps from strings and Dates, ints, dates', () => {
    const df = createDataFrame(session, [{ at: '2024-01-01 00:00:01', n: 5, d: '2024-01-02' }, { at: new Date(0), n: null, d: new Date('2024-01-03T10:00:00Z') }],
      T.struct({ at: T.timestamp, n: T.int, d: T.date }));
    expect((df.plan as Extract<LogicalPlan, { kind: 'static' }>).batches.flatMap(batchToRows)).toEqual([
      { at: new Date('2024-01-01T00:00:01Z'), n: 5, d: new Date('2024-01-02T00:00:00Z') },
      { at: new Date(0), n: null, d: new Date('2024-01-03T00:00:00Z') },
    ]);
  });
});

// ---- readers ---------------------------------------------------------------------------------

let tmp: string;
beforeAll(async () => { tmp = tmpDir('static'); });
afterAll(async () => { await fs.rm(tmp, { recursive: true, force: true }); });

const read = (): DataFrameReader => new DataFrameReader(session);
const staticRows = (df: DataFrame): Record<string, unknown>[] => (df.plan as Extract<LogicalPlan, { kind: 'static' }>).batches.flatMap(batchToRows);
const staticSchema = (df: DataFrame): string[] => (df.plan as Extract<LogicalPlan, { kind: 'static' }>).schema.fields.map((f) => `${f.name}:${T.typeToString(f.type)}`);

describe('read.parquet', () => {
  it('reads a directory written by DuckDB: timestamps (us, ns, tz) to ms, longs exact, hidden files skipped', async () => {
    const dir = path.join(tmp, 'campaigns');
    await fs.mkdir(path.join(dir, 'sub'), { recursive: true });
    const q = (id: string, n: number) => `SELECT ${id}::BIGINT AS ad_id, 'c' || ${n} AS campaign_id, ${n}::INTEGER AS n, ${n}.25::DOUBLE AS budget,
      TIMESTAMP '2024-01-01 00:00:00.123456' + INTERVAL (${n}) SECOND AS starts, TIMESTAMPTZ '2024-01-01 00:00:00.5+00' AS tz,
      TIMESTAMP_NS '1969-12-31 23:59:59.9999999' AS ns, 1.5::FLOAT AS f, 3::SMALLINT AS small, 12.34::DECIMAL(10,2) AS dec, DATE '2024-01-02' AS day`;
    await duckQuery(`COPY (${q('9007199254740993', 1)} UNION ALL ${q('2', 2)} ORDER BY n) TO '${dir}/part-0.parquet' (FORMAT parquet)`);
    await duckQuery(`COPY (${q('3', 3)}) TO '${dir}/sub/part-1.parquet' (FORMAT parquet)`);
    // Not data: Spark's markers, our sink's log, temp files.
    await fs.writeFile(path.join(dir, '_SUCCESS'), '');
    await fs.mkdir(path.join(dir, '_sluice_log'));
    await fs.writeFile(path.join(dir, '_sluice_log', '0.parquet'), 'not parquet');
    await fs.writeFile(path.join(dir, '.part-9.parquet.tmp'), 'junk');
    await fs.writeFile(path.join(dir, '.hidden.parquet'), 'junk');

    const df = await read().parquet(dir);
    expect(staticSchema(df)).toEqual(['ad_id:long', 'campaign_id:string', 'n:int', 'budget:double', 'starts:timestamp', 'tz:timestamp', 'ns:timestamp', 'f:double', 'small:int', 'dec:decimal(10,2)', 'day:date']);
    const rows = staticRows(df);
    expect(rows.map((r) => r.ad_id)).toEqual([9007199254740993n, 2n, 3n]);
    expect(rows[0]).toEqual({
      ad_id: 9007199254740993n, campaign_id: 'c1', n: 1, budget: 1.25, starts: new Date('2024-01-01T00:00:01.123Z'),
      tz: new Date('2024-01-01T00:00:00.500Z'), ns: new Date('1969-12-31T23:59:59.999Z'), f: 1.5, small: 3, dec: '12.34', day: new Date('2024-01-02T00:00:00Z'),
    });
    // The same through read.format().load(), and a single file.
    expect(staticRows(await read().format('parquet').load(path.join(dir, 'sub', 'part-1.parquet'))).map((r) => r.n)).toEqual([3]);
  });

  it('discovers Hive-style partition columns, with Spark\'s type inference', async () => {
    const dir = path.join(tmp, 'parted');
    await duckQuery(`COPY (SELECT * FROM (VALUES (1::BIGINT, 'US', 2024), (2, 'FR', 2024), (3, NULL, 2023)) t(id, country, year))
      TO '${dir}' (FORMAT parquet, PARTITION_BY (country, year))`);
    const df = await read().parquet(dir);
    expect(staticSchema(df)).toEqual(['id:long', 'country:string', 'year:int']);
    expect(staticRows(df).sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, country: 'US', year: 2024 }, { id: 2n, country: 'FR', year: 2024 }, { id: 3n, country: null, year: 2023 },
    ]);
    expect(staticSchema(await read().option('recursiveFileLookup', true).parquet(dir))).toEqual(['id:long']);
  });

  it('with a schema: picks columns, missing ones are null; clear errors otherwise', async () => {
    const dir = path.join(tmp, 'campaigns');
    const df = await read().schema(T.struct({ campaign_id: T.string, nope: T.int })).parquet(dir);
    expect(staticRows(df)[0]).toEqual({ campaign_id: 'c1', nope: null });
    await expect(read().schema(T.struct({ ad_id: T.string })).parquet(dir)).rejects.toThrow(/column 'ad_id' is long in .* but the schema says string/);
    await expect(read().parquet(path.join(tmp, 'nowhere'))).rejects.toThrow(/path '.*nowhere' does not exist/);
    await fs.mkdir(path.join(tmp, 'empty'));
    await expect(read().parquet(path.join(tmp, 'empty'))).rejects.toThrow(/holds no files/);
    await expect(read().option('mergeSchema', 'maybe').parquet(dir)).rejects.toThrow(OptionError);
    await expect(read().option('compresion', 'x').parquet(dir)).rejects.toThrow(/Unknown option 'compresion' for read\.parquet/);
    const mixed = path.join(tmp, 'mixed');
    await fs.mkdir(mixed);
    await duckQuery(`COPY (SELECT 1::BIGINT AS a) TO '${mixed}/x.parquet' (FORMAT parquet)`);
    await duckQuery(`COPY (SELECT 'x' AS a) TO '${mixed}/y.parquet' (FORMAT parquet)`);
    await expect(read().parquet(mixed)).rejects.toThrow(/column 'a' is string in '.*y\.parquet' but '.*x\.parquet' has long/);
  });
});

describe('read.json', () => {
  it('infers the schema like Spark (long/double/boolean/string/struct, sorted names, nulls)', async () => {
    const dir = path.join(tmp, 'js');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'a.json'), [
      '{"ad_id": 1, "name": "first", "score": 1, "ok": true, "geo": {"lat": 1}}',
      '',
      '{"ad_id": 9007199254740993, "name": null, "score": 2.5, "geo": {"lat": 2.5, "city": "Paris"}, "tag": null}\r',
    ].join('\n'));
    await fs.writeFile(path.join(dir, 'b.jsonl'), '{"ad_id": 3, "name": "zoë \\u00e9", "ok": "maybe"}\n');
    await fs.writeFile(path.join(dir, '_ignored.json'), '{"ad_id": "no"}\n');
    const df = await read().json(dir);
    expect(staticSchema(df)).toEqual(['ad_id:long', 'geo:struct<city:string,lat:double>', 'name:string', 'ok:string', 'score:double', 'tag:string']);
    expect(staticRows(df)).toEqual([
      { ad_id: 1n, geo: { city: null, lat: 1 }, name: 'first', ok: 'true', score: 1, tag: null },
      { ad_id: 9007199254740993n, geo: { city: 'Paris', lat: 2.5 }, name: null, ok: null, score: 2.5, tag: null },
      { ad_id: 3n, geo: null, name: 'zoë é', ok: 'maybe', score: null, tag: null },
    ]);
  });

  it('with a schema, and the malformed-record modes', async () => {
    const file = path.join(tmp, 'bad.json');
    await fs.writeFile(file, '{"id": 1, "at": "2024-01-01T00:00:00Z"}\nnot json\n{"id": 3}\n');
    const schema = T.struct({ id: T.long, at: T.timestamp });
    expect(staticRows(await read().schema(schema).json(file))).toEqual([
      { id: 1n, at: new Date('2024-01-01T00:00:00Z') }, { id: null, at: null }, { id: 3n, at: null },
    ]);
    expect(staticRows(await read().schema(schema).option('mode', 'DROPMALFORMED').json(file)).map((r) => r.id)).toEqual([1n, 3n]);
    await expect(read().schema(schema).option('mode', 'FAILFAST').json(file)).rejects.toThrow(DataError);
    await expect(read().schema(schema).option('mode', 'FAILFAST').json(file)).rejects.toThrow(/malformed record in '.*bad\.json' at line 2: not json/);
    const withCorrupt = await read().schema(T.struct({ id: T.long, _corrupt_record: T.string })).json(file);
    expect(staticRows(withCorrupt).map((r) => r._corrupt_record)).toEqual([null, 'not json', null]);
    // Inference adds the corrupt-record column when a line is malformed, as Spark does.
    expect(staticSchema(await read().json(file))).toEqual(['_corrupt_record:string', 'at:string', 'id:long']);
    await expect(read().option('multiLine', true).json(file)).rejects.toThrow(/multiLine is not supported yet/);
  });

  it('refuses arrays when inferring, pointing at schema()', async () => {
    const file = path.join(tmp, 'arr.json');
    await fs.writeFile(file, '{"id": 1, "tags": ["a"]}\n');
    await expect(read().json(file)).rejects.toThrow(/field 'tags' holds JSON arrays/);
    expect(staticRows(await read().schema(T.struct({ id: T.long })).json(file))).toEqual([{ id: 1n }]);
  });
});

// ---- end to end through the public API (once the lead wires session.read, createDataFrame and DataFrame.join) ----

type Joinable = DataFrame & { join?: (right: DataFrame, on: string | string[], how?: string) => DataFrame };
type WithStatic = Session & { read?: DataFrameReader; createDataFrame?: (rows: Record<string, unknown>[], schema?: Struct) => DataFrame };
const wired = typeof (DataFrame.prototype as Joinable).join === 'function'
  && typeof (session as WithStatic).createDataFrame === 'function' && (session as WithStatic).read instanceof DataFrameReader;

describe.runIf(wired)('stream.join(static) end to end', () => {
  it('joins each micro-batch against a Parquet dimension table and a createDataFrame one', async () => {
    const s = session as WithStatic;
    const dir = path.join(tmp, 'dim');
    await fs.mkdir(dir);
    await duckQuery(`COPY (SELECT * FROM (VALUES (1::BIGINT, 'c1'), (2, 'c2'), (2, 'c2b')) t(ad_id, campaign_id)) TO '${dir}/d.parquet' (FORMAT parquet)`);
    const campaigns = await s.read!.parquet(dir);
    const owners = s.createDataFrame!([{ campaign_id: 'c1', owner: 'ann' }, { campaign_id: 'c2', owner: 'bob' }]);
    const stream = new MemoryStream(session, clicks);
    const joined = (stream.toDF() as Joinable).join!(campaigns.select('ad_id', 'campaign_id'), 'ad_id', 'inner') as Joinable;
    const q = await joined.join!(owners, ['campaign_id'], 'left').writeStream.format('memory').queryName('static_join_e2e').start();
    stream.addData(clickRows.slice(0, 2));
    await q.processAllAvailable();
    stream.addData(clickRows.slice(2));
    await q.processAllAvailable();
    await q.stop();
    expect(session.table('static_join_e2e').collect().map((r) => [r.user, r.ad_id, r.campaign_id, r.owner])).toEqual([
      ['ann', 1n, 'c1', 'ann'], ['bob', 2n, 'c2', 'bob'], ['bob', 2n, 'c2b', null],
    ]);
    await expect((stream.toDF() as Joinable).join!(campaigns, 'nope').writeStream.format('memory').queryName('static_join_err').start())
      .rejects.toThrow(/key column 'nope' is not on the left side/);
  });
});
