// json_tuple: PySpark's docstring example (python/pyspark/sql/functions/builtin.py), Spark's SQL
// example, and its rows of nulls for documents it cannot read.
import { describe, expect, it } from 'vitest';
import { col, expr, json_tuple, types as T, Session, MemoryStream, AnalysisError } from '../src/index.ts';
import { selectRows, queryRows } from './support/select-rows.ts';

const session = Session.builder().appName('json-tuple-test').getOrCreate();
const kj = T.struct({ key: T.string, jstring: T.string });

describe('json_tuple', () => {
  it("df.select(df.key, json_tuple(df.jstring, 'f1', 'f2')): columns c0, c1, one row per row", async () => {
    const out = await selectRows(kj, [{ key: '1', jstring: '{"f1": "value1", "f2": "value2"}' }, { key: '2', jstring: '{"f1": "value12"}' }],
      col('key'), json_tuple(col('jstring'), 'f1', 'f2'));
    expect(out).toEqual([{ key: '1', c0: 'value1', c1: 'value2' }, { key: '2', c0: 'value12', c1: null }]);
  });

  it("SELECT json_tuple('{\"a\":1, \"b\":2}', 'a', 'b') through selectExpr; non-string values as JSON text", async () => {
    const out = await queryRows(kj, [{ key: 'k', jstring: '{"a": {"x": [1, 2]}, "b": true, "c": null}' }],
      (df) => df.selectExpr(`json_tuple('{"a":1, "b":2}', 'a', 'b')`, 'key'));
    expect(out).toEqual([{ c0: '1', c1: '2', key: 'k' }]);
    const nested = await selectRows(kj, [{ key: 'k', jstring: '{"a": {"x": [1, 2]}, "b": true, "c": null}' }], json_tuple('jstring', 'a', 'b', 'c', 'd'));
    expect(nested).toEqual([{ c0: '{"x":[1,2]}', c1: 'true', c2: null, c3: null }]);
  });

  it('a null, malformed or non-object document gives a row of nulls, not no row', async () => {
    const rows = [{ key: 'a', jstring: null }, { key: 'b', jstring: '{oops' }, { key: 'c', jstring: '[1, 2]' }, { key: 'd', jstring: '"s"' }];
    const out = await selectRows(kj, rows, 'key', json_tuple('jstring', 'f1'));
    expect(out).toEqual(rows.map((r) => ({ key: r.key, c0: null })));
  });

  it('then filters and selects by c0 as any column', async () => {
    const out = await queryRows(kj, [{ key: '1', jstring: '{"n": "5"}' }, { key: '2', jstring: '{"n": "7"}' }],
      (df) => df.select('key', json_tuple('jstring', 'n')).filter(expr('CAST(c0 AS INT) > 6')).select('key'));
    expect(out).toEqual([{ key: '2' }]);
  });

  it('a single alias is refused, naming what to do', async () => {
    const stream = new MemoryStream(session, kj);
    const err = await stream.toDF().select(json_tuple('jstring', 'a', 'b').alias('x')).writeStream.format('memory').queryName('jt_alias').start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisError);
    expect((err as Error).message).toMatch(/takes no single alias\('x'\).*withColumnRenamed/);
  });
});
