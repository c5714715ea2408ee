import { date, int, typeToString, type DataType } from '../../data/types.ts';
import type { Arg, ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { addMonths, civilFromDays, daysFromCivil, daysInMonth } from './datetime-pattern.ts';
import { mapRows } from './map-rows.ts';

/** A date argument: a date, or what Spark casts to one (a timestamp by its day, a string). */
function dateArg(fn: string, a: Arg, pos: number): DataType | string {
  return implicitCast(a.type, 'date') ?? `${fn}: argument ${pos} requires date type, however, '${a.name}' is of ${typeToString(a.type)} type`;
}

function dayShift(name: string, sign: 1 | -1): ScalarFunction {
  return {
    name, arity: 2,
    bind([a, b]) {
      const t = dateArg(name, a!, 1);
      if (typeof t === 'string') return t;
      if (!implicitCast(b!.type, 'int')) return `${name}: argument 2 requires int type, however, '${b!.name}' is of ${typeToString(b!.type)} type`;
      return { inputTypes: [date, int], returnType: date, kernel: (cols, n) => mapRows(cols, [date, int], date, n, ([d, k]) => (d as number) + sign * (k as number)) };
    },
  };
}

/** date_add(start, days) and date_sub(start, days). */
export const date_add = dayShift('date_add', 1);
export const date_sub = dayShift('date_sub', -1);

/** datediff(end, start): days from start to end. */
export const datediff: ScalarFunction = {
  name: 'datediff', arity: 2,
  bind([a, b]) {
    for (const [x, pos] of [[a!, 1], [b!, 2]] as const) { const t = dateArg('datediff', x, pos); if (typeof t === 'string') return t; }
    return { inputTypes: [date, date], returnType: int, kernel: (cols, n) => mapRows(cols, [date, date], int, n, ([e, s]) => (e as number) - (s as number)) };
  },
};

/** add_months(start, months): the same day `months` later, or that month's last day when it is shorter. */
export const add_months: ScalarFunction = {
  name: 'add_months', arity: 2,
  bind([a, b]) {
    const t = dateArg('add_months', a!, 1);
    if (typeof t === 'string') return t;
    if (!implicitCast(b!.type, 'int')) return `add_months: argument 2 requires int type, however, '${b!.name}' is of ${typeToString(b!.type)} type`;
    return {
      inputTypes: [date, int], returnType: date,
      kernel: (cols, n) => mapRows(cols, [date, int], date, n, ([d, k]) => addMonths(d as number, k as number)),
    };
  },
};

/** last_day(date): the last day of its month. */
export const last_day: ScalarFunction = {
  name: 'last_day', arity: 1,
  bind([a]) {
    const t = dateArg('last_day', a!, 1);
    if (typeof t === 'string') return t;
    return {
      inputTypes: [date], returnType: date,
      kernel: (cols, n) => mapRows(cols, [date], date, n, ([d]) => { const [y, m] = civilFromDays(d as number); return daysFromCivil(y, m, daysInMonth(y, m)); }),
    };
  },
};
