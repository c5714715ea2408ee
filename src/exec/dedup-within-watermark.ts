import { type Struct, struct, timestamp, typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import { isValid, type Batch } from '../data/batch.ts';
import { takeBatch } from '../data/take.ts';
import { cellReader } from '../data/cells.ts';
import { keyParts, rowKey } from '../state/key-encoding.ts';
import { isEvicted, isLate } from './watermark-rule.ts';
import { dedupKeyColumns } from './dedup.ts';
import type { StateStore } from '../state/state-store.ts';
import type { OutputMode } from '../sinks/sink.ts';
import type { OperatorMetadata } from '../checkpoint/operator-metadata.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from './stateful.ts';

/**
 * dropDuplicatesWithinWatermark(cols) (Spark 3.5's StreamingDeduplicateWithinWatermarkExec): the
 * first row of a key passes and the key is remembered until `its event time + the watermark's delay`
 * is at or below the watermark; any row of the key until then is a duplicate, whatever its own event
 * time. The keys need not hold the event-time column, and state stays bounded all the same. A row at
 * or below W(N-1) is late. A row with no event time passes once and its key is never forgotten.
 */
export class DeduplicateWithinWatermark implements StatefulOperator {
  readonly name = 'dedupeWithinWatermark';
  readonly schema: Struct;
  readonly stateKey: Struct;
  readonly stateValue = struct({ expiresAt: timestamp });
  readonly shape: OperatorMetadata;
  private readonly idx: number[];
  private readonly timeIdx: number;
  private readonly delayMs: number;

  constructor(readonly inputSchema: Struct, columns: readonly string[] | null, watermark: { readonly column: string; readonly delayMs: number }) {
    const names = inputSchema.fields.map((f) => f.name);
    this.idx = dedupKeyColumns(inputSchema, columns, 'dropDuplicatesWithinWatermark');
    this.schema = inputSchema;
    this.stateKey = struct(this.idx.map((k) => inputSchema.fields[k]!));
    this.timeIdx = names.indexOf(watermark.column);
    this.delayMs = watermark.delayMs;
    this.shape = {
      operator: 'dropDuplicatesWithinWatermark',
      keys: this.idx.map((k) => ({ name: names[k]!, kind: 'column', type: typeToString(inputSchema.fields[k]!.type) })),
    };
  }

  checkOutputMode(mode: OutputMode): void {
    if (mode === 'complete') throw new AnalysisError(`Complete output mode is not supported for dropDuplicatesWithinWatermark without an aggregation; use append.`);
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext): StatefulResult {
    const output: Batch[] = [], late: Batch[] = [];
    let numLate = 0, numDuplicates = 0;
    const expiresAt = store.values[0]!;
    for (const b of input) {
      const n = b.numRows;
      if (!n) continue;
      const parts = this.idx.map((k) => keyParts(b.columns[k]!, b.schema.fields[k]!.type, n));
      const readers = this.idx.map((k) => cellReader(b.columns[k]!, b.schema.fields[k]!.type));
      const tc = b.columns[this.timeIdx]!, tv = tc.values as BigInt64Array;
      const keep: number[] = [], lateRows: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = isValid(tc, i) ? Number(tv[i]!) : null;
        if (t !== null && isLate(t, w)) { numLate++; lateRows.push(i); continue; }
        const key = rowKey(parts, i);
        if (store.lookup(key) >= 0) { numDuplicates++; continue; }
        const slot = store.insert(key, readers.map((r) => r(i)));
        expiresAt[slot] = t === null ? null : t + this.delayMs;
        keep.push(i);
      }
      if (keep.length) output.push(keep.length === n ? b : takeBatch(b, Int32Array.from(keep)));
      if (lateRows.length) late.push(takeBatch(b, Int32Array.from(lateRows)));
    }
    for (const slot of [...store.slots()]) {
      const e = expiresAt[slot];
      if (e !== null && e !== undefined && isEvicted(e as number, w)) store.remove(slot);
    }
    return { output, late, numLateRows: numLate, customMetrics: { numDroppedDuplicateRows: numDuplicates } };
  }

  /** Spark's StreamingDeduplicateWithinWatermarkExec asks for one in every mode. */
  runsNoDataBatch(): boolean { return true; }
}
