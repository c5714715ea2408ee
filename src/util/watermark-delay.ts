import { AnalysisError } from '../errors.ts';

const MS_PER_DAY = 86_400_000;
/** Spark turns a delay's months into time at 31 days each (EventTimeWatermark.getDelayMs): never too short. */
const DAYS_PER_MONTH = 31;

/** An interval as Spark's CalendarInterval keeps it: months and days stay apart from time. */
interface Interval { months: number; days: number; ms: number }

/** Units of an interval string (Spark's, singular and plural), plus sluice's short forms kept for old queries. */
const units: Record<string, (n: number, i: Interval) => void> = {};
const unit = (names: string[], add: (n: number, i: Interval) => void): void => { for (const n of names) units[n] = add; };
unit(['year', 'years'], (n, i) => { i.months += 12 * n; });
unit(['month', 'months'], (n, i) => { i.months += n; });
unit(['week', 'weeks'], (n, i) => { i.days += 7 * n; });
unit(['day', 'days', 'd'], (n, i) => { i.days += n; });
unit(['hour', 'hours', 'h'], (n, i) => { i.ms += 3_600_000 * n; });
unit(['minute', 'minutes', 'min', 'mins', 'm'], (n, i) => { i.ms += 60_000 * n; });
unit(['second', 'seconds', 'sec', 'secs', 's'], (n, i) => { i.ms += 1000 * n; });
unit(['millisecond', 'milliseconds', 'ms'], (n, i) => { i.ms += n; });
unit(['microsecond', 'microseconds'], (n, i) => { i.ms += n / 1000; });

/**
 * ANSI `'<value>' <from> to <to>` forms: the value's pattern for each pair, and how its fields
 * (after the optional sign) add up. Fields after the first are bounded, as in Spark.
 */
const ansiRanges: Record<string, { re: RegExp; toInterval: (f: number[]) => Interval }> = {
  'year to month': { re: /^(\d+)-(\d+)$/, toInterval: ([y, m]) => ({ months: 12 * y! + m!, days: 0, ms: 0 }) },
  'day to hour': { re: /^(\d+) (\d+)$/, toInterval: ([d, h]) => ({ months: 0, days: d!, ms: h! * 3_600_000 }) },
  'day to minute': { re: /^(\d+) (\d+):(\d+)$/, toInterval: ([d, h, m]) => ({ months: 0, days: d!, ms: h! * 3_600_000 + m! * 60_000 }) },
  'day to second': { re: /^(\d+) (\d+):(\d+):(\d+(?:\.\d+)?)$/, toInterval: ([d, h, m, s]) => ({ months: 0, days: d!, ms: h! * 3_600_000 + m! * 60_000 + s! * 1000 }) },
  'hour to minute': { re: /^(\d+):(\d+)$/, toInterval: ([h, m]) => ({ months: 0, days: 0, ms: h! * 3_600_000 + m! * 60_000 }) },
  'hour to second': { re: /^(\d+):(\d+):(\d+(?:\.\d+)?)$/, toInterval: ([h, m, s]) => ({ months: 0, days: 0, ms: h! * 3_600_000 + m! * 60_000 + s! * 1000 }) },
  'minute to second': { re: /^(\d+):(\d+(?:\.\d+)?)$/, toInterval: ([m, s]) => ({ months: 0, days: 0, ms: m! * 60_000 + s! * 1000 }) },
};
/** The upper bound of each field after the first in a from-to form (months 0-11, hours 0-23, ...). */
const laterFieldMax: Record<string, number[]> = {
  'year to month': [11], 'day to hour': [23], 'day to minute': [23, 59], 'day to second': [23, 59, 59],
  'hour to minute': [59], 'hour to second': [59, 59], 'minute to second': [59],
};

const invalid = (v: string, why: string): AnalysisError => new AnalysisError(
  `withWatermark delay '${v}' is not an interval (${why}); write it like '10 minutes', '1 day 2 hours', `
  + `'2 years 5 months', "interval '5' hour", "interval '1 2:3:4' day to second" or "interval '1-2' year to month".`);

function ansiRange(body: string, v: string): Interval | null {
  const m = /^([+-])?\s*'\s*([+-])?([^']*?)\s*'\s+(year|day|hour|minute)\s+to\s+(month|hour|minute|second)$/i.exec(body);
  if (!m) return null;
  const range = `${m[4]!.toLowerCase()} to ${m[5]!.toLowerCase()}`;
  const form = ansiRanges[range];
  if (!form) throw invalid(v, `'${range}' is not an interval range`);
  const f = form.re.exec(m[3]!);
  if (!f) throw invalid(v, `'${m[3]}' does not match the pattern of ${range}`);
  const fields = f.slice(1).map(Number);
  laterFieldMax[range]!.forEach((max, k) => { if (fields[k + 1]! > max) throw invalid(v, `field ${fields[k + 1]} of ${range} is out of range 0-${max}`); });
  const sign = (m[1] === '-' ? -1 : 1) * (m[2] === '-' ? -1 : 1);
  const i = form.toInterval(fields);
  return { months: sign * i.months, days: sign * i.days, ms: sign * i.ms };
}

/** `<n> <unit>` pairs; after the `interval` keyword a value may be quoted ('3' day). */
function multiUnit(body: string, quotesAllowed: boolean, v: string): Interval {
  const re = quotesAllowed
    ? /\s*(?:'\s*([+-]?\d+(?:\.\d+)?)\s*'|([+-]?\d+(?:\.\d+)?))\s*([a-z]+)\s*/giy
    : /\s*()([+-]?\d+(?:\.\d+)?)\s*([a-z]+)\s*/giy;
  const i: Interval = { months: 0, days: 0, ms: 0 };
  let m: RegExpExecArray | null, pairs = 0, at = 0;
  while (at < body.length && (m = re.exec(body))) {
    const add = units[m[3]!.toLowerCase()];
    if (!add) throw invalid(v, `unknown unit '${m[3]}'`);
    const n = Number(m[1] || m[2]);
    if (!Number.isInteger(n) && (m[3]!.toLowerCase().startsWith('year') || m[3]!.toLowerCase().startsWith('month'))) throw invalid(v, `years and months must be whole`);
    add(n, i);
    pairs++;
    at = re.lastIndex;
  }
  if (!pairs || at !== body.length) throw invalid(v, pairs ? `cannot read '${body.slice(at)}'` : 'no number and unit');
  return i;
}

/**
 * Spark's withWatermark delay (IntervalUtils.fromIntervalString, SPARK-35815): an interval string
 * ('10 minutes', '2 years 5 months'), the same after the keyword `interval` (any case, values may
 * be quoted), or an ANSI literal ("interval '1 2:3:4' day to second", "interval '1-2' year to
 * month"). Months count 31 days. A negative total is refused with Spark's words. A number, or a
 * string of digits, is milliseconds (sluice's own form, kept for old queries).
 */
export function parseWatermarkDelay(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(String(v), 'not a finite number of milliseconds');
    if (v < 0) throw new AnalysisError(`delay threshold (${v}) should not be negative.`);
    return v;
  }
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const prefix = /^interval(?=\s|'|$)\s*/i.exec(s);
  const body = prefix ? s.slice(prefix[0].length) : s;
  const i = (prefix ? ansiRange(body, v) : null) ?? multiUnit(body, prefix !== null, v);
  const ms = (i.months * DAYS_PER_MONTH + i.days) * MS_PER_DAY + i.ms;
  if (ms < 0) throw new AnalysisError(`delay threshold (${v}) should not be negative.`);
  return ms;
}
