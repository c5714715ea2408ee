// The date functions issue 13 still lacked: months_between (Spark's 31-day month and roundOff),
// next_day, last_day, from_utc_timestamp / to_utc_timestamp over IANA zones (Node's Intl tz data),
// with the answers of DateExpressionsSuite ("months_between"), DateFunctionsSuite
// ("from_utc_timestamp with literal zone" / "with column zone", "to_utc_timestamp …", "next_day")
// and PySpark's docstrings. sluice's session time zone is UTC, so Spark's wall-clock Timestamps
// are read as UTC here.
import { describe, expect, it } from 'vitest';
import {
  col, lit, expr, types as T, AnalysisError, DataError, Session, MemoryStream,
  months_between, next_day, last_day, from_utc_timestamp, to_utc_timestamp,
} from '../src/index.ts';
import { queryRows } from './support/select-rows.ts';
import { monthsBetween } from '../src/exec/functions/months-between.ts';
import { zoneOf, wallToInstant } from '../src/exec/functions/time-zone.ts';

const session = Session.builder().appName('functions-dates-more-test').getOrCreate();
const ts = (s: string) => new Date(s.replace(' ', 'T') + 'Z');
const ms = (s: string) => ts(s).getTime();
let seq = 0;

async function failure(schema: T.Struct, rows: Record<string, unknown>[], build: (df: ReturnType<MemoryStream['toDF']>) => ReturnType<MemoryStream['toDF']>): Promise<Error> {
  const s = new MemoryStream(session, schema);
  s.addData(rows);
  try {
    const q = await build(s.toDF()).writeStream.format('memory').queryName(`fd${seq++}`).start();
    await q.processAllAvailable().finally(() => q.stop());
  } catch (e) { return e as Error; }
  throw new Error('expected the query to fail');
}

describe('months_between', () => {
  it("DateExpressionsSuite: 3.94959677 rounded, 3.9495967741935485 not; equal days 0.0; both month ends whole months", () => {
    expect(monthsBetween(ms('1997-02-28 10:30:00'), ms('1996-10-30 00:00:00'), true)).toBe(3.94959677);
    expect(monthsBetween(ms('1997-02-28 10:30:00'), ms('1996-10-30 00:00:00'), false)).toBe(3.9495967741935485);
    for (const round of [true, false]) {
      expect(monthsBetween(ms('2015-01-30 11:52:00'), ms('2015-01-30 11:50:00'), round)).toBe(0);
      expect(monthsBetween(ms('2015-01-31 00:00:00'), ms('2015-03-31 22:00:00'), round)).toBe(-2);
      expect(monthsBetween(ms('2015-03-31 22:00:00'), ms('2015-02-28 00:00:00'), round)).toBe(1);
    }
  });

  it("PySpark: months_between(df.date1, df.date2) over ('1997-02-28 10:30:00', '1996-10-30'), strings cast; nulls give null", async () => {
    const schema = T.struct({ date1: T.string, date2: T.string });
    const out = await queryRows(schema, [{ date1: '1997-02-28 10:30:00', date2: '1996-10-30' }, { date1: null, date2: '1996-10-30' }], (df) => df.select(
      months_between(col('date1'), col('date2')).alias('months'), months_between('date1', 'date2', false).alias('raw'),
      expr("months_between(date1, date2, false)").alias('sql')));
    expect(out).toEqual([{ months: 3.94959677, raw: 3.9495967741935485, sql: 3.9495967741935485 }, { months: null, raw: null, sql: null }]);
  });

  it('takes dates too: DateFunctionsSuite-style date - date is whole months when the days match', async () => {
    const out = await queryRows(T.struct({ a: T.date, b: T.date }), [{ a: 14823, b: 14792 }], (df) => df.select(months_between('a', 'b').alias('m')));
    expect(out).toEqual([{ m: 1 }]); // 2010-08-02 and 2010-07-02
  });
});

