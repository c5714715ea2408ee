/**
 * Spark's interval strings (IntervalUtils.fromIntervalString and the ANSI literals, SPARK-35815),
 * read into Spark's CalendarInterval parts: months and days stay apart from time, so a caller can
 * add months by the calendar (a timestamp + INTERVAL 1 MONTH) or count them as 31 days (a
 * watermark delay). Used by withWatermark delays and by INTERVAL literals in SQL expressions.
 */
/** An interval as Spark's CalendarInterval keeps it: months and days stay apart from time. */
export interface Interval { months: number; days: number; ms: number }

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

function ansiRange(body: string, fail: (why: string) => never): Interval | null {
  const m = /^([+-])?\s*'\s*([+-])?([^']*?)\s*'\s+(year|day|hour|minute)\s+to\s+(month|hour|minute|second)$/i.exec(body);
  if (!m) return null;
  const range = `${m[4]!.toLowerCase()} to ${m[5]!.toLowerCase()}`;
  const form = ansiRanges[range];
  if (!form) fail(`'${range}' is not an interval range`);
  const f = form.re.exec(m[3]!);
  if (!f) fail(`'${m[3]}' does not match the pattern of ${range}`);
  const fields = f.slice(1).map(Number);
  laterFieldMax[range]!.forEach((max, k) => { if (fields[k + 1]! > max) fail(`field ${fields[k + 1]} of ${range} is out of range 0-${max}`); });
  const sign = (m[1] === '-' ? -1 : 1) * (m[2] === '-' ? -1 : 1);
  const i = form.toInterval(fields);
  return { months: sign * i.months, days: sign * i.days, ms: sign * i.ms };
}

/** `<n> <unit>` pairs; after the `interval` keyword a value may be quoted ('3' day). */
function multiUnit(body: string, quotesAllowed: boolean, fail: (why: string) => never): Interval {
  const re = quotesAllowed
    ? /\s*(?:'\s*([+-]?\d+(?:\.\d+)?)\s*'|([+-]?\d+(?:\.\d+)?))\s*([a-z]+)\s*/giy
    : /\s*()([+-]?\d+(?:\.\d+)?)\s*([a-z]+)\s*/giy;
  const i: Interval = { months: 0, days: 0, ms: 0 };
  let m: RegExpExecArray | null, pairs = 0, at = 0;
  while (at < body.length && (m = re.exec(body))) {
    const add = units[m[3]!.toLowerCase()];
    if (!add) fail(`unknown unit '${m[3]}'`);
    const n = Number(m[1] || m[2]);
    if (!Number.isInteger(n) && (m[3]!.toLowerCase().startsWith('year') || m[3]!.toLowerCase().startsWith('month'))) fail(`years and months must be whole`);
    add(n, i);
    pairs++;
    at = re.lastIndex;
  }
  if (!pairs || at !== body.length) fail(pairs ? `cannot read '${body.slice(at)}'` : 'no number and unit');
  return i;
}

/**
 * An interval string: '10 minutes', '1 day 2 hours', the same after the keyword `interval` (any
 * case; values may then be quoted: interval '3' day), or an ANSI literal (interval '1 2:3:4' day
 * to second, interval '1-2' year to month). `fail` says why a string is not one.
 */
export function parseInterval(text: string, fail: (why: string) => never): Interval {
  const s = text.trim();
  const prefix = /^interval(?=\s|'|$)\s*/i.exec(s);
  const body = prefix ? s.slice(prefix[0].length) : s;
  return (prefix ? ansiRange(body, fail) : null) ?? multiUnit(body, prefix !== null, fail);
}
