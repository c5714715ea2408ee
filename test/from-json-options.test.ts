// from_json with arrays, maps and nested structs (schemas as DDL strings or types, an array or a map
// at the top as in PySpark) and Spark's JSON options, with the answers of PySpark's from_json
// docstring, Spark's sql-tests/inputs/json-functions.sql, JsonFunctionsSuite ("from_json with
// option", "from_json - map type", "from_json array support") and JsonSuite's Jackson-feature cases
// (allowSingleQuotes, allowUnquotedFieldNames, allowNumericLeadingZeros, allowNonNumericNumbers).
import { describe, expect, it } from 'vitest';
import { Session, MemoryStream, col, from_json, types as T, DataError, OptionError, AnalysisError, type FromJsonOptions, type DataType } from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';

const session = Session.builder().appName('from-json-options-test').getOrCreate();
const V = T.struct({ value: T.string });
const parse = async (values: (string | null)[], schema: DataType | string, options: FromJsonOptions = {}) =>
  (await queryRows(V, values.map((value) => ({ value })), (df) => df.select(from_json(col('value'), schema, options).alias('json')))).map((r) => r.json);
let seq = 0;

describe("PySpark's from_json docstring", () => {
  it('a struct from DDL and from a type; a MAP<STRING,INT>; an array of structs; an array of ints', async () => {
    expect(await parse(['{"a": 1}'], 'a INT')).toEqual([{ a: 1 }]);
    expect(await parse(['{"a": 1}'], T.struct({ a: T.int }))).toEqual([{ a: 1 }]);
    expect(await parse(['{"a": 1}'], 'MAP<STRING,INT>')).toEqual([new Map([['a', 1]])]);
    expect(await parse(['[{"a": 1}]'], T.array(T.struct({ a: T.int })))).toEqual([[{ a: 1 }]]);
    expect(await parse(['[1, 2, 3]'], T.array(T.int))).toEqual([[1, 2, 3]]);
  });
});

describe('JsonFunctionsSuite and json-functions.sql', () => {
  it("from_json - map type: {\"a\": 1} as map<string,int> is Map(a -> 1); invalid JSON is null", async () => {
    expect(await parse(['{"a": 1}', '{"a" 1}', null], T.map(T.string, T.int))).toEqual([new Map([['a', 1]]), null, null]);
  });

  it('from_json array support: [{"a": 1}, {"a": 2}] is [Row(1), Row(2)]', async () => {
    expect(await parse(['[{"a": 1}, {"a": 2}]'], T.array(T.struct({ a: T.int })))).toEqual([[{ a: 1 }, { a: 2 }]]);
  });

  it("from_json with option: timestampFormat 'dd/MM/yyyy HH:mm' reads 26/08/2015 18:00; json-functions.sql's 'dd/MM/yyyy'", async () => {
    expect(await parse(['{"time": "26/08/2015 18:00"}'], 'time TIMESTAMP', { timestampFormat: 'dd/MM/yyyy HH:mm' })).toEqual([{ time: new Date('2015-08-26T18:00:00Z') }]);
    expect(await parse(['{"time":"26/08/2015"}'], 'time Timestamp', { timestampFormat: 'dd/MM/yyyy' })).toEqual([{ time: new Date('2015-08-26T00:00:00Z') }]);
    // A value the pattern does not read is null for that field, the record kept.
    expect(await parse(['{"time": "2015-08-26", "n": 1}'], 'time TIMESTAMP, n INT', { timestampFormat: 'dd/MM/yyyy' })).toEqual([{ time: null, n: 1 }]);
    expect(await parse(['{"d": "26/08/2015"}'], 'd DATE', { dateFormat: 'dd/MM/yyyy' })).toEqual([{ d: new Date('2015-08-26T00:00:00Z') }]);
  });
});

describe('arrays, maps and nested structs from one DDL string', () => {
  const ddl = 'tags ARRAY<STRING>, attrs MAP<STRING,STRING>, user STRUCT<id: BIGINT, name: STRING>';
  it('reads them, with nulls, empties, missing fields and values of the wrong JSON type (null for that value only)', async () => {
    const out = await parse([
      '{"tags": ["a", "b"], "attrs": {"k": "v", "n": null}, "user": {"id": 7, "name": "ann"}}',
      '{"tags": [], "attrs": {}, "user": null}',
      '{"tags": null}',
      '{"tags": ["a", 1, {"x": 1}], "attrs": {"k": 2}, "user": {"id": "seven", "name": ["n"]}, "extra": [1, {"y": 2}]}',
      '{"tags": "not an array", "attrs": [1], "user": 5}',
    ], ddl);
    expect(out).toEqual([
      { tags: ['a', 'b'], attrs: new Map([['k', 'v'], ['n', null]]), user: { id: 7n, name: 'ann' } },
      { tags: [], attrs: new Map(), user: null },
      { tags: null, attrs: null, user: null },
      // A string field takes any JSON value's text, as Spark 3.5's from_json does.
      { tags: ['a', '1', '{"x": 1}'], attrs: new Map([['k', '2']]), user: { id: null, name: '["n"]' } },
      { tags: null, attrs: null, user: null },
    ]);
  });

  it('array<int> elements of another type are null; nested arrays and maps of arrays', async () => {
    expect(await parse(['{"xs": [1, "x", 2.5, null, 4]}'], 'xs ARRAY<INT>')).toEqual([{ xs: [1, null, null, null, 4] }]);
    expect(await parse(['{"m": {"a": [[1], []], "b": null}}'], 'm MAP<STRING, ARRAY<ARRAY<BIGINT>>>')).toEqual([{ m: new Map([['a', [[1n], []]], ['b', null]]) }]);
  });

  it('a map with keys that are not strings is refused at start(), naming where', async () => {
    const s = new MemoryStream(session, V);
    const err = await s.toDF().select(from_json(col('value'), 'm MAP<INT, STRING>')).writeStream.format('memory').queryName(`fj${seq++}`).start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisError);
    expect((err as Error).message).toMatch(/the map at 'm' .* declare it MAP<STRING, …>/);
  });
});

