import { date, long, string, timestamp, typeToString, type DataType } from '../../data/types.ts';
import type { Arg, BoundFunction, ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { DAY_MS, patternArg, patternFor } from './datetime-columns.ts';
import { mapRows } from './map-rows.ts';

const DEFAULT_PATTERN = 'yyyy-MM-dd HH:mm:ss';

/**
 * Strings to instants by a Spark datetime pattern: to_timestamp, to_date, unix_timestamp. A value
 * that does not match the pattern is null, as in Spark without ANSI mode. Without a format,
 * to_timestamp and to_date are casts; a date or timestamp argument converts without parsing,
 * its format unused, as Spark's ToTimestamp does.
 */
function parser(name: string, out: DataType, defaultPattern: string | null, convert: (ms: number) => number | bigint): ScalarFunction {
  return {
    name, arity: name === 'unix_timestamp' ? [0, 2] : [1, 2],
    bind(args): BoundFunction | string {
      if (args.length === 0) {
        // unix_timestamp(): the batch's time, as current_timestamp.
        return { inputTypes: [], returnType: out, kernel: (_c, n, ctx) => mapRows([], [], out, n, () => convert(ctx.batchTimestampMs)) };
      }
      const a = args[0]!, fmt: Arg | undefined = args[1];
      const k = a.type.kind;
      if (k === 'timestamp' || k === 'date') {
        const toMs = k === 'date' ? (v: number) => v * DAY_MS : (v: number) => v;
        // The format is still checked (a bad literal pattern fails analysis), then unused.
        const p = fmt ? patternArg(name, fmt, true) : null;
        if (typeof p === 'string') return p;
        // Only the value decides null: Spark's ToTimestamp does not read the format (even a null one) here.
        return {
          inputTypes: fmt ? [a.type, string] : [a.type], returnType: out,
          kernel: ([v], n) => mapRows([v!], [a.type], out, n, ([x]) => convert(toMs(x as number))),
        };
      }
      if (!fmt && defaultPattern === null) {
        // to_timestamp(s) / to_date(s): Spark's cast.
        const t = implicitCast(a.type, out.kind as 'timestamp' | 'date');
        if (!t) return `argument 1 requires string type, however, '${a.name}' is of ${typeToString(a.type)} type`;
        return { inputTypes: [out], returnType: out, kernel: ([d]) => d! };
      }
      if (implicitCast(a.type, 'string') === null) return `argument 1 requires string type, however, '${a.name}' is of ${typeToString(a.type)} type`;
      const p = patternArg(name, fmt ?? { type: string, name: `'${defaultPattern}'`, constant: { value: defaultPattern } }, true);
      if (typeof p === 'string') return p;
      const types = fmt ? [string, string] : [string];
      return {
        inputTypes: types, returnType: out,
        kernel: (cols, n) => mapRows(cols, types, out, n, ([s, f]) => {
          const ms = patternFor(name, p, f ?? null).parse(s as string);
          return ms === null ? null : convert(ms);
        }),
      };
    },
  };
}

export const to_timestamp = parser('to_timestamp', timestamp, null, (ms) => ms);
export const to_date = parser('to_date', date, null, (ms) => Math.floor(ms / DAY_MS));
/** Seconds since the epoch; the default format is Spark's 'yyyy-MM-dd HH:mm:ss'. */
export const unix_timestamp: ScalarFunction = {
  ...parser('unix_timestamp', long, DEFAULT_PATTERN, (ms) => BigInt(Math.floor(ms / 1000))),
  // Spark names the call with the arguments it fills in: unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss).
  sql: (args) => `unix_timestamp(${[args[0] ?? 'current_timestamp()', args[1] ?? DEFAULT_PATTERN].join(', ')})`,
};
