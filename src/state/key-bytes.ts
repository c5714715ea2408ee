import * as A from 'apache-arrow';
import type { DataType } from '../data/types.ts';
import { isValid } from '../data/batch.ts';
import type { Cell } from '../data/cells.ts';
import type { BatchKeys } from './key-hash.ts';

/** The `len` of a null key. */
export const NULL_LEN = -1;
/** A slot whose key was removed: its bytes are garbage until the arena is compacted. */
const FREED = -2;
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A string or binary key column of the state store: every slot's UTF-8 bytes in one arena
 * (a Uint8Array) at `start[slot]`, `len[slot]` long (-1: null), as DataFusion's and arquero's
 * group-by tables hold keys. A million keys are two Int32Arrays and one buffer instead of a
 * million JS strings, which the GC copied and a restart decoded one by one (profiled: the
 * largest part of a 1M-key batch and of its restart). A batch row or a state file's row is
 * copied and compared as bytes; a string is decoded only when an operator asks for a cell.
 * Removed keys leave their bytes behind, and the arena is compacted once they are most of it.
 * Bytes below `used` are never written again: new keys are appended, and growing or compacting
 * makes a new arena. So gather() may hand out a view of the arena instead of a copy.
 */
export class KeyBytes {
  start = new Int32Array(1024);
  len = new Int32Array(1024);
  arena = new Uint8Array(1 << 16);
  /** Bytes of the arena in use, live or garbage. */
  used = 0;
  garbage = 0;

  constructor(readonly type: DataType) {
    if (type.kind !== 'string' && type.kind !== 'binary') throw new Error(`KeyBytes: cannot hold ${type.kind}`);
  }

  /** Room for slots below `n`. */
  reserve(n: number): void {
    if (n <= this.len.length) return;
    const len = Math.max(n, this.len.length * 2);
    const s = new Int32Array(len); s.set(this.start); this.start = s;
    const l = new Int32Array(len); l.set(this.len); this.len = l;
  }

  /** Room for `more` bytes of keys past those in use, at once (a batch about to add many keys). */
  reserveBytes(more: number): void {
    if (this.used + more <= this.arena.length) return;
    const grown = new Uint8Array(Math.max(this.used + more, this.arena.length * 2));
    grown.set(this.arena.subarray(0, this.used));
    this.arena = grown;
  }

  clear(): void {
    this.start = new Int32Array(1024); this.len = new Int32Array(1024);
    this.arena = new Uint8Array(1 << 16); this.used = 0; this.garbage = 0;
  }

  /** Set `slot` (below the reserved length) to row i of column k of `rows` (a column of this type). */
  setRow(slot: number, rows: BatchKeys, k: number, i: number): void {
    const d = rows.cols[k]!;
    if (rows.nulls[k] && !isValid(d, i)) { this.len[slot] = NULL_LEN; return; }
    const o = d.valueOffsets as Int32Array, b = d.values as Uint8Array, from = o[i]!, n = o[i + 1]! - from;
    const at = this.room(n), a = this.arena;
    // A loop: keys are short, and subarray() + set() allocate a view per row.
    for (let j = 0; j < n; j++) a[at + j] = b[from + j]!;
    this.start[slot] = at; this.len[slot] = n;
  }

  setCell(slot: number, v: Cell): void {
    if (v === null || v === undefined) { this.len[slot] = NULL_LEN; return; }
    const bytes = typeof v === 'string' ? enc.encode(v) : v as Uint8Array, at = this.room(bytes.length);
    this.arena.set(bytes, at);
    this.start[slot] = at; this.len[slot] = bytes.length;
  }

  /** The key of `slot` as a cell: a string, or a copy of the bytes. */
  cell(slot: number): Cell {
    const n = this.len[slot]!;
    if (n < 0) return null;
    const a = this.arena, from = this.start[slot]!, to = from + n;
    if (this.type.kind === 'binary') return a.slice(from, to);
    let j = from;
    while (j < to && a[j]! < 0x80) j++;
    // ASCII: latin1 is the same text, and Node makes it without TextDecoder's per-call cost.
    return j === to ? Buffer.prototype.latin1Slice.call(a, from, to) as string : dec.decode(a.subarray(from, to));
  }

  /** Is the key of `slot` row i of column k of `rows`, byte for byte (null equals null)? */
  equalsRow(slot: number, rows: BatchKeys, k: number, i: number): boolean {
    const d = rows.cols[k]!;
    const n = this.len[slot]!;
    if (rows.nulls[k] && !isValid(d, i)) return n === NULL_LEN;
    const o = d.valueOffsets as Int32Array, from = o[i]!;
    if (o[i + 1]! - from !== n) return false;
    const b = d.values as Uint8Array, a = this.arena, at = this.start[slot]!;
    for (let j = 0; j < n; j++) if (a[at + j] !== b[from + j]) return false;
    return true;
  }

  /** `slot`'s key was removed: its bytes are garbage. */
  free(slot: number): void {
    const n = this.len[slot]!;
    if (n > 0) this.garbage += n;
    this.len[slot] = FREED;
  }

