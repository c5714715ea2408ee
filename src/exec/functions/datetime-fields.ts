import { int, typeToString, type DataType } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { type Fields, daysFromCivil, fieldsOf } from './datetime-pattern.ts';
import { DAY_MS } from './datetime-columns.ts';
import { mapRows } from './map-rows.ts';

/** ISO-8601 week of the year (weeks start on Monday; week 1 holds the year's first Thursday), as Spark's weekofyear. */
function isoWeek(f: Fields): number {
  const days = daysFromCivil(f.year, f.month, f.day), thursday = days - f.isoWeekday + 4;
  const y = fieldsOf(thursday * DAY_MS).year;
  return Math.floor((thursday - daysFromCivil(y, 1, 1)) / 7) + 1;
}

/**
 * A field of a date or timestamp, in UTC. Spark's date fields (year … weekofyear) take a date and
 * its time fields (hour, minute, second) a timestamp; a string is cast, a timestamp passes to a
 * date field by its day.
 */
function field(name: string, of: 'date' | 'timestamp', get: (f: Fields) => number, aliases?: string[]): ScalarFunction {
  return {
    name, aliases, arity: 1,
    bind([a]) {
      const from = a!.type;
      // A timestamp keeps its time for the time fields and is read by its day for date fields.
      const t: DataType | null = from.kind === 'timestamp' || from.kind === 'date' ? from : implicitCast(from, of);
      if (!t) return `argument 1 requires ${of} type, however, '${a!.name}' is of ${typeToString(from)} type`;
      const toMs = t.kind === 'date' ? (v: number) => v * DAY_MS : (v: number) => v;
      return { inputTypes: [t], returnType: int, kernel: (cols, n) => mapRows(cols, [t], int, n, ([v]) => get(fieldsOf(toMs(v as number)))) };
    },
  };
}

export const year = field('year', 'date', (f) => f.year);
export const quarter = field('quarter', 'date', (f) => Math.ceil(f.month / 3));
export const month = field('month', 'date', (f) => f.month);
export const dayofmonth = field('dayofmonth', 'date', (f) => f.day, ['day']);
/** 1 = Sunday … 7 = Saturday, as Spark's dayofweek. */
export const dayofweek = field('dayofweek', 'date', (f) => (f.isoWeekday % 7) + 1);
export const dayofyear = field('dayofyear', 'date', (f) => f.dayOfYear);
export const weekofyear = field('weekofyear', 'date', isoWeek);
export const hour = field('hour', 'timestamp', (f) => f.hour);
export const minute = field('minute', 'timestamp', (f) => f.minute);
export const second = field('second', 'timestamp', (f) => f.second);
