// Date and time functions (issue 13): the `>>>` examples of PySpark's docstrings
// (apache/spark python/pyspark/sql/functions/builtin.py), then Spark's DateFunctionsSuite
// (sql/core/src/test/scala/org/apache/spark/sql/DateFunctionsSuite.scala), the datetime pattern
// rules (DateTimeFormatterHelper, docs sql-ref-datetime-pattern), names, SQL forms and nulls.
// current_timestamp across a crash: test/current-timestamp-crash.test.ts.
//
// sluice's session time zone is UTC. Docstrings that set spark.sql.session.timeZone to
// America/Los_Angeles (PDT, UTC-7, on the dates they use) have their answers converted to UTC; each
// case says how. A naive Python datetime/date of an example is the same wall time in UTC.
//
// Left out, and why:
// - current_timestamp / now / current_date / curdate / unix_timestamp(): their docstrings are
//   `# doctest: +SKIP` (they show the clock); checked here against the batch's time instead.
// - typeof(...) columns of the examples: typeof is not a sluice function; the function's own
//   column is checked. The TIME type examples of hour/minute/second (Spark 4.1): no TIME type.
// - spark.sql.legacy.timeParserPolicy LEGACY and EXCEPTION cases of DateFunctionsSuite: sluice
//   parses as CORRECTED (java.time's strict rules; a value that does not match is null and never a
//   SparkUpgradeException). Spark 3.x's default is EXCEPTION, which raises where the 2.4 parser
//   would have read a prefix (to_date('2015-07-22 10:00:00', 'yyyy-MM-dd')); sluice gives null.
// - ANSI mode (spark.sql.ansi.enabled, on by default in Spark 4): a value that does not parse
//   raises CANNOT_PARSE_TIMESTAMP there; sluice is non-ANSI (null), as DateFunctionsSuite runs.
// - Microseconds: sluice timestamps are milliseconds (Arrow TimestampMillisecond), so
//   '1970-01-01T00:00:00.123456Z' by 'SSSSSSX' is .123 where Spark keeps .123456, and
//   date_trunc('MICROSECOND', t) is t.
// - Time zones other than UTC: from_utc_timestamp/to_utc_timestamp, the LA/CEST cases, zone names
//   in patterns other than UTC/GMT/Z ('z' reads "-0800" as no match: null, as Spark CORRECTED).
// - The era letter 'G' and 'F' (aligned week of month) in date_format: Spark formats them, sluice
//   refuses them at analysis with a message naming the letter. 'zzzz' prints 'UTC' (Java:
//   'Coordinated Universal Time').
// - Names: curdate() is named curdate() (Spark: current_date()).
// - Spark's string-to-timestamp cast also reads one-digit fields ('2015-7-2 1:2:3') and zone ids
//   ('UTC+1', region names); sluice's reads yyyy-MM-dd[ HH:mm[:ss[.fraction]]][offset] only.
//   The string-to-date cast is Spark's stringToDate (case 'date comparison with date strings').
// - Functions outside this set (months_between, next_day, make_date, timestamp_seconds, unix_date,
//   date_from_unix_date, dateadd/date_diff, extract/date_part, ...) and interval arithmetic
//   (d + INTERVAL '1 day'; the SQL parser refuses INTERVAL literals so far).
import { describe, expect, it } from 'vitest';
import { timestamp_seconds, timestamp_millis, unix_seconds, unix_millis } from '../src/index.ts';
import {
  col, lit, expr, types as T, AnalysisError,
  year, quarter, month, dayofmonth, day, dayofweek, dayofyear, weekofyear, hour, minute, second,
  to_timestamp, to_date, unix_timestamp, date_format, from_unixtime, current_timestamp, now, current_date,
  date_add, date_sub, datediff, add_months, last_day, date_trunc, trunc,
} from '../src/index.ts';
import { compilePattern } from '../src/exec/functions/datetime-pattern.ts';
import { selectRows, queryRows } from './support/select-rows.ts';
import { duckQuery } from './support/duck.ts';
import { mulberry32, pick, randInt } from './support/prng.ts';

/** A date as the memory sink returns it: midnight UTC. */
const D = (s: string): Date => new Date(`${s}T00:00:00Z`);
/** A timestamp 'yyyy-MM-dd HH:mm:ss[.SSS]' read in UTC. */
const TS = (s: string): Date => new Date(`${s.replace(' ', 'T')}Z`);
const values = (rows: Record<string, unknown>[]): unknown[] => rows.map((r) => Object.values(r)[0]);

// The common frames of the field-function docstrings: strings of dates and timestamps, dates, timestamps.
const dtStr = T.struct({ dt: T.string });
const dtStrRows = [{ dt: '2015-04-08' }, { dt: '2024-10-31' }];
const tsStr = T.struct({ ts: T.string });
const tsStrRows = [{ ts: '2015-04-08 13:08:15' }, { ts: '2024-10-31 10:09:16' }];
const dtDate = T.struct({ dt: T.date });
const dtDateRows = [{ dt: D('2015-04-08') }, { dt: D('2024-10-31') }];
const tsTs = T.struct({ ts: T.timestamp });
const tsTsRows = [{ ts: TS('2015-04-08 13:08:15') }, { ts: TS('2024-10-31 10:09:16') }];

