// DataFrame verbs PySpark scripts use (issue 13): withColumns, withColumnsRenamed, df.agg, the dict
// form of agg and GroupedData's sum/avg/min/max, with the `>>>` examples of PySpark's docstrings
// (python/pyspark/sql/dataframe.py, group.py) as the expected answers.
import { describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Session, MemoryStream, col, min, types as T, AnalysisError, type DataFrame } from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { tmpDir } from './support/tmp.ts';

const session = Session.builder().appName('dataframe-verbs-test').getOrCreate();
const people = T.struct({ age: T.long, name: T.string });
let seq = 0;

/** An aggregation's final table: complete mode, the input in one batch. */
async function aggregate(rows: readonly Record<string, unknown>[], build: (df: DataFrame) => DataFrame): Promise<Record<string, unknown>[]> {
  const input = new MemoryStream(session, people);
  input.addData(rows);
  const name = `verbs_${seq++}`;
  const q = await build(input.toDF()).writeStream.format('memory').outputMode('complete').queryName(name).start();
  await q.processAllAvailable();
  await q.stop();
  return session.table(name).collect().sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

describe('PySpark docstring examples', () => {
  it('withColumns', async () => {
    // df.withColumns({'age2': df.age + 2, 'age3': df.age + 3}) -> (2, Alice, 4, 5), (5, Bob, 7, 8)
    const out = await queryRows(people, [{ age: 2n, name: 'Alice' }, { age: 5n, name: 'Bob' }],
      (df) => df.withColumns({ age2: col('age').plus(2), age3: col('age').plus(3) }));
    expect(out).toEqual([{ age: 2n, name: 'Alice', age2: 4n, age3: 5n }, { age: 5n, name: 'Bob', age2: 7n, age3: 8n }]);
  });
  it('withColumnsRenamed', async () => {
    // df.withColumnsRenamed({'age2': 'age4', 'age3': 'age5'}) after withColumns(age2 = age + 2, age3 = age + 3)
    const out = await queryRows(people, [{ age: 2n, name: 'Alice' }],
      (df) => df.withColumns({ age2: col('age').plus(2), age3: col('age').plus(3) }).withColumnsRenamed({ age2: 'age4', age3: 'age5' }));
    expect(out).toEqual([{ age: 2n, name: 'Alice', age4: 4n, age5: 5n }]);
  });
  it('DataFrame.agg: a dict and a Column', async () => {
    const rows = [{ age: 2n, name: 'Alice' }, { age: 5n, name: 'Bob' }];
    expect(await aggregate(rows, (df) => df.agg({ age: 'max' }))).toEqual([{ 'max(age)': 5n }]);
    expect(await aggregate(rows, (df) => df.agg(min(col('age'))))).toEqual([{ 'min(age)': 2n }]);
  });
  it('GroupedData.agg with a dict, and min', async () => {
    const rows = [{ age: 2n, name: 'Alice' }, { age: 3n, name: 'Alice' }, { age: 5n, name: 'Bob' }, { age: 10n, name: 'Bob' }];
    expect(await aggregate(rows, (df) => df.groupBy(col('name')).agg({ '*': 'count' }))).toEqual([
      { name: 'Alice', 'count(1)': 2n }, { name: 'Bob', 'count(1)': 2n },
    ]);
    expect(await aggregate(rows, (df) => df.groupBy('name').agg(min(col('age'))))).toEqual([
      { name: 'Alice', 'min(age)': 2n }, { name: 'Bob', 'min(age)': 5n },
    ]);
  });
  it('GroupedData.sum / avg / max / min / mean', async () => {
    const rows = [{ age: 2n, name: 'Alice' }, { age: 3n, name: 'Alice' }, { age: 5n, name: 'Bob' }, { age: 10n, name: 'Bob' }];
    expect(await aggregate(rows, (df) => df.groupBy('name').sum('age'))).toEqual([{ name: 'Alice', 'sum(age)': 5n }, { name: 'Bob', 'sum(age)': 15n }]);
    expect(await aggregate(rows, (df) => df.groupBy('name').avg('age'))).toEqual([{ name: 'Alice', 'avg(age)': 2.5 }, { name: 'Bob', 'avg(age)': 7.5 }]);
    expect(await aggregate(rows, (df) => df.groupBy('name').mean('age'))).toEqual([{ name: 'Alice', 'avg(age)': 2.5 }, { name: 'Bob', 'avg(age)': 7.5 }]);
    expect(await aggregate(rows, (df) => df.groupBy('name').max('age'))).toEqual([{ name: 'Alice', 'max(age)': 3n }, { name: 'Bob', 'max(age)': 10n }]);
    expect(await aggregate(rows, (df) => df.groupBy('name').min('age'))).toEqual([{ name: 'Alice', 'min(age)': 2n }, { name: 'Bob', 'min(age)': 5n }]);
  });
});

describe('na.fill / na.drop (PySpark docstrings of fillna and dropna)', () => {
  const schema = T.struct({ age: T.long, height: T.double, name: T.string, bool: T.boolean });
  const rows = [
    { age: 10n, height: 80.5, name: 'Alice', bool: null }, { age: 5n, height: null, name: 'Bob', bool: null },
    { age: null, height: null, name: 'Tom', bool: null }, { age: null, height: null, name: null, bool: true },
  ];
  const tuples = (out: Record<string, unknown>[]) => out.map((r) => [r.age, r.height, r.name, r.bool]);
  it('fill(50): numeric columns, the value cast to each', async () => {
    expect(tuples(await queryRows(schema, rows, (df) => df.na.fill(50)))).toEqual([
      [10n, 80.5, 'Alice', null], [5n, 50, 'Bob', null], [50n, 50, 'Tom', null], [50n, 50, null, true],
    ]);
  });
  it('fill(false): boolean columns', async () => {
    expect((await queryRows(schema, rows, (df) => df.na.fill(false))).map((r) => r.bool)).toEqual([false, false, false, true]);
  });
  it("fill({'age': 50, 'name': 'unknown'})", async () => {
    expect(tuples(await queryRows(schema, rows, (df) => df.na.fill({ age: 50, name: 'unknown' })))).toEqual([
      [10n, 80.5, 'Alice', null], [5n, null, 'Bob', null], [50n, null, 'Tom', null], [50n, null, 'unknown', true],
    ]);
  });
  it("fill('Spark', subset 'name'), and fillna as its alias", async () => {
    expect((await queryRows(schema, rows, (df) => df.fillna('Spark', 'name'))).map((r) => r.name)).toEqual(['Alice', 'Bob', 'Tom', 'Spark']);
  });
  const three = T.struct({ age: T.long, height: T.long, name: T.string });
  const rows3 = [
    { age: 10n, height: 80n, name: 'Alice' }, { age: 5n, height: null, name: 'Bob' },
    { age: null, height: null, name: 'Tom' }, { age: null, height: null, name: null },
  ];
  const names = (out: Record<string, unknown>[]) => out.map((r) => r.name);
  it("drop(), drop(how='all'), drop(thresh=2), drop(subset=['age', 'name'])", async () => {
    expect(names(await queryRows(three, rows3, (df) => df.na.drop()))).toEqual(['Alice']);
    expect(names(await queryRows(three, rows3, (df) => df.na.drop('all')))).toEqual(['Alice', 'Bob', 'Tom']);
    expect(names(await queryRows(three, rows3, (df) => df.na.drop('any', 2)))).toEqual(['Alice', 'Bob']);
    expect(names(await queryRows(three, rows3, (df) => df.dropna('any', undefined, ['age', 'name'])))).toEqual(['Alice', 'Bob']);
  });
  it('an unknown column in subset is named', () => {
    const df = new MemoryStream(session, three).toDF();
    expect(() => df.na.drop('any', undefined, ['agee'])).toThrow(/na\.drop: cannot resolve column name 'agee' among \(age, height, name\)/);
  });
});

describe('mistakes', () => {
  it("a dict naming an unknown function says which and lists the known ones (was: Cannot read properties of undefined (reading 'op'))", () => {
    const df = new MemoryStream(session, people).toDF();
    expect(() => df.groupBy('name').agg({ age: 'total' })).toThrow(AnalysisError);
    expect(() => df.groupBy('name').agg({ age: 'total' })).toThrow(/agg\(\{'age': 'total'\}\): 'total' is not an aggregate function sluice knows\. Use one of sum, count, avg/);
  });
});

describe('static DataFrames: actions and write', () => {
  const df = () => session.createDataFrame([{ age: 2n, name: 'Alice' }, { age: 5n, name: 'Bob' }, { age: 9n, name: 'Cy' }], people);
  it('collect, count, isEmpty, take, head, first, toArrow, after a select/filter', () => {
    const older = df().filter('age > 2').select('name');
    expect(older.collect()).toEqual([{ name: 'Bob' }, { name: 'Cy' }]);
    expect(older.count()).toBe(2);
    expect(older.isEmpty()).toBe(false);
    expect(df().filter('age > 100').isEmpty()).toBe(true);
    expect(df().take(2).map((r) => r.name)).toEqual(['Alice', 'Bob']);
    expect(df().head()).toEqual([{ age: 2n, name: 'Alice' }]);
    expect(df().first()).toEqual({ age: 2n, name: 'Alice' });
    expect(df().toArrow().numRows).toBe(3);
  });
  it("show() prints Spark's table", () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => { lines.push(s); };
    try { df().show(2); } finally { console.log = log; }
    expect(lines.join('\n').split('\n')).toEqual([
      '+---+-----+', '|age| name|', '+---+-----+', '|  2|Alice|', '|  5|  Bob|', '+---+-----+', 'only showing top 2 rows',
    ]);
  });
  it("a streaming DataFrame refuses actions with Spark's message", () => {
    const s = new MemoryStream(session, people).toDF();
    expect(() => s.collect()).toThrow(/Queries with streaming sources must be executed with writeStream\.start\(\)/);
    expect(() => s.count()).toThrow(AnalysisError);
  });
  it('write.parquet: modes error / append / overwrite / ignore, partitionBy; DuckDB reads what was written', async () => {
    const out = path.join(tmpDir('df-write'), 'people');
    await df().write.parquet(out);
    const rows = async () => duckQuery(`SELECT name, age FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) ORDER BY name`);
    expect((await rows()).map((r) => r.name)).toEqual(['Alice', 'Bob', 'Cy']);
    await expect(df().write.parquet(out)).rejects.toThrow(/path '.*people' already exists\. Choose mode\('append'\)/);
    await df().write.mode('append').parquet(out);
    expect(await rows()).toHaveLength(6);
    await df().filter('age = 5').write.mode('overwrite').parquet(out);
    expect((await rows()).map((r) => r.name)).toEqual(['Bob']);
    await df().write.mode('ignore').parquet(out);
    expect((await rows()).map((r) => r.name)).toEqual(['Bob']);
    const parted = path.join(tmpDir('df-write'), 'by-name');
    await df().write.partitionBy('name').parquet(parted);
    expect((await fs.readdir(parted)).sort()).toEqual(['name=Alice', 'name=Bob', 'name=Cy']);
    expect((await duckQuery(`SELECT name, age FROM read_parquet('${parted}/**/*.parquet', hive_partitioning = true) ORDER BY name`)).map((r) => Number(r.age))).toEqual([2, 5, 9]);
  });
  it('write.json and write.csv (header, sep, quoting, nulls): DuckDB reads back the same rows', async () => {
    const s = T.struct({ id: T.long, name: T.string, ts: T.timestamp, score: T.double });
    const rows = [
      { id: 1n, name: 'plain', ts: new Date('2024-05-01T10:00:00.250Z'), score: 1.5 },
      { id: 2n, name: 'with, comma and "quotes"', ts: null, score: null },
      { id: 3n, name: '', ts: new Date(0), score: -2 },
      { id: 4n, name: null, ts: null, score: 0 },
    ];
    const dir = tmpDir('df-write-text');
    await session.createDataFrame(rows, s).write.json(path.join(dir, 'j'));
    await session.createDataFrame(rows, s).write.option('header', true).csv(path.join(dir, 'c'));
    await session.createDataFrame(rows, s).write.option('sep', ';').csv(path.join(dir, 'semi'));
    const viaJson = await duckQuery(`SELECT id, name, CAST(ts AS VARCHAR) AS ts, score FROM read_json_auto('${dir}/j/*.json') ORDER BY id`);
    expect(viaJson.map((r) => [Number(r.id), r.name, r.score === null ? null : Number(r.score)])).toEqual([[1, 'plain', 1.5], [2, 'with, comma and "quotes"', null], [3, '', -2], [4, null, 0]]);
    const viaCsv = await duckQuery(`SELECT * FROM read_csv('${dir}/c/*.csv', header = true, escape = '\\', quote = '"', allow_quoted_nulls = false) ORDER BY id`);
    expect(viaCsv.map((r) => [Number(r.id), r.name])).toEqual([[1, 'plain'], [2, 'with, comma and "quotes"'], [3, ''], [4, null]]);
    const text = await fs.readFile(path.join(dir, 'semi', (await fs.readdir(path.join(dir, 'semi'))).find((f) => f.endsWith('.csv'))!), 'utf8');
    expect(text.split('\n')[0]).toBe('1;plain;2024-05-01T10:00:00.250Z;1.5');
    expect(text.split('\n')[2]).toBe('3;"";1970-01-01T00:00:00.000Z;-2');
    await expect(session.createDataFrame([{ a: { b: 1n } }]).write.csv(path.join(dir, 'nested'))).rejects.toThrow(/CSV data source does not support struct<b:long> data type \(column 'a'\)/);
  });
  it("foreachBatch's batch is a DataFrame: batch.filter(...).write.mode('append').parquet(path), as PySpark's batch_df", async () => {
    const out = path.join(tmpDir('df-foreach'), 'lake');
    const input = new MemoryStream(session, people);
    const q = await input.toDF().writeStream.foreachBatch(async (batch, batchId) => {
      await batch.filter(col('age').gt(3)).withColumn('batch', col('age').multiply(0).plus(batchId)).write.mode('append').parquet(out);
    }).start();
    input.addData([{ age: 2n, name: 'Alice' }, { age: 5n, name: 'Bob' }]);
    await q.processAllAvailable();
    input.addData([{ age: 9n, name: 'Cy' }]);
    await q.processAllAvailable();
    await q.stop();
    const rows = await duckQuery(`SELECT name, batch FROM read_parquet('${out}/*.parquet') ORDER BY name`);
    expect(rows.map((r) => [r.name, Number(r.batch)])).toEqual([['Bob', 0], ['Cy', 1]]);
  });
});

