// Spark SQL expressions: expr(), selectExpr(), filter('...'). The parser (src/plan/sql/) builds the
// same Expr tree as the Column API, so these tests check trees, precedence, errors with positions,
// and then whole queries.
import { describe, expect, it } from 'vitest';
import { Session, MemoryStream, col, lit, expr, sum, types as T, ParseError, AnalysisError } from '../src/index.ts';
import { parseSqlExpr } from '../src/plan/sql/parser.ts';
import { selectRows } from './support/select-rows.ts';
import type { Expr } from '../src/plan/expr.ts';

const c = (name: string): Expr => ({ op: 'col', name });
const l = (value: unknown): Expr => ({ op: 'lit', value });
const b = (fn: string, left: Expr, right: Expr): Expr => ({ op: 'binary', fn, left, right } as Expr);
const call = (name: string, ...args: Expr[]): Expr => ({ op: 'call', name, args });
const p = (s: string): Expr => parseSqlExpr(s, { allowAlias: true });

describe('parsing into the Column tree', () => {
  it.each<[string, Expr]>([
    ['a + b * c', b('plus', c('a'), b('multiply', c('b'), c('c')))],
    ['(a + b) * c', b('multiply', b('plus', c('a'), c('b')), c('c'))],
    ['a - b - c', b('minus', b('minus', c('a'), c('b')), c('c'))],
    ['a / 2 % 3', b('mod', b('divide', c('a'), l(2)), l(3))],
    ['a + 1 > b * 2', b('gt', b('plus', c('a'), l(1)), b('multiply', c('b'), l(2)))],
    ['a = 1 OR b = 2 AND c', b('or', b('eq', c('a'), l(1)), b('and', b('eq', c('b'), l(2)), c('c')))],
    ['a OR b OR c', b('or', b('or', c('a'), c('b')), c('c'))],
    // NOT binds looser than comparisons and tighter than AND, as in Spark's grammar.
    ['NOT a = b', call('not', b('eq', c('a'), c('b')))],
    ['NOT a AND b', b('and', call('not', c('a')), c('b'))],
    ['!flag', call('not', c('flag'))],
    ['a <> 1 and b != 2 and c == 3', b('and', b('and', b('neq', c('a'), l(1)), b('neq', c('b'), l(2))), b('eq', c('c'), l(3)))],
    ['x BETWEEN 1 AND 2 AND y', b('and', b('and', b('geq', c('x'), l(1)), b('leq', c('x'), l(2))), c('y'))],
    ['x NOT BETWEEN 1 + 1 AND 5', call('not', b('and', b('geq', c('x'), b('plus', l(1), l(1))), b('leq', c('x'), l(5))))],
    ['a IN (1, 2)', { op: 'isin', child: c('a'), values: [l(1), l(2)] }],
    ["a NOT IN ('x')", call('not', { op: 'isin', child: c('a'), values: [l('x')] })],
    ["name LIKE 'A%'", call('like', c('name'), l('A%'))],
    ["name not rlike '^a'", call('not', call('rlike', c('name'), l('^a')))],
    ['x IS NULL', call('isnull', c('x'))],
    ['x is not null', call('isnotnull', c('x'))],
    ['a = b IS NULL', call('isnull', b('eq', c('a'), c('b')))],
    ["a || '-' || b", call('concat', call('concat', c('a'), l('-')), c('b'))],
    ['-x', call('negative', c('x'))],
    ['-5 + -x.y', b('plus', l(-5), call('negative', c('x.y')))],
    ['- 2 * 3', b('multiply', l(-2), l(3))],
  ])('%s', (sql, tree) => expect(parseSqlExpr(sql)).toEqual(tree));

  it.each<[string, unknown]>([
    ['10', 10], ['10L', 10n], ['3000000000', 3000000000n], ['3S', 3],
    ["'it\\'s'", "it's"], ['"say \\"hi\\""', 'say "hi"'], ["'a\\tb\\n'", 'a\tb\n'], ["'%'", '%'], ["''", ''],
    ['true', true], ['FALSE', false], ['null', null],
  ])('literal %s', (sql, value) => expect(parseSqlExpr(sql)).toEqual(l(value)));

  it.each<[string, number]>([['1e3', 1000], ['2.5E-1', 0.25], ['7D', 7], ['1.5D', 1.5], ['-2.0D', -2]])(
    'double literal %s', (sql, value) => expect(parseSqlExpr(sql)).toEqual({ op: 'lit', value, type: T.double }));

  // Spark types a number with a point and no exponent as a decimal of its digits (literals.sql.out).
  it.each<[string, string, number, number]>([['1.5', '1.5', 2, 1], ['.5', '0.5', 1, 1], ['1.0', '1.0', 2, 1], ['-2.0', '-2.0', 2, 1]])(
    'decimal literal %s', (sql, value, p, s) => expect(parseSqlExpr(sql)).toEqual({ op: 'lit', value, type: T.decimal(p, s) }));

  it('1.25BD is an exact decimal(3,2) literal, as Spark types it', () => expect(parseSqlExpr('1.25BD')).toEqual({ op: 'lit', value: '1.25', type: T.decimal(3, 2) }));

  it('names: dotted, backquoted, stars, functions in any case', () => {
    expect(p('data.user_id')).toEqual(c('data.user_id'));
    expect(p('`weird name`')).toEqual(c('weird name'));
    expect(p('`a.b`')).toEqual(c('a.b'));
    expect(p('`s`.x.y')).toEqual({ op: 'getField', child: { op: 'getField', child: c('s'), name: 'x' }, name: 'y' });
    expect(p('`and`')).toEqual(c('and'));
    expect(p('*')).toEqual({ op: 'star' });
    expect(p('data.*')).toEqual({ op: 'star', qualifier: 'data' });
    expect(p('UPPER(name)')).toEqual(call('upper', c('name')));
    expect(p('coalesce(a, b, 0)')).toEqual(call('coalesce', c('a'), c('b'), l(0)));
    expect(p('(s).x')).toEqual({ op: 'getField', child: c('s'), name: 'x' });
  });

  it('aliases, casts, CASE, aggregates', () => {
    expect(p('upper(name) AS u')).toEqual({ op: 'alias', child: call('upper', c('name')), name: 'u' });
    expect(p('n + 1 total')).toEqual({ op: 'alias', child: b('plus', c('n'), l(1)), name: 'total' });
    expect(p('n AS `my col`')).toEqual({ op: 'alias', child: c('n'), name: 'my col' });
    expect(p('CAST(value AS STRING)')).toEqual({ op: 'cast', child: c('value'), to: T.string });
    expect(p('cast(x as bigint)')).toEqual({ op: 'cast', child: c('x'), to: T.long });
    expect(p('CAST(x AS DECIMAL(10, 2))')).toEqual({ op: 'cast', child: c('x'), to: T.decimal(10, 2) });
    expect(p('x::int + 1')).toEqual(b('plus', { op: 'cast', child: c('x'), to: T.int }, l(1)));
    expect(p("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END")).toEqual(
      call('casewhen', b('gt', c('a'), l(1)), l('big'), b('gt', c('a'), l(0)), l('small'), l('none')));
    expect(p("CASE a WHEN 1 THEN 'one' END")).toEqual(call('casewhen', b('eq', c('a'), l(1)), l('one')));
    expect(p('sum(amount)')).toEqual({ op: 'agg', agg: { fn: 'sum', child: c('amount') } });
    expect(p('count(*)')).toEqual({ op: 'agg', agg: { fn: 'count', child: null } });
    expect(p('COUNT(1)')).toEqual({ op: 'agg', agg: { fn: 'count', child: null } });
    expect(p('avg(x) AS m')).toEqual({ op: 'alias', child: { op: 'agg', agg: { fn: 'avg', child: c('x') } }, name: 'm' });
  });
});

