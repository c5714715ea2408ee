/**
 * Spark's datetime patterns (docs: sql-ref-datetime-pattern), compiled once per pattern into a
 * formatter and a strict parser over epoch milliseconds in UTC, sluice's only session time zone.
 *
 * Why not date-fns or Luxon: both read Unicode LDML letters as Spark does, but their token sets
 * differ from Spark's in the corners (Luxon's `Z`/`E`/`a` widths, date-fns's local-zone Date
 * objects and its 'u'/'Y' meanings), both build an object per value, and neither refuses the
 * week-based letters Spark 3 refuses. Spark's rules fit in this file, and the kernels call a
 * compiled closure per row with no allocation but the output string.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
export const DAY_MS = 86_400_000;

/** A pattern Spark would refuse, or one sluice does not support; the message says which letter. */
export class PatternError extends Error {}

/** The calendar fields of an instant in UTC (proleptic Gregorian, as Spark 3). */
export interface Fields {
  year: number; month: number; day: number; hour: number; minute: number; second: number; millis: number;
  /** 1 = Monday … 7 = Sunday (ISO). */
  isoWeekday: number;
  dayOfYear: number;
}

/** Days since 1970-01-01 → [year, month 1-12, day] (Howard Hinnant's civil_from_days). */
export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097), doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)), mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1, m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** [year, month 1-12, day] → days since 1970-01-01 (days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400), yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Days since 1970-01-01 moved by `months` calendar months, the day clamped to the month's end (Spark's add_months). */
export function addMonths(days: number, months: number): number {
  const [y, m, day] = civilFromDays(days), total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12), nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(day, daysInMonth(ny, nm)));
}

export const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
export const daysInMonth = (y: number, m: number): number => (m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!);

export function fieldsOf(ms: number): Fields {
  const days = Math.floor(ms / DAY_MS), t = ms - days * DAY_MS;
  const [year, month, day] = civilFromDays(days);
  return {
    year, month, day,
    hour: Math.floor(t / 3_600_000), minute: Math.floor(t / 60_000) % 60, second: Math.floor(t / 1000) % 60, millis: t % 1000,
    isoWeekday: ((days % 7) + 7 + 3) % 7 + 1, // 1970-01-01 was a Thursday
    dayOfYear: days - daysFromCivil(year, 1, 1) + 1,
  };
}

type Token = { lit: string } | { letter: string; width: number } | { optional: Token[] };

const pad = (v: number, w: number): string => {
  const s = String(Math.abs(v));
  return (v < 0 ? '-' : '') + (s.length >= w ? s : '0'.repeat(w - s.length) + s);
};

// Spark 3 refuses these (week-based fields, since 3.0) or sluice does not support them (time-zone
// names other than UTC, eras).
const REFUSED: Record<string, string> = {
  Y: 'week-based year', w: 'week of year', W: 'week of month', u: 'day of week number', e: 'localized day of week', c: 'localized day of week',
  G: 'era', F: 'aligned week of month', B: 'day period', n: 'nano of second', N: 'nano of day', A: 'milli of day', O: 'localized zone offset',
};
const SUPPORTED = 'yMLdDQqEahKkHmsSXxZVz';

function tokenize(p: string, from: number, closing: boolean): [Token[], number] {
  const out: Token[] = [];
  let i = from, lit = '';
  const flush = (): void => { if (lit) { out.push({ lit }); lit = ''; } };
  while (i < p.length) {
    const ch = p[i]!;
    if (ch === "'") {
      if (p[i + 1] === "'") { lit += "'"; i += 2; continue; }
      // Quoted text runs to the next lone quote; '' inside it is a quote ('o''clock').
      let j = i + 1;
      for (;;) {
        const end = p.indexOf("'", j);
        if (end < 0) throw new PatternError(`Pattern '${p}': the quote at position ${i + 1} is not closed.`);
        lit += p.slice(j, end);
        if (p[end + 1] !== "'") { i = end + 1; break; }
        lit += "'";
        j = end + 2;
      }
    } else if (ch === '[') {
      flush();
      const [inner, next] = tokenize(p, i + 1, true);
      out.push({ optional: inner });
      i = next;
    } else if (ch === ']') {
      if (!closing) throw new PatternError(`Pattern '${p}': ']' at position ${i + 1} closes no '['.`);
      flush();
      return [out, i + 1];
    } else if (/[A-Za-z]/.test(ch)) {
      let w = 1;
      while (p[i + w] === ch) w++;
      if (REFUSED[ch]) {
        throw new PatternError(`Pattern '${p}': the letter '${ch}' (${REFUSED[ch]}) is not supported`
          + `${'YwWuec'.includes(ch) ? ': Spark 3 refuses week-based patterns too; use EEE, D or dayofweek()/weekofyear()' : ''}.`);
      }
      if (!SUPPORTED.includes(ch)) throw new PatternError(`Pattern '${p}': unknown pattern letter '${ch}'. Quote literal text: 'T'.`);
      if (ch === 'S' && w > 9) throw new PatternError(`Pattern '${p}': at most 9 'S' (fraction of second).`);
      // Spark's unsupportedPatternLengths: 5 letters of a text field would be Java's narrow form, which Spark 2.4 printed in full.
      if ((w >= 5 && 'MLEQq'.includes(ch)) || (ch === 'y' && w >= 7)) throw new PatternError(`Pattern '${p}': Too many pattern letters: ${ch}.`);
      flush();
      out.push({ letter: ch, width: w });
      i += w;
    } else { lit += ch; i++; }
  }
  if (closing) throw new PatternError(`Pattern '${p}': the '[' of an optional section is not closed.`);
  flush();
  return [out, i];
}

