import { date, timestamp } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { DAY_MS } from './datetime-columns.ts';
import { mapRows } from './map-rows.ts';

/**
 * current_timestamp() / now() and current_date(): one value for the whole micro-batch, its
 * batchTimestampMs from the offset log, as in Spark. A batch re-run after a crash logged that time,
 * so it sees the same value.
 */
export const current_timestamp: ScalarFunction = {
  name: 'current_timestamp', aliases: ['now'], arity: 0,
  bind: () => ({ inputTypes: [], returnType: timestamp, kernel: (_c, n, ctx) => mapRows([], [], timestamp, n, () => ctx.batchTimestampMs) }),
};

export const current_date: ScalarFunction = {
  name: 'current_date', aliases: ['curdate'], arity: 0,
  bind: () => ({ inputTypes: [], returnType: date, kernel: (_c, n, ctx) => mapRows([], [], date, n, () => Math.floor(ctx.batchTimestampMs / DAY_MS)) }),
};
