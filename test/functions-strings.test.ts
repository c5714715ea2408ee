// String functions of the registry, as table tests: first the `>>>` examples of PySpark's
// docstrings (python/pyspark/sql/functions/builtin.py), then nulls and edge cases, each through
// both the Column API and expr().
import { describe, expect, it } from 'vitest';
import {
  col, lit, expr, concat, concat_ws, trim, ltrim, rtrim, length, substring, startswith, endswith, contains, like, rlike,
  regexp_extract, regexp_replace, lpad, rpad, types as T, AnalysisError,
} from '../src/index.ts';
import { selectRows, queryRows } from './support/select-rows.ts';

const ab = T.struct({ a: T.string, b: T.string });
const one = (rows: Record<string, unknown>[]) => rows.map((r) => r.r);

describe('PySpark docstring examples', () => {
  it('concat / concat_ws', async () => {
    const sd = T.struct({ s: T.string, d: T.string });
    expect(one(await selectRows(sd, [{ s: 'abcd', d: '123' }], concat('s', 'd').alias('r')))).toEqual(['abcd123']);
    expect(one(await selectRows(sd, [{ s: 'abcd', d: '123' }], concat_ws('-', 's', 'd').alias('r')))).toEqual(['abcd-123']);
  });
  it('substring / length / trim', async () => {
    const s = T.struct({ s: T.string });
    expect(one(await selectRows(s, [{ s: 'abcd' }], substring('s', 1, 2).alias('r')))).toEqual(['ab']);
    expect(one(await selectRows(s, [{ s: 'ABC ' }], length('s').alias('r')))).toEqual([4]);
    expect(one(await selectRows(s, [{ s: '   Spark' }, { s: 'Spark  ' }, { s: ' Spark' }], trim('s').alias('r')))).toEqual(['Spark', 'Spark', 'Spark']);
    expect(one(await selectRows(s, [{ s: 'x' }], length(lit('SparkSQL')).alias('r')))).toEqual([8]);
  });
  it('startswith / endswith / contains', async () => {
    const rows = [{ a: 'Spark SQL', b: 'Spark' }];
    expect(one(await selectRows(ab, rows, startswith('a', 'b').alias('r')))).toEqual([true]);
    expect(one(await selectRows(ab, rows, endswith('a', 'b').alias('r')))).toEqual([false]);
    expect(one(await selectRows(ab, rows, contains('a', 'b').alias('r')))).toEqual([true]);
  });
  it('like / rlike', async () => {
    expect(one(await selectRows(ab, [{ a: 'Spark', b: '_park' }], like('a', 'b').alias('r')))).toEqual([true]);
    const out = await selectRows(T.struct({ str: T.string }), [{ str: '1a 2b 14m' }], 'str', rlike('str', lit('(\\d+)')));
    expect(out).toEqual([{ str: '1a 2b 14m', 'RLIKE(str, (\\d+))': true }]);
  });
  it('regexp_extract', async () => {
    const s = T.struct({ str: T.string });
    expect(await selectRows(s, [{ str: '100-200' }], regexp_extract('str', '(\\d+)-(\\d+)', 1))).toEqual([{ 'regexp_extract(str, (\\d+)-(\\d+), 1)': '100' }]);
    expect(one(await selectRows(s, [{ str: 'foo' }], regexp_extract('str', '(\\d+)', 1).alias('r')))).toEqual(['']);
    expect(one(await selectRows(s, [{ str: 'aaaac' }], regexp_extract(col('str'), '(a+)(b)?(c)', 2).alias('r')))).toEqual(['']);
  });
  it('regexp_replace', async () => {
    const s = T.struct({ str: T.string, pattern: T.string, replacement: T.string });
    const rows = [{ str: '100-200', pattern: '(\\d+)', replacement: '--' }];
    expect(one(await selectRows(s, rows, regexp_replace('str', '(\\d+)', '--').alias('r')))).toEqual(['-----']);
    expect(one(await selectRows(s, rows, regexp_replace(col('str'), col('pattern'), col('replacement')).alias('r')))).toEqual(['-----']);
  });
  it('lpad / rpad', async () => {
    const s = T.struct({ s: T.string });
    const rows = [{ s: 'abcd' }, { s: 'xyz' }, { s: '12' }];
    expect(one(await selectRows(s, rows, lpad('s', 6, '#').alias('r')))).toEqual(['##abcd', '###xyz', '####12']);
    expect(one(await selectRows(s, rows, rpad('s', 6, '#').alias('r')))).toEqual(['abcd##', 'xyz###', '12####']);
  });
});

