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

/** A value of one numeric key type read as another (int keys stored as long, say): equal SQL values, equal keys. */
export function convertCell(v: Cell, from: DataType, to: DataType): Cell {
  if (v === null || from.kind === to.kind) return v;
  if (to.kind === 'long') return BigInt(v as number);
  if (to.kind === 'double' || to.kind === 'int') return Number(v);
  return v;
}

/** A column of type `from` as type `to` (the same data when the kinds agree, the usual case). */
export function convertColumn(d: A.Data, from: DataType, to: DataType): A.Data {
  if (from.kind === to.kind) return d;
  const read = rowCellReader(d, from), wr = rowCellWriter(to, d.length);
  for (let i = 0; i < d.length; i++) wr.push(convertCell(read(i), from, to));
  return wr.finish();
}
