import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import type { StatefulOperator } from '../exec/stateful.ts';
import type { SourceProvider } from '../sources/source.ts';

export type ChunkOperator = (b: Batch, ctx: EvalContext) => Batch;

export interface WatermarkSpec { readonly column: string; readonly delayMs: number; readonly delay: string }

/**
 * A column a select() made with window(t, size) (SPARK-27340). A groupBy on it is a windowed
 * aggregation; when t was the watermarked column the window carries the watermark, as Spark's
 * alias keeps t's event-time metadata.
 */
export interface ProjectedWindow { readonly sizeMs: number; readonly watermarked: boolean }

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
  /**
   * Per source (same order as `sources`), which input of `stateful` its rows feed: a stream-stream
   * join's 0 (left) or 1 (right). Absent when the operator has one input.
   */
  readonly statefulInputOf?: readonly number[];
  readonly post: readonly ChunkOperator[];
  /**
   * Columns of withWatermark() calls made on a stream that already had one (Spark: "Redefining
   * watermark is disallowed" unless allowMultiple is false); empty when none was.
   */
  readonly redefinedWatermarks?: readonly string[];
  /** withWatermark() calls, in the order their stats sit in EvalContext.eventTime. */
  readonly watermarks: readonly WatermarkSpec[];
  /** Columns made by window() in a select(), by output name. */
  readonly windowColumns?: ReadonlyMap<string, ProjectedWindow>;
  /** For a static (bounded) plan: its rows, before `operators`. */
  readonly staticBatches?: readonly Batch[];
}

/** Append a stateless operator: before the stateful one, or after it once there is one. */
export function withOperator(child: PhysicalPlan, schema: Struct, op: ChunkOperator): PhysicalPlan {
  return child.stateful
    ? { ...child, schema, post: [...child.post, op] }
    : { ...child, schema, operators: [...child.operators, op] };
}