describe('query.status (Spark\'s StreamingQueryStatus)', () => {
  it('says what the query does: waiting for data once idle, Stopped after stop()', async () => {
    const input = new MemoryStream(session, people);
    const q = await input.toDF().writeStream.format('memory').queryName(`status_${seq++}`).start();
    input.addData([{ age: 1n, name: 'a' }]);
    await q.processAllAvailable();
    const deadline = Date.now() + 10_000;
    while (q.status.message !== 'Waiting for data to arrive' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(q.status).toEqual({ message: 'Waiting for data to arrive', isDataAvailable: false, isTriggerActive: false });
    await q.stop();
    expect(q.status).toEqual({ message: 'Stopped', isDataAvailable: false, isTriggerActive: false });
  });
});

describe('explain()', () => {
  it("prints the plan as Spark's tree; extended adds the output schema and the physical plan; a wrong plan fails there", () => {
    const s = T.struct({ value: T.long, name: T.string });
    const a = new MemoryStream(session, s).toDF(), b = new MemoryStream(session, s).toDF();
    const lines: string[] = [];
    const log = console.log;
    console.log = (x: string) => { lines.push(...x.split('\n')); };
    try { a.union(b.filter("name <> 'x'")).groupBy('name').count().explain(true); } finally { console.log = log; }
    expect(lines.slice(0, 6)).toEqual([
      '== Logical Plan ==',
      'Aggregate [name], [name, count(1) AS count]',
      '+- Union',
      '   :- StreamingRelation memory',
      '   +- Filter (name != x)',
      '      +- StreamingRelation memory',
    ]);
    expect(lines).toContain('count: long');
    expect(lines).toContain('sources: memory, memory');
    expect(() => a.select('nope').explain()).toThrow(AnalysisError);
  });
});

describe('plain JavaScript mistakes get a message that says what to write', () => {
  it("col('amount') * 2 (NaN in JavaScript) and other non-columns (was: c.endsWith is not a function)", () => {
    const df = new MemoryStream(session, people).toDF();
    const asJs = (v: unknown) => v as string; // what an untyped caller passes
    expect(() => df.select(asJs((col('age') as unknown as number) * 2))).toThrow(AnalysisError);
    expect(() => df.select(asJs((col('age') as unknown as number) * 2))).toThrow(/got NaN \(arithmetic on a Column, such as col\('amount'\) \* 2, gives NaN in JavaScript\)\. Write col\('amount'\)\.multiply\(2\)/);
    expect(() => df.select(asJs(42))).toThrow(/Expected a Column or a column name, got a number \(42\)/);
    expect(() => df.groupBy(asJs(undefined))).toThrow(/got undefined/);
  });
});
