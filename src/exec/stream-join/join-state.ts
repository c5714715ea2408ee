import * as A from 'apache-arrow';
import { type DataType, type Struct, type StructField, boolean, long, string, struct, toArrowType } from '../../data/types.ts';
import { type Batch, isValid } from '../../data/batch.ts';
import { type Cell, cellReader, cellWriter } from '../../data/cells.ts';
import type { NumberHolder } from '../../state/number-column.ts';
import { BatchKeys, hashCells, rowHash } from '../../state/key-hash.ts';
import { primitiveColumn } from '../../data/builders.ts';
import type { StateStore } from '../../state/state-store.ts';
import type { JoinKeys } from './join-keys.ts';
import { KeyChains } from './key-chains.ts';
import { leafFields, leafTypes } from './row-cells.ts';

export type SideName = 'left' | 'right';

/**
 * Both sides' buffered rows in one versioned store (Spark keeps four stores, keyToNumValues and
 * keyWithIndexToValue per side; one store with the side in the key holds the same facts and
 * commits, recovers and shows in `sluice checkpoint state` as every other operator's does).
 *
 * A state row's key: join_side ('left'|'right'), the join key columns (named and typed as the join
 * stores them), and join_seq, a number unique per side, so one key holds many rows. Its value:
 * `matched` (Spark's state format 2 flag: the row has joined at least once), then every left
 * column as `left.<name>` and every right column as `right.<name>`; the other side's are null.
 */
export function joinStateSchemas(keyNames: readonly string[], keyTypes: readonly DataType[], left: Struct, right: Struct): { key: Struct; value: Struct } {
  const side = (prefix: string, s: Struct): StructField[] => s.fields.flatMap((f) => leafFields({ ...f, nullable: true }, prefix));
  return {
    key: struct([
      { name: 'join_side', type: string, nullable: false },
      ...keyNames.flatMap((name, k) => leafFields({ name, type: keyTypes[k]!, nullable: true })),
      { name: 'join_seq', type: long, nullable: false },
    ]),
    value: struct([{ name: 'matched', type: boolean, nullable: false }, ...side('left.', left), ...side('right.', right)]),
  };
}

/**
 * How the store holds each value column (StatefulOperator.stateNumbers): times and numbers in
 * typed arrays, so a batch's rows are appended, probed for eviction and gathered for output a
 * column at a time. A long is any value, so 'i64' (copied in and out as words: no BigInt per row).
 */
export function joinStateNumbers(value: Struct): (NumberHolder | null)[] {
  return value.fields.map((f) => (['timestamp', 'int', 'double', 'date'].includes(f.type.kind) ? 'f64' : f.type.kind === 'long' ? 'i64' : null));
}

/** Pairs of (row of a batch, slot of the other side's state), growing as matches are found. */
export class PairList {
  rows = new Int32Array(256);
  slots = new Int32Array(256);
  length = 0;

  push(row: number, slot: number): void {
    if (this.length === this.rows.length) {
      const r = new Int32Array(this.length * 2), s = new Int32Array(this.length * 2);
      r.set(this.rows); s.set(this.slots);
      this.rows = r; this.slots = s;
    }
    this.rows[this.length] = row; this.slots[this.length++] = slot;
  }

  /** The pairs whose `keep` entry is 1, in order. */
  filter(keep: Uint8Array): PairList {
    const out = new PairList();
    for (let p = 0; p < this.length; p++) if (keep[p] === 1) out.push(this.rows[p]!, this.slots[p]!);
    return out;
  }
}

const IN = 1, LINKED = 2;

/**
 * One side's rows in the shared store, chained by join key hash (hash-join.ts's head/next
 * chains, doubly linked here so eviction unlinks a row in place). The per-slot arrays are
 * rebuilt from the store after it loads a version; rows are appended, matched and evicted a
 * batch at a time, their columns copied in and gathered out whole.
 */
