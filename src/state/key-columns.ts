import type * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import { isValid } from '../data/batch.ts';
import type { Cell } from '../data/cells.ts';
import { KeyBytes } from './key-bytes.ts';
import { NumberColumn } from './number-column.ts';
import { type BatchKeys, numbersEqual } from './key-hash.ts';

/**
 * A number key column (int, date, double, timestamp as doubles, long as int64: the cells
 * key-hash.ts hashes) in a NumberColumn by slot: a window start or a numeric grouping key is 9
 * bytes a slot instead of a boxed number in a JS array. Equality is key-hash.ts's: -0 is 0, NaN
 * is NaN.
 */
export class NumberKeys {
  readonly col: NumberColumn;

  constructor(readonly type: DataType) {
    this.col = new NumberColumn(type.kind === 'long' ? 'i64' : 'f64', type);
  }

  reserve(n: number): void { this.col.reserve(n); }
  clear(): void { this.col.clear(); }
  cell(slot: number): Cell { return this.col.cell(slot); }
  setCell(slot: number, v: Cell): void { this.col.setCell(slot, v); }
  /** A number key's value without a cell (a window start); NaN for null. */
  number(slot: number): number {
    const c = this.col;
    if (c.valid[slot] !== 1) return NaN;
    return c.holder === 'i64' ? Number(c.i[slot]!) : c.f[slot]!;
  }
  setNumber(slot: number, v: number): void {
    const c = this.col;
    c.valid[slot] = 1;
    if (c.holder === 'i64') c.i[slot] = BigInt(v); else c.f[slot] = v;
  }

  /** Set `slot` to row i of column k of `rows` (a column of this type). */
  setRow(slot: number, rows: BatchKeys, k: number, i: number): void {
    const c = this.col, d = rows.cols[k]!;
    if (rows.nulls[k] && !isValid(d, i)) { c.reset(slot); return; }
    c.valid[slot] = 1;
    if (c.holder === 'i64') c.i[slot] = (d.values as BigInt64Array)[i]!;
    else c.f[slot] = rows.numbers(k)[i]!;
  }

  equalsRow(slot: number, rows: BatchKeys, k: number, i: number): boolean {
    const c = this.col, d = rows.cols[k]!;
    if (rows.nulls[k] && !isValid(d, i)) return c.valid[slot] !== 1;
    if (c.valid[slot] !== 1) return false;
    if (c.holder === 'i64') return c.i[slot] === (d.values as BigInt64Array)[i];
    return numbersEqual(c.f[slot]!, rows.numbers(k)[i]!);
  }

  free(slot: number): void { this.col.reset(slot); }
  scatter(d: A.Data, slotOf: Int32Array, n: number): void { this.col.scatter(d, slotOf, n); }

  gather(slots: ArrayLike<number>): A.Data { return this.col.gather(slots, 0); }

  copy(n: number): NumberKeys {
    const c = Object.create(NumberKeys.prototype) as { col: NumberColumn; type: DataType };
    c.col = this.col.copy(n); c.type = this.type;
    return c as NumberKeys;
  }

  bytes(): number { return this.col.bytes(); }
}

/** A key column held typed: bytes in an arena, or numbers. */
export type KeyColumn = KeyBytes | NumberKeys;

/** How the store holds a key column of `type` when the operator asks for typed keys; null: as cells (decimals, booleans, nested types). */
export function keyColumnFor(type: DataType): KeyColumn | null {
  switch (type.kind) {
    case 'string': case 'binary': return new KeyBytes(type);
    case 'int': case 'date': case 'double': case 'timestamp': case 'long': return new NumberKeys(type);
    default: return null;
  }
}

export function isKeyColumn(c: unknown): c is KeyColumn { return c instanceof KeyBytes || c instanceof NumberKeys; }