describe('next_day and last_day', () => {
  it("DateFunctionsSuite: next_day of Thursday 2015-07-23 (a date and a timestamp) is Monday 2015-07-27, 'th' the next Thursday", async () => {
    const out = await queryRows(T.struct({ d: T.date, t: T.timestamp }), [{ d: ts('2015-07-23'), t: ts('2015-07-23 11:00:00') }], (df) => df.select(
      next_day('d', 'MONDAY').alias('m'), next_day(col('t'), 'th').alias('th'), next_day('d', 'Fri').alias('f')));
    expect(out).toEqual([{ m: ts('2015-07-27'), th: ts('2015-07-30'), f: ts('2015-07-24') }]);
  });

  it("PySpark: next_day('2015-07-27', 'Sun') is 2015-08-02; SQL: next_day('2015-01-14', 'TU') is 2015-01-20; an unknown day name in a column is null", async () => {
    const out = await queryRows(T.struct({ d: T.string, w: T.string }), [{ d: '2015-07-27', w: 'Sun' }, { d: '2015-01-14', w: 'TU' }, { d: '2015-01-14', w: 'xx' }],
      (df) => df.select(next_day('d', 'Sun').alias('sun'), expr('next_day(d, w)').alias('w')));
    expect(out).toEqual([
      { sun: ts('2015-08-02'), w: ts('2015-08-02') },
      { sun: ts('2015-01-18'), w: ts('2015-01-20') },
      { sun: ts('2015-01-18'), w: null },
    ]);
    const e = await failure(T.struct({ d: T.date }), [], (df) => df.select(next_day('d', 'Someday')));
    expect(e).toBeInstanceOf(AnalysisError);
    expect(e.message).toMatch(/'Someday' is not a day of the week/);
  });

  it("PySpark: last_day('1997-02-10') is 1997-02-28", async () => {
    const out = await queryRows(T.struct({ d: T.string }), [{ d: '1997-02-10' }, { d: '2016-02-01' }], (df) => df.select(last_day('d').alias('date')));
    expect(out).toEqual([{ date: ts('1997-02-28') }, { date: ts('2016-02-29') }]);
  });
});

