import type * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { Cell } from '../data/cells.ts';

/**
 * The contract between the planner and the operators: an expression the analyzer has resolved
 * and compiled once, and the per-batch context it runs in. The planner builds these; exec runs them.
 */

/** Per-batch services an expression may use: DROPMALFORMED removes rows, and is counted. */
export interface EvalContext {
  drop(rows: Int32Array): void;
  readonly metrics: { malformedRowsDropped: number };
  /** Event-time statistics per withWatermark() of the plan, filled as rows pass it. */
  readonly eventTime: EventTimeStats[];
  /** The micro-batch's time (offset log's batchTimestampMs): current_timestamp() for every row of the batch. */
  readonly batchTimestampMs: number;
}

export interface EventTimeStats { min: number; max: number; sum: number; count: number }
export const newEventTimeStats = (): EventTimeStats => ({ min: Infinity, max: -Infinity, sum: 0, count: 0 });

/** A fresh context: nothing dropped yet, stats for `watermarks` withWatermark() calls. */
export function newEvalContext(watermarks = 0, batchTimestampMs = Date.now()): EvalContext {
  return { drop: () => undefined, metrics: { malformedRowsDropped: 0 }, eventTime: Array.from({ length: watermarks }, newEventTimeStats), batchTimestampMs };
}

/** An expression resolved against a schema: its type is known and it is compiled once. */
export interface Bound {
  readonly type: DataType;
  readonly name: string;
  /** Set for literals (after constant folding of casts). */
  readonly constant?: { value: Cell };
  /** The input column index when the expression is a plain column reference. */
  readonly columnIndex?: number;
  /** Set for m['k'] on a map, which Spark names m[k] where a struct's field would be named k. */
  readonly mapLookup?: boolean;
  eval(b: Batch, ctx: EvalContext): A.Data;
}
