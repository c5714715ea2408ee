import type { Struct } from '../../data/types.ts';
import { toArrowType } from '../../data/types.ts';
import { columnFromValues } from '../../data/column-from-values.ts';
import { AnalysisError } from '../../errors.ts';
import { makeBatch, type Batch } from '../../data/batch.ts';
import { cellWriter, type Cell } from '../../data/cells.ts';
import type { ReadLimit, Source, SourceProvider } from '../source.ts';

/**
 * Spark's MemoryStream, for tests: addData() appends a chunk; the offset is the number
 * of chunks added, so a batch reads chunks [start, end).
 */
export class MemoryStreamData {
  readonly chunks: Batch[] = [];
  constructor(readonly schema: Struct) {
    for (const f of schema.fields) toArrowType(f.type);
  }

  /** Append rows (objects keyed by column name) or a ready batch; returns the new offset. */
  addData(rows: readonly Record<string, unknown>[] | Batch): number {
    this.chunks.push('columns' in rows ? (rows as Batch) : rowsToBatch(this.schema, rows as Record<string, unknown>[]));
    return this.chunks.length;
  }

  provider(): SourceProvider {
    const data = this;
    return {
      name: 'memory', options: [],
      schema: () => data.schema,
      create: () => new MemorySource(data),
    };
  }
}

class MemorySource implements Source {
  readonly description = 'MemoryStream';
  constructor(private readonly data: MemoryStreamData) {}
  get schema(): Struct { return this.data.schema; }
  async initialOffset(): Promise<number> { return 0; }
  async availableOffset(): Promise<number> { return this.data.chunks.length; }
  async latestOffset(start: unknown, _limit: ReadLimit, bound?: unknown): Promise<number> {
    const end = Math.min(this.data.chunks.length, bound === undefined ? Infinity : (bound as number));
    return Math.max(end, start as number);
  }
  sameOffset(a: unknown, b: unknown): boolean { return a === b; }
  async getBatch(start: unknown, end: unknown): Promise<Batch[]> {
    return this.data.chunks.slice(start as number, end as number);
  }
  async stop(): Promise<void> {}
}

/** Row objects into columns: the one edge where rows are allowed. */
export function rowsToBatch(schema: Struct, rows: readonly Record<string, unknown>[]): Batch {
  const cols = schema.fields.map((f) => {
    if (f.type.kind === 'struct') throw new AnalysisError(`MemoryStream: struct column '${f.name}' cannot be given as rows yet; add a Batch instead.`);
    // Arrays and maps are checked element by element (a bad element is named by row and position); decimals
    // are read from their text, a number or a bigint, as createDataFrame reads them.
    if (f.type.kind === 'array' || f.type.kind === 'map' || f.type.kind === 'decimal') return columnFromValues(f.type, rows.map((r) => r[f.name]), 'MemoryStream', f.name);
    const w = cellWriter(f.type, rows.length);
    for (const r of rows) {
      let v = r[f.name] as unknown;
      if (v === undefined) v = null;
      // A date column holds days since the epoch: a Date is its UTC day, as createDataFrame reads it.
      if (v instanceof Date && f.type.kind === 'date') v = Math.floor(v.getTime() / 86_400_000);
      if (v instanceof Date) v = v.getTime();
      if (typeof v === 'string' && f.type.kind === 'timestamp') v = Date.parse(v.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(v) ? v : v + 'Z');
      if (typeof v === 'number' && f.type.kind === 'long') v = BigInt(v);
      w.push(v as Cell);
    }
    return w.finish();
  });
  return makeBatch(schema, cols, rows.length);
}
