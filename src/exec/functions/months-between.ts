import { boolean, double, timestamp, typeToString } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { mapRows } from './map-rows.ts';
import { DAY_MS, civilFromDays, daysInMonth } from './datetime-pattern.ts';

/**
 * months_between(end, start[, roundOff]): Spark's DateTimeUtils.monthsBetween. Whole months when
 * the days of month are equal or both are their month's last day; else the month difference plus
 * the difference in days and time of day over a 31-day month, rounded to 8 decimals unless
 * roundOff is false. In UTC, sluice's session time zone.
 */
export function monthsBetween(t1: number, t2: number, roundOff: boolean): number {
  const d1 = Math.floor(t1 / DAY_MS), d2 = Math.floor(t2 / DAY_MS);
  const [y1, m1, day1] = civilFromDays(d1), [y2, m2, day2] = civilFromDays(d2);
  const monthDiff = (y1 * 12 + m1) - (y2 * 12 + m2);
  if (day1 === day2 || (day1 === daysInMonth(y1, m1) && day2 === daysInMonth(y2, m2))) return monthDiff;
  // Whole seconds of the day, as Spark's MICROSECONDS.toSeconds.
  const sec1 = Math.floor((t1 - d1 * DAY_MS) / 1000), sec2 = Math.floor((t2 - d2 * DAY_MS) / 1000);
  const diff = monthDiff + ((day1 - day2) * 86400 + sec1 - sec2) / (31 * 86400);
  return roundOff ? Math.round(diff * 1e8) / 1e8 : diff;
}

export const months_between: ScalarFunction = {
  name: 'months_between', arity: [2, 3],
  bind(args) {
    for (const [k, a] of args.slice(0, 2).entries()) {
      if (!implicitCast(a.type, 'timestamp')) return `argument ${k + 1} requires timestamp type, however, '${a.name}' is of ${typeToString(a.type)} type`;
    }
    const r = args[2];
    if (r && r.type.kind !== 'boolean') return `argument 3 requires boolean type, however, '${r.name}' is of ${typeToString(r.type)} type`;
    const types = args.length === 3 ? [timestamp, timestamp, boolean] : [timestamp, timestamp];
    return {
      inputTypes: types, returnType: double,
      kernel: (cols, n) => mapRows(cols, types, double, n, ([a, b, round]) => monthsBetween(a as number, b as number, round !== false)),
    };
  },
};