describe("JsonSuite's Jackson features, with Spark's defaults", () => {
  it("allowSingleQuotes (default true): {'name': 'Reynold Xin'} reads; false makes it malformed", async () => {
    expect(await parse(["{'name': 'Reynold Xin'}"], 'name STRING')).toEqual([{ name: 'Reynold Xin' }]);
    expect(await parse(["{'name': 'Reynold Xin'}"], 'name STRING', { allowSingleQuotes: 'false' })).toEqual([null]);
    expect(await parse(["{'tags': ['a', 'it\\'s']}"], 'tags ARRAY<STRING>')).toEqual([{ tags: ['a', "it's"] }]);
  });

  it('allowUnquotedFieldNames (default false): {name: "Reynold Xin"}', async () => {
    expect(await parse(['{name: "Reynold Xin"}'], 'name STRING')).toEqual([null]);
    expect(await parse(['{name: "Reynold Xin"}'], 'name STRING', { allowUnquotedFieldNames: true })).toEqual([{ name: 'Reynold Xin' }]);
  });

  it('allowNumericLeadingZeros (default false): {"age": 0018}', async () => {
    expect(await parse(['{"age": 0018}'], 'age INT')).toEqual([null]);
    expect(await parse(['{"age": 0018}'], 'age INT', { allowNumericLeadingZeros: 'true' })).toEqual([{ age: 18 }]);
  });

  it('allowNonNumericNumbers (default true): NaN, Infinity, -INF unquoted into doubles', async () => {
    expect(await parse(['{"d": NaN}', '{"d": Infinity}', '{"d": -INF}'], 'd DOUBLE')).toEqual([{ d: NaN }, { d: Infinity }, { d: -Infinity }]);
    expect(await parse(['{"d": NaN}'], 'd DOUBLE', { allowNonNumericNumbers: false })).toEqual([null]);
  });

  it('an option sluice does not read is refused, not ignored; a flag must be true or false', () => {
    expect(() => from_json('value', 'a INT', { allowComments: 'true' } as FromJsonOptions)).toThrow(OptionError);
    expect(() => from_json('value', 'a INT', { allowComments: 'true' } as FromJsonOptions)).toThrow(/'allowComments' is not supported by sluice/);
    expect(() => from_json('value', 'a INT', { allowSingleQuotes: 'yes' as 'true' })).toThrow(/must be true or false/);
  });
});

describe('modes and the corrupt-record column with nested schemas', () => {
  it('PERMISSIVE keeps the raw text of malformed records in columnNameOfCorruptRecord, after the lenient read', async () => {
    const out = await parse(['{"xs": [1, 2]}', '{"xs": [1, 2}', "{'xs': [3]}"], 'xs ARRAY<INT>, _corrupt_record STRING', { columnNameOfCorruptRecord: '_corrupt_record' });
    expect(out).toEqual([{ xs: [1, 2], _corrupt_record: null }, { xs: null, _corrupt_record: '{"xs": [1, 2}' }, { xs: [3], _corrupt_record: null }]);
  });

  it('FAILFAST stops at the first malformed record, naming it; DROPMALFORMED drops it', async () => {
    const s = new MemoryStream(session, V);
    s.addData([{ value: '{"m": {"a": 1}}' }, { value: '{"m": {"a": 1}' }]);
    const q = await s.toDF().select(from_json(col('value'), 'm MAP<STRING,INT>', { mode: 'FAILFAST' })).writeStream.format('memory').queryName(`fj${seq++}`).start();
    const err = await q.processAllAvailable().then(() => null, (e: unknown) => e);
    await q.stop();
    expect(err).toBeInstanceOf(DataError);
    expect(String((err as Error).message)).toMatch(/from_json \(mode FAILFAST\): malformed record at row 1 of the batch: "\{\\"m\\": \{\\"a\\": 1\}"/);
    expect(await parse(['[1]', '[2', null, '[3]'], 'ARRAY<INT>', { mode: 'DROPMALFORMED' })).toEqual([[1], null, [3]]);
  });
});
