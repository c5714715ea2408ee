// The function registry (src/exec/functions/registry.ts): a SQL function is one entry there, and
// the column API, the analyzer and output names all find it by name. upper/lower are the proof:
// they exist only as an entry, a registry line and a typed one-line wrapper in api/functions.ts.
import { describe, expect, it } from 'vitest';
import * as sluice from '../src/index.ts';
import { Session, MemoryStream, col, lit, not, upper, lower, isnull, isnotnull, call_function, from_json, types as T, AnalysisError, DataError, type FromJsonOptions } from '../src/index.ts';
import { scalarFunctions, lookupFunction, functionNames } from '../src/exec/functions/registry.ts';
import { queryRows } from './support/select-rows.ts';
import { isValid } from '../src/data/batch.ts';
import { nullColumn } from '../src/data/builders.ts';

const session = Session.builder().appName('function-registry-test').getOrCreate();
const schema = T.struct({ id: T.long, name: T.string, n: T.int, flag: T.boolean });
const rows = [
  { id: 1n, name: 'Ann', n: 10, flag: true },
  { id: 2n, name: null, n: null, flag: null },
  { id: 3n, name: 'zoë Straße', n: -1, flag: false },
  { id: 4n, name: '', n: 0, flag: true },
];
/** With a struct column, for type errors only (a MemoryStream takes struct rows only as Batches). */
const withStruct = T.struct({ ...Object.fromEntries(schema.fields.map((f) => [f.name, f.type])), s: T.struct({ a: T.int }) });
let seq = 0;

type DF = ReturnType<MemoryStream['toDF']>;

const run = (build: (df: DF) => DF) => queryRows(schema, rows, build);

async function analysisError(build: (df: DF) => DF): Promise<string> {
  const stream = new MemoryStream(session, withStruct);
  const err = await build(stream.toDF()).writeStream.format('memory').queryName(`fr${seq++}`).start().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AnalysisError);
  return (err as Error).message;
}

describe('upper and lower, through the registry', () => {
  it('change case as Spark does, null in null out, named upper(name)', async () => {
    const out = await run((df) => df.select('id', upper(col('name')), lower('name')));
    expect(out).toEqual([
      { id: 1n, 'upper(name)': 'ANN', 'lower(name)': 'ann' },
      { id: 2n, 'upper(name)': null, 'lower(name)': null },
      { id: 3n, 'upper(name)': 'ZOË STRASSE', 'lower(name)': 'zoë straße' },
      { id: 4n, 'upper(name)': '', 'lower(name)': '' },
    ]);
  });

  it('cast other atomic arguments to string first, take aliases and any case, and nest', async () => {
    const out = await run((df) => df.select(
      upper('n'), call_function('UCASE', 'name').alias('u'), lower(upper(lit('MiXed'))).alias('m'), upper(lit(null)).alias('z'), upper('flag')));
    expect(out.map((r) => r['upper(n)'])).toEqual(['10', null, '-1', '0']);
    expect(out.map((r) => r.u)).toEqual(['ANN', null, 'ZOË STRASSE', '']);
    expect(out.map((r) => r.m)).toEqual(['mixed', 'mixed', 'mixed', 'mixed']);
    expect(out.map((r) => r.z)).toEqual([null, null, null, null]);
    expect(out.map((r) => r['upper(flag)'])).toEqual(['TRUE', null, 'FALSE', 'TRUE']);
  });

  it('work in filters and with withColumn', async () => {
    const out = await run((df) => df.withColumn('u', upper('name')).filter(col('u').equalTo('ANN')).select('id', 'u'));
    expect(out).toEqual([{ id: 1n, u: 'ANN' }]);
  });
});