describe('parse errors point at the position and say what was expected', () => {
  const err = (sql: string, allowAlias = false): ParseError => {
    try { parseSqlExpr(sql, { allowAlias }); } catch (e) { expect(e).toBeInstanceOf(ParseError); return e as ParseError; }
    throw new Error(`'${sql}' parsed`);
  };
  it.each<[string, number, string]>([
    ['amount >', 8, 'expected an expression, found the end of the expression'],
    ['a + )', 4, "expected an expression, found ')'"],
    ['(a + b', 6, "expected ')'"],
    ['CASE WHEN x THEN 1', 18, 'expected WHEN, ELSE or END'],
    ['CASE WHEN x 1 END', 12, 'expected THEN'],
    ['frobnicate(x)', 0, "Undefined function 'frobnicate'"],
    ["name = 'abc", 7, 'Unterminated string literal'],
    ['CAST(x AS foo)', 10, 'expected a type name'],
    ['a NOT b', 6, 'expected IN, BETWEEN, LIKE or RLIKE after NOT'],
    ['a b', 2, 'expected an operator or the end of the expression'],
    ['a IN (1, 2', 10, "expected ',' or ')'"],
    ['x = #', 4, "Unexpected character '#'"],
    ['a AND', 5, 'expected an expression'],
    ['sum(DISTINCT x)', 4, 'of the DISTINCT aggregates only count(DISTINCT ...) is supported'],
    ['upper(*)', 6, 'only count(*) takes *'],
    ['a <=> b', 2, 'null-safe equality is not supported yet'],
  ])('%s', (sql, position, message) => {
    const e = err(sql);
    expect(e.position).toBe(position);
    expect(e.message).toContain(message);
    // The message repeats the text with a caret under the position.
    const lines = e.message.split('\n');
    expect(lines[1]).toBe(`  ${sql}`);
    expect(lines[2]).toBe(`  ${' '.repeat(position)}^`);
  });

  it('star is not a condition; an alias needs a name', () => {
    expect(err('*').message).toContain('expected an expression, not *');
    expect(err('a AS', true).position).toBe(4);
  });

  // The parser's cost per expression is measured by bench/sql-expr.ts (parseMicroseconds), not asserted here:
  // speed is never a test's business.
});

