import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { StateStore } from '../state/state-store.ts';
import type { NumberHolder } from '../state/number-column.ts';
import type { OutputMode } from '../sinks/sink.ts';
import type { OperatorMetadata } from '../checkpoint/operator-metadata.ts';

/** The watermarks one batch runs with (DESIGN §6). */
export interface WatermarkContext {
  /** W(N-1): rows for windows that ended at or before it were closed by an earlier batch: late. */
  readonly lateMs: number;
  /** W(N): windows that end at or before it close in this batch. */
  readonly evictMs: number;
  /** False when the query has no watermark: nothing is late and nothing is evicted. */
  readonly defined: boolean;
  /**
   * The batch's id and timestamp (offsets/<N>'s batchTimestampMs, the same when a crashed batch is
   * re-run): transformWithState's processing time. Optional so contexts built without a batch still type.
   */
  readonly batchId?: number;
  readonly batchTimestampMs?: number;
}

export interface StatefulResult {
  readonly output: Batch[];
  /** Input rows dropped as late (the operator's input schema), for the late-rows path. */
  readonly late: Batch[];
  readonly numLateRows: number;
  /** The operator's own figures for the progress record's customMetrics (Spark's, e.g. numDroppedDuplicateRows). */
  readonly customMetrics?: Readonly<Record<string, number>>;
}

/** Aggregation, deduplication: an operator that keeps state across batches in a StateStore. */
export interface StatefulOperator {
  readonly name: string;
  /** Output schema. */
  readonly schema: Struct;
  /** The schema of the rows it receives (late rows are written in it). */
  readonly inputSchema: Struct;
  /** Key and value schemas of its state rows. */
  readonly stateKey: Struct;
  readonly stateValue: Struct;
  /** Which value columns the store holds in typed arrays, and how (state/number-column.ts); absent: all as cells. */
  readonly stateNumbers?: readonly (NumberHolder | null)[];
  /** The store may hold the key columns typed (StateStoreOptions.typedKeys): the operator never reads `store.keys` itself. */
  readonly stateKeysTyped?: boolean;
  /** What the query looked like: stored with the state; a restart with a different shape is refused. */
  readonly shape: OperatorMetadata;
  /**
   * Present when the operator's state may spill past sluice.state.memoryBudget: the key column
   * whose value orders the spilled rows (the one a watermark closes, via StateStore.readBackUpTo),
   * or null if none does. Absent: the operator reads its state whole, so it stays in memory.
   */
  readonly spillOrderKey?: number | null;
  /** Check the output mode is one this operator supports; throws AnalysisError. */
  checkOutputMode(mode: OutputMode, hasWatermark: boolean): void;
  /** `inputOf[k]`, when given, says which of the operator's inputs batch k came from (a join's 0 left, 1 right). */
  process(input: readonly Batch[], store: StateStore, w: WatermarkContext, mode: OutputMode, inputOf?: readonly number[]): StatefulResult;
  /**
   * Whether this operator asks for a batch with no new rows once the watermark has moved past
   * the last batch's (Spark's shouldRunAnotherBatch, whose watermark test the trigger loop makes).
   * It does not look at the state: Spark runs the batch whether or not anything closes in it.
   */
  runsNoDataBatch(mode: OutputMode): boolean;
  /**
   * When, in processing time, the operator next has work without new rows (a processing-time
   * timer, state whose TTL ends), or null: the trigger loop runs a no-data batch once the clock
   * passes it. Spark runs such an operator's batch at every trigger instead; this runs the same
   * batches minus the ones with nothing due, so idle queries write no empty batches.
   */
  dueAtMs?(store: StateStore): number | null;
  /**
   * The watermark this operator hands the next stateful operator, from the one it runs with
   * (Spark's StateStoreWriter.produceWatermark, which runtime/watermark-propagation.ts chains).
   * Absent: the same, as for aggregation and deduplication; a stream-stream join moves it back by
   * its range condition, as the rows it emits can be that much older. A two-input operator gets
   * the smaller of its inputs' watermarks (the trigger loop's one global watermark for both today).
   */
  outputWatermark?(inputMs: number): number;
}
