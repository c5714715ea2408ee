import * as A from 'apache-arrow';
import { type DataType, type Struct, toArrowSchema, fromArrowSchema } from './types.ts';
import { nullColumn } from './builders.ts';

/**
 * A micro-batch chunk: Arrow `Data` per column, always with offset 0, so operators
 * can index `values`, `valueOffsets` and `nullBitmap` directly.
 */
export interface Batch {
  readonly schema: Struct;
  readonly columns: readonly A.Data[];
  readonly numRows: number;
}

export function makeBatch(schema: Struct, columns: readonly A.Data[], numRows: number): Batch {
  return { schema, columns, numRows };
}

export function emptyBatch(schema: Struct): Batch {
  return makeBatch(schema, schema.fields.map((f) => emptyColumn(f.type)), 0);
}

export function emptyColumn(type: DataType): A.Data {
  return nullColumn(type, 0);
}

/**
 * Whether row i holds a value. A column with nulls but no validity bitmap is Arrow's Null type
 * (lit(null)): every row is null.
 */
export function isValid(d: A.Data, i: number): boolean {
  if (d.nullCount === 0) return true;
  const bm = d.nullBitmap;
  if (!bm || bm.length === 0) return d.nullCount !== d.length;
  return (bm[i >> 3]! & (1 << (i & 7))) !== 0;
}

export function toArrowTable(b: Batch): A.Table {
  const schema = toArrowSchema(b.schema);
  const data = A.makeData({ type: new A.Struct(schema.fields), length: b.numRows, nullCount: 0, children: b.columns as A.Data[] });
  return new A.Table(new A.RecordBatch(schema, data));
}

export function toArrowTables(bs: readonly Batch[]): A.Table {
  if (bs.length === 0) throw new Error('toArrowTables: no batches');
  const schema = toArrowSchema(bs[0]!.schema);
  return new A.Table(schema, bs.map((b) => toArrowTable(b).batches[0]!));
}

/** Arrow table -> batches (one per record batch); columns sliced by Arrow are copied flat. */
export function fromArrowTable(t: A.Table): Batch[] {
  const schema = fromArrowSchema(t.schema);
  return t.batches.map((rb) => makeBatch(schema, rb.data.children.map((c) => flattenDeep(c)), rb.numRows));
}

function flattenDeep(d: A.Data): A.Data {
  if (d.offset === 0) return d;
  if (A.DataType.isDecimal(d.type)) {
    // Arrow slices a fixed-width column's values but not its validity bits: copy the words, rebuild the bits.
    const bits = new Uint8Array((d.length + 7) >> 3);
    for (let i = 0; i < d.length; i++) if (d.getValid(i)) bits[i >> 3]! |= 1 << (i & 7);
    return A.makeData({ type: d.type, length: d.length, nullCount: d.nullCount, nullBitmap: d.nullCount > 0 ? bits : undefined, data: (d.values as Uint32Array).slice(0, d.length * 4) });
  }
  // Arrow's own concat path re-bases offsets; re-building from values keeps it simple and rare.
  return A.vectorFromArray(A.makeVector(d).toArray() as never, d.type).data[0] as A.Data;
}

export function batchNumRows(bs: readonly Batch[]): number {
  let n = 0;
  for (const b of bs) n += b.numRows;
  return n;
}

