import { date, string, typeToString } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { mapRows } from './map-rows.ts';

/** Spark's DateTimeUtils.getDayOfWeekFromString: two letters, three, or the whole name, any case; Thursday is 0. */
const DAYS: Record<string, number> = {};
['THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY'].forEach((d, k) => { DAYS[d] = k; DAYS[d.slice(0, 2)] = k; DAYS[d.slice(0, 3)] = k; });

/**
 * next_day(start, dayOfWeek): the first date later than start that is that day of the week. A day
 * name Spark does not read gives null (Spark without ANSI mode); a literal one fails analysis.
 */
export const next_day: ScalarFunction = {
  name: 'next_day', arity: 2,
  bind([a, d]) {
    if (!implicitCast(a!.type, 'date')) return `argument 1 requires date type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    if (d!.type.kind !== 'string' && d!.type.kind !== 'null') return `argument 2 requires string type, however, '${d!.name}' is of ${typeToString(d!.type)} type`;
    const lit = d!.constant?.value;
    if (typeof lit === 'string' && DAYS[lit.trim().toUpperCase()] === undefined) {
      return `'${lit}' is not a day of the week: use Mo/Mon/Monday … Su/Sun/Sunday, in any case`;
    }
    return {
      inputTypes: [date, string], returnType: date,
      kernel: (cols, n) => mapRows(cols, [date, string], date, n, ([day, name]) => {
        const want = DAYS[(name as string).trim().toUpperCase()];
        if (want === undefined) return null;
        // Days since the epoch: day 0 (1970-01-01) is a Thursday, index 0 above.
        const dow = (((day as number) % 7) + 7) % 7;
        return (day as number) + (((want - dow - 1 + 7) % 7) + 1);
      }),
    };
  },
};