describe('PySpark docstring examples', () => {
  // year, quarter, month, dayofweek, dayofmonth, day, dayofyear, weekofyear: Examples 1-4 each
  // (a string date, a string timestamp, a date, a timestamp): the same answers for all four.
  it.each<[string, typeof year, [unknown, unknown]]>([
    ['year', year, [2015, 2024]],
    ['quarter', quarter, [2, 4]],
    ['month', month, [4, 10]],
    ['dayofweek', dayofweek, [4, 5]],
    ['dayofmonth', dayofmonth, [8, 31]],
    ['day', day, [8, 31]],
    ['dayofyear', dayofyear, [98, 305]],
    ['weekofyear', weekofyear, [15, 44]],
  ])('%s of a string date, a string timestamp, a date and a timestamp', async (name, fn, expected) => {
    for (const [schema, rows, c] of [[dtStr, dtStrRows, 'dt'], [tsStr, tsStrRows, 'ts'], [dtDate, dtDateRows, 'dt'], [tsTs, tsTsRows, 'ts']] as const) {
      const out = await selectRows(schema, rows, fn(c));
      expect(out, `${name}(${c}) over ${JSON.stringify(schema.fields[0]!.type)}`).toEqual(expected.map((v) => ({ [`${name}(${c})`]: v })));
    }
  });

  // hour, minute, second: Examples 1 (string timestamp) and 2 (timestamp).
  it.each<[string, typeof hour, [number, number]]>([
    ['hour', hour, [13, 10]],
    ['minute', minute, [8, 9]],
    ['second', second, [15, 16]],
  ])('%s of a string timestamp and a timestamp', async (name, fn, expected) => {
    for (const [schema, rows] of [[tsStr, tsStrRows], [tsTs, tsTsRows]] as const) {
      expect(await selectRows(schema, rows, fn('ts'))).toEqual(expected.map((v) => ({ [`${name}(ts)`]: v })));
    }
  });

  it('date_format: a string date, a string timestamp, a date, a timestamp', async () => {
    expect(await selectRows(dtStr, dtStrRows, date_format('dt', 'MM/dd/yyyy')))
      .toEqual([{ 'date_format(dt, MM/dd/yyyy)': '04/08/2015' }, { 'date_format(dt, MM/dd/yyyy)': '10/31/2024' }]);
    expect(await selectRows(tsStr, tsStrRows, date_format('ts', 'yy=MM=dd HH=mm=ss')))
      .toEqual([{ 'date_format(ts, yy=MM=dd HH=mm=ss)': '15=04=08 13=08=15' }, { 'date_format(ts, yy=MM=dd HH=mm=ss)': '24=10=31 10=09=16' }]);
    expect(await selectRows(dtDate, dtDateRows, date_format('dt', 'yy--MM--dd')))
      .toEqual([{ 'date_format(dt, yy--MM--dd)': '15--04--08' }, { 'date_format(dt, yy--MM--dd)': '24--10--31' }]);
    expect(await selectRows(tsTs, tsTsRows, date_format('ts', 'yy=MM=dd HH=mm=ss')))
      .toEqual([{ 'date_format(ts, yy=MM=dd HH=mm=ss)': '15=04=08 13=08=15' }, { 'date_format(ts, yy=MM=dd HH=mm=ss)': '24=10=31 10=09=16' }]);
  });

  // df = spark.createDataFrame([('2015-04-08', 2,)], 'struct<dt:string,a:int>')
  const dtA = T.struct({ dt: T.string, a: T.int });
  const dtARows = [{ dt: '2015-04-08', a: 2 }];
  it('date_add / date_sub / add_months by a literal, a column and a negative literal', async () => {
    expect(await selectRows(dtA, dtARows, date_add(col('dt'), 1), date_add('dt', col('a')), date_add('dt', lit(-1))))
      .toEqual([{ 'date_add(dt, 1)': D('2015-04-09'), 'date_add(dt, a)': D('2015-04-10'), 'date_add(dt, -1)': D('2015-04-07') }]);
    expect(await selectRows(dtA, dtARows, date_sub(col('dt'), 1), date_sub('dt', col('a')), date_sub('dt', lit(-1))))
      .toEqual([{ 'date_sub(dt, 1)': D('2015-04-07'), 'date_sub(dt, a)': D('2015-04-06'), 'date_sub(dt, -1)': D('2015-04-09') }]);
    expect(await selectRows(dtA, dtARows, add_months(col('dt'), 1), add_months('dt', col('a')), add_months('dt', lit(-1))))
      .toEqual([{ 'add_months(dt, 1)': D('2015-05-08'), 'add_months(dt, a)': D('2015-06-08'), 'add_months(dt, -1)': D('2015-03-08') }]);
  });

  it('datediff', async () => {
    const s = T.struct({ d1: T.string, d2: T.string });
    expect(await selectRows(s, [{ d1: '2015-04-08', d2: '2015-05-10' }], datediff('d1', 'd2'), datediff(col('d2'), col('d1'))))
      .toEqual([{ 'datediff(d1, d2)': -32, 'datediff(d2, d1)': 32 }]);
  });

  it('to_date / to_timestamp, without and with a format', async () => {
    const s = T.struct({ ts: T.string });
    expect(await selectRows(s, [{ ts: '1997-02-28 10:30:00' }], to_date(col('ts')), to_date('ts', 'yyyy-MM-dd HH:mm:ss')))
      .toEqual([{ 'to_date(ts)': D('1997-02-28'), 'to_date(ts, yyyy-MM-dd HH:mm:ss)': D('1997-02-28') }]);
    const t = T.struct({ t: T.string });
    expect(await selectRows(t, [{ t: '1997-02-28 10:30:00' }], to_timestamp(col('t')), to_timestamp(col('t'), 'yyyy-MM-dd HH:mm:ss')))
      .toEqual([{ 'to_timestamp(t)': TS('1997-02-28 10:30:00'), 'to_timestamp(t, yyyy-MM-dd HH:mm:ss)': TS('1997-02-28 10:30:00') }]);
  });

  it('trunc / date_trunc / last_day', async () => {
    expect(await selectRows(T.struct({ dt: T.string }), [{ dt: '1997-02-28' }], trunc(col('dt'), 'year'), trunc('dt', 'mon')))
      .toEqual([{ 'trunc(dt, year)': D('1997-01-01'), 'trunc(dt, mon)': D('1997-02-01') }]);
    expect(await selectRows(T.struct({ ts: T.string }), [{ ts: '1997-02-28 05:02:11' }], date_trunc('year', col('ts')), date_trunc('mon', 'ts')))
      .toEqual([{ 'date_trunc(year, ts)': TS('1997-01-01 00:00:00'), 'date_trunc(mon, ts)': TS('1997-02-01 00:00:00') }]);
    expect(await selectRows(T.struct({ dt: T.string }), [{ dt: '1997-02-10' }], last_day(col('dt'))))
      .toEqual([{ 'last_day(dt)': D('1997-02-28') }]);
  });

  it('from_unixtime (docstring in America/Los_Angeles: 2015-04-08 00:00:00 PDT is 07:00:00 UTC)', async () => {
    const s = T.struct({ unix_time: T.long });
    expect(await selectRows(s, [{ unix_time: 1428476400n }], from_unixtime('unix_time')))
      .toEqual([{ 'from_unixtime(unix_time, yyyy-MM-dd HH:mm:ss)': '2015-04-08 07:00:00' }]);
  });

  it('unix_timestamp (docstring in America/Los_Angeles: UTC is 7 hours, 25200 s, earlier for the same wall time)', async () => {
    // 1428520332 (2015-04-08 12:12:12 PDT) - 25200; 1428476400 (2015-04-08 00:00:00 PDT) - 25200.
    expect(await selectRows(T.struct({ ts: T.string }), [{ ts: '2015-04-08 12:12:12' }], unix_timestamp('ts')))
      .toEqual([{ 'unix_timestamp(ts, yyyy-MM-dd HH:mm:ss)': 1428495132n }]);
    expect(await selectRows(T.struct({ dt: T.string }), [{ dt: '2015-04-08' }], unix_timestamp('dt', 'yyyy-MM-dd')))
      .toEqual([{ 'unix_timestamp(dt, yyyy-MM-dd)': 1428451200n }]);
  });

  it('current_timestamp / now / current_date: the batch time, named as Spark names them', async () => {
    const before = Date.now();
    const out = await selectRows(T.struct({ id: T.int }), [{ id: 1 }, { id: 2 }, { id: 3 }], current_timestamp(), now(), current_date(), unix_timestamp());
    const after = Date.now();
    expect(Object.keys(out[0]!)).toEqual(['current_timestamp()', 'now()', 'current_date()', 'unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)']);
    const [ts, nowTs, d, u] = Object.values(out[0]!) as [Date, Date, Date, bigint];
    expect(ts.getTime()).toBeGreaterThanOrEqual(before);
    expect(ts.getTime()).toBeLessThanOrEqual(after);
    expect(nowTs).toEqual(ts);
    expect(d).toEqual(D(ts.toISOString().slice(0, 10)));
    expect(u).toBe(BigInt(Math.floor(ts.getTime() / 1000)));
    // Every row of the batch sees the same value.
    for (const r of out) expect(Object.values(r)).toEqual([ts, ts, d, u]);
  });
});

