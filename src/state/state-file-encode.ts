import * as A from 'apache-arrow';
import { type DataType, type Struct } from '../data/types.ts';
import { makeBatch, toArrowTable } from '../data/batch.ts';
import { cellWriter, type Cell } from '../data/cells.ts';
import { primitiveColumn } from '../data/builders.ts';
import { NumberColumn } from './number-column.ts';
import { type KeyColumn, isKeyColumn } from './key-columns.ts';

/** A state column as the store holds it: cells by slot, or numbers in typed arrays (number-column.ts). */
export type StateColumn = readonly Cell[] | NumberColumn | KeyColumn;

/**
 * Rows of a state store as one Arrow record batch of a state file: `slots` read from the
 * key-then-value columns `cols`, then the `removed` slots' keys (read from the same key columns:
 * the store keeps a removed key's slot until its delta is written, so no key is copied out per
 * removed row; their values null, the delta files' deleted column true). `gathered[c]`, when
 * given, is column c of `slots` gathered already (the store's keyData and valueData for update mode's output). The schema is the
 * file's (with or without that column); the store and the snapshot writer both encode through
 * here, so a delta and a snapshot are the same format whether a value was held as cells or as numbers.
 */
export function encodeStateRows(schema: Struct, cols: readonly StateColumn[], numKeys: number,
  slots: ArrayLike<number>, removed: ArrayLike<number> = [], gathered: readonly (A.Data | undefined)[] = []): A.Table {
  const n = slots.length + removed.length;
  const keySlots = removed.length ? concat(slots, removed) : slots;
  const data = schema.fields.map((f, c) => {
    const col = cols[c], got = gathered[c];
    if (got && !removed.length) return got;
    if (col instanceof NumberColumn) return col.gather(slots, removed.length);
    if (isKeyColumn(col)) return col.gather(keySlots);
    if (col && c < numKeys && NUMBER_KEYS.has(f.type.kind)) return numberKeyColumn(f.type, col, keySlots);
    if (!col) return deletedColumn(slots.length, removed.length);
    const w = cellWriter(f.type, n);
    if (c < numKeys) for (let r = 0; r < n; r++) w.push(col[keySlots[r]!]!);
    else {
      for (let r = 0; r < slots.length; r++) w.push(col[slots[r]!]!);
      for (let r = 0; r < removed.length; r++) w.push(null);
    }
    return w.finish();
  });
  return toArrowTable(makeBatch(schema, data, n));
}

function concat(a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const out = new Int32Array(a.length + b.length);
  for (let r = 0; r < a.length; r++) out[r] = a[r]!;
  for (let r = 0; r < b.length; r++) out[a.length + r] = b[r]!;
  return out;
}

/** The delta's deleted column: `written` false rows, then `removed` true ones; one bit each, set directly (a cell writer's call per row was a tenth of a 1M-key delta's encoding). */
function deletedColumn(written: number, removed: number): A.Data {
  const n = written + removed, bits = new Uint8Array((n + 7) >> 3);
  for (let r = written; r < n; r++) bits[r >> 3]! |= 1 << (r & 7);
  return A.makeData({ type: new A.Bool(), length: n, nullCount: 0, data: bits });
}

const NUMBER_KEYS = new Set(['int', 'date', 'double', 'timestamp']);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * A key column of number cells (a window start, an int or timestamp key) written straight into
 * its buffer: through the cell writer, a call per cell, it was a sixth of a 1M-key commit (profiled).
 * Timestamps' ms go in as two 32-bit words each (exact below 2^53 ms), with no BigInt per row.
 */
function numberKeyColumn(type: DataType, col: readonly Cell[], slots: ArrayLike<number>): A.Data {
  const n = slots.length, bits = new Uint8Array((n + 7) >> 3);
  const data = type.kind === 'timestamp' ? new BigInt64Array(n) : type.kind === 'double' ? new Float64Array(n) : new Int32Array(n);
  const w = type.kind === 'timestamp' ? new Int32Array(data.buffer) : null, num = data as Float64Array | Int32Array;
  let nullCount = 0;
  for (let r = 0; r < n; r++) {
    const v = col[slots[r]!];
    if (v === null || v === undefined) { nullCount++; continue; }
    bits[r >> 3]! |= 1 << (r & 7);
    if (w) { const ms = Math.trunc(v as number), hi = Math.floor(ms / 4294967296); w[2 * r + LO] = ms - hi * 4294967296; w[2 * r + 1 - LO] = hi; }
    else num[r] = v as number;
  }
  return primitiveColumn(type, data, n, nullCount ? bits : undefined, nullCount);
}
