import { string, timestamp, typeToString } from '../../data/types.ts';
import { DataError } from '../../errors.ts';
import { cellReader, type Cell } from '../../data/cells.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { mapRows } from './map-rows.ts';
import { type Zone, zoneOf, wallToInstant } from './time-zone.ts';

/**
 * from_utc_timestamp(ts, tz) and to_utc_timestamp(ts, tz), Spark's convertTz: from_utc reads ts as
 * a UTC wall clock and gives the instant whose UTC wall clock is tz's at ts (ts + tz's offset then);
 * to_utc reads ts's UTC wall clock as a time in tz and gives that instant. A literal zone Spark
 * does not know is an analysis error; one in a column fails the batch naming the row.
 */
function convert(name: string, f: (z: Zone, ms: number) => number): ScalarFunction {
  return {
    name, arity: 2,
    bind([a, z]) {
      if (!implicitCast(a!.type, 'timestamp')) return `argument 1 requires timestamp type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
      if (z!.type.kind !== 'string' && z!.type.kind !== 'null') return `argument 2 requires string type, however, '${z!.name}' is of ${typeToString(z!.type)} type`;
      const lit = z!.constant?.value;
      if (typeof lit === 'string' && !zoneOf(lit)) return `the time zone '${lit}' is not known: use a region id such as 'America/Los_Angeles', an offset such as '+08:00', or a short id such as 'PST'`;
      return {
        inputTypes: [timestamp, string], returnType: timestamp,
        kernel: (cols, n) => {
          if (typeof lit !== 'string') {
            const tz = cellReader(cols[1]!, string);
            for (let i = 0; i < n; i++) {
              const v = tz(i);
              if (v !== null && !zoneOf(v as string)) throw new DataError(`${name}: the time zone '${String(v)}' in row ${i} of the batch is not known; use a region id such as 'America/Los_Angeles' or an offset such as '+08:00'.`);
            }
          }
          return mapRows(cols, [timestamp, string], timestamp, n, ([ms, tz]: Cell[]) => f(zoneOf(tz as string)!, ms as number));
        },
      };
    },
  };
}

export const from_utc_timestamp = convert('from_utc_timestamp', (z, ms) => ms + z.offsetAt(ms));
export const to_utc_timestamp = convert('to_utc_timestamp', (z, ms) => wallToInstant(z, ms));
