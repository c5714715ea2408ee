import { double, long, timestamp, typeToString, isNumeric } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { mapRows } from './map-rows.ts';
import { fixedTypes } from './type-rules.ts';

/**
 * Epoch numbers to timestamps and back: timestamp_seconds (fractions kept to the millisecond,
 * sluice's precision), timestamp_millis, unix_seconds and unix_millis (floored, as Spark).
 */
export const timestamp_seconds: ScalarFunction = {
  name: 'timestamp_seconds', arity: 1,
  bind([a]) {
    if (!isNumeric(a!.type) && a!.type.kind !== 'null') return `argument 1 requires numeric type, however, '${a!.name}' is of ${typeToString(a!.type)} type`;
    const t = a!.type.kind === 'double' ? double : long;
    return { inputTypes: [t], returnType: timestamp, kernel: (cols, n) => mapRows(cols, [t], timestamp, n, ([v]) => (typeof v === 'bigint' ? Number(v) * 1000 : Math.floor((v as number) * 1000))) };
  },
};

export const timestamp_millis: ScalarFunction = {
  name: 'timestamp_millis', arity: 1,
  bind: fixedTypes(['long'], timestamp, (cols, n) => mapRows(cols, [long], timestamp, n, ([v]) => Number(v as bigint))),
};

export const unix_seconds: ScalarFunction = {
  name: 'unix_seconds', arity: 1,
  bind: fixedTypes(['timestamp'], long, (cols, n) => mapRows(cols, [timestamp], long, n, ([v]) => BigInt(Math.floor((v as number) / 1000)))),
};

export const unix_millis: ScalarFunction = {
  name: 'unix_millis', arity: 1,
  bind: fixedTypes(['timestamp'], long, (cols, n) => mapRows(cols, [timestamp], long, n, ([v]) => BigInt(v as number))),
};