describe('nulls and edge cases', () => {
  const s = T.struct({ s: T.string, t: T.string, n: T.int });
  const rows = [
    { s: '  zoë  ', t: 'ë', n: 2 },
    { s: null, t: 'x', n: 1 },
    { s: 'abc', t: null, n: null },
    { s: '', t: '', n: 0 },
  ];
  it.each<[string, string, unknown[]]>([
    ['concat is null when any input is', "concat(s, '|', t)", ['  zoë  |ë', null, null, '|']],
    ['concat_ws skips nulls', "concat_ws(',', s, t, 'z')", ['  zoë  ,ë,z', 'x,z', 'abc,z', ',,z']],
    ['concat_ws with a null separator is null', 'concat_ws(CAST(NULL AS STRING), s)', [null, null, null, null]],
    ['|| is concat', "t || '!'", ['ë!', 'x!', null, '!']],
    ['trim removes spaces only', 'trim(s)', ['zoë', null, 'abc', '']],
    ['ltrim', 'ltrim(s)', ['zoë  ', null, 'abc', '']],
    ['rtrim', 'rtrim(s)', ['  zoë', null, 'abc', '']],
    ['length counts characters, not bytes', 'length(s)', [7, null, 3, 0]],
    ['length of a number is of its text', 'length(n * 100)', [3, 3, null, 1]],
    ['substring by characters', 'substring(s, 3, 3)', ['zoë', null, 'c', '']],
    ['substring from the end', 'substring(s, -3)', ['ë  ', null, 'abc', '']],
    ['substring with pos 0 acts as 1', 'substr(s, 0, 2)', ['  ', null, 'ab', '']],
    ['substring with a column position; null position is null', 'substring(s, n, 1)', [' ', null, null, '']],
    ['startswith', "startswith(s, '  z')", [true, null, false, false]],
    ['endswith on multi-byte text', "endswith(trim(s), t)", [true, null, null, true]],
    ['contains', 'contains(s, t)', [true, null, null, true]],
    ['LIKE with _ and %', "s LIKE '%o_%'", [true, null, false, false]],
    ['LIKE is anchored', "s LIKE 'b%'", [false, null, false, false]],
    ['LIKE escapes', "'a%b' LIKE 'a\\\\%b'", [true, true, true, true]],
    ['RLIKE finds anywhere', "s RLIKE 'b.'", [false, null, true, false]],
    ['regexp_replace with groups', "regexp_replace(s, '([a-z])', '<$1>')", ['  <z><o>ë  ', null, '<a><b><c>', '']],
    ['lpad cuts a longer string and pads by characters', "lpad(t, 3, 'ab')", ['abë', 'abx', null, 'aba']],
    ['rpad with len 0 and a default space pad', "concat(rpad(s, 0, 'x'), '|', rpad(t, 2))", ['|ë ', null, null, '|  ']],
    ['regexp_extract group 0 and a missing group', "concat(regexp_extract(s, '[a-z]+', 0), '/', regexp_extract(s, '(x)?z', 1))", ['zo/', null, 'abc/', '/']],
  ])('%s: %s', async (_, sql, expected) => {
    expect(one(await selectRows(s, rows, expr(`${sql} AS r`)))).toEqual(expected);
  });

  it('Column methods: startswith, endswith, contains, like, rlike, substr', async () => {
    const out = await queryRows(s, rows, (df) => df.filter(col('s').isNotNull()).select(
      col('s').startswith('  ').alias('a'), col('s').endsWith('c').alias('b'), col('s').contains(col('t')).alias('c'),
      col('s').like('%b%').alias('d'), col('s').rlike('^\\s').alias('e'), col('s').substr(2, 2).alias('f')));
    expect(out).toEqual([
      { a: true, b: false, c: true, d: false, e: true, f: ' z' },
      { a: false, b: true, c: null, d: true, e: false, f: 'bc' },
      { a: false, b: false, c: true, d: false, e: false, f: '' },
    ]);
  });

  it('names output columns as Spark does', async () => {
    const out = await selectRows(s, rows.slice(0, 1), concat('s', 't'), concat_ws('-', 's', 't'), trim('s'), length('s'), substring('s', 1, 2), col('s').like('a%'));
    expect(Object.keys(out[0]!)).toEqual(['concat(s, t)', 'concat_ws(-, s, t)', 'trim(s)', 'length(s)', 'substring(s, 1, 2)', 's LIKE a%']);
  });

  it('a bad pattern or group index is an AnalysisError at start()', async () => {
    const err = async (c: ReturnType<typeof expr>) => queryRows(s, rows, (df) => df.select(c)).then(() => null, (e: unknown) => e as Error);
    const e1 = await err(expr("regexp_extract(s, '(a)', 2)"));
    expect(e1).toBeInstanceOf(AnalysisError);
    expect(e1!.message).toContain('the regex has 1 group, but the group index is 2');
    const e2 = await err(expr("s RLIKE '('"));
    expect(e2!.message).toContain("the pattern '(' is invalid");
    const e3 = await err(expr("s LIKE 'a\\\\b'"));
    expect(e3!.message).toContain("the escape character is not allowed to precede 'b'");
  });
});
