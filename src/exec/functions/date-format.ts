import { long, string, typeToString } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { implicitCast } from './type-rules.ts';
import { DAY_MS, patternArg, patternFor } from './datetime-columns.ts';
import { mapRows } from './map-rows.ts';

/** date_format(ts, fmt): the instant as text by a Spark datetime pattern, in UTC. */
export const date_format: ScalarFunction = {
  name: 'date_format', arity: 2,
  bind([a, fmt]) {
    const t = a!.type.kind === 'date' ? a!.type : implicitCast(a!.type, 'timestamp');
    if (!t) return `argument 1 requires timestamp type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const p = patternArg('date_format', fmt!);
    if (typeof p === 'string') return p;
    const toMs = t.kind === 'date' ? (v: number) => v * DAY_MS : (v: number) => v;
    return {
      inputTypes: [t, string], returnType: string,
      kernel: (cols, n) => mapRows(cols, [t, string], string, n, ([v, f]) => patternFor('date_format', p, f!).format(toMs(v as number))),
    };
  },
};

/** from_unixtime(seconds[, fmt]): seconds since the epoch as text; the default format is 'yyyy-MM-dd HH:mm:ss'. */
export const from_unixtime: ScalarFunction = {
  name: 'from_unixtime', arity: [1, 2],
  bind([a, fmt]) {
    if (!implicitCast(a!.type, 'long')) return `argument 1 requires bigint type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const p = patternArg('from_unixtime', fmt ?? { type: string, name: "'yyyy-MM-dd HH:mm:ss'", constant: { value: 'yyyy-MM-dd HH:mm:ss' } });
    if (typeof p === 'string') return p;
    const types = fmt ? [long, string] : [long];
    return {
      inputTypes: types, returnType: string,
      kernel: (cols, n) => mapRows(cols, types, string, n, ([v, f]) => patternFor('from_unixtime', p, f ?? null).format(Number(v as bigint) * 1000)),
    };
  },
  // Spark names the call with its default format filled in: from_unixtime(t, yyyy-MM-dd HH:mm:ss).
  sql: (args) => `from_unixtime(${args[0]}, ${args[1] ?? 'yyyy-MM-dd HH:mm:ss'})`,
};