describe('the migrated functions keep their behaviour and names', () => {
  it('not, isNull, isNotNull, and their function forms', async () => {
    const out = await run((df) => df.select(not('flag'), col('name').isNull(), col('name').isNotNull(), isnull(lit(null)).alias('ln'), isnotnull('n').alias('nn')));
    expect(out).toEqual([
      { '(NOT flag)': false, '(name IS NULL)': false, '(name IS NOT NULL)': true, ln: true, nn: true },
      { '(NOT flag)': null, '(name IS NULL)': true, '(name IS NOT NULL)': false, ln: true, nn: false },
      { '(NOT flag)': true, '(name IS NULL)': false, '(name IS NOT NULL)': true, ln: true, nn: true },
      { '(NOT flag)': false, '(name IS NULL)': false, '(name IS NOT NULL)': true, ln: true, nn: true },
    ]);
  });
});

describe('from_json keeps its own node, compiled in exec/functions/from-json.ts', () => {
  const js = T.struct({ a: T.int, _corrupt: T.string });
  async function parse(options: FromJsonOptions, schemaOf = js) {
    const stream = new MemoryStream(session, T.struct({ value: T.string }));
    stream.addData([{ value: '{"a":1}' }, { value: 'oops' }, { value: null }]);
    const q = await stream.toDF().select(from_json(col('value'), schemaOf, options).alias('d')).select('d.*').writeStream.format('memory').queryName(`fr${seq++}`).start();
    try { await q.processAllAvailable(); return session.table(q.name!).collect(); } finally { await q.stop().catch(() => undefined); }
  }

  it('PERMISSIVE with a corrupt-record column, DROPMALFORMED and FAILFAST', async () => {
    expect(await parse({ columnNameOfCorruptRecord: '_corrupt' })).toEqual([{ a: 1, _corrupt: null }, { a: null, _corrupt: 'oops' }, { a: null, _corrupt: null }]);
    expect(await parse({ mode: 'DROPMALFORMED' }, T.struct({ a: T.int }))).toEqual([{ a: 1 }, { a: null }]);
    const err = await parse({ mode: 'FAILFAST' }, T.struct({ a: T.int })).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(String((err as Error).message)).toMatch(/from_json \(mode FAILFAST\): malformed record at row 1 of the batch: "oops"/);
  });
});

describe('analysis errors name the function, the argument and its type', () => {
  it('a wrong argument type', async () => {
    expect(await analysisError((df) => df.select(upper('s'))))
      .toBe("Cannot resolve 'upper(s)' due to data type mismatch: argument 1 requires string type, however, 's' is of struct<a:int> type.");
    expect(await analysisError((df) => df.filter(not(col('n')))))
      .toMatch(/Cannot resolve '\(NOT n\)' due to data type mismatch: argument 1 requires boolean type, however, 'n' is of int type/);
  });

  it('a wrong number of arguments, and an unknown function', async () => {
    expect(await analysisError((df) => df.select(call_function('lower', 'name', 'name'))))
      .toBe('lower() takes 1 argument, but lower(name, name) has 2.');
    expect(await analysisError((df) => df.select(call_function('no_such_fn', 'name'))))
      .toMatch(/^Undefined function 'no_such_fn'\. Known functions: .*\bupper\b/);
  });
});

describe('the registry', () => {
  it('lists each name once, aliases included', () => {
    const names = scalarFunctions.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    expect(functionNames()).toEqual([...names].sort());
    for (const f of scalarFunctions) expect(f.name).toBe(f.name.toLowerCase());
  });

  it('finds a function by any case and alias', () => {
    expect(lookupFunction('UPPER')).toBe(lookupFunction('ucase'));
    expect(lookupFunction('Lower')?.name).toBe('lower');
    expect(lookupFunction('nope')).toBeUndefined();
  });

  it('has a typed column-API function for each entry', () => {
    const api = sluice as unknown as Record<string, unknown>;
    for (const f of scalarFunctions) expect(typeof api[f.columnApi ?? f.name], f.name).toBe('function');
  });
});

describe('nulls without a validity bitmap', () => {
  it('a column of Arrow\'s Null type (lit(null)) reads as null in every row, for every kernel', () => {
    const d = nullColumn(T.nullType, 3);
    expect([isValid(d, 0), isValid(d, 2)]).toEqual([false, false]);
    expect(isValid(nullColumn(T.int, 3), 1)).toBe(false);
    expect(isValid(nullColumn(T.int, 0), 0)).toBe(true);
  });
});