describe("Spark's DateFunctionsSuite", () => {
  // d = 2015-04-08 13:10:15 as a java.sql.Date (its day), ts = 2013-04-08 13:10:15.
  const abc = T.struct({ a: T.date, b: T.string, c: T.timestamp });
  const withTime = [{ a: D('2015-04-08'), b: '2015-04-08 13:10:15', c: TS('2013-04-08 13:10:15') }];
  const dateOnly = [{ a: D('2015-04-08'), b: '2015-04-08', c: TS('2013-04-08 13:10:15') }];

  it.each<[string, string[], typeof withTime, unknown[]]>([
    ['date format', ["date_format(a, 'y')", "date_format(b, 'y')", "date_format(c, 'y')"], withTime, ['2015', '2015', '2013']],
    ['year', ['year(a)', 'year(b)', 'year(c)'], dateOnly, [2015, 2015, 2013]],
    ['quarter', ['quarter(a)', 'quarter(b)', "quarter(timestamp_of_2013_11)"], dateOnly, [2, 2, 4]],
    ['month', ['month(a)', 'month(b)', 'month(c)'], dateOnly, [4, 4, 4]],
    ['dayofmonth', ['day(a)', 'day(b)', 'dayofmonth(c)'], dateOnly, [8, 8, 8]],
    ['dayofyear', ['dayofyear(a)', 'dayofyear(b)', 'dayofyear(c)'], dateOnly, [98, 98, 98]],
    ['hour', ['hour(a)', 'hour(b)', 'hour(c)'], withTime, [0, 13, 13]],
    ['minute', ['minute(a)', 'minute(b)', 'minute(c)'], withTime, [0, 10, 10]],
    ['second', ['second(a)', 'second(b)', 'second(c)'], withTime, [0, 15, 15]],
    ['weekofyear', ['weekofyear(a)', 'weekofyear(b)', 'weekofyear(c)'], dateOnly, [15, 15, 15]],
  ])('%s (selectExpr)', async (_, sqls, rows, expected) => {
    const sql = sqls.map((x) => x.replace('timestamp_of_2013_11', "'2013-11-08 13:10:15'"));
    const out = await queryRows(abc, rows, (df) => df.selectExpr(...sql));
    expect(Object.values(out[0]!)).toEqual(expected);
  });

  // (t, d, s, ss) = (2015-06-01 12:34:56, 2015-06-01, '2015-06-01', '2015-06-01 12:34:56') and the next day.
  const tdss = T.struct({ t: T.timestamp, d: T.date, s: T.string, ss: T.string });
  const tdssRows = [
    { t: TS('2015-06-01 12:34:56'), d: D('2015-06-01'), s: '2015-06-01', ss: '2015-06-01 12:34:56' },
    { t: TS('2015-06-02 12:34:56'), d: D('2015-06-02'), s: '2015-06-02', ss: '2015-06-02 12:34:56' },
  ];
  it('function date_add / date_sub: dates, timestamps and strings; nulls', async () => {
    const out = await selectRows(tdss, tdssRows,
      date_add(col('d'), 1).alias('a'), date_add(col('t'), 3).alias('b'), date_add(col('s'), 5).alias('c'), date_add(col('ss'), 7).alias('e'),
      expr('DATE_ADD(null, 1) AS f'), expr('DATE_ADD(d, 1) AS g'),
      date_sub(col('d'), 1).alias('i'), date_sub(col('t'), 1).alias('j'), date_sub(col('s'), 1).alias('k'), date_sub(col('ss'), 1).alias('l'),
      date_sub(lit(null), 1).alias('m'), expr('DATE_SUB(d, null) AS n'));
    expect(out).toEqual([
      { a: D('2015-06-02'), b: D('2015-06-04'), c: D('2015-06-06'), e: D('2015-06-08'), f: null, g: D('2015-06-02'),
        i: D('2015-05-31'), j: D('2015-05-31'), k: D('2015-05-31'), l: D('2015-05-31'), m: null, n: null },
      { a: D('2015-06-03'), b: D('2015-06-05'), c: D('2015-06-07'), e: D('2015-06-09'), f: null, g: D('2015-06-03'),
        i: D('2015-06-01'), j: D('2015-06-01'), k: D('2015-06-01'), l: D('2015-06-01'), m: null, n: null },
    ]);
    const byColumn = await queryRows(tdss, tdssRows, (df) => df.withColumn('x', lit(1)).select(date_add(col('d'), col('x')), date_sub(col('d'), col('x'))));
    expect(byColumn).toEqual([
      { 'date_add(d, x)': D('2015-06-02'), 'date_sub(d, x)': D('2015-05-31') },
      { 'date_add(d, x)': D('2015-06-03'), 'date_sub(d, x)': D('2015-06-01') },
    ]);
  });

  it('function add_months: the end of a shorter month, and no snapping to month ends (Spark 3)', async () => {
    const nd = T.struct({ n: T.int, d: T.date });
    const out = await selectRows(nd, [{ n: 1, d: D('2015-08-31') }, { n: 2, d: D('2015-02-28') }],
      add_months(col('d'), 1).alias('p'), expr('add_months(d, -1) AS m'), add_months(col('d'), col('n')).alias('c'));
    expect(out).toEqual([
      { p: D('2015-09-30'), m: D('2015-07-31'), c: D('2015-09-30') },
      { p: D('2015-03-28'), m: D('2015-01-28'), c: D('2015-04-28') },
    ]);
    // Leap years, across a year, and far.
    const one = T.struct({ d: T.date });
    expect(values(await selectRows(one, [{ d: D('2016-01-31') }, { d: D('2015-12-15') }, { d: D('2016-02-29') }], add_months('d', 13))))
      .toEqual([D('2017-02-28'), D('2017-01-15'), D('2017-03-29')]);
    expect(values(await selectRows(one, [{ d: D('2016-03-31') }, { d: D('2016-01-15') }], add_months('d', -25))))
      .toEqual([D('2014-02-28'), D('2013-12-15')]);
  });

  it('function last_day: of a string date and a string timestamp', async () => {
    const id = T.struct({ d: T.string, t: T.string });
    expect(await selectRows(id, [{ d: '2015-07-23', t: '2015-07-23 00:11:22' }, { d: '2015-07-24', t: '2015-07-24 11:22:33' }], last_day('d').alias('d'), last_day('t').alias('t')))
      .toEqual([{ d: D('2015-07-31'), t: D('2015-07-31') }, { d: D('2015-07-31'), t: D('2015-07-31') }]);
  });

  // (d, t, s) rows: (2015-07-22, 2015-07-22 10:00:00, '2015-07-22 10:00:00'), (2015-07-01, 2014-12-31 23:59:59, '2014-12-31'),
  // (2014-12-31, 2014-12-31 23:59:59, '2014-31-12').
  const dts = T.struct({ d: T.date, t: T.timestamp, s: T.string });
  const dtsRows = [
    { d: D('2015-07-22'), t: TS('2015-07-22 10:00:00'), s: '2015-07-22 10:00:00' },
    { d: D('2015-07-01'), t: TS('2014-12-31 23:59:59'), s: '2014-12-31' },
    { d: D('2014-12-31'), t: TS('2014-12-31 23:59:59'), s: '2014-31-12' },
  ];
  it('function to_date: casts, formats, a switched format, invalid formats, February', async () => {
    const out = await queryRows(dts, dtsRows, (df) => df.select(
      to_date(col('t')).alias('t'), to_date(col('d')).alias('d'), to_date(col('s')).alias('s'),
      expr('to_date(t) AS et'), expr('to_date(d) AS ed'), expr('to_date(s) AS es'),
      to_date(col('t'), 'yyyy-MM-dd').alias('tf'), to_date(col('d'), 'yyyy-MM-dd').alias('df'), to_date(col('s'), 'yyyy-MM-dd').alias('sf'),
      to_date(col('s'), 'yyyy-dd-MM').alias('switched'), to_date(col('s'), 'yyyy-hh-MM').alias('invalid')));
    expect(out).toEqual([
      { t: D('2015-07-22'), d: D('2015-07-22'), s: D('2015-07-22'), et: D('2015-07-22'), ed: D('2015-07-22'), es: D('2015-07-22'),
        tf: D('2015-07-22'), df: D('2015-07-22'), sf: null, switched: null, invalid: null },
      { t: D('2014-12-31'), d: D('2015-07-01'), s: D('2014-12-31'), et: D('2014-12-31'), ed: D('2015-07-01'), es: D('2014-12-31'),
        tf: D('2014-12-31'), df: D('2015-07-01'), sf: D('2014-12-31'), switched: null, invalid: null },
      { t: D('2014-12-31'), d: D('2014-12-31'), s: null, et: D('2014-12-31'), ed: D('2014-12-31'), es: null,
        tf: D('2014-12-31'), df: D('2014-12-31'), sf: null, switched: D('2014-12-31'), invalid: null },
    ]);
    expect(values(await selectRows(T.struct({ x: T.string }), [{ x: '2016-02-29' }, { x: '2017-02-29' }], to_date('x'))))
      .toEqual([D('2016-02-29'), null]);
  });

  it('timestamp and date comparison with date strings; to_date of a string is Spark\'s cast to a date', async () => {
    const ti = T.struct({ i: T.int, t: T.timestamp });
    expect(await queryRows(ti, [{ i: 1, t: TS('2015-01-01 00:00:00') }, { i: 2, t: TS('2014-01-01 00:00:00') }], (df) => df.select('t').filter(col('t').leq('2014-06-01'))))
      .toEqual([{ t: TS('2014-01-01 00:00:00') }]);
    const di = T.struct({ i: T.int, t: T.date });
    expect(await queryRows(di, [{ i: 1, t: D('2015-01-01') }, { i: 2, t: D('2014-01-01') }], (df) => df.select('t').filter(col('t').geq('2015'))))
      .toEqual([{ t: D('2015-01-01') }]);
    // stringToDate: yyyy, yyyy-[m]m, yyyy-[m]m-[d]d, then anything after a space or 'T'; trimmed.
    const x = T.struct({ x: T.string });
    expect(values(await selectRows(x, ['2015', '2015-7', '2015-7-2', ' 2015-07-22T10:00:00+05:00 ', '2015-07-22 whatever', '2015-07-', '15-07-22', '2015/07/22']
      .map((v) => ({ x: v })), to_date('x'))))
      .toEqual([D('2015-01-01'), D('2015-07-01'), D('2015-07-02'), D('2015-07-22'), D('2015-07-22'), null, null, null]);
  });

  it('function trunc and date_trunc at every level', async () => {
    const it = T.struct({ i: T.int, t: T.timestamp });
    expect(await selectRows(it, [{ i: 1, t: TS('2015-07-22 10:00:00') }, { i: 2, t: TS('2014-12-31 00:00:00') }], trunc(col('t'), 'YY').alias('yy'), expr("trunc(t, 'Month') AS m")))
      .toEqual([{ yy: D('2015-01-01'), m: D('2015-07-01') }, { yy: D('2014-01-01'), m: D('2014-12-01') }]);
    const rows = [{ i: 1, t: TS('2015-07-22 10:01:40.123') }, { i: 2, t: TS('2014-12-31 05:29:06.123') }];
    const levels: [string, [string, string]][] = [
      ['YY', ['2015-01-01 00:00:00', '2014-01-01 00:00:00']],
      ['MONTH', ['2015-07-01 00:00:00', '2014-12-01 00:00:00']],
      ['DAY', ['2015-07-22 00:00:00', '2014-12-31 00:00:00']],
      ['HOUR', ['2015-07-22 10:00:00', '2014-12-31 05:00:00']],
      ['MINUTE', ['2015-07-22 10:01:00', '2014-12-31 05:29:00']],
      ['SECOND', ['2015-07-22 10:01:40', '2014-12-31 05:29:06']],
      ['WEEK', ['2015-07-20 00:00:00', '2014-12-29 00:00:00']],
      ['QUARTER', ['2015-07-01 00:00:00', '2014-10-01 00:00:00']],
      ['MILLISECOND', ['2015-07-22 10:01:40.123', '2014-12-31 05:29:06.123']],
      ['MICROSECOND', ['2015-07-22 10:01:40.123', '2014-12-31 05:29:06.123']],
    ];
    const out = await queryRows(it, rows, (df) => df.selectExpr(...levels.map(([l]) => `date_trunc('${l}', t) AS ${l}`)));
    for (const [l, [a, b]] of levels) expect([out[0]![l], out[1]![l]], l).toEqual([TS(a), TS(b)]);
  });

  it('unsupported fmt fields for trunc/date_trunc results null', async () => {
    for (const f of ['INVALID', 'decade', 'century', 'millennium', 'whatever', null]) {
      const q = f === null ? 'null' : `'${f}'`;
      const out = await queryRows(T.struct({ dt: T.date }), [{ dt: D('2014-12-31') }], (df) => df.selectExpr(`date_trunc(${q}, dt) AS a`, `trunc(dt, ${q}) AS b`));
      expect(out, String(f)).toEqual([{ a: null, b: null }]);
    }
    // trunc takes date levels only; a time level is null, as in Spark.
    expect(values(await queryRows(T.struct({ dt: T.date }), [{ dt: D('2014-12-31') }], (df) => df.selectExpr("trunc(dt, 'DAY')")))).toEqual([null]);
  });

  it('SPARK-30766 / SPARK-30793: date_trunc of old timestamps and of timestamps before the epoch', async () => {
    const s = T.struct({ value: T.string });
    const trunc1 = async (v: string, level: string): Promise<unknown> =>
      values(await queryRows(s, [{ value: v }], (df) => df.select(date_trunc(level, col('value').cast('timestamp')).cast('string'))))[0];
    expect(await trunc1('0010-01-01 01:02:03.123', 'HOUR')).toBe('0010-01-01 01:00:00');
    expect(await trunc1('0010-01-01 01:02:03.123', 'DAY')).toBe('0010-01-01 00:00:00');
    expect(await trunc1('1961-04-12 00:01:02.345', 'SECOND')).toBe('1961-04-12 00:01:02');
    expect(await trunc1('1961-04-12 00:01:02.345', 'MINUTE')).toBe('1961-04-12 00:01:00');
  });

  it('from_unixtime: default, millisecond and two-digit-year formats, before the epoch, column API and SQL', async () => {
    const ab = T.struct({ a: T.int, b: T.string });
    const rows = [{ a: 1000, b: 'yyyy-MM-dd HH:mm:ss.SSS' }, { a: -1000, b: 'yy-MM-dd HH-mm-ss' }];
    const out = await queryRows(ab, rows, (df) => df.select(
      from_unixtime(col('a')).alias('a1'), from_unixtime(col('a'), 'yyyy-MM-dd HH:mm:ss.SSS').alias('a2'), from_unixtime(col('a'), 'yy-MM-dd HH-mm-ss').alias('a3'),
      expr('from_unixtime(a) AS e1'), expr("from_unixtime(a, 'yyyy-MM-dd HH:mm:ss.SSS') AS e2"), expr("from_unixtime(a, 'yy-MM-dd HH-mm-ss') AS e3"),
      expr('from_unixtime(a, b) AS per_row')));
    expect(out).toEqual([
      { a1: '1970-01-01 00:16:40', a2: '1970-01-01 00:16:40.000', a3: '70-01-01 00-16-40', e1: '1970-01-01 00:16:40', e2: '1970-01-01 00:16:40.000', e3: '70-01-01 00-16-40', per_row: '1970-01-01 00:16:40.000' },
      { a1: '1969-12-31 23:43:20', a2: '1969-12-31 23:43:20.000', a3: '69-12-31 23-43-20', e1: '1969-12-31 23:43:20', e2: '1969-12-31 23:43:20.000', e3: '69-12-31 23-43-20', per_row: '69-12-31 23-43-20' },
    ]);
  });

  // (d, ts, s, ss) = (2015-07-24, 2015-07-24 10:00:00.3, '2015/07/24 10:00:00.5', '2015-07-24 10:00:00') and the next day.
  const dtsss = T.struct({ d: T.date, ts: T.timestamp, s: T.string, ss: T.string });
  const dtsssRows = [
    { d: D('2015-07-24'), ts: TS('2015-07-24 10:00:00.300'), s: '2015/07/24 10:00:00.5', ss: '2015-07-24 10:00:00' },
    { d: D('2015-07-25'), ts: TS('2015-07-25 02:02:02.200'), s: '2015/07/25 02:02:02.6', ss: '2015-07-25 02:02:02' },
  ];
  const secs = (s: string): bigint => BigInt(Math.floor(TS(s).getTime() / 1000));
  it('unix_timestamp: timestamps, strings, dates with a format, fraction S; bad values and February are null', async () => {
    const fmt = 'yyyy/MM/dd HH:mm:ss.S';
    const out = await queryRows(dtsss, dtsssRows, (df) => df.select(
      unix_timestamp(col('ts')).alias('ts'), unix_timestamp(col('ss')).alias('ss'), unix_timestamp(col('d'), fmt).alias('d'), unix_timestamp(col('s'), fmt).alias('s'),
      expr('unix_timestamp(ts) AS ets'), expr('unix_timestamp(ss) AS ess'), expr(`unix_timestamp(d, '${fmt}') AS ed`), expr(`unix_timestamp(s, '${fmt}') AS es`)));
    const day1 = [secs('2015-07-24 10:00:00'), secs('2015-07-24 10:00:00'), secs('2015-07-24 00:00:00'), secs('2015-07-24 10:00:00')];
    const day2 = [secs('2015-07-25 02:02:02'), secs('2015-07-25 02:02:02'), secs('2015-07-25 00:00:00'), secs('2015-07-25 02:02:02')];
    expect(out.map((r) => Object.values(r))).toEqual([[...day1, ...day1], [...day2, ...day2]]);

    const x = T.struct({ x: T.string });
    const xRows = [{ x: '2015-07-24 10:00:00' }, { x: '2015-25-07 02:02:02' }, { x: '2015-07-24 25:02:02' }, { x: '2015-24-07 26:02:02' }];
    const xs = await queryRows(x, xRows, (df) => df.select(
      unix_timestamp(col('x')).alias('a'), expr('unix_timestamp(x) AS b'), unix_timestamp(col('x'), 'yyyy-dd-MM HH:mm:ss').alias('c'),
      expr("unix_timestamp(x, 'yyyy-MM-dd mm:HH:ss') AS e")));
    expect(xs).toEqual([
      { a: secs('2015-07-24 10:00:00'), b: secs('2015-07-24 10:00:00'), c: null, e: secs('2015-07-24 00:10:00') },
      { a: null, b: null, c: secs('2015-07-25 02:02:02'), e: null },
      { a: null, b: null, c: null, e: secs('2015-07-24 02:25:02') },
      { a: null, b: null, c: null, e: null },
    ]);
    expect(values(await selectRows(T.struct({ y: T.string }), [{ y: '2016-02-29' }, { y: '2017-02-29' }], unix_timestamp('y', 'yyyy-MM-dd'))))
      .toEqual([secs('2016-02-29 00:00:00'), null]);
  });

  it('to_timestamp: a cast, a fraction of a second by S, a timestamp or date with a format', async () => {
    const fmt = 'yyyy/MM/dd HH:mm:ss.S';
    const out = await queryRows(dtsss, dtsssRows, (df) => df.select(
      to_timestamp(col('ss')).alias('ss'), to_timestamp(col('s'), fmt).alias('s'), to_timestamp(col('ts'), fmt).alias('ts'), to_timestamp(col('d'), 'yyyy-MM-dd').alias('d')));
    expect(out).toEqual([
      { ss: TS('2015-07-24 10:00:00'), s: TS('2015-07-24 10:00:00.500'), ts: TS('2015-07-24 10:00:00.300'), d: TS('2015-07-24 00:00:00') },
      { ss: TS('2015-07-25 02:02:02'), s: TS('2015-07-25 02:02:02.600'), ts: TS('2015-07-25 02:02:02.200'), d: TS('2015-07-25 00:00:00') },
    ]);
  });

  it('to_timestamp with microseconds precision (sluice keeps milliseconds)', async () => {
    expect(values(await selectRows(T.struct({ t: T.string }), [{ t: '1970-01-01T00:00:00.123456Z' }], to_timestamp('t', "yyyy-MM-dd'T'HH:mm:ss.SSSSSSX"))))
      .toEqual([new Date(123)]);
  });

  it('SPARK-30668: a zone name pattern does not read an offset (CORRECTED: null)', async () => {
    expect(values(await selectRows(T.struct({ ts: T.string }), [{ ts: '2020-01-27T20:06:11.847-0800' }], to_timestamp('ts', "yyyy-MM-dd'T'HH:mm:ss.SSSz"))))
      .toEqual([null]);
  });

  it('datediff of dates, timestamps and strings (a timestamp counts by its day)', async () => {
    const abcd = T.struct({ a: T.date, b: T.timestamp, c: T.string, d: T.string });
    const out = await selectRows(abcd, [
      { a: D('2015-07-24'), b: TS('2015-07-24 01:00:00'), c: '2015-07-23', d: '2015-07-23 03:00:00' },
      { a: D('2015-07-25'), b: TS('2015-07-25 02:00:00'), c: '2015-07-24', d: '2015-07-24 04:00:00' },
    ], datediff(col('a'), col('b')).alias('ab'), datediff(col('a'), col('c')).alias('ac'), datediff(col('d'), col('b')).alias('db'), expr('datediff(a, d) AS ad'));
    expect(out).toEqual([{ ab: 0, ac: 1, db: -1, ad: 1 }, { ab: 0, ac: 1, db: -1, ad: 1 }]);
  });

  it('current_timestamp() = current_timestamp() and = now() within a batch; current_date is its day', async () => {
    const out = await queryRows(T.struct({ a: T.int }), [{ a: 1 }, { a: 3 }], (df) => df.selectExpr(
      'CURRENT_TIMESTAMP() = CURRENT_TIMESTAMP() AS same', 'CURRENT_TIMESTAMP() = NOW() AS now_alias',
      'to_date(current_timestamp) = current_date AS day', 'current_date() = curdate() AS curdate'));
    expect(out).toEqual([{ same: true, now_alias: true, day: true, curdate: true }, { same: true, now_alias: true, day: true, curdate: true }]);
  });
});