  /**
   * Rows `slotOf[r]` ≥ 0 of `d` (a state file's column, loaded into an empty column or appended)
   * set at once: the file's bytes are appended whole, and each slot points into them.
   */
  scatter(d: A.Data, slotOf: Int32Array, n: number): void {
    if (n === 0) return;
    const o = d.valueOffsets as Int32Array, b = d.values as Uint8Array, first = o[0]!, total = o[n]! - first;
    const at = this.room(total), nulls = d.nullCount > 0;
    this.arena.set(b.subarray(first, first + total), at);
    const start = this.start, len = this.len, shift = at - first;
    let kept = 0;
    for (let r = 0; r < n; r++) {
      const s = slotOf[r]!;
      if (s < 0) continue;
      if (nulls && !isValid(d, r)) { len[s] = NULL_LEN; continue; }
      start[s] = o[r]! + shift; len[s] = o[r + 1]! - o[r]!; kept += len[s]!;
    }
    this.garbage += total - kept;
  }

  /**
   * An Arrow column of this type: the keys of `slots` (a delta's removed keys among them: a
   * removed slot keeps its bytes until the commit). Keys whose bytes follow each other in the
   * arena (slots written in the order they are gathered: a batch's new keys, a batch touching
   * keys in the order they came) are one run; a run that is at least a quarter of the arena is
   * handed out as a view of it (the arena never changes below `used`): the copy was 11 MB of
   * fresh memory in a batch that creates 1M keys, slow to fault in on a VM. A smaller run is
   * copied, so that a small output does not keep a big arena alive.
   */
  gather(slots: ArrayLike<number>): A.Data {
    const n = slots.length, offsets = new Int32Array(n + 1), bits = new Uint8Array((n + 7) >> 3);
    const a = this.arena, start = this.start, len = this.len;
    let total = 0, first = -1, next = -1, oneRun = true;
    for (let r = 0; r < n; r++) {
      const s = slots[r]!, l = len[s]!;
      if (l <= 0) continue;
      total += l;
      if (first < 0) first = start[s]!; else if (start[s] !== next) oneRun = false;
      next = start[s]! + l;
    }
    const view = oneRun && total > 0 && 4 * total >= a.length;
    const out = view ? a.subarray(first, first + total) : new Uint8Array(total);
    let pos = 0, nullCount = 0;
    // Copied run by run: a loop per key's bytes was most of gathering 1M keys (profiled).
    let runFrom = 0, runTo = 0, runAt = 0;
    for (let r = 0; r < n; r++) {
      const s = slots[r]!, l = len[s]!;
      if (l < 0) { nullCount++; offsets[r + 1] = pos; continue; }
      bits[r >> 3]! |= 1 << (r & 7);
      const from = start[s]!;
      if (!view && from !== runTo) {
        copyRun(a, runFrom, runTo, out, runAt);
        runFrom = from; runAt = pos;
      }
      runTo = from + l;
      pos += l; offsets[r + 1] = pos;
    }
    if (!view) copyRun(a, runFrom, runTo, out, runAt);
    const type = this.type.kind === 'string' ? new A.Utf8() : new A.Binary();
    return A.makeData({ type, length: n, nullCount, nullBitmap: nullCount ? bits : undefined, valueOffsets: offsets, data: out } as never) as A.Data;
  }

  /** A copy of slots below `n` that later batches cannot change: what a background snapshot writes from. */
  copy(n: number): KeyBytes {
    const c = new KeyBytes(this.type), len = Math.min(n, this.len.length);
    c.start = this.start.slice(0, len); c.len = this.len.slice(0, len);
    c.arena = this.arena.slice(0, this.used); c.used = this.used; c.garbage = this.garbage;
    return c;
  }

  bytes(): number { return this.arena.byteLength + 8 * this.len.length; }

  /** Where `n` more bytes go: the arena compacted when removed keys' bytes are most of it, else grown by doubling. */
  private room(n: number): number {
    if (this.used + n > this.arena.length) {
      if (this.garbage > this.used / 2) this.compact();
      this.reserveBytes(n);
    }
    const at = this.used;
    this.used += n;
    return at;
  }

  /** Copy the live keys' bytes to the front of a new arena, in slot order. */
  private compact(): void {
    const out = new Uint8Array(Math.max(1 << 16, 2 * (this.used - this.garbage))), a = this.arena, start = this.start, len = this.len;
    let pos = 0;
    for (let s = 0; s < len.length; s++) {
      const l = len[s]!;
      if (l <= 0) continue;
      out.set(a.subarray(start[s]!, start[s]! + l), pos);
      start[s] = pos; pos += l;
    }
    this.arena = out; this.used = pos; this.garbage = 0;
  }
}

/** Copy a[from, to) to out at `at`: a loop for a short run (a view per call costs more than a few bytes), set() for a long one. */
function copyRun(a: Uint8Array, from: number, to: number, out: Uint8Array, at: number): void {
  if (to - from > 64) { out.set(a.subarray(from, to), at); return; }
  for (let j = from; j < to; j++) out[at + j - from] = a[j]!;
}
