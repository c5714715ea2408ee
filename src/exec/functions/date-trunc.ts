import { date, string, timestamp, typeToString } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { civilFromDays, daysFromCivil } from './datetime-pattern.ts';
import { DAY_MS } from './datetime-columns.ts';
import { mapRows } from './map-rows.ts';

/** Spark's truncation levels by the names it accepts (any case); an unknown name gives null, as in Spark. */
const LEVELS: Record<string, string> = {
  year: 'year', yyyy: 'year', yy: 'year', quarter: 'quarter', month: 'month', mon: 'month', mm: 'month', week: 'week',
  day: 'day', dd: 'day', hour: 'hour', minute: 'minute', second: 'second', millisecond: 'millisecond',
  // Timestamps are milliseconds here, so a microsecond truncation leaves them as they are.
  microsecond: 'millisecond',
};
const DATE_LEVELS = new Set(['year', 'quarter', 'month', 'week']);

/** Epoch ms truncated to `level`, in UTC; null for an unknown level. */
function truncate(ms: number, level: string | undefined): number | null {
  const days = Math.floor(ms / DAY_MS);
  switch (level) {
    case 'millisecond': return ms;
    case 'second': return Math.floor(ms / 1000) * 1000;
    case 'minute': return Math.floor(ms / 60_000) * 60_000;
    case 'hour': return Math.floor(ms / 3_600_000) * 3_600_000;
    case 'day': return days * DAY_MS;
    case 'week': return (days - (((days % 7) + 7 + 3) % 7)) * DAY_MS; // back to Monday (1970-01-01 was a Thursday)
    case 'month': case 'quarter': case 'year': {
      const [y, m] = civilFromDays(days);
      const first = level === 'year' ? 1 : level === 'quarter' ? m - ((m - 1) % 3) : m;
      return daysFromCivil(y, first, 1) * DAY_MS;
    }
    default: return null;
  }
}

/** date_trunc(format, ts): the timestamp truncated to year, quarter, month, week, day, hour, minute, second, millisecond or microsecond. */
export const date_trunc: ScalarFunction = {
  name: 'date_trunc', arity: 2,
  bind([fmt, a]) {
    const t = implicitCast(a!.type, 'timestamp');
    if (!t) return `argument 2 requires timestamp type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    return {
      inputTypes: [string, timestamp], returnType: timestamp,
      kernel: (cols, n) => mapRows(cols, [string, timestamp], timestamp, n, ([f, v]) => truncate(v as number, LEVELS[(f as string).toLowerCase()])),
    };
  },
};

/** trunc(date, format): the date truncated to year, quarter, month or week (other levels give null, as in Spark). */
export const trunc: ScalarFunction = {
  name: 'trunc', arity: 2,
  bind([a, fmt]) {
    const t = implicitCast(a!.type, 'date');
    if (!t) return `argument 1 requires date type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    return {
      inputTypes: [date, string], returnType: date,
      kernel: (cols, n) => mapRows(cols, [date, string], date, n, ([d, f]) => {
        const level = LEVELS[(f as string).toLowerCase()];
        if (!level || !DATE_LEVELS.has(level)) return null;
        return Math.floor(truncate((d as number) * DAY_MS, level)! / DAY_MS);
      }),
    };
  },
};