// Spark's catalyst DateExpressionsSuite (sql/catalyst/src/test/scala/org/apache/spark/sql/catalyst/
// expressions/DateExpressionsSuite.scala), the UTC cases: the calendar around the Gregorian
// switch (Spark 3 is proleptic Gregorian), month ends, the range of dates, ignored formats.
describe("Spark's DateExpressionsSuite", () => {
  const one = T.struct({ s: T.string });
  const run = async (sql: string, inputs: (string | null)[]): Promise<unknown[]> =>
    values(await queryRows(one, inputs.map((s) => ({ s })), (df) => df.selectExpr(`${sql} AS r`)));

  it('fields in 1581/1582 are proleptic Gregorian; other dates', async () => {
    expect(await run('dayofyear(s)', ['1582-10-15 13:10:15', '1582-10-04 13:10:15'])).toEqual([288, 277]);
    expect(await run('year(s)', ['1582-01-01 13:10:15', '1581-12-31 13:10:15'])).toEqual([1582, 1581]);
    expect(await run('quarter(s)', ['1582-10-01 13:10:15', '1582-09-30 13:10:15'])).toEqual([4, 3]);
    expect(await run('month(s)', ['1582-04-28 13:10:15', '1582-10-04 13:10:15', '1582-10-15 13:10:15'])).toEqual([4, 10, 10]);
    expect(await run('dayofmonth(s)', ['2000-02-29', '1582-04-28 13:10:15', '1582-10-15 13:10:15', '1582-10-04 13:10:15'])).toEqual([29, 28, 15, 4]);
    // Calendar.WEDNESDAY = 4, FRIDAY = 6, SATURDAY = 7.
    expect(await run('dayofweek(s)', ['2015-04-08 13:10:15', '2013-11-08 13:10:15', '2011-05-06', '2017-05-27 13:10:15', '1582-10-15 13:10:15'])).toEqual([4, 6, 6, 7, 6]);
    expect(await run('weekofyear(s)', ['2015-04-08 13:10:15', '2013-11-08 13:10:15', '2011-05-06', '1582-10-15 13:10:15', '1582-10-04 13:10:15'])).toEqual([15, 45, 18, 41, 40]);
  });

  it("DateFormat: 'y' and 'H' of a date and a timestamp; a null format is null", async () => {
    const s = T.struct({ d: T.date, ts: T.timestamp });
    const out = await queryRows(s, [{ d: D('2015-04-08'), ts: TS('2013-11-08 13:10:15') }], (df) => df.selectExpr(
      "date_format(d, 'y') AS a", "date_format(ts, 'y') AS b", "date_format(d, 'H') AS c", "date_format(ts, 'H') AS e", 'date_format(ts, NULL) AS f'));
    expect(out).toEqual([{ a: '2015', b: '2013', c: '0', e: '13', f: null }]);
  });

  it('date_add / date_sub, add_months at month ends and across the range of dates, last_day of each month', async () => {
    const d = T.struct({ d: T.date });
    const days = async (sql: string, dates: string[]): Promise<number[]> =>
      values(await queryRows(d, dates.map((x) => ({ d: D(x) })), (df) => df.selectExpr(`${sql} AS r`))).map((v) => (v as Date).getTime() / 86_400_000);
    const day = (x: string): number => D(x).getTime() / 86_400_000;
    expect(await days('date_add(d, 1)', ['2016-02-28'])).toEqual([day('2016-02-29')]);
    expect(await days('date_add(d, -365)', ['2016-02-28'])).toEqual([day('2015-02-28')]);
    expect(await days('date_sub(d, 1)', ['2015-01-01'])).toEqual([day('2014-12-31')]);
    expect(await days('date_sub(d, -1)', ['2015-01-01'])).toEqual([day('2015-01-02')]);
    expect(await days('add_months(d, 1)', ['2015-01-30'])).toEqual([day('2015-02-28')]);
    expect(await days('add_months(d, -1)', ['2016-03-30'])).toEqual([day('2016-02-29')]);
    // Valid range of DateType is [0001-01-01, 9999-12-31]: 10000 years either way.
    expect(await days('add_months(d, 120000)', ['0001-01-01'])).toEqual([Date.UTC(10001, 0, 1) / 86_400_000]);
    expect(await days('add_months(d, -120000)', ['9999-12-31'])).toEqual([-719529]);
    const months = ['2015-02-28', '2015-03-27', '2015-04-26', '2015-05-25', '2015-06-24', '2015-07-23', '2015-08-01', '2015-09-02', '2015-10-03', '2015-11-04', '2015-12-05', '2016-01-06', '2016-02-07'];
    expect(await days('last_day(d)', months)).toEqual(['2015-02-28', '2015-03-31', '2015-04-30', '2015-05-31', '2015-06-30', '2015-07-31', '2015-08-31', '2015-09-30', '2015-10-31', '2015-11-30', '2015-12-31', '2016-01-31', '2016-02-29'].map(day));
    const diff = await queryRows(d, [{ d: D('2015-07-21') }], (df) => df.selectExpr('datediff(d, date_add(d, 3)) AS a', 'datediff(date_add(d, 3), d) AS b'));
    expect(diff).toEqual([{ a: -3, b: 3 }]);
  });

  it('TruncTimestamp: every spelling of each level, any case', async () => {
    const t = T.struct({ t: T.timestamp });
    const levels: [string[], string][] = [
      [['yyyy', 'YYYY', 'year', 'YEAR', 'yy', 'YY'], '2015-01-01 00:00:00'],
      [['month', 'MONTH', 'mon', 'MON', 'mm', 'MM'], '2015-07-01 00:00:00'],
      [['DAY', 'day', 'DD', 'dd'], '2015-07-22 00:00:00'],
      [['HOUR', 'hour'], '2015-07-22 05:00:00'],
      [['MINUTE', 'minute'], '2015-07-22 05:30:00'],
      [['SECOND', 'second'], '2015-07-22 05:30:06'],
      [['WEEK', 'week'], '2015-07-20 00:00:00'],
      [['QUARTER', 'quarter'], '2015-07-01 00:00:00'],
    ];
    const names = levels.flatMap(([fmts]) => fmts);
    const out = await queryRows(t, [{ t: TS('2015-07-22 05:30:06') }, { t: null }], (df) => df.selectExpr(...names.map((f, k) => `date_trunc('${f}', t) AS l${k}`)));
    let k = 0;
    for (const [fmts, want] of levels) for (const f of fmts) expect([out[0]![`l${k}`], out[1]![`l${k++}`]], f).toEqual([TS(want), null]);
  });

  it('unix_timestamp / to_timestamp of a date or timestamp ignore the format, even a null one', async () => {
    const s = T.struct({ d: T.date, ts: T.timestamp, f: T.string });
    const out = await queryRows(s, [{ d: D('2015-07-24'), ts: new Date(1_000_000), f: null }], (df) => df.selectExpr(
      'unix_timestamp(d, f) AS a', "unix_timestamp(ts, 'yyyy-MM-dd HH:mm:ss') AS b", 'unix_timestamp(d, NULL) AS c', 'to_timestamp(ts, f) AS e', 'to_date(ts, f) AS g'));
    expect(out).toEqual([{ a: BigInt(D('2015-07-24').getTime() / 1000), b: 1000n, c: BigInt(D('2015-07-24').getTime() / 1000), e: new Date(1_000_000), g: D('1970-01-01') }]);
    // A string is parsed, and a null format makes it null; 'yy-MM-dd'; a fraction before the epoch.
    const str = T.struct({ s: T.string, f: T.string });
    expect(await queryRows(str, [{ s: '15-07-24', f: null }], (df) => df.selectExpr("unix_timestamp(s, 'yy-MM-dd') AS a", 'unix_timestamp(s, f) AS b')))
      .toEqual([{ a: BigInt(D('2015-07-24').getTime() / 1000), b: null }]);
    expect(await run("unix_timestamp(s, 'yyyy-MM-dd HH:mm:ss.SSS')", ['1969-12-31 23:43:20.000', '1970-01-01 00:00:00.000'])).toEqual([-1000n, 0n]);
  });

  it('SPARK-31896: am-pm parsing when the hour is missing', async () => {
    expect(await run("to_timestamp(s, 'a')", ['PM'])).toEqual([TS('1970-01-01 12:00:00')]);
    expect(await run("to_timestamp(s, 'mm:ss a')", ['11:11 PM'])).toEqual([TS('1970-01-01 12:11:11')]);
  });
});

