import type * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import type { Cell } from '../data/cells.ts';
import { isValid } from '../data/batch.ts';
import { primitiveColumn } from '../data/builders.ts';

/**
 * How a numeric state value is held: 'f64' a Float64Array (double, int, date and timestamp
 * values, and counts: exact below 2^53, so a long field that only counts rows can use it and
 * add without a BigInt), 'i64' a BigInt64Array (a long that must wrap as Spark's does: sum and
 * min/max of longs).
 */
export type NumberHolder = 'f64' | 'i64';

const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const TWO32 = 4294967296;

/**
 * One state value column of numbers in a typed array indexed by slot, with a validity byte per
 * slot (arquero's and DataFusion's grouped accumulators). A million sums and counts held as
 * Cells were a boxed number and a BigInt each, the largest part of a 1M-key state and of its
 * GC; here they are 8 bytes and 1, and a state file's column is copied in and out whole.
 * `type` is the state field's type: what the files hold and what cell() answers.
 */
export class NumberColumn {
  f = new Float64Array(0);
  i = new BigInt64Array(0);
  valid = new Uint8Array(0);

  constructor(readonly holder: NumberHolder, readonly type: DataType) {
    if (!['int', 'long', 'double', 'date', 'timestamp'].includes(type.kind) || (holder === 'i64' && type.kind !== 'long')) {
      throw new Error(`NumberColumn: cannot hold ${type.kind} as ${holder}`);
    }
    this.reserve(1024);
  }

  get length(): number { return this.valid.length; }

  /** Room for slots below `n`; the arrays are replaced, so a loop must read them after this. */
  reserve(n: number): void {
    if (n <= this.valid.length) return;
    const len = Math.max(n, this.valid.length * 2);
    const valid = new Uint8Array(len); valid.set(this.valid); this.valid = valid;
    if (this.holder === 'f64') { const f = new Float64Array(len); f.set(this.f); this.f = f; }
    else { const i = new BigInt64Array(len); i.set(this.i); this.i = i; }
  }

  /** A copy of slots below `n` that later batches cannot change: what a background snapshot writes from. */
  copy(n: number): NumberColumn {
    const c = new NumberColumn(this.holder, this.type);
    const len = Math.min(n, this.valid.length);
    c.valid = this.valid.slice(0, len);
    if (this.holder === 'f64') c.f = this.f.slice(0, len); else c.i = this.i.slice(0, len);
    return c;
  }

  /** Renumber: slot `order[j]` becomes slot j (`order` ascending), in arrays of `capacity` slots. */
  compact(order: Int32Array, capacity: number): void {
    const valid = new Uint8Array(capacity), f = this.holder === 'f64' ? new Float64Array(capacity) : this.f, i = this.holder === 'i64' ? new BigInt64Array(capacity) : this.i;
    const src = this.holder === 'i64' ? words(this.i) : null, dst = this.holder === 'i64' ? words(i) : null;
    for (let j = 0; j < order.length; j++) {
      const s = order[j]!;
      valid[j] = this.valid[s]!;
      // Copied as two 32-bit words: reading a BigInt64Array element makes a BigInt.
      if (dst) { dst[2 * j] = src![2 * s]!; dst[2 * j + 1] = src![2 * s + 1]!; } else f[j] = this.f[s]!;
    }
    this.valid = valid; this.f = f; this.i = i;
  }

  clear(): void { this.valid = new Uint8Array(0); this.f = new Float64Array(0); this.i = new BigInt64Array(0); this.reserve(1024); }

  /** Null the value of `slot` (a new key). */
  reset(slot: number): void {
    this.valid[slot] = 0;
    if (this.holder === 'f64') this.f[slot] = 0; else this.i[slot] = 0n;
  }

  /** The value of `slot` as a cell of the field's type (long: bigint; the others: number). */
  cell(slot: number): Cell {
    if (this.valid[slot] !== 1) return null;
    if (this.holder === 'i64') return this.i[slot]!;
    return this.type.kind === 'long' ? BigInt(this.f[slot]!) : this.f[slot]!;
  }

  setCell(slot: number, v: Cell): void {
    if (v === null || v === undefined) { this.reset(slot); return; }
    this.valid[slot] = 1;
    if (this.holder === 'i64') this.i[slot] = v as bigint; else this.f[slot] = Number(v);
  }

