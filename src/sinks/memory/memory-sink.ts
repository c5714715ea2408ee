import type * as A from 'apache-arrow';
import type { Struct } from '../../data/types.ts';
import { OptionError } from '../../errors.ts';
import { type Batch, toArrowTables, emptyBatch, batchNumRows } from '../../data/batch.ts';
import { batchToRows } from '../../data/rows.ts';
import type { OutputMode, SinkProvider } from '../sink.ts';

/**
 * Spark's memory sink: the result in a table named by queryName. Batches are kept by id,
 * so a re-run of a batch replaces its rows; complete mode keeps only the last batch.
 */
export class MemoryTable {
  private readonly batches = new Map<number, readonly Batch[]>();
  constructor(readonly name: string, readonly schema: Struct, private readonly mode: OutputMode) {}

  put(batchId: number, data: readonly Batch[]): void {
    if (this.mode === 'complete') this.batches.clear();
    this.batches.set(batchId, data);
  }
  private all(): Batch[] {
    return [...this.batches.keys()].sort((a, b) => a - b).flatMap((k) => this.batches.get(k)!);
  }
  /** Rows as objects (timestamps as Date, longs as bigint). */
  collect(): Record<string, unknown>[] { return this.all().flatMap(batchToRows); }
  count(): number { return batchNumRows(this.all()); }
  toArrow(): A.Table {
    const all = this.all();
    return toArrowTables(all.length ? all : [emptyBatch(this.schema)]);
  }
  batchIds(): number[] { return [...this.batches.keys()].sort((a, b) => a - b); }
}

/** Memory tables by query name; the session exposes them as session.table(name). */
export const memoryTables = new Map<string, MemoryTable>();

export const memorySink: SinkProvider = {
  name: 'memory',
  outputModes: ['append', 'update', 'complete'],
  options: [],
  temporaryCheckpoint: true,
  create(opts) {
    if (!opts.queryName) throw new OptionError(`The memory sink needs a table name: call .queryName('my_table') on the writer.`);
    const table = new MemoryTable(opts.queryName, opts.schema, opts.outputMode);
    memoryTables.set(opts.queryName, table);
    return {
      description: `MemorySink[${opts.queryName}]`,
      async addBatch(batchId, data) {
        table.put(batchId, data);
        return { numOutputRows: batchNumRows(data) };
      },
    };
  },
};
