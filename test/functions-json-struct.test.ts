// struct, to_json, get_json_object: the `>>>` examples of PySpark's docstrings with their answers,
// then Spark's rules (field names, nulls left out, timestamps, star expansion, bad paths and JSON).
import { describe, expect, it } from 'vitest';
import { col, expr, struct, to_json, get_json_object, from_json, types as T, AnalysisError } from '../src/index.ts';
import { parseDdlSchema } from '../src/data/ddl.ts';
import { typeToString } from '../src/data/types.ts';
import { selectRows } from './support/select-rows.ts';

const people = T.struct({ age: T.long, name: T.string });

describe('PySpark docstring examples', () => {
  it("struct('age', 'name')", async () => {
    const out = await selectRows(people, [{ age: 2n, name: 'Alice' }, { age: 5n, name: 'Bob' }], struct('age', 'name').alias('struct'));
    expect(out).toEqual([{ struct: { age: 2n, name: 'Alice' } }, { struct: { age: 5n, name: 'Bob' } }]);
  });
  it('to_json of a struct', async () => {
    const out = await selectRows(people, [{ age: 2n, name: 'Alice' }], to_json(struct('age', 'name')).alias('json'));
    expect(out).toEqual([{ json: '{"age":2,"name":"Alice"}' }]);
  });
  it('get_json_object', async () => {
    const j = T.struct({ key: T.string, jstring: T.string });
    const out = await selectRows(j, [{ key: '1', jstring: '{"f1": "value1", "f2": "value2"}' }, { key: '2', jstring: '{"f1": "value12"}' }],
      'key', get_json_object('jstring', '$.f1').alias('c0'), get_json_object('jstring', '$.f2').alias('c1'));
    expect(out).toEqual([{ key: '1', c0: 'value1', c1: 'value2' }, { key: '2', c0: 'value12', c1: null }]);
  });
});

describe("Spark's rules", () => {
  const s = T.struct({ age: T.long, name: T.string, ts: T.timestamp, ok: T.boolean, x: T.double });
  const rows = [{ age: 2n, name: 'A"l', ts: new Date(1500), ok: true, x: Number.NaN }, { age: null, name: null, ts: null, ok: null, x: null }];
  it("to_json(struct('*')): every column; null fields left out; timestamps in UTC with milliseconds; NaN quoted; the name Spark gives", async () => {
    const out = await selectRows(s, rows, to_json(struct('*')));
    expect(out).toEqual([
      { 'to_json(struct(age, name, ts, ok, x))': '{"age":2,"name":"A\\"l","ts":"1970-01-01T00:00:01.500Z","ok":true,"x":"NaN"}' },
      { 'to_json(struct(age, name, ts, ok, x))': '{}' },
    ]);
  });
  it('a field from an expression is colN; an alias names it; expr() takes the same', async () => {
    const out = await selectRows(people, [{ age: 2n, name: 'A' }], to_json(struct(col('age').plus(1), col('name').alias('who'))).alias('j'),
      expr('to_json(struct(age, name))').alias('k'));
    expect(out).toEqual([{ j: '{"col1":3,"who":"A"}', k: '{"age":2,"name":"A"}' }]);
  });
  it('get_json_object: nested paths, arrays, wildcards, non-string values as JSON, null for bad JSON or paths', async () => {
    const j = T.struct({ j: T.string });
    const doc = '{"a":{"b":[10,{"c":"x"}]},"n":1.5,"t":true}';
    const out = await selectRows(j, [{ j: doc }, { j: '{not json' }],
      get_json_object('j', '$.a.b[0]').alias('i'), get_json_object('j', '$.a.b[1].c').alias('c'), get_json_object('j', "$['n']").alias('n'),
      get_json_object('j', '$.a').alias('obj'), get_json_object('j', '$.a.b[*]').alias('all'), get_json_object('j', 'a.b').alias('bad'),
      get_json_object('j', '$.missing').alias('none'));
    expect(out).toEqual([
      { i: '10', c: 'x', n: '1.5', obj: '{"b":[10,{"c":"x"}]}', all: '[10,{"c":"x"}]', bad: null, none: null },
      { i: null, c: null, n: null, obj: null, all: null, bad: null, none: null },
    ]);
  });
  it('to_json of a non-struct says to build one', async () => {
    await expect(selectRows(people, [], to_json('age'))).rejects.toThrow(AnalysisError);
    await expect(selectRows(people, [], to_json('age'))).rejects.toThrow(/requires struct, array or map type.*build one with struct/);
  });
});

describe('DDL schema strings (from_json, readStream.schema, read.schema)', () => {
  it("from_json(value, 'a INT') as PySpark's docstring; the struct's fields come out", async () => {
    const v = T.struct({ key: T.long, value: T.string });
    const out = await selectRows(v, [{ key: 1n, value: '{"a": 1}' }], from_json('value', 'a INT').alias('json'));
    expect(out).toEqual([{ json: { a: 1 } }]);
    const nested = await selectRows(v, [{ key: 1n, value: '{"id": 7, "tags": {"k": "x", "v": 2.5}}' }],
      from_json('value', 'id BIGINT, tags STRUCT<k: STRING, v: DOUBLE>').alias('d'));
    expect(nested).toEqual([{ d: { id: 7n, tags: { k: 'x', v: 2.5 } } }]);
  });
  it('parses what Spark writes: STRUCT<…>, backquotes, NOT NULL, COMMENT, case', () => {
    expect(typeToString(parseDdlSchema('STRUCT<a: INT, b: STRING>'))).toBe('struct<a:int,b:string>');
    const s = parseDdlSchema("`odd name` bigint NOT NULL COMMENT 'the id', ts Timestamp, d date, ok BOOLEAN, b BINARY");
    expect(s.fields.map((f) => [f.name, typeToString(f.type), f.nullable])).toEqual([
      ['odd name', 'long', false], ['ts', 'timestamp', true], ['d', 'date', true], ['ok', 'boolean', true], ['b', 'binary', true],
    ]);
  });
  it('a bad schema string says where and how to write it', () => {
    expect(() => parseDdlSchema('a INT,, b STRING')).toThrow(/Cannot parse the schema 'a INT,, b STRING': expected a name at position 7\. Write it as Spark's DDL/);
    expect(() => parseDdlSchema('a VARCHARX')).toThrow(/unknown type 'VARCHARX'/);
    expect(() => parseDdlSchema('m DECIMAL(40,2)')).toThrow(/precision must be an integer from 1 to 38/);
  });
});
