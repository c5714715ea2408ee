import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import type { StatefulOperator } from '../exec/stateful.ts';
import type { SourceProvider } from '../sources/source.ts';

export type ChunkOperator = (b: Batch, ctx: EvalContext) => Batch;

export interface WatermarkSpec { readonly column: string; readonly delayMs: number; readonly delay: string }

/**
 * The analysed, compiled query: which sources to read, the operators each chunk goes
 * through before the (at most one) stateful operator, and those after it.
 */
export interface PhysicalPlan {
  readonly sources: readonly { readonly provider: SourceProvider; readonly options: ReadonlyMap<string, string> }[];
  readonly schema: Struct;
  /**
   * Per source (same order as `sources`), the operators a chunk of that source goes through
   * before `operators`: a union's branches. Absent when every source shares `operators`.
   */
  readonly perSource?: readonly (readonly ChunkOperator[])[];
  readonly operators: readonly ChunkOperator[];
  readonly stateful: StatefulOperator | null;
  readonly post: readonly ChunkOperator[];
  /** withWatermark() calls, in the order their stats sit in EvalContext.eventTime. */
  readonly watermarks: readonly WatermarkSpec[];
  /** For a static (bounded) plan: its rows, before `operators`. */
  readonly staticBatches?: readonly Batch[];
}

/** Append a stateless operator: before the stateful one, or after it once there is one. */
export function withOperator(child: PhysicalPlan, schema: Struct, op: ChunkOperator): PhysicalPlan {
  return child.stateful
    ? { ...child, schema, post: [...child.post, op] }
    : { ...child, schema, operators: [...child.operators, op] };
}
