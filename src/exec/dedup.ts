import { type Struct, struct, timestamp, typeToString } from '../data/types.ts';
import { AnalysisError } from '../errors.ts';
import { isValid, type Batch } from '../data/batch.ts';
import { takeBatch } from '../data/take.ts';
import { cellReader } from '../data/cells.ts';
import { keyParts, rowKey } from '../state/key-encoding.ts';
import { isEvicted, isLate } from './watermark-rule.ts';
import type { StateStore } from '../state/state-store.ts';
import type { OutputMode } from '../sinks/sink.ts';
import type { OperatorMetadata } from '../checkpoint/operator-metadata.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from './stateful.ts';

/** The key columns of a deduplication: their positions in the input (all columns when none are named). */
export function dedupKeyColumns(inputSchema: Struct, columns: readonly string[] | null, method: string): number[] {
  const names = inputSchema.fields.map((f) => f.name);
  return (columns ?? names).map((c) => {
    const k = names.indexOf(c);
    if (k < 0) throw new AnalysisError(`${method}: no column '${c}'. Available columns: ${names.join(', ')}.`);
    if (inputSchema.fields[k]!.type.kind === 'struct') throw new AnalysisError(`${method} on the struct column '${c}' is not supported; name its fields.`);
    if (inputSchema.fields[k]!.type.kind === 'map') throw new AnalysisError(`${method} on the map column '${c}' is not supported, as in Spark (maps are not comparable); name other columns, or deduplicate on to_json(${c}) added with withColumn.`);
    if (inputSchema.fields[k]!.type.kind === 'array') throw new AnalysisError(`${method} on the array column '${c}' is not supported; name other columns, or deduplicate on array_join(${c}, ',') added with withColumn.`);
    return k;
  });
}

/**
 * dropDuplicates(cols): the first row of each key passes, later ones are dropped. As Spark's
 * StreamingDeduplicateExec, the watermark counts only when its column is one of the keys
 * (SPARK-21546): then a key is kept until its event time is at or below the watermark, and rows
 * at or below W(N-1) are late, so state stays bounded. Otherwise state grows with the keys;
 * dropDuplicatesWithinWatermark is the bounded way to deduplicate on other columns.
 */
export class Deduplicate implements StatefulOperator {
  readonly name = 'dedupe';
  readonly schema: Struct;
  readonly stateKey: Struct;
  readonly stateValue = struct({ eventTime: timestamp });
  readonly shape: OperatorMetadata;
  private readonly idx: number[];
  private readonly timeIdx: number;

  constructor(readonly inputSchema: Struct, columns: readonly string[] | null, watermarkColumn: string | null) {
    const names = inputSchema.fields.map((f) => f.name);
    this.idx = dedupKeyColumns(inputSchema, columns, 'dropDuplicates');
    this.schema = inputSchema;
    this.stateKey = struct(this.idx.map((k) => inputSchema.fields[k]!));
    const t = watermarkColumn ? names.indexOf(watermarkColumn) : -1;
    this.timeIdx = this.idx.includes(t) ? t : -1;
    this.shape = { operator: 'dropDuplicates', keys: this.idx.map((k) => ({ name: names[k]!, kind: 'column', type: typeToString(inputSchema.fields[k]!.type) })) };
  }

  checkOutputMode(mode: OutputMode): void {
    if (mode === 'complete') throw new AnalysisError(`Complete output mode is not supported for dropDuplicates without an aggregation; use append.`);
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext): StatefulResult {
    const output: Batch[] = [], late: Batch[] = [];
    let numLate = 0, numDuplicates = 0;
    const bounded = w.defined && this.timeIdx >= 0;
    for (const b of input) {
      const n = b.numRows;
      if (!n) continue;
      const parts = this.idx.map((k) => keyParts(b.columns[k]!, b.schema.fields[k]!.type, n));
      const readers = this.idx.map((k) => cellReader(b.columns[k]!, b.schema.fields[k]!.type));
      const tc = this.timeIdx >= 0 ? b.columns[this.timeIdx]! : null;
      const keep: number[] = [], lateRows: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = tc && isValid(tc, i) ? Number((tc.values as BigInt64Array)[i]!) : null;
        if (bounded && t !== null && isLate(t, w)) { numLate++; lateRows.push(i); continue; }
        const key = rowKey(parts, i);
        if (store.lookup(key) >= 0) { numDuplicates++; continue; }
        const slot = store.insert(key, readers.map((r) => r(i)));
        store.values[0]![slot] = t;
        keep.push(i);
      }
      if (keep.length) output.push(keep.length === n ? b : takeBatch(b, Int32Array.from(keep)));
      if (lateRows.length) late.push(takeBatch(b, Int32Array.from(lateRows)));
    }
    if (bounded) for (const slot of [...store.slots()]) if (this.expired(store, slot, w)) store.remove(slot);
    return { output, late, numLateRows: numLate, customMetrics: { numDroppedDuplicateRows: numDuplicates } };
  }

  private expired(store: StateStore, slot: number, w: WatermarkContext): boolean {
    const t = store.values[0]![slot];
    return t !== null && t !== undefined && isEvicted(t as number, w);
  }

  /** Spark's StreamingDeduplicateExec asks for one in every mode. */
  runsNoDataBatch(): boolean { return true; }
}