export class JoinSideState {
  /** Per store slot: IN when the slot is this side's, | LINKED when it is in a key chain (its key is not null). */
  private flags = new Uint8Array(1024);
  private next = new Int32Array(1024);
  private prev = new Int32Array(1024);
  private hashOf = new Int32Array(1024);
  private seq = new Float64Array(1024);
  /** Key hash -> first and last slot of its chain, in the order the rows were added. */
  private readonly chains = new KeyChains();
  private count = 0;
  private nextSeq = 0;
  private generation = -1;
  readonly keyLeaves: readonly DataType[];
  /** The state key's types: join_side, the key leaves, join_seq. */
  private readonly stateKeyTypes: readonly DataType[];
  private readonly keyCount: number;
  private readonly leafOf: readonly number[];
  /** Where this side's columns start among the store's value columns (after `matched`). */
  readonly valueOffset: number;

  /** `keyTypes`: the join's stored key types (structs allowed); `leftWidth`: the left side's leaf count (the right's columns follow it). */
  constructor(readonly side: SideName, keyTypes: readonly DataType[], readonly schema: Struct, leftWidth: number) {
    this.keyLeaves = leafTypes(keyTypes);
    this.keyCount = this.keyLeaves.length;
    this.stateKeyTypes = [string, ...this.keyLeaves, long];
    const starts: number[] = [];
    let at = 0;
    for (const f of schema.fields) { starts.push(at); at += leafTypes([f.type]).length; }
    this.leafOf = starts;
    this.valueOffset = side === 'left' ? 1 : 1 + leftWidth;
  }

  get size(): number { return this.count; }

  private reserve(n: number): void {
    if (n <= this.flags.length) return;
    const len = Math.max(n, this.flags.length * 2);
    const grow = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => { const b = make(len); b.set(a); return b; };
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
    this.next = grow(this.next, (k) => new Int32Array(k));
    this.prev = grow(this.prev, (k) => new Int32Array(k));
    this.hashOf = grow(this.hashOf, (k) => new Int32Array(k));
    this.seq = grow(this.seq, (k) => new Float64Array(k));
  }

  /** Re-index after the store loaded a version (a restart, or a batch re-run). */
  sync(store: StateStore): void {
    if (this.generation === store.generation) return;
    this.generation = store.generation;
    this.flags.fill(0);
    this.reserve(store.capacity);
    this.chains.clear(); this.count = 0; this.nextSeq = 0;
    const cells: Cell[] = new Array<Cell>(this.keyCount);
    for (let slot = 0; slot < store.capacity; slot++) {
      if (!store.has(slot) || store.keyCell(0, slot) !== this.side) continue;
      const seq = Number(store.keyCell(1 + this.keyCount, slot) as bigint);
      this.claim(slot, seq);
      let nullKey = false;
      for (let k = 0; k < this.keyCount; k++) { cells[k] = store.keyCell(1 + k, slot); if (cells[k] === null) nullKey = true; }
      if (!nullKey) this.link(slot, hashCells(cells, this.keyLeaves));
    }
  }

  private claim(slot: number, seq: number): void {
    this.reserve(slot + 1);
    this.flags[slot] = IN;
    this.seq[slot] = seq;
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    this.count++;
  }

  private link(slot: number, h: number): void {
    const last = this.chains.append(h, slot);
    this.flags[slot]! |= LINKED;
    this.hashOf[slot] = h;
    this.next[slot] = -1;
    this.prev[slot] = last;
    if (last >= 0) this.next[last] = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!, n = this.next[slot]!;
    if (p >= 0) this.next[p] = n;
    if (n >= 0) this.prev[n] = p;
    this.chains.unlink(this.hashOf[slot]!, p, n);
  }