describe('datetime patterns', () => {
  const fmt = (pattern: string, iso: string): string => compilePattern(pattern).format(new Date(iso).getTime());
  const parse = (pattern: string, s: string): string | null => {
    const ms = compilePattern(pattern).parse(s);
    return ms === null ? null : new Date(ms).toISOString();
  };

  it('week-based letters are refused, naming the letter and what to use instead', () => {
    for (const p of ['YYYY-MM-dd', "yyyy-'W'ww", 'yyyy-MM W', 'u', 'e', 'c']) {
      expect(() => compilePattern(p), p).toThrow(/week-based/);
    }
    expect(() => compilePattern('YYYY')).toThrow("Pattern 'YYYY': the letter 'Y' (week-based year) is not supported");
  });

  it('letters Spark refuses (A, n, N, p) and unknown letters are refused; quoted text is not read', () => {
    for (const p of ['A', 'n', 'N', 'yyyy p']) expect(() => compilePattern(p), p).toThrow(/not supported|unknown pattern letter/);
    expect(() => compilePattern('yyyy-MM-dd T HH')).toThrow(/unknown pattern letter 'T'.*'T'/);
    expect(() => compilePattern("yyyy-MM-dd'T'HH'Y'")).not.toThrow();
    expect(() => compilePattern("yyyy 'unclosed")).toThrow(/quote at position 6 is not closed/);
    expect(() => compilePattern('yyyy]')).toThrow(/closes no '\['/);
    expect(() => compilePattern('yyyy[MM')).toThrow(/not closed/);
  });

  it("Spark's too-many-letters rule: 5 of M/L/E/Q, 7 of y", () => {
    for (const p of ['MMMMM', 'LLLLL', 'EEEEE', 'QQQQQ', 'yyyyyyy']) expect(() => compilePattern(p), p).toThrow(/Too many pattern letters/);
    expect(fmt('MMMM', '2015-04-08T00:00:00Z')).toBe('April');
  });

  it('E, F, q, Q cannot parse (Spark refuses them for parsing); they format', async () => {
    expect(fmt('EEE EEEE QQQ qqqq', '2015-04-08T00:00:00Z')).toBe('Wed Wednesday Q2 2nd quarter');
    const err = await selectRows(T.struct({ s: T.string }), [{ s: 'Wed 2015' }], to_timestamp('s', 'EEE yyyy')).then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(AnalysisError);
    expect(err!.message).toContain("the letter 'E' (day of week) can format but not parse");
  });

  it("'yy' parses 2000-2099 and formats the last two digits", () => {
    expect(parse('yy-MM-dd', '69-12-31')).toBe('2069-12-31T00:00:00.000Z');
    expect(parse('yy-MM-dd', '00-01-01')).toBe('2000-01-01T00:00:00.000Z');
    expect(parse('yy-MM-dd', '2015-01-01')).toBeNull();
    expect(fmt('yy', '1969-01-01T00:00:00Z')).toBe('69');
    expect(fmt('yy', '2005-01-01T00:00:00Z')).toBe('05');
  });

  it("fraction S: 1 to n digits parse (Spark's variable-length fraction), n digits format", () => {
    expect(parse('HH:mm:ss.SSS', '10:00:00.5')).toBe('1970-01-01T10:00:00.500Z');
    expect(parse('HH:mm:ss.SSS', '10:00:00.123')).toBe('1970-01-01T10:00:00.123Z');
    expect(parse('HH:mm:ss.SSS', '10:00:00.1234')).toBeNull();
    expect(parse('HH:mm:ss.S', '10:00:00.56')).toBeNull();
    expect(parse('HH:mm:ss.SSSSSS', '10:00:00.987654')).toBe('1970-01-01T10:00:00.987Z');
    expect(fmt('ss.S|ss.SS|ss.SSS|ss.SSSSSS', '2015-01-01T00:00:07.089Z')).toBe('07.0|07.08|07.089|07.089000');
  });

  it('optional sections [...] parse with or without their part and format their part', () => {
    expect(parse('yyyy-MM-dd[ HH:mm:ss]', '2015-04-08')).toBe('2015-04-08T00:00:00.000Z');
    expect(parse('yyyy-MM-dd[ HH:mm:ss]', '2015-04-08 13:08:15')).toBe('2015-04-08T13:08:15.000Z');
    expect(parse("yyyy-MM-dd['T'HH:mm[:ss][.SSS]]", '2015-04-08T13:08:15.5')).toBe('2015-04-08T13:08:15.500Z');
    expect(parse('yyyy-MM-dd[ HH:mm:ss]', '2015-04-08 13:08')).toBeNull();
    expect(fmt('yyyy-MM-dd[ HH:mm]', '2015-04-08T13:08:15Z')).toBe('2015-04-08 13:08');
  });

  it("quoted literals: 'T', '' for a quote, text with letters", () => {
    expect(parse("yyyy-MM-dd'T'HH:mm:ss", '2015-04-08T13:08:15')).toBe('2015-04-08T13:08:15.000Z');
    expect(parse("yyyy-MM-dd'T'HH:mm:ss", '2015-04-08 13:08:15')).toBeNull();
    expect(fmt("hh 'o''clock' a, 'day' D", '2015-04-08T13:08:15Z')).toBe("01 o'clock PM, day 98");
  });

  it('a value that does not match, or names no real instant, is null', () => {
    for (const [p, s] of [['yyyy-MM-dd', '2015-4-8'], ['yyyy-MM-dd', '2015-04-08 '], ['yyyy-MM-dd', '2015-02-30'], ['yyyy-MM-dd', '2015-13-01'],
      ['HH:mm', '24:00'], ['hh:mm a', '13:00 PM'], ['yyyy-MM-dd', ''], ['MMM d yyyy', 'Foo 1 2015']] as const) {
      expect(parse(p, s), `${p} / ${s}`).toBeNull();
    }
  });

  it('names, 12-hour clocks, day of year, offsets and case-insensitive text', () => {
    expect(parse('MMM d, yyyy h:mm a', 'Apr 8, 2015 1:08 PM')).toBe('2015-04-08T13:08:00.000Z');
    expect(parse('MMM d, yyyy h:mm a', 'APR 8, 2015 12:08 am')).toBe('2015-04-08T00:08:00.000Z');
    expect(parse('MMMM d yyyy', 'april 8 2015')).toBe('2015-04-08T00:00:00.000Z');
    expect(parse('yyyy D', '2016 366')).toBe('2016-12-31T00:00:00.000Z');
    expect(parse('yyyy D', '2015 366')).toBeNull();
    expect(parse("yyyy-MM-dd'T'HH:mmXXX", '2015-04-08T13:08+02:00')).toBe('2015-04-08T11:08:00.000Z');
    expect(parse("yyyy-MM-dd'T'HH:mmX", '2015-04-08T13:08Z')).toBe('2015-04-08T13:08:00.000Z');
    expect(parse('yyyy-MM-dd HH:mm Z', '2015-04-08 13:08 -0800')).toBe('2015-04-08T21:08:00.000Z');
    expect(fmt('EEEE, MMMM d, yyyy h:mm:ss a XXX', '2015-04-08T13:08:15Z')).toBe('Wednesday, April 8, 2015 1:08:15 PM Z');
    expect(fmt('K k H h', '2015-04-08T00:05:00Z')).toBe('0 24 0 12');
  });

  it('a bad literal pattern is an AnalysisError at start(); a bad per-row pattern fails the batch', async () => {
    const s = T.struct({ s: T.string, f: T.string });
    const err = async (c: ReturnType<typeof expr>) => selectRows(s, [{ s: '2015', f: 'YYYY' }], c).then(() => null, (e: unknown) => e as Error);
    const e1 = await err(date_format(lit('2015-01-01'), 'YYYY'));
    expect(e1).toBeInstanceOf(AnalysisError);
    expect(e1!.message).toContain("the letter 'Y' (week-based year)");
    const e2 = await err(expr('to_timestamp(s, f)'));
    expect(e2!.message).toContain("to_timestamp: Pattern 'YYYY'");
  });
});

