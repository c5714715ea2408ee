import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import type { StatefulOperator } from '../exec/stateful.ts';
import type { ReadColumns, SourceProvider } from '../sources/source.ts';

export type ChunkOperator = (b: Batch, ctx: EvalContext) => Batch;

export interface WatermarkSpec { readonly column: string; readonly delayMs: number; readonly delay: string }

/**
 * A column a select() made with window(t, size) (SPARK-27340). A groupBy on it is a windowed
 * aggregation; when t was the watermarked column the window carries the watermark, as Spark's
 * alias keeps t's event-time metadata.
 */
export interface ProjectedWindow {
  readonly sizeMs: number;
  readonly watermarked: boolean;
  /** A session_window of an aggregation's output: no fixed size, so only window_time() of it is a time to window by. */
  readonly session?: boolean;
}

/**
 * A stateful operator and the stateless operators its output goes through before the next
 * stateful operator (or the sink).
 */
export interface StatefulStage {
  readonly operator: StatefulOperator;
  readonly post: readonly ChunkOperator[];
  readonly traits: StageTraits;
  /**
   * Where its output goes when that is not the next stage's only input: a join side's own stages
   * (an aggregation before a stream-stream join, SPARK-49829) feed one input of a later join.
   */
  readonly feeds?: StageFeed;
}

/** An input of a stage: which stage (its index in `stages`) and which of its inputs (a join's 0 left, 1 right). */
export interface StageFeed { readonly stage: number; readonly input: number }

/** What Spark's UnsupportedOperationChecker asks of an operator in a chain (plan/check-chain.ts). */
export interface StageTraits {
  /** A streaming aggregation: outside append mode it emits rows again, which a later operator would take as late. */
  readonly aggregation: boolean;
  /**
   * Whether the watermark bounds its state (Spark's isStatefulOperation for the chain check): an
   * aggregation, a join, dropDuplicatesWithinWatermark, a dropDuplicates with the event-time column among its keys.
   */
  readonly eventTime: boolean;
}

/**
 * The analysed, compiled query: which sources to read, the operators each chunk goes
 * through before the first stateful operator, then the chain of stateful stages (Spark 3.4+,
 * SPARK-40925: dedup -> aggregate, aggregate -> aggregate, join -> aggregate).
 */
export interface PhysicalPlan {
  readonly sources: readonly { readonly provider: SourceProvider; readonly options: ReadonlyMap<string, string>; readonly readColumns?: ReadColumns }[];
  readonly schema: Struct;
  /**
   * Per source (same order as `sources`), the operators a chunk of that source goes through
   * before `operators`: a union's branches. Absent when every source shares `operators`.
   */
  readonly perSource?: readonly (readonly ChunkOperator[])[];
  readonly operators: readonly ChunkOperator[];
  /** The stateful operators in data-flow order (upstream first); empty for a stateless query. */
  readonly stages: readonly StatefulStage[];
  /**
   * Per source (same order as `sources`), which input of the first stage its rows feed: a
   * stream-stream join's 0 (left) or 1 (right). Absent when that operator has one input.
   */
  readonly firstStageInputOf?: readonly number[];
  /**
   * Per source, which stage its rows feed when that is not the first (a join whose side has stages
   * of its own); `firstStageInputOf` then says which input of that stage.
   */
  readonly sourceStageOf?: readonly number[];
  /**
   * The stage whose input schema lateRowsPath is written in (absent: the first): a stream-stream
   * join's, when its sides have stages of their own, so the join's late rows are written, not only counted.
   */
  readonly lateRowsStage?: number;
  /**
   * Columns of withWatermark() calls made on a stream that already had one (Spark: "Redefining
   * watermark is disallowed" unless allowMultiple is false); empty when none was.
   */
  readonly redefinedWatermarks?: readonly string[];
  /** withWatermark() calls, in the order their stats sit in EvalContext.eventTime. */
  readonly watermarks: readonly WatermarkSpec[];
  /** Columns made by window() in a select(), or by a windowed aggregation, by output name. */
  readonly windowColumns?: ReadonlyMap<string, ProjectedWindow>;
  /**
   * Timestamp columns that carry the watermark past a stateful operator (Spark keeps the event-time
   * metadata on window_time(window) of an aggregation's window): what a later stateful operator closes by.
   */
  readonly eventTimeColumns?: readonly string[];
  /**
   * Set when orderBy() sorts a stream: allowed only on an aggregation's output in complete mode
   * (Spark's UnsupportedOperationChecker), which check-chain.ts checks once the mode is known.
   */
  readonly sortedStream?: boolean;
  /** For a static (bounded) plan: its rows, before `operators`. */
  readonly staticBatches?: readonly Batch[];
}

/** Append a stateless operator: before the first stateful one, or after the last one once there is one. */
export function withOperator(child: PhysicalPlan, schema: Struct, op: ChunkOperator): PhysicalPlan {
  const last = child.stages.at(-1);
  return last
    ? { ...child, schema, stages: [...child.stages.slice(0, -1), { ...last, post: [...last.post, op] }] }
    : { ...child, schema, operators: [...child.operators, op] };
}

/** Append a stateful operator to the chain; its output is the plan's from here on. */
export function withStateful(child: PhysicalPlan, operator: StatefulOperator, traits: StageTraits): PhysicalPlan {
  return { ...child, schema: operator.schema, stages: [...child.stages, { operator, post: [], traits }], windowColumns: undefined, eventTimeColumns: undefined };
}

/**
 * The operator id of stage `index` (its state lives in state/<id>/): Spark numbers stateful
 * operators as IncrementalExecution's transformDown meets them, so the last one in the data flow
 * is 0. A query with one operator keeps state/0, as before chains existed.
 */
export function operatorIdOf(plan: PhysicalPlan, index: number): number {
  return plan.stages.length - 1 - index;
}

/** The schema lateRowsPath is written in: the input of the stage whose late rows it takes. */
export function lateRowsSchema(plan: PhysicalPlan): Struct | undefined {
  return plan.stages[plan.lateRowsStage ?? 0]?.operator.inputSchema;
}

/** Where stage k's output goes: a stage's input, or null for the sink. */
export function stageFeedOf(plan: PhysicalPlan, k: number): StageFeed | null {
  const explicit = plan.stages[k]!.feeds;
  if (explicit) return explicit;
  return k + 1 < plan.stages.length ? { stage: k + 1, input: 0 } : null;
}

/** Which stages feed stage k, and whether sources do too: Spark's PropagateWatermarkSimulator takes the smallest of its inputs' watermarks. */
export interface StageProducers { readonly stages: readonly number[]; readonly sources: boolean }

export function stageProducers(plan: PhysicalPlan): StageProducers[] {
  const out = plan.stages.map((): { stages: number[]; sources: boolean } => ({ stages: [], sources: false }));
  plan.sources.forEach((_, i) => { const k = plan.sourceStageOf?.[i] ?? 0; if (out[k]) out[k]!.sources = true; });
  plan.stages.forEach((_, k) => { const f = stageFeedOf(plan, k); if (f) out[f.stage]!.stages.push(k); });
  return out;
}