function formatToken(t: Token, f: Fields, ms: number): string {
  if ('lit' in t) return t.lit;
  if ('optional' in t) return t.optional.map((x) => formatToken(x, f, ms)).join('');
  const w = t.width;
  switch (t.letter) {
    case 'y': return w === 2 ? pad(((f.year % 100) + 100) % 100, 2) : pad(f.year, w);
    case 'M': case 'L': return w >= 4 ? MONTHS[f.month - 1]! : w === 3 ? MONTHS[f.month - 1]!.slice(0, 3) : pad(f.month, w);
    case 'd': return pad(f.day, w);
    case 'D': return pad(f.dayOfYear, w);
    case 'Q': case 'q': return w >= 4 ? `${['1st', '2nd', '3rd', '4th'][Math.ceil(f.month / 3) - 1]} quarter` : w === 3 ? `Q${Math.ceil(f.month / 3)}` : pad(Math.ceil(f.month / 3), w);
    case 'E': return w >= 4 ? DAYS[f.isoWeekday - 1]! : DAYS[f.isoWeekday - 1]!.slice(0, 3);
    case 'a': return f.hour < 12 ? 'AM' : 'PM';
    case 'h': return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, w);
    case 'K': return pad(f.hour % 12, w);
    case 'k': return pad(f.hour === 0 ? 24 : f.hour, w);
    case 'H': return pad(f.hour, w);
    case 'm': return pad(f.minute, w);
    case 's': return pad(f.second, w);
    case 'S': return (pad(f.millis, 3) + '000000').slice(0, w);
    case 'X': return 'Z';
    case 'x': return w === 1 ? '+00' : w === 2 || w === 4 ? '+0000' : '+00:00';
    case 'Z': return w <= 3 ? '+0000' : w === 4 ? 'GMT' : 'Z';
    case 'V': case 'z': return 'UTC';
  }
  return '';
}

const NUMBER_WIDTH: Record<string, [min: number, max: number]> = { y: [1, 6], d: [1, 2], D: [1, 3], H: [1, 2], h: [1, 2], K: [1, 2], k: [1, 2], m: [1, 2], s: [1, 2], M: [1, 2], L: [1, 2] };
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regex source of a token; `fields` collects, in group order, what each group sets. */
function regexOf(t: Token, fields: { letter: string; width: number }[]): string {
  if ('lit' in t) return escape(t.lit);
  if ('optional' in t) return `(?:${t.optional.map((x) => regexOf(x, fields)).join('')})?`;
  const { letter, width: w } = t;
  fields.push(t);
  if ((letter === 'M' || letter === 'L') && w >= 3) return `(${MONTHS.map((m) => (w === 3 ? m.slice(0, 3) : m)).join('|')})`;
  if (letter === 'a') return '(AM|PM|am|pm)';
  // Spark parses a fraction of 1 to n digits for n 'S' (its variable-length fraction).
  if (letter === 'S') return `(\\d{1,${w}})`;
  if (letter === 'X' || letter === 'x' || letter === 'Z') return '(Z|[+-]\\d{2}(?::?\\d{2})?)';
  if (letter === 'V' || letter === 'z') return '(UTC|GMT|Z)';
  // Fixed width when the letter is repeated (yyyy, MM, HH): Java's strict parsing; 'yy' is 2000-2099.
  const [min, max] = NUMBER_WIDTH[letter]!;
  return w >= 2 ? `(\\d{${w}})` : `(\\d{${min},${max}})`;
}

