import type * as A from 'apache-arrow';
import type { Struct } from '../../data/types.ts';
import { type Batch, toArrowTables, emptyBatch, batchNumRows } from '../../data/batch.ts';
import { batchToRows } from '../../data/rows.ts';
import type { Sink } from '../sink.ts';

/** What foreachBatch's function receives: the batch's rows, as Arrow or as row objects. */
export class BatchFrame {
  constructor(readonly schema: Struct, readonly batches: readonly Batch[]) {}
  count(): number { return batchNumRows(this.batches); }
  isEmpty(): boolean { return this.count() === 0; }
  toArrow(): A.Table { return toArrowTables(this.batches.length ? this.batches : [emptyBatch(this.schema)]); }
  collect(): Record<string, unknown>[] { return this.batches.flatMap(batchToRows); }
}

export type ForeachBatchFunction = (df: BatchFrame, batchId: number) => void | Promise<void>;

/** What a writer given foreachBatch(fn) reports as its format, in messages. */
export const foreachBatchFormat = 'foreachBatch';

/** foreachBatch(fn): the user's function is the sink; it should be idempotent per batchId, as in Spark. */
export function foreachBatchSink(fn: ForeachBatchFunction, schema: Struct): Sink {
  return {
    description: 'ForeachBatchSink',
    async addBatch(batchId, data) {
      await fn(new BatchFrame(schema, data), batchId);
      return { numOutputRows: batchNumRows(data) };
    },
  };
}