  /**
   * Each of `rows` (rows of a batch of the other side, their keys not null) with every slot of
   * this side holding an equal key, in row order then in the order the slots were added.
   */
  probe(store: StateStore, keys: JoinKeys, rows: Int32Array, nRows: number): PairList {
    const out = new PairList(), nk = this.keyCount, { rows: kr, hash } = keys;
    const typed = store.keyCols.slice(1, 1 + nk), cells = store.keys.slice(1, 1 + nk);
    for (let r = 0; r < nRows; r++) {
      const i = rows[r]!, h = hash[i]!;
      for (let s = this.chains.first(h); s >= 0; s = this.next[s]!) {
        let k = 0;
        for (; k < nk; k++) {
          const c = typed[k];
          if (c ? !c.equalsRow(s, kr, k, i) : !kr.equals(i, k, cells[k]![s]!)) break;
        }
        if (k === nk) out.push(i, s);
      }
    }
    return out;
  }

  /** Buffer rows `rows[0..n)` of `b` (this side's batch, `keys` its join keys), `matched` per entry of `rows`. */
  append(store: StateStore, b: Batch, keys: JoinKeys, rows: Int32Array, n: number, matched: Uint8Array): void {
    if (n === 0) return;
    const slotOf = new Int32Array(b.numRows).fill(-1);
    const flag = store.values[0]!, first = this.nextSeq;
    // The state keys of the whole batch as columns (the side, the key leaves, each appended row's
    // seq), so the store hashes them a column at a time and copies them in without a cell per row.
    const seqs = new BigInt64Array(b.numRows), w = new Int32Array(seqs.buffer);
    for (let r = 0; r < n; r++) { const i = rows[r]!, q = first + r, hi = Math.floor(q / TWO32); w[2 * i + LO] = q - hi * TWO32; w[2 * i + 1 - LO] = hi; }
    const stateKeys = new BatchKeys([constantString(this.side, b.numRows), ...keys.rows.cols, primitiveColumn(long, seqs, b.numRows)], this.stateKeyTypes, b.numRows);
    for (let r = 0; r < n; r++) {
      const i = rows[r]!, seq = first + r;
      const slot = store.insertRow(stateKeys, i, rowHash(stateKeys, i));
      this.claim(slot, seq);
      if (keys.nullKey[i] === 0) this.link(slot, keys.hash[i]!);
      flag[slot] = matched[r] === 1;
      slotOf[i] = slot;
    }
    this.schema.fields.forEach((f, c) => this.scatterField(store, b.columns[c]!, f.type, this.valueOffset + this.leafOf[c]!, slotOf, b.numRows, true));
  }

  /** Copy column `d` (of `type`, its leaves from value column `v`) into the slots of `slotOf`. */
  private scatterField(store: StateStore, d: A.Data, type: DataType, v: number, slotOf: Int32Array, n: number, parentValid: boolean): number {
    if (type.kind === 'struct') {
      // A null struct is stored as null leaves (its fields' values under a null parent are not the row's).
      const ok = parentValid && d.nullCount === 0;
      let at = v;
      type.fields.forEach((f, k) => {
        const kid = d.children[k]!;
        if (ok) { at = this.scatterField(store, kid, f.type, at, slotOf, n, true); return; }
        const read = f.type.kind === 'struct' ? null : cellReader(kid, f.type);
        if (!read) { at = this.scatterField(store, kid, f.type, at, slotOf, n, false); return; }
        for (let i = 0; i < n; i++) {
          const s = slotOf[i]!;
          if (s >= 0) setCell(store, at, s, isValid(d, i) ? read(i) : null);
        }
        at++;
      });
      return at;
    }
    const nc = store.numbers[v];
    if (nc && parentValid) {
      nc.reserve(store.capacity);
      nc.scatter(d, slotOf, n);
    } else {
      const read = cellReader(d, type);
      for (let i = 0; i < n; i++) { const s = slotOf[i]!; if (s >= 0) setCell(store, v, s, parentValid ? read(i) : null); }
    }
    return v + 1;
  }

  /** Column `c` of this side at `slots` (a negative slot: a null row), as an Arrow column. */
  column(store: StateStore, c: number, slots: Int32Array, n: number): A.Data {
    return this.gatherField(store, this.schema.fields[c]!.type, this.valueOffset + this.leafOf[c]!, slots.subarray(0, n)).data;
  }