export interface DateTimePattern {
  readonly pattern: string;
  format(ms: number): string;
  /** Epoch milliseconds, or null when `s` does not match the pattern or names no real instant (Feb 30). */
  parse(s: string): number | null;
}

/** Letters Spark formats but refuses in a parsing pattern (its unsupportedLettersForParsing). */
const FORMAT_ONLY: Record<string, string> = { E: 'day of week', Q: 'quarter', q: 'quarter' };

function formatOnlyLetter(tokens: readonly Token[]): string | undefined {
  for (const t of tokens) {
    const l = 'optional' in t ? formatOnlyLetter(t.optional) : 'letter' in t && FORMAT_ONLY[t.letter] ? t.letter : undefined;
    if (l) return l;
  }
  return undefined;
}

/** `forParsing`: the pattern will parse (to_timestamp, to_date, unix_timestamp), so E, Q and q are refused, as Spark does. */
export function compilePattern(pattern: string, forParsing = false): DateTimePattern {
  const [tokens] = tokenize(pattern, 0, false);
  const formatOnly = formatOnlyLetter(tokens);
  const refuseParse = (): PatternError => new PatternError(
    `Pattern '${pattern}': the letter '${formatOnly}' (${FORMAT_ONLY[formatOnly!]}) can format but not parse, as in Spark; leave it out of the pattern.`);
  if (formatOnly && forParsing) throw refuseParse();
  const fields: { letter: string; width: number }[] = [];
  // Case-insensitive, as Spark's formatter builder (parseCaseInsensitive): 'apr', 'pm', a quoted 't'.
  const re = formatOnly ? null : new RegExp(`^${tokens.map((t) => regexOf(t, fields)).join('')}$`, 'i');
  return {
    pattern,
    format: (ms) => {
      const f = fieldsOf(ms);
      let s = '';
      for (const t of tokens) s += formatToken(t, f, ms);
      return s;
    },
    parse: (s) => {
      if (!re) throw refuseParse();
      const m = re.exec(s);
      if (!m) return null;
      let year = 1970, month = 1, day = 1, dayOfYear = 0, hour = 0, minute = 0, second = 0, millis = 0, pm: boolean | null = null, h12 = -1, offsetMin = 0;
      for (let g = 0; g < fields.length; g++) {
        const v = m[g + 1];
        if (v === undefined) continue;
        const { letter, width } = fields[g]!, n = Number(v);
        switch (letter) {
          case 'y': year = width === 2 ? 2000 + n : n; break;
          case 'M': case 'L': month = width >= 3 ? MONTHS.findIndex((x) => x.toLowerCase().startsWith(v.toLowerCase())) + 1 : n; break;
          case 'd': day = n; break;
          case 'D': dayOfYear = n; break;
          case 'H': case 'k': hour = letter === 'k' && n === 24 ? 0 : n; break;
          case 'h': case 'K': h12 = letter === 'h' && n === 12 ? 0 : n; break;
          case 'a': pm = v.toUpperCase() === 'PM'; break;
          case 'm': minute = n; break;
          case 's': second = n; break;
          case 'S': millis = Math.floor(Number((v + '00').slice(0, 3))); break;
          case 'X': case 'x': case 'Z':
            if (v !== 'Z') { const z = v.slice(1).replace(':', ''); offsetMin = (v[0] === '-' ? -1 : 1) * (Number(z.slice(0, 2)) * 60 + Number(z.slice(2) || 0)); }
            break;
          default: break; // V, z: checked by the regex (UTC only)
        }
      }
      if (h12 >= 0) { if (h12 > 11) return null; hour = h12 + (pm ? 12 : 0); } else if (pm !== null && hour < 12 && pm) hour += 12;
      if (dayOfYear > 0) {
        if (dayOfYear > (isLeap(year) ? 366 : 365)) return null;
        const [, mm, dd] = civilFromDays(daysFromCivil(year, 1, 1) + dayOfYear - 1);
        month = mm; day = dd;
      }
      if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
      return (daysFromCivil(year, month, day) * 24 + hour) * 3_600_000 + minute * 60_000 + second * 1000 + millis - offsetMin * 60_000;
    },
  };
}

const cache = new Map<string, DateTimePattern>();
/** A compiled pattern, kept: a format column usually holds a handful of distinct patterns. */
export function patternOf(pattern: string, forParsing = false): DateTimePattern {
  const key = (forParsing ? 'p:' : 'f:') + pattern;
  let p = cache.get(key);
  if (!p) {
    p = compilePattern(pattern, forParsing);
    if (cache.size > 256) cache.clear();
    cache.set(key, p);
  }
  return p;
}