describe('from_utc_timestamp and to_utc_timestamp', () => {
  const schema = T.struct({ a: T.timestamp, tz: T.string });
  const rows = [{ a: ts('2015-07-24 00:00:00'), tz: 'America/Los_Angeles' }, { a: ts('2015-07-25 00:00:00'), tz: 'Europe/Paris' }];

  it('DateFunctionsSuite: with a literal zone (America/Los_Angeles) and with a column of zones', async () => {
    const out = await queryRows(schema, rows, (df) => df.select(
      from_utc_timestamp('a', 'America/Los_Angeles').alias('f'), to_utc_timestamp('a', 'America/Los_Angeles').alias('t'),
      from_utc_timestamp('a', col('tz')).alias('fc'), to_utc_timestamp('a', col('tz')).alias('tc')));
    expect(out).toEqual([
      { f: ts('2015-07-23 17:00:00'), t: ts('2015-07-24 07:00:00'), fc: ts('2015-07-23 17:00:00'), tc: ts('2015-07-24 07:00:00') },
      { f: ts('2015-07-24 17:00:00'), t: ts('2015-07-25 07:00:00'), fc: ts('2015-07-25 02:00:00'), tc: ts('2015-07-24 22:00:00') },
    ]);
  });

  it("PySpark: ('1997-02-28 10:30:00', 'JST'): from_utc PST 02:30, JST 19:30; to_utc PST 18:30, JST 01:30 (Java's short ids)", async () => {
    const out = await queryRows(T.struct({ ts: T.string, tz: T.string }), [{ ts: '1997-02-28 10:30:00', tz: 'JST' }], (df) => df.select(
      from_utc_timestamp('ts', 'PST').alias('f'), from_utc_timestamp(col('ts'), col('tz')).alias('fj'),
      to_utc_timestamp('ts', 'PST').alias('t'), to_utc_timestamp(col('ts'), col('tz')).alias('tj')));
    expect(out).toEqual([{ f: ts('1997-02-28 02:30:00'), fj: ts('1997-02-28 19:30:00'), t: ts('1997-02-28 18:30:00'), tj: ts('1997-02-28 01:30:00') }]);
  });

  it('offsets as Spark reads them: +08:00, GMT-8, UTC+5:30, EST (a fixed -05:00 in Java)', async () => {
    const out = await queryRows(T.struct({ a: T.timestamp }), [{ a: ts('2020-06-01 12:00:00') }], (df) => df.select(
      from_utc_timestamp('a', '+08:00').alias('p8'), from_utc_timestamp('a', 'GMT-8').alias('m8'), from_utc_timestamp('a', 'UTC+5:30').alias('i'),
      from_utc_timestamp('a', 'EST').alias('est'), from_utc_timestamp('a', 'America/New_York').alias('ny')));
    expect(out).toEqual([{ p8: ts('2020-06-01 20:00:00'), m8: ts('2020-06-01 04:00:00'), i: ts('2020-06-01 17:30:00'), est: ts('2020-06-01 07:00:00'), ny: ts('2020-06-01 08:00:00') }]);
  });

  it("java.time's rules at transitions: a wall time in the spring gap moves later; one in the autumn overlap takes the earlier offset", () => {
    const la = zoneOf('America/Los_Angeles')!;
    // 2021-03-14 02:30 does not exist in LA (02:00 -> 03:00): Java gives 03:30 PDT = 10:30Z.
    expect(new Date(wallToInstant(la, ms('2021-03-14 02:30:00'))).toISOString()).toBe('2021-03-14T10:30:00.000Z');
    // 2021-11-07 01:30 happens twice: Java takes PDT (-07:00) = 08:30Z.
    expect(new Date(wallToInstant(la, ms('2021-11-07 01:30:00'))).toISOString()).toBe('2021-11-07T08:30:00.000Z');
    // Offsets around the autumn transition, to the hour, where the per-hour cache must not smear them.
    expect(la.offsetAt(ms('2021-11-07 08:59:59')) / 3_600_000).toBe(-7);
    expect(la.offsetAt(ms('2021-11-07 09:00:00')) / 3_600_000).toBe(-8);
    expect(zoneOf('Asia/Kolkata')!.offsetAt(0) / 60_000).toBe(330);
  });

  it('an unknown zone: a literal fails analysis; one in a column fails the batch naming the row; null zone gives null', async () => {
    const e1 = await failure(schema, [], (df) => df.select(from_utc_timestamp('a', 'Mars/Olympus')));
    expect(e1).toBeInstanceOf(AnalysisError);
    expect(e1.message).toMatch(/the time zone 'Mars\/Olympus' is not known/);
    const e2 = await failure(schema, [{ a: ts('2020-01-01'), tz: 'UTC' }, { a: ts('2020-01-01'), tz: 'Nowhere/Land' }], (df) => df.select(to_utc_timestamp('a', col('tz'))));
    expect(e2).toBeInstanceOf(DataError);
    expect(e2.message).toMatch(/'Nowhere\/Land' in row 1 of the batch/);
    const out = await queryRows(schema, [{ a: ts('2020-01-01'), tz: null }], (df) => df.select(from_utc_timestamp('a', col('tz')).alias('x'), from_utc_timestamp('a', lit(null)).alias('y')));
    expect(out).toEqual([{ x: null, y: null }]);
  });
});

describe("the session time zone", () => {
  it("spark.sql.session.timeZone other than UTC is refused with the conversion to write; UTC is accepted", () => {
    expect(() => Session.builder().config('spark.sql.session.timeZone', 'UTC').getOrCreate()).not.toThrow();
    expect(() => session.conf.set('spark.sql.session.timeZone', 'Etc/UTC')).not.toThrow();
    expect(() => session.conf.set('spark.sql.session.timeZone', 'America/Los_Angeles')).toThrow(/sluice's session time zone is always UTC.*from_utc_timestamp\(ts, 'America\/Los_Angeles'\)/);
  });
});