describe('nulls, types and names', () => {
  const s = T.struct({ ts: T.timestamp, d: T.date, s: T.string, n: T.int, f: T.string });
  const rows = [
    { ts: TS('2024-02-29 23:59:59.999'), d: D('2024-02-29'), s: '2024-02-29 23:59:59', n: 1, f: 'yyyy' },
    { ts: null, d: null, s: null, n: null, f: null },
    { ts: TS('1969-12-31 23:59:59.500'), d: D('1969-12-31'), s: 'not a date', n: -1, f: 'MM' },
  ];
  it.each<[string, string, unknown[]]>([
    ['year of a leap day and before the epoch', 'year(ts)', [2024, null, 1969]],
    ['second before the epoch floors', 'second(ts)', [59, null, 59]],
    ['dayofweek: Sunday is 1', 'dayofweek(d)', [5, null, 4]],
    ['weekofyear at a year end (ISO: 1969-12-31 is in week 1 of 1970)', 'weekofyear(d)', [9, null, 1]],
    ['a string that is not a date is null', 'year(s)', [2024, null, null]],
    ['date_format of a null value or a null format', 'date_format(ts, f)', ['2024', null, '12']],
    ['date_add across a leap day', 'date_add(d, n)', [D('2024-03-01'), null, D('1969-12-30')]],
    ['datediff with a null side', 'datediff(d, NULL)', [null, null, null]],
    ['last_day of February in a leap year', 'last_day(d)', [D('2024-02-29'), null, D('1969-12-31')]],
    ['add_months from a leap day', 'add_months(d, 12)', [D('2025-02-28'), null, D('1970-12-31')]],
    ['to_date of a timestamp keeps its day', 'to_date(ts)', [D('2024-02-29'), null, D('1969-12-31')]],
    ['unix_timestamp before the epoch floors', 'unix_timestamp(ts)', [1709251199n, null, -1n]],
    ['from_unixtime of a null', 'from_unixtime(NULL)', [null, null, null]],
    ['to_timestamp with a null format', 'to_timestamp(s, NULL)', [null, null, null]],
    ["trunc to the week (Monday)", "trunc(d, 'week')", [D('2024-02-26'), null, D('1969-12-29')]],
    ["date_trunc to the quarter", "date_trunc('quarter', ts)", [TS('2024-01-01 00:00:00'), null, TS('1969-10-01 00:00:00')]],
    ['bare current_date is the function', 'current_date IS NOT NULL', [true, true, true]],
  ])('%s: %s', async (_, sql, expected) => {
    expect(values(await selectRows(s, rows, expr(`${sql} AS r`)))).toEqual(expected);
  });

  it('names output columns as Spark does (column API and SQL)', async () => {
    const out = await selectRows(s, rows.slice(0, 1),
      date_format('ts', 'MM/dd/yyy'), to_date('s'), to_timestamp('s', 'yyyy-MM-dd HH:mm:ss'),
      expr('from_unixtime(n)'), expr('unix_timestamp(s)'), expr("unix_timestamp(s, 'yyyy')"), date_trunc('HOUR', 'ts'), trunc('d', 'MM'),
      datediff('d', 'ts'), dayofmonth('d'), expr('day(d)'), expr('now()'), expr('current_timestamp'), expr('CURRENT_DATE'));
    expect(Object.keys(out[0]!)).toEqual([
      'date_format(ts, MM/dd/yyy)', 'to_date(s)', 'to_timestamp(s, yyyy-MM-dd HH:mm:ss)',
      'from_unixtime(n, yyyy-MM-dd HH:mm:ss)', 'unix_timestamp(s, yyyy-MM-dd HH:mm:ss)', 'unix_timestamp(s, yyyy)', 'date_trunc(HOUR, ts)', 'trunc(d, MM)',
      'datediff(d, ts)', 'dayofmonth(d)', 'day(d)', 'now()', 'current_timestamp()', 'current_date()',
    ]);
    // A pattern with 'yyy' formats at least three digits, as Java does; the SQL form names it the same.
    expect(out[0]!['date_format(ts, MM/dd/yyy)']).toBe('02/29/2024');
    expect(await selectRows(s, rows.slice(0, 1), expr("date_format(ts, 'MM/dd/yyy')"))).toEqual([{ 'date_format(ts, MM/dd/yyy)': '02/29/2024' }]);
  });

  it('result types: int fields, date and timestamp results, bigint unix time, string formats', async () => {
    const out = await queryRows(s, rows.slice(0, 1), (df) => df.selectExpr('year(d) AS a', 'to_date(s) AS b', 'to_timestamp(s) AS c', 'unix_timestamp(s) AS e', "date_format(d, 'yyyy') AS f"));
    expect(out).toEqual([{ a: 2024, b: D('2024-02-29'), c: TS('2024-02-29 23:59:59'), e: 1709251199n, f: '2024' }]);
  });

  it('current_timestamp in a filter and withColumn: one value per batch there too', async () => {
    const past = T.struct({ ts: T.timestamp });
    const rows2 = [{ ts: TS('2000-01-01 00:00:00') }, { ts: TS('2999-01-01 00:00:00') }, { ts: null }];
    const out = await queryRows(past, rows2, (df) => df.filter('ts < current_timestamp').withColumn('age_days', expr('datediff(current_date, ts)'))
      .withColumn('now', current_timestamp()));
    expect(out).toHaveLength(1);
    expect(out[0]!.ts).toEqual(TS('2000-01-01 00:00:00'));
    const now = out[0]!.now as Date;
    expect(out[0]!.age_days).toBe(Math.floor(now.getTime() / 86_400_000) - Math.floor(TS('2000-01-01 00:00:00').getTime() / 86_400_000));
  });

  it('a column named current_date is the column, not the function (Spark resolves the column first)', async () => {
    const out = await selectRows(T.struct({ current_date: T.string }), [{ current_date: 'mine' }], expr('current_date AS r'));
    expect(out).toEqual([{ r: 'mine' }]);
  });

  it('wrong argument types are AnalysisErrors naming the argument', async () => {
    const err = async (c: ReturnType<typeof expr>) => selectRows(s, rows, c).then(() => null, (e: unknown) => e as Error);
    const e1 = await err(expr('hour(n)'));
    expect(e1).toBeInstanceOf(AnalysisError);
    expect(e1!.message).toContain("'n' is of int type");
    const e2 = await err(expr("date_add(d, 'x' = 'x')"));
    expect(e2!.message).toContain('date_add: argument 2 requires int type');
    // DateFunctionsSuite: CURDATE(1) is refused for its argument count.
    const e3 = await err(expr('curdate(1)'));
    expect(e3).toBeInstanceOf(AnalysisError);
    expect(e3!.message).toContain('curdate() takes 0 arguments, but curdate(1) has 1');
  });
});

