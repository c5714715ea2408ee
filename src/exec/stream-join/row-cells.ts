import * as A from 'apache-arrow';
import { type DataType, type Struct, type StructField, toArrowType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { ValidityBuilder } from '../../data/builders.ts';
import { type Cell, type CellWriter, cellReader, cellWriter } from '../../data/cells.ts';

/**
 * A join buffers whole rows, and its keys may be structs (Spark's windowed joins join on
 * `window`), which data/cells.ts reads only through their fields. Here a struct cell is the
 * array of its fields' cells; in the state store a struct column is stored as its leaf fields
 * (`window.start`, `window.end`), the store's columns being atomic. A null struct is stored as
 * all-null leaves and reads back as a struct of nulls: the join's rows come from window() and
 * selects, whose structs are never null where their fields are not.
 */
export function rowCellReader(d: A.Data, type: DataType): (i: number) => Cell {
  if (type.kind !== 'struct') return cellReader(d, type);
  const kids = type.fields.map((f, k) => rowCellReader(d.children[k]!, f.type));
  const nulls = d.nullCount > 0;
  return (i) => (nulls && !isValid(d, i) ? null : kids.map((r) => r(i)));
}

export function rowCellWriter(type: DataType, capacity: number): CellWriter {
  if (type.kind !== 'struct') return cellWriter(type, capacity);
  const kids = type.fields.map((f) => rowCellWriter(f.type, capacity));
  const valid = new ValidityBuilder(capacity);
  let n = 0;
  return {
    push: (v) => {
      const parts = v as readonly Cell[] | null;
      valid.set(n++, parts !== null);
      kids.forEach((w, k) => w.push(parts === null ? null : parts[k]!));
    },
    finish: () => A.makeData({ type: toArrowType(type) as A.Struct, length: n, nullCount: valid.nullCount, nullBitmap: valid.finish(n), children: kids.map((w) => w.finish()) }),
  };
}

/** A struct's leaf fields, named `parent.child`; an atomic field is its own leaf. */
export function leafFields(f: StructField, prefix = ''): StructField[] {
  const name = prefix + f.name;
  return f.type.kind === 'struct' ? f.type.fields.flatMap((c) => leafFields({ ...c, nullable: true }, `${name}.`)) : [{ ...f, name }];
}

export function leafTypes(types: readonly DataType[]): DataType[] {
  return types.flatMap((t) => leafFields({ name: '', type: t, nullable: true }).map((f) => f.type));
}

/** A cell's leaves, appended to `out`. */
export function flattenCell(v: Cell, type: DataType, out: Cell[]): void {
  if (type.kind !== 'struct') { out.push(v); return; }
  type.fields.forEach((f, k) => flattenCell(v === null ? null : (v as readonly Cell[])[k]!, f.type, out));
}

export function flattenRow(row: readonly Cell[], schema: Struct | readonly DataType[]): Cell[] {
  const types = 'fields' in schema ? schema.fields.map((f) => f.type) : schema;
  const out: Cell[] = [];
  types.forEach((t, c) => flattenCell(row[c]!, t, out));
  return out;
}

/** The cell of `type` whose leaves start at `leaves[at]`, and where the next cell's leaves start. */
export function unflattenCell(leaves: readonly Cell[], at: number, type: DataType): { cell: Cell; next: number } {
  if (type.kind !== 'struct') return { cell: leaves[at]!, next: at + 1 };
  const parts: Cell[] = [];
  let p = at;
  for (const f of type.fields) { const r = unflattenCell(leaves, p, f.type); parts.push(r.cell); p = r.next; }
  return { cell: parts, next: p };
}