  private gatherField(store: StateStore, type: DataType, v: number, slots: Int32Array): { data: A.Data; next: number } {
    const n = slots.length;
    if (type.kind === 'struct') {
      const children: A.Data[] = [];
      let at = v;
      for (const f of type.fields) { const r = this.gatherField(store, f.type, at, slots); children.push(r.data); at = r.next; }
      const bits = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let r = 0; r < n; r++) if (slots[r]! >= 0) bits[r >> 3]! |= 1 << (r & 7); else nulls++;
      return { data: A.makeData({ type: toArrowType(type) as A.Struct, length: n, nullCount: nulls, nullBitmap: nulls ? bits : undefined, children }), next: at };
    }
    const nc = store.numbers[v];
    if (nc) return { data: nc.gather(slots, 0), next: v + 1 };
    const col = store.values[v]!, wr = cellWriter(type, n);
    for (let r = 0; r < n; r++) { const s = slots[r]!; wr.push(s < 0 ? null : col[s]!); }
    return { data: wr.finish(), next: v + 1 };
  }

  isMatched(store: StateStore, slot: number): boolean { return store.values[0]![slot] === true; }

  setMatched(store: StateStore, slot: number): void {
    if (store.values[0]![slot] === true) return;
    store.values[0]![slot] = true;
    store.touch(slot);
  }

  /**
   * Where column `c`'s event time sits among the store's value columns: the column itself, or for
   * a struct (a window) its second field, the end, as Spark's watermark predicate reads a struct.
   */
  timeColumn(c: number): number {
    return this.valueOffset + this.leafOf[c]! + (this.schema.fields[c]!.type.kind === 'struct' ? 1 : 0);
  }

  /**
   * This side's slots whose value column `v` (a time) is at or below `bound` (a null time stays,
   * as Spark's `t <= bound` is not true for it), one pass over the column.
   */
  atOrBelow(store: StateStore, v: number, bound: number): Int32Array {
    const out = new PairList(), flags = this.flags, cap = Math.min(store.capacity, flags.length), nc = store.numbers[v];
    if (nc?.holder === 'f64') {
      const f = nc.f, valid = nc.valid;
      for (let s = 0; s < cap; s++) if ((flags[s]! & IN) !== 0 && valid[s] === 1 && f[s]! <= bound) out.push(s, s);
    } else {
      const col = store.values[v]!;
      for (let s = 0; s < cap; s++) {
        if ((flags[s]! & IN) === 0) continue;
        const t = nc ? nc.cell(s) : col[s];
        if (t !== null && t !== undefined && Number(t) <= bound) out.push(s, s);
      }
    }
    return out.slots.subarray(0, out.length);
  }

  /** Of `slots`, those that never matched, oldest first (the order an outer side's rows are emitted in). */
  unmatched(store: StateStore, slots: Int32Array): Int32Array {
    const flag = store.values[0]!, out: number[] = [];
    for (const s of slots) if (flag[s] !== true) out.push(s);
    out.sort((a, b) => this.seq[a]! - this.seq[b]!);
    return Int32Array.from(out);
  }

  remove(store: StateStore, slots: Int32Array): void {
    for (const s of slots) {
      if ((this.flags[s]! & LINKED) !== 0) this.unlink(s);
      this.flags[s] = 0;
      this.count--;
      store.remove(s);
    }
  }
}

function setCell(store: StateStore, v: number, slot: number, c: Cell): void {
  const nc = store.numbers[v];
  if (nc) { nc.reserve(store.capacity); nc.setCell(slot, c); } else store.values[v]![slot] = c;
}

const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const TWO32 = 4294967296;

/** A string column of `n` rows, all `v`. */
function constantString(v: string, n: number): A.Data {
  const bytes = new TextEncoder().encode(v), len = bytes.length, data = new Uint8Array(n * len), offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) { data.set(bytes, i * len); offsets[i + 1] = (i + 1) * len; }
  return A.makeData({ type: new A.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data });
}