// The calendar arithmetic against DuckDB, whose calendar is Spark's (proleptic Gregorian, ISO weeks,
// add_months clamped to the month's end): seeded random instants over years 1-9999 and around year
// ends, leap days and month starts, with nulls. DATETIME_SEED=<n> replays another draw.
describe('against DuckDB over random instants', () => {
  const SEED = Number(process.env.DATETIME_SEED ?? 20261201);
  const N = 1500;
  const MIN = new Date('0001-01-01T00:00:00Z').getTime();
  const MAX = new Date('9999-12-31T23:59:59.999Z').getTime();

  it(`agrees on fields, truncation, day arithmetic, unix time and formatting (seed ${SEED})`, async () => {
    const rng = mulberry32(SEED);
    const instant = (): number | null => (rng() < 0.05 ? null : MIN + Math.floor(rng() * (MAX - MIN)));
    // Half of the rows near where calendars go wrong: the days around a new year (ISO weeks 52/53/1),
    // leap days, month ends, the epoch.
    const edge = (): number => {
      const y = randInt(rng, 1, 9998), t = randInt(rng, 0, 86_399_999);
      const day = pick(rng, [[y, 11, randInt(rng, 27, 31)], [y + 1, 0, randInt(rng, 1, 4)], [y, 1, randInt(rng, 28, 29)], [y, randInt(rng, 0, 11), 1], [1969, 11, 31], [1970, 0, 1]] as const);
      const d = new Date(0);
      d.setUTCFullYear(day[0], day[1], day[2]);
      return d.getTime() + t;
    };
    const rows = Array.from({ length: N }, (_, i) => {
      const ts = i % 2 ? instant() : edge(), ts2 = instant();
      return { i, ts: ts === null ? null : new Date(ts), ts2: ts2 === null ? null : new Date(ts2), n: rng() < 0.05 ? null : randInt(rng, -500, 500), m: randInt(rng, -30, 30) };
    });
    const schema = T.struct({ i: T.int, ts: T.timestamp, ts2: T.timestamp, n: T.int, m: T.int });
    const fmt = 'yyyy-MM-dd HH:mm:ss.SSS';
    const cols: [string, string, string][] = [
      // name, sluice SQL, DuckDB SQL; dates compare as days since the epoch, timestamps as ms.
      ['year', 'year(ts)', 'year(ts)'], ['quarter', 'quarter(ts)', 'quarter(ts)'], ['month', 'month(ts)', 'month(ts)'],
      ['day', 'dayofmonth(ts)', 'day(ts)'], ['dow', 'dayofweek(ts)', 'dayofweek(ts) + 1'], ['doy', 'dayofyear(ts)', 'dayofyear(ts)'],
      ['week', 'weekofyear(ts)', 'weekofyear(ts)'], ['hour', 'hour(ts)', 'hour(ts)'], ['minute', 'minute(ts)', 'minute(ts)'], ['second', 'second(ts)', 'second(ts)'],
      ...['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'].map((l): [string, string, string] =>
        [`trunc_${l}`, `unix_millis_of(date_trunc('${l}', ts))`, `epoch_ms(date_trunc('${l}', ts))`]),
      ['last_day', 'days_of(last_day(ts))', "last_day(ts) - DATE '1970-01-01'"],
      ['datediff', 'datediff(ts, ts2)', 'ts::date - ts2::date'],
      ['date_add', 'days_of(date_add(ts, n))', "(ts::date + n) - DATE '1970-01-01'"],
      ['add_months', 'days_of(add_months(ts, m))', "(ts::date + to_months(m))::date - DATE '1970-01-01'"],
      ['unix', 'unix_timestamp(ts)', 'floor(epoch_ms(ts) / 1000.0)::bigint'],
      ['format', `date_format(ts, '${fmt}')`, "strftime(ts, '%Y-%m-%d %H:%M:%S.%g')"],
      ['roundtrip', `unix_millis_of(to_timestamp(date_format(ts, '${fmt}'), '${fmt}'))`, 'epoch_ms(ts)'],
    ];
    // unix_millis_of / days_of are this test's: sluice has no unix_millis or unix_date yet, so the
    // values come back as Date and are turned into numbers here.
    const sluiceSql = (x: string): string => x.replace(/unix_millis_of\((.*)\)$/, '$1').replace(/days_of\((.*)\)$/, '$1');
    const got = await selectRows(schema, rows, col('i'), ...cols.map(([name, sql]) => expr(`${sluiceSql(sql)} AS ${name}`)));
    const num = (v: unknown, name: string): unknown => {
      if (!(v instanceof Date)) return typeof v === 'bigint' ? Number(v) : v;
      return cols.find(([c]) => c === name)![1].startsWith('days_of') ? v.getTime() / 86_400_000 : v.getTime();
    };
    const values = rows.map((r) => `(${r.i}, ${r.ts ? `epoch_ms(${r.ts.getTime()}::bigint)` : 'NULL::timestamp'}, `
      + `${r.ts2 ? `epoch_ms(${r.ts2.getTime()}::bigint)` : 'NULL::timestamp'}, ${r.n ?? 'NULL'}, ${r.m})`).join(',\n');
    const want = await duckQuery(`select i, ${cols.map(([name, , duck]) => `${duck} as ${name}`).join(', ')}
      from (values ${values}) t(i, ts, ts2, n, m) order by i`);
    expect(got).toHaveLength(N);
    let mismatches = 0;
    for (let k = 0; k < N; k++) {
      const g = got[k]!, w = want[k]!, input = rows[k]!;
      for (const [name] of cols) {
        const a = num(g[name], name), b = typeof w[name] === 'bigint' ? Number(w[name]) : w[name];
        if (a !== b && mismatches++ < 10) {
          expect.soft(a, `${name} of ts=${input.ts?.toISOString()} ts2=${input.ts2?.toISOString()} n=${input.n} m=${input.m}`).toBe(b);
        }
      }
    }
    expect(mismatches, 'values that differ from DuckDB').toBe(0);
  }, 60_000);
});

describe('timestamp_seconds / timestamp_millis / unix_seconds / unix_millis (PySpark docstrings, in UTC)', () => {
  it('round trips', async () => {
    // spark.createDataFrame([(1230219000,)], ['unix_time']).select(timestamp_seconds('unix_time')) -> 2008-12-25 15:30:00 (UTC)
    const out = await selectRows(T.struct({ t: T.long, f: T.double }), [{ t: 1230219000n, f: 1230219000.123 }],
      timestamp_seconds('t').alias('ts'), timestamp_seconds('f').alias('tf'), timestamp_millis(col('t')).alias('tm'),
      unix_seconds(timestamp_seconds('t')).alias('us'), unix_millis(timestamp_seconds('f')).alias('um'));
    expect(out).toEqual([{ ts: new Date('2008-12-25T15:30:00Z'), tf: new Date('2008-12-25T15:30:00.123Z'), tm: new Date(1230219000), us: 1230219000n, um: 1230219000123n }]);
  });
});