const session = Session.builder().appName('sql-expr-test').getOrCreate();
const schema = T.struct({ id: T.long, name: T.string, amount: T.double, n: T.int, value: T.binary, s: T.struct({ x: T.int }) });
const rows = [
  { id: 1n, name: 'Alice', amount: 5.5, n: 1, value: new TextEncoder().encode('v1') },
  { id: 2n, name: 'bob', amount: 12, n: null, value: null },
  { id: 3n, name: null, amount: 100, n: 3, value: new TextEncoder().encode('v3') },
  { id: 4n, name: 'Ann', amount: null, n: 4, value: new TextEncoder().encode('') },
];
let seq = 0;
type DF = ReturnType<MemoryStream['toDF']>;

async function run(build: (df: DF) => DF, mode: 'append' | 'complete' = 'append') {
  const stream = new MemoryStream(session, T.struct(Object.fromEntries(schema.fields.filter((f) => f.name !== 's').map((f) => [f.name, f.type]))));
  stream.addData(rows);
  const name = `sx${seq++}`;
  const q = await build(stream.toDF()).writeStream.outputMode(mode).format('memory').queryName(name).start();
  await q.processAllAvailable();
  await q.stop();
  return session.table(name).collect();
}

describe('queries with SQL strings', () => {
  it('selectExpr: casts keep the column name, aliases, arithmetic, *', async () => {
    const out = await run((df) => df.selectExpr('id', 'CAST(value AS STRING)', 'amount * 2 AS doubled', 'n + 1', "upper(name) u"));
    expect(out).toEqual([
      { id: 1n, value: 'v1', doubled: 11, '(n + 1)': 2, u: 'ALICE' },
      { id: 2n, value: null, doubled: 24, '(n + 1)': null, u: 'BOB' },
      { id: 3n, value: 'v3', doubled: 200, '(n + 1)': 4, u: null },
      { id: 4n, value: '', doubled: null, '(n + 1)': 5, u: 'ANN' },
    ]);
    const star = await run((df) => df.selectExpr('*', 'id * 10 AS ten').selectExpr('ten', 'name'));
    expect(star.map((r) => r.ten)).toEqual([10n, 20n, 30n, 40n]);
  });

  it('filter and where take SQL conditions', async () => {
    const ids = async (cond: string) => (await run((df) => df.filter(cond).select('id'))).map((r) => r.id);
    expect(await ids('amount > 10')).toEqual([2n, 3n]);
    expect(await ids("amount > 10 AND name = 'bob'")).toEqual([2n]);
    expect(await ids('amount BETWEEN 5 AND 12')).toEqual([1n, 2n]);
    expect(await ids('n IN (1, 4) OR name IS NULL')).toEqual([1n, 3n, 4n]);
    expect(await ids("name LIKE 'A%'")).toEqual([1n, 4n]);
    expect(await ids("name NOT LIKE 'A%'")).toEqual([2n]);
    expect(await ids("name RLIKE '^[a-z]'")).toEqual([2n]);
    expect(await ids('NOT (n > 1)')).toEqual([1n]);
    expect(await ids('amount IS NULL')).toEqual([4n]);
    expect((await run((df) => df.where('id >= 3L').select('id'))).map((r) => r.id)).toEqual([3n, 4n]);
  });

  it('withColumn(name, expr(...)) and CASE WHEN', async () => {
    const out = await run((df) => df
      .withColumn('band', expr("CASE WHEN amount >= 100 THEN 'high' WHEN amount > 10 THEN 'mid' ELSE 'low' END"))
      .withColumn('label', expr("coalesce(name, 'anon') || '#' || CAST(id AS STRING)"))
      .select('id', 'band', 'label'));
    expect(out).toEqual([
      { id: 1n, band: 'low', label: 'Alice#1' },
      { id: 2n, band: 'mid', label: 'bob#2' },
      { id: 3n, band: 'high', label: 'anon#3' },
      { id: 4n, band: 'low', label: 'Ann#4' },
    ]);
  });

  it('agg(expr(...)) aggregates', async () => {
    const out = await run((df) => df.withColumn('k', lit(1)).groupBy('k').agg(expr('sum(amount) AS total'), expr('count(*)'), sum('n')), 'complete');
    expect(out).toEqual([{ k: 1, total: 117.5, 'count(1)': 4n, 'sum(n)': 8n }]);
  });

  it('names columns as Spark does', async () => {
    const out = await run((df) => df.select(
      col('value').cast('string'), col('n').cast('long').alias('nl'), expr('CAST(n + 1 AS BIGINT)'), expr('upper(CAST(id AS STRING))')));
    expect(Object.keys(out[0]!)).toEqual(['value', 'nl', 'CAST((n + 1) AS BIGINT)', 'upper(CAST(id AS STRING))']);
  });

  it('an unknown column in a SQL string is an AnalysisError at start()', async () => {
    const err = await run((df) => df.filter('amonut > 10')).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisError);
    expect((err as Error).message).toContain("Cannot resolve column 'amonut'");
  });

  it('a syntax error surfaces when the DataFrame is built', async () => {
    const stream = new MemoryStream(session, T.struct({ a: T.int }));
    expect(() => stream.toDF().filter('a >')).toThrow(ParseError);
    expect(() => stream.toDF().selectExpr('a', 'a +')).toThrow(/at position 3/);
  });
});