  /** An Arrow column of the field's type: the values of `slots` (a negative slot is a null row), then `nulls` null rows (a delta's removed keys). */
  gather(slots: ArrayLike<number>, nulls: number): A.Data {
    const m = slots.length, n = m + nulls, type = this.type, valid = this.valid, len = valid.length;
    const bits = new Uint8Array((n + 7) >> 3);
    // One pass: each row's validity bit and value together, the bits a byte at a time (a pass
    // for the bits and another for the values, each reading the slots, was twice the loop).
    let data: Float64Array | Int32Array | BigInt64Array, set = 0, byte = 0;
    if (this.holder === 'i64') {
      // Copied as two 32-bit words: reading a BigInt64Array element makes a BigInt (profiled in the join's output).
      const out = new BigInt64Array(n), w = new Int32Array(out.buffer), src = words(this.i);
      for (let r = 0; r < m; r++) {
        const s = slots[r]!, ok = s >= 0 && s < len ? valid[s]! : 0;
        if (ok === 1) { w[2 * r] = src[2 * s]!; w[2 * r + 1] = src[2 * s + 1]!; }
        set += ok; byte |= ok << (r & 7);
        if ((r & 7) === 7) { bits[r >> 3] = byte; byte = 0; }
      }
      data = out;
    } else if (type.kind === 'double' || type.kind === 'int' || type.kind === 'date') {
      const out = type.kind === 'double' ? new Float64Array(n) : new Int32Array(n), src = this.f;
      for (let r = 0; r < m; r++) {
        const s = slots[r]!, ok = s >= 0 && s < len ? valid[s]! : 0;
        out[r] = ok === 1 ? src[s]! : 0;
        set += ok; byte |= ok << (r & 7);
        if ((r & 7) === 7) { bits[r >> 3] = byte; byte = 0; }
      }
      data = out;
    } else {
      // long counts and timestamps' ms: integers below 2^53, written as two 32-bit words (no BigInt per row).
      const out = new BigInt64Array(n), w = new Int32Array(out.buffer), src = this.f;
      for (let r = 0; r < m; r++) {
        const s = slots[r]!, ok = s >= 0 && s < len ? valid[s]! : 0;
        if (ok === 1) { const x = src[s]!, hi = Math.floor(x / TWO32); w[2 * r + LO] = x - hi * TWO32; w[2 * r + 1 - LO] = hi; }
        set += ok; byte |= ok << (r & 7);
        if ((r & 7) === 7) { bits[r >> 3] = byte; byte = 0; }
      }
      data = out;
    }
    if (m & 7) bits[m >> 3] = byte;
    const nullCount = n - set;
    return primitiveColumn(type, data, n, nullCount ? bits : undefined, nullCount);
  }

  /** Set `slotOf[r]` from row r of `d` (a column of the field's type), for every r with slotOf[r] >= 0. */
  scatter(d: A.Data, slotOf: Int32Array, n: number): void {
    const valid = this.valid, nulls = d.nullCount > 0;
    if (this.holder === 'i64') {
      const src = words(d.values as BigInt64Array), dst = words(this.i);
      for (let r = 0; r < n; r++) {
        const s = slotOf[r]!; if (s < 0) continue;
        const ok = !nulls || isValid(d, r); valid[s] = ok ? 1 : 0;
        dst[2 * s] = ok ? src[2 * r]! : 0; dst[2 * s + 1] = ok ? src[2 * r + 1]! : 0;
      }
      return;
    }
    const dst = this.f;
    if (this.type.kind === 'long' || this.type.kind === 'timestamp') {
      const b = d.values as BigInt64Array, w = new Int32Array(b.buffer, b.byteOffset, b.length * 2);
      for (let r = 0; r < n; r++) {
        const s = slotOf[r]!; if (s < 0) continue;
        const ok = !nulls || isValid(d, r); valid[s] = ok ? 1 : 0;
        dst[s] = ok ? w[2 * r + 1 - LO]! * TWO32 + (w[2 * r + LO]! >>> 0) : 0;
      }
      return;
    }
    const src = d.values as Float64Array | Int32Array;
    for (let r = 0; r < n; r++) { const s = slotOf[r]!; if (s < 0) continue; const ok = !nulls || isValid(d, r); valid[s] = ok ? 1 : 0; dst[s] = ok ? src[r]! : 0; }
  }

  bytes(): number { return this.valid.length * 9; }
}

/** A BigInt64Array's values as 32-bit words (two per value), to copy without a BigInt each. */
function words(a: BigInt64Array): Int32Array { return new Int32Array(a.buffer, a.byteOffset, a.length * 2); }
