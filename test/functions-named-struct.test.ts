// named_struct: PySpark's docstring example (python/pyspark/sql/functions/builtin.py) and Spark's SQL example.
import { describe, expect, it } from 'vitest';
import { col, lit, expr, named_struct, to_json, types as T, Session, MemoryStream, AnalysisError } from '../src/index.ts';
import { selectRows } from './support/select-rows.ts';

const session = Session.builder().appName('named-struct-test').getOrCreate();
const ab = T.struct({ a: T.long, b: T.long });

describe('named_struct', () => {
  it("select('*', named_struct(lit('x'), a, lit('y'), 'b')) is {x: 1, y: 2}, named named_struct(x, a, y, b)", async () => {
    const out = await selectRows(ab, [{ a: 1n, b: 2n }], 'a', 'b', named_struct(lit('x'), col('a'), lit('y'), 'b'));
    expect(out).toEqual([{ a: 1n, b: 2n, 'named_struct(x, a, y, b)': { x: 1n, y: 2n } }]);
  });

  it('SELECT named_struct("a", 1, "b", 2, "c", 3), as JSON; fields keep nulls; .* expands it', async () => {
    const out = await selectRows(ab, [{ a: null, b: 2n }], expr('to_json(named_struct("a", 1, "b", 2, "c", 3)) AS j'),
      to_json(named_struct('p', 'a', 'q', col('b'))).alias('k'));
    expect(out).toEqual([{ j: '{"a":1,"b":2,"c":3}', k: '{"q":2}' }]);
    const wide = await selectRows(ab, [{ a: 7n, b: null }], named_struct('p', 'a', 'q', 'b').alias('s'));
    expect(wide).toEqual([{ s: { p: 7n, q: null } }]);
  });

  it('a field name that is not a string literal, or an odd argument count, is an AnalysisError naming it', async () => {
    for (const [bad, msg] of [[expr('named_struct(a, b)'), /argument 1 'a' must be a string literal/], [expr("named_struct('x', a, 'y')"), /name, value pairs/]] as const) {
      const stream = new MemoryStream(session, ab);
      const err = await stream.toDF().select(bad).writeStream.format('memory').queryName(`ns${Math.random().toString(36).slice(2)}`).start().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AnalysisError);
      expect((err as Error).message).toMatch(msg);
    }
  });
});