describe('INTERVAL literals: timestamp and date arithmetic (Spark TimeAdd / DateAddInterval)', () => {
  const s = T.struct({ ts: T.timestamp, d: T.date });
  const row = { ts: new Date('2024-01-31T10:00:00Z'), d: new Date('2024-01-31T00:00:00Z') };
  it('every form Spark writes, months by the calendar, names as written', async () => {
    const out = await selectRows(s, [row],
      expr('ts + INTERVAL 5 SECONDS'), expr("ts - interval '1' hour"), expr('ts + INTERVAL 1 MONTH'), expr("d + INTERVAL '1-1' YEAR TO MONTH"),
      expr("ts + INTERVAL '1 2:3:4' DAY TO SECOND"), expr('d + INTERVAL 2 DAYS'), expr('INTERVAL 1 DAY + ts'), expr('ts + interval -30 minutes'),
      expr('ts + INTERVAL 1 DAY 2 HOURS'), expr('ts BETWEEN ts - INTERVAL 5 SECONDS AND ts + INTERVAL 5 SECONDS').alias('btw'));
    expect(out).toEqual([{
      '(ts + INTERVAL 5 SECONDS)': new Date('2024-01-31T10:00:05Z'),
      "(ts - INTERVAL '1' HOUR)": new Date('2024-01-31T09:00:00Z'),
      '(ts + INTERVAL 1 MONTH)': new Date('2024-02-29T10:00:00Z'), // Jan 31 + 1 month: the last day of February
      "(d + INTERVAL '1-1' YEAR TO MONTH)": new Date('2025-02-28T00:00:00Z'), // a date stays a date
      "(ts + INTERVAL '1 2:3:4' DAY TO SECOND)": new Date('2024-02-01T12:03:04Z'),
      '(d + INTERVAL 2 DAYS)': new Date('2024-02-02T00:00:00Z'),
      '(INTERVAL 1 DAY + ts)': new Date('2024-02-01T10:00:00Z'),
      '(ts + INTERVAL -30 MINUTES)': new Date('2024-01-31T09:30:00Z'),
      '(ts + INTERVAL 1 DAY 2 HOURS)': new Date('2024-02-01T12:00:00Z'),
      btw: true,
    }]);
  });
  it('a bad literal is a ParseError at its position; an interval on its own or after a non-time value is refused', async () => {
    expect(() => expr('ts + INTERVAL 5 FORTNIGHTS')).toThrow(ParseError);
    expect(() => expr('ts + INTERVAL 5 FORTNIGHTS')).toThrow(/Invalid INTERVAL literal INTERVAL 5 FORTNIGHTS: unknown unit 'FORTNIGHTS'/);
    expect(() => expr("ts + INTERVAL '1 2' DAY TO SECOND")).toThrow(/does not match the pattern of day to second/);
    await expect(selectRows(s, [], expr('INTERVAL 5 SECONDS'))).rejects.toThrow(/can only be added to or subtracted from a timestamp or a date/);
    await expect(selectRows(T.struct({ n: T.long }), [], expr('n + INTERVAL 5 SECONDS'))).rejects.toThrow(AnalysisError);
    await expect(selectRows(s, [], expr('INTERVAL 5 SECONDS - ts'))).rejects.toThrow(/cannot be the left side of '-'/);
  });
});
