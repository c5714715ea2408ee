import * as A from 'apache-arrow';
import { type Struct, type DataType, boolean, struct } from '../data/types.ts';
import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';
import { CheckpointError } from '../errors.ts';
import { fromArrowTable, isValid, makeBatch, toArrowTable } from '../data/batch.ts';
import { takeBatch } from '../data/take.ts';
import { cellReader, cellWriter, type Cell } from '../data/cells.ts';
import { cellKeyPart, encodeCells } from './key-encoding.ts';
import { BatchKeys, hashCells, numbersEqual, rowHash } from './key-hash.ts';
import { SlotIndex } from './slot-index.ts';
import { NumberColumn, type NumberHolder } from './number-column.ts';
import { type KeyColumn, NumberKeys, keyColumnFor } from './key-columns.ts';
import { KeyBytes, NULL_LEN } from './key-bytes.ts';
import { StateFiles, stateFileName } from './state-files.ts';
import { SealedStreamWriter } from './state-file-seal.ts';
import { readStateFile } from './state-file-read.ts';
import { encodeStateRows, type StateColumn } from './state-file-encode.ts';
import { type SnapshotPhaseHook, type SnapshotReport, type StateView, writeSnapshot } from './snapshot-writer.ts';
import { PAGE_ROWS, PAGES_PER_WRITE, type Spill } from './spill/spill.ts';
import { encodePage, firstWithHash, type Page } from './spill/spill-page.ts';
import { cellBytes } from './spill/row-bytes.ts';

/** How a store writes its snapshots and cleans up (the trigger loop sets them from the session). */
export interface StateStoreOptions {
  /**
   * Write each `<N>.snapshot` in the background from a copy of the columns taken at commit, while
   * the next batches run (Spark's changelog checkpointing, Flink's asynchronous snapshots), and
   * purge old files in the background too. Off: the commit writes the snapshot and purge() waits.
   */
  readonly asyncSnapshots?: boolean;
  /** Test hook: crash tests kill the process at points of a snapshot. */
  readonly onSnapshotPhase?: SnapshotPhaseHook;
  /** Per value column, how the operator asks to hold it as numbers (its StatefulOperator.stateNumbers); absent: cells. */
  readonly numbers?: readonly (NumberHolder | null)[];
  /**
   * Hold the key columns typed (key-columns.ts: strings as bytes in an arena, numbers in typed
   * arrays) instead of cells in `keys`, for an operator that reads keys only through keyCell(),
   * keyData(), keyNumber() and findRow()/insertRow() (its StatefulOperator.stateKeysTyped).
   */
  readonly typedKeys?: boolean;
}

/** A batch of at least this many (row, key) pairs estimates how many keys it adds, to grow the store for them at once (reserveNewKeys). */
const PRESIZE_ROWS = 1 << 16;
/**
 * Rows whose index entries are read in a pass of their own before they are looked up: the
 * pass's reads do not wait on each other, so their cache misses overlap, and the lookups then
 * find the entries in cache (the index of 1M keys is 16 MB; measured on a batch touching 1M
 * keys: 64–256 rows 263–274 ms of CPU for slotsOf, against 370–440 without the pass; 1024, 415).
 */
const PREFETCH = 128;
/** Rows of such a batch probed to estimate the share of its keys that are new. */
const PRESIZE_SAMPLE = 256;
/** A dirty list longer than this (a big batch's) is dropped by the commit instead of kept for the next batch. */
const KEPT_DIRTY_LIST = 1 << 16;

/** The delta files' column that marks a removed key (its value columns are null). */
export const DELETED = '__deleted';

/**
 * A versioned keyed state store (Spark's HDFSBackedStateStore, columnar): rows live in
 * slots, key and value columns as arrays indexed by slot. Version N is committed as
 * `<N>.delta` (the keys changed or removed since N-1, Arrow IPC), plus `<N>.snapshot`
 * (every live key) every `snapshotInterval` versions, so a commit costs what the batch
 * touched and a restart reads one snapshot and the deltas after it.
 *
 * Keys are found through an open-addressing index of key hashes (slot-index.ts), by the key
 * columns of a batch (findRow/insertRow: no string or cell per row) or by key cells
 * (find/add). The older string-keyed calls (lookup/insert, key-encoding.ts) still work: their
 * Map is built only once an operator calls them, so operators on the columnar path never pay
 * for strings (profiled: the Map, its key strings and their GC were 3/4 of a 1M-key batch).
 *
 * A value column the operator asks to hold as numbers (the `numbers` argument: an aggregate's
 * sums, counts, minima) is a NumberColumn in `numbers[v]` instead of cells in `values[v]`
 * (which stays empty); the files are the same either way.
 */
export class StateStore {
  private readonly index = new SlotIndex();
  /** The string-keyed Map of lookup()/insert(), and each slot's string; null until first used. */
  private byString: Map<string, number> | null = null;
  private slotString: (string | undefined)[] = [];
  /** 1 for a slot that holds a key. */
  private live = new Uint8Array(1024);
  /** Slots ever used; slots below it that are not live are in `free`. */
  private high = 0;
  private free: number[] = [];
  readonly keys: Cell[][];
  /** The key columns held typed (the typedKeys option; `keys[k]` then stays empty), null: held as cells in `keys`. */
  readonly keyCols: (KeyColumn | null)[];
  readonly values: Cell[][];
  /** The value columns held in typed arrays (null: held as cells in `values`). */
  readonly numbers: (NumberColumn | null)[];
  /**
   * 1 for a slot written since the last commit; `dirtyList[0..dirtyLength)` holds them (and may
   * hold removed or repeated slots: check the flag). Typed: a JS array pushed to 1M was a few % of a batch.
   */
  private dirty = new Uint8Array(1024);
  private dirtyList = new Int32Array(1024);
  private dirtyLength = 0;
  private dirtyCount = 0;
  /**
   * dirtySlots()'s answer, kept until a slot is next written or removed, and the key columns
   * keyData() gathered for exactly those slots: update mode's output and the commit's delta read
   * the same keys of the same slots (a slot's key never changes while it is live), so each key
   * column is gathered once (twice was ~1/10 of a batch touching 1M keys).
   */
  private dirtyView: { readonly slots: Int32Array; readonly keys: (A.Data | undefined)[]; readonly values: (A.Data | undefined)[] } | null = null;
  /**
   * Slots removed since the last commit, in order. A removed slot keeps its key columns and is
   * freed only after the commit, whose delta reads the removed keys from them by slot: a string
   * or cells per removed key was most of an evicting join's removal (profiled). `goneIndex`
   * finds one by key, so a key added again before the commit takes its removal back; it indexes
   * `gone[0..goneIndexed)`, filled only when a key is added after a removal (a join removes after
   * its appends, so never pays for it).
   */
  private gone: number[] = [];
  private goneIndexed = 0;
  private isGone = new Uint8Array(1024);
  private readonly goneIndex = new SlotIndex();
  private readonly keyTypes: DataType[];
  private readonly valueTypes: DataType[];
  /** True while load() applies files: what it writes is the committed version, not changes to commit. */
  private loading = false;
  /** Rows removed since the last commit (progress's numRowsRemoved). */
  numRowsRemoved = 0;
  version = -1;
  /** Bumped by load(): operators that index slots themselves rebuild their index. */
  generation = 0;

  constructor(private readonly storage: Storage, readonly dir: string, readonly keySchema: Struct, readonly valueSchema: Struct,
    private readonly snapshotInterval: number, private readonly options: StateStoreOptions = {}) {
    const numbers = options.numbers ?? [];
    this.keyTypes = keySchema.fields.map((f) => f.type);
    this.valueTypes = valueSchema.fields.map((f) => f.type);
    this.keys = this.keyTypes.map(() => []);
    this.keyCols = this.keyTypes.map((t) => (options.typedKeys ? keyColumnFor(t) : null));
    this.values = this.valueTypes.map(() => []);
    this.numbers = this.valueTypes.map((t, v) => { const h = numbers[v]; return h ? new NumberColumn(h, t) : null; });
  }

  get size(): number { return this.index.size + (this.spill?.rows ?? 0); }
  /** Rows written since the last commit (progress's numRowsUpdated). */
  get numRowsUpdated(): number { return this.dirtyCount; }
  /** One more than the highest slot in use: a bound for arrays an operator keeps by slot. */
  get capacity(): number { return this.high; }

  /** Key column k of `slot` as a cell. */
  keyCell(k: number, slot: number): Cell {
    const c = this.keyCols[k];
    return c ? c.cell(slot) : this.keys[k]![slot]!;
  }

  /** Key column k of `slot` as a number (a window start, a timestamp key's ms); NaN for null. */
  keyNumber(k: number, slot: number): number {
    const c = this.keyCols[k];
    if (c instanceof NumberKeys) return c.number(slot);
    const v = this.keys[k]![slot];
    return v === null || v === undefined ? NaN : Number(v);
  }

  /** Key column k's numbers by slot, when the store holds them in a Float64Array (an operator's loop over every slot reads them in place); else null. */
  keyFloats(k: number): Float64Array | null {
    const c = this.keyCols[k];
    return c instanceof NumberKeys && c.col.holder === 'f64' ? c.col.f : null;
  }

  /** Key column k of `slots` as an Arrow column of its type. */
  keyData(k: number, slots: ArrayLike<number>): A.Data {
    const view = this.dirtyView;
    if (view !== null && slots === view.slots) return view.keys[k] ??= this.gatherKey(k, slots);
    return this.gatherKey(k, slots);
  }

  /**
   * Value column v (held as numbers) of `slots` as an Arrow column of its type. For the dirty
   * slots it is kept for the commit's delta, which writes the same column: call it only once
   * the batch's values are final (an operator's output, after its updates); a later write of a
   * value must go through touch() or a new slot, which drop it.
   */
  valueData(v: number, slots: ArrayLike<number>): A.Data {
    const nc = this.numbers[v]!, view = this.dirtyView;
    if (view !== null && slots === view.slots) return view.values[v] ??= nc.gather(slots, 0);
    return nc.gather(slots, 0);
  }

  private gatherKey(k: number, slots: ArrayLike<number>): A.Data {
    const c = this.keyCols[k];
    if (c) return c.gather(slots);
    const w = cellWriter(this.keyTypes[k]!, slots.length), col = this.keys[k]!;
    for (let j = 0; j < slots.length; j++) w.push(col[slots[j]!] ?? null);
    return w.finish();
  }

  private keyCellsOf(slot: number): Cell[] {
    return this.keyTypes.map((_, k) => this.keyCell(k, slot));
  }

  /** The slot of a key encoded by key-encoding.ts, or -1. */
  lookup(key: string): number { return this.strings().get(key) ?? -1; }

  /** A new slot for `key` (encoded by key-encoding.ts) with its key cells and null values; marked dirty. */
  insert(key: string, keyCells: readonly Cell[]): number {
    this.strings();
    return this.addKey(keyCells, key);
  }

  /** The slot of the key with these cells, or -1. */
  find(keyCells: readonly Cell[]): number {
    const h = hashCells(keyCells, this.keyTypes);
    const t = this.index.table, m = this.index.mask, nk = keyCells.length;
    for (let p = h & m; t[2 * p] !== 0; p = (p + 1) & m) {
      if (t[2 * p + 1] !== h) continue;
      const s = t[2 * p]! - 1;
      let k = 0;
      while (k < nk && sameCell(this.keyCell(k, s), keyCells[k]!, this.keyTypes[k]!)) k++;
      if (k === nk) return s;
    }
    return -1;
  }

  /** A new slot for a key (not in the store) with these cells and null values; marked dirty. */
  add(keyCells: readonly Cell[]): number { return this.addKey(keyCells, undefined); }

  private addKey(keyCells: readonly Cell[], key: string | undefined): number {
    const h = hashCells(keyCells, this.keyTypes);
    if (this.gone.length) this.unremove(h, (t) => keyCells.every((c, k) => sameCell(this.keyCell(k, t), c, this.keyTypes[k]!)));
    const slot = this.newSlot(h);
    for (let k = 0; k < keyCells.length; k++) { const c = this.keyCols[k]; if (c) c.setCell(slot, keyCells[k]!); else this.keys[k]![slot] = keyCells[k]!; }
    if (this.byString) {
      const s = key ?? encodeCells(keyCells, this.keyTypes);
      this.byString.set(s, slot); this.slotString[slot] = s;
    }
    return slot;
  }

  /** A key removed since the commit (hash `h`, `same` its key) is added again: its delta row is a write, not a removal. */
  private unremove(h: number, same: (slot: number) => boolean): void {
    for (; this.goneIndexed < this.gone.length; this.goneIndexed++) {
      const s = this.gone[this.goneIndexed]!;
      if (this.isGone[s] === 1) this.goneIndex.add(s, this.index.hashOf[s]!);
    }
    const t = this.goneIndex.table, m = this.goneIndex.mask;
    for (let p = h & m; t[2 * p] !== 0; p = (p + 1) & m) {
      const s = t[2 * p]! - 1;
      if (t[2 * p + 1] === h && same(s)) { this.goneIndex.delete(s); this.isGone[s] = 0; return; }
    }
  }

  /**
   * The slot of row i of `rows` (the key columns of a batch, in key order; or all but the last
   * when `last` is that column's number, a window start), or -1. `h` is the row's finished hash.
   * One row at a time: a batch's rows, window starts and all, go through slotsOf.
   */
  findRow(rows: BatchKeys, i: number, h: number, last?: number): number {
    return this.findAt(rows, i, h, last === undefined ? null : Float64Array.of(last), 0);
  }

  /** findRow with the last key column's number at `last[j]` (no last column: null). */
  private findAt(rows: BatchKeys, i: number, h: number, last: Float64Array | null, j: number): number {
    const t = this.index.table, m = this.index.mask;
    for (let p = h & m; t[2 * p] !== 0; p = (p + 1) & m) {
      if (t[2 * p + 1] === h && this.sameRowAt(rows, i, t[2 * p]! - 1, last, j)) return t[2 * p]! - 1;
    }
    return this.spill ? this.readBack(rows, i, h, last === null ? undefined : last[j]!) : -1;
  }

  /**
   * For each j < n, `out[j]` = the slot of row `idx[j]` of `rows` (with `last[j]` as its last key
   * column when given, a window start), found (findRow) or made (insertRow) from its finished hash
   * `hashes[j]`; each slot is marked dirty. One call for a batch's rows.
   */
  slotsOf(rows: BatchKeys, idx: Int32Array, hashes: Int32Array, last: Float64Array | null, n: number, out: Int32Array): void {
    if (n >= PRESIZE_ROWS && !this.spill) this.reserveNewKeys(rows, idx, hashes, last, n);
    // Room in the dirty list for every row at once, instead of doubling it up to 1M as rows come.
    if (n >= PRESIZE_ROWS && this.dirtyLength + n > this.dirtyList.length) { const l = new Int32Array(this.dirtyLength + n); l.set(this.dirtyList.subarray(0, this.dirtyLength)); this.dirtyList = l; }
    if (this.slotsOfOneKey(rows, idx, hashes, last, n, out)) return;
    const seen = new Int32Array(PREFETCH);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!, h = hashes[j]!;
      if (j % PREFETCH === 0) prefetch(this.index.table, this.index.mask, hashes, j, n, seen);
      let slot = this.findAt(rows, i, h, last, j);
      if (slot < 0) slot = this.insertAt(rows, i, h, last, j);
      else if (this.dirty[slot] !== 1) this.touch(slot);
      out[j] = slot;
    }
  }

  /**
   * slotsOf for the shape most aggregations have: one key column held as bytes or as doubles,
   * and a window start (`last`) or none, with no spill, no string Map and no removal to take back.
   * The probe, the key compare and a new key's slot are written out in one loop over the arrays
   * themselves: through findAt/sameRowAt/equalsRow/insertAt/newSlot/SlotIndex.add, a call chain
   * per row, it was most of a batch that creates or touches 1M keys (CPU ms for 1M rows, at load
   * 4–6: create 590–660 and touch 360–440, against 100–150 for the probes alone; this loop with
   * the prefetch pass: create 370–410, touch 210–230). A new key goes into the empty entry the
   * probe ended on, where index.add probed again. Answers false, having done nothing, for any other shape; a row that
   * would grow an array takes the general path.
   */
  private slotsOfOneKey(rows: BatchKeys, idx: Int32Array, hashes: Int32Array, last: Float64Array | null, n: number, out: Int32Array): boolean {
    const key = this.keyCols[0], win = last === null ? null : this.keyCols[1];
    if (rows.cols.length !== 1 || this.keyCols.length !== (last === null ? 1 : 2) || this.spill || this.byString || this.gone.length || this.loading) return false;
    if (!(key instanceof KeyBytes || (key instanceof NumberKeys && key.col.holder === 'f64'))) return false;
    if (last !== null && !(win instanceof NumberKeys && win.col.holder === 'f64')) return false;
    const d = rows.cols[0]!, nulls = rows.nulls[0]!, bytes = key instanceof KeyBytes ? key : null;
    const o = bytes ? d.valueOffsets as Int32Array : null, b = bytes ? d.values as Uint8Array : null;
    const num = bytes ? null : rows.numbers(0) as Float64Array | Int32Array, kc = bytes ? null : (key as NumberKeys).col;
    const wc = last === null ? null : (win as NumberKeys).col;
    const index = this.index, numbers = this.numbers, values = this.values, seen = new Int32Array(PREFETCH);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!, h = hashes[j]!, t = index.table, m = index.mask;
      if (j % PREFETCH === 0) prefetch(t, m, hashes, j, n, seen);
      const isNull = nulls && !isValid(d, i), from = o === null || isNull ? 0 : o[i]!, len = o === null || isNull ? 0 : o[i + 1]! - from;
      const v = num === null || isNull ? 0 : num[i]!, w = last === null ? 0 : last[j]!;
      let p = h & m, slot = -1;
      for (; t[2 * p] !== 0; p = (p + 1) & m) {
        if (t[2 * p + 1] !== h) continue;
        const s = t[2 * p]! - 1;
        if (wc !== null) { const x = wc.f[s]!; if (wc.valid[s] !== 1 || !(x === w || (x !== x && w !== w))) continue; }
        if (bytes !== null) {
          const sl = bytes.len[s]!;
          if (isNull) { if (sl !== NULL_LEN) continue; } else {
            if (sl !== len) continue;
            const a = bytes.arena, at = bytes.start[s]!;
            let q = 0;
            while (q < len && a[at + q] === b![from + q]) q++;
            if (q < len) continue;
          }
        } else if (isNull ? kc!.valid[s] === 1 : kc!.valid[s] !== 1 || !numbersEqual(kc!.f[s]!, v)) continue;
        slot = s;
        break;
      }
      if (slot >= 0) { if (this.dirty[slot] !== 1) this.touch(slot); out[j] = slot; continue; }
      // A new key, into the empty entry at p, unless an array must grow first (then the general path).
      const s = this.free.length ? this.free[this.free.length - 1]! : this.high;
      if (s >= this.live.length || s >= index.hashOf.length || 2 * (index.size + 1) > m + 1 || (bytes !== null && bytes.used + len > bytes.arena.length)) {
        out[j] = this.insertAt(rows, i, h, last, j);
        continue;
      }
      const fresh = s === this.high;
      if (fresh) this.high++; else this.free.pop();
      this.dirtyView = null;
      this.live[s] = 1;
      index.hashOf[s] = h; t[2 * p] = s + 1; t[2 * p + 1] = h; index.size++;
      // A slot never used before is still zero in the typed columns: only a freed one is reset.
      for (let c = 0; c < values.length; c++) { const nc = numbers[c]; if (!nc) values[c]![s] = null; else if (!fresh) nc.reset(s); }
      this.touch(s);
      if (bytes !== null) {
        if (isNull) bytes.len[s] = NULL_LEN; else {
          const a = bytes.arena, at = bytes.used;
          for (let q = 0; q < len; q++) a[at + q] = b![from + q]!;
          bytes.start[s] = at; bytes.len[s] = len; bytes.used = at + len;
        }
      } else if (isNull) kc!.reset(s); else { kc!.valid[s] = 1; kc!.f[s] = v; }
      if (wc !== null) { wc.valid[s] = 1; wc.f[s] = w; }
      out[j] = s;
    }
    return true;
  }

  /**
   * Before a batch that may outgrow the store, grow the index and the columns by slot once, to
   * hold the keys it will add: doubling step by step as keys came was a quarter of a batch that
   * creates 1M keys (measured: the index's rehashes 168 ms, the columns' copies 48 ms, most of it
   * page faults of each new array). The count is estimated, so that nothing is probed twice: the
   * batch's distinct keys by linear counting of their hashes, times the share of a sample of rows
   * not in the store. A wrong estimate costs only memory or a later doubling, never a key.
   * Not with a spill: a sampled miss would read its page back.
   */
  private reserveNewKeys(rows: BatchKeys, idx: Int32Array, hashes: Int32Array, last: Float64Array | null, n: number): void {
    if (this.index.size + n <= (this.index.mask + 1) / 2 && this.high + n <= this.live.length) return;
    let missed = 0;
    for (let q = 0; q < PRESIZE_SAMPLE; q++) {
      const j = Math.floor((q * n) / PRESIZE_SAMPLE);
      if (this.findAt(rows, idx[j]!, hashes[j]!, last, j) < 0) missed++;
    }
    // A batch that only touches keys (the sample found them all) skips the count.
    if (missed === 0) return;
    let bits = 1024;
    while (bits < 2 * n) bits *= 2;
    const seen = new Uint32Array(bits >>> 5), mask = bits - 1;
    for (let j = 0; j < n; j++) { const b = hashes[j]! & mask; seen[b >>> 5]! |= 1 << (b & 31); }
    let zeros = 0;
    for (let w = 0; w < seen.length; w++) { let x = seen[w]!; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); zeros += 32 - (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24); }
    const distinct = zeros ? -bits * Math.log(zeros / bits) : n;
    const adds = Math.min(n, Math.ceil((distinct * missed) / PRESIZE_SAMPLE));
    this.index.reserve(adds);
    this.reserveSlots(this.high + Math.max(0, adds - this.free.length));
    // And the key bytes: the new keys' share of the batch's bytes.
    for (let k = 0; k < rows.cols.length; k++) {
      const c = this.keyCols[k], o = rows.cols[k]!.valueOffsets as Int32Array | undefined;
      if (c instanceof KeyBytes && o && rows.n > 0) c.reserveBytes(Math.ceil(((o[rows.n]! - o[0]!) * adds) / rows.n));
    }
  }

  private sameRowAt(rows: BatchKeys, i: number, s: number, last: Float64Array | null, j: number): boolean {
    const nk = rows.cols.length, cols = this.keyCols;
    for (let k = 0; k < nk; k++) {
      const c = cols[k];
      if (c ? !c.equalsRow(s, rows, k, i) : !rows.equals(i, k, this.keys[k]![s]!)) return false;
    }
    if (last === null) return true;
    const c = cols[nk], v = last[j]!;
    if (!(c instanceof NumberKeys && c.col.holder === 'f64')) return numbersEqual(this.keyNumber(nk, s), v);
    // Read in place, and numbersEqual written out (no double passed to a call): this runs once per row of a batch.
    const x = c.col.f[s]!;
    return c.col.valid[s] === 1 && (x === v || (x !== x && v !== v));
  }

  /** A new slot for row i of `rows` (not in the store; see findRow), its key cells decoded; marked dirty. */
  insertRow(rows: BatchKeys, i: number, h: number, last?: number): number {
    return this.insertAt(rows, i, h, last === undefined ? null : Float64Array.of(last), 0);
  }

  /** insertRow with the last key column's number at `last[j]` (see findAt). */
  private insertAt(rows: BatchKeys, i: number, h: number, last: Float64Array | null, j: number): number {
    if (this.gone.length) this.unremove(h, (t) => this.sameRowAt(rows, i, t, last, j));
    const slot = this.newSlot(h), nk = rows.cols.length, cols = this.keyCols;
    for (let k = 0; k < nk; k++) { const c = cols[k]; if (c) c.setRow(slot, rows, k, i); else this.keys[k]![slot] = rows.cell(i, k); }
    if (last !== null) {
      const c = cols[nk];
      if (c instanceof NumberKeys && c.col.holder === 'f64') { c.col.valid[slot] = 1; c.col.f[slot] = last[j]!; } else if (c instanceof NumberKeys) c.setNumber(slot, last[j]!); else this.keys[nk]![slot] = last[j]!;
    }
    if (this.byString) {
      const s = encodeCells(this.keyCellsOf(slot), this.keyTypes);
      this.byString.set(s, slot); this.slotString[slot] = s;
    }
    return slot;
  }

  private newSlot(h: number): number {
    this.dirtyView = null;
    const slot = this.free.length ? this.free.pop()! : this.high++;
    if (slot >= this.live.length) this.reserveSlots(slot + 1);
    this.live[slot] = 1;
    this.index.add(slot, h);
    this.spill?.touched(slot);
    const numbers = this.numbers, values = this.values;
    for (let v = 0; v < values.length; v++) { const nc = numbers[v]; if (nc) nc.reset(slot); else values[v]![slot] = null; }
    if (!this.loading) this.touch(slot);
    return slot;
  }

  /**
   * Grow every array kept by slot to hold slots below `n` at once (the typed key and value
   * columns are never shorter than `live`): checking each column on every new slot was most of
   * newSlot's cost (profiled at restart).
   */
  private reserveSlots(n: number): void {
    if (n <= this.live.length) return;
    n = Math.max(n, this.live.length * 2);
    this.live = grow(this.live, n); this.dirty = grow(this.dirty, n); this.isGone = grow(this.isGone, n);
    this.index.reserveSlots(n);
    for (const c of this.keyCols) c?.reserve(n);
    for (const c of this.numbers) c?.reserve(n);
  }

  touch(slot: number): void {
    if (this.dirty[slot] === 1) return;
    this.dirty[slot] = 1; this.dirtyCount++; this.dirtyView = null;
    if (this.dirtyLength === this.dirtyList.length) { const l = new Int32Array(2 * this.dirtyLength); l.set(this.dirtyList); this.dirtyList = l; }
    this.dirtyList[this.dirtyLength++] = slot;
    this.spill?.touched(slot);
  }

  remove(slot: number): void {
    if (this.live[slot] !== 1) return;
    this.dirtyView = null;
    this.index.delete(slot);
    if (this.byString) { this.byString.delete(this.slotString[slot]!); this.slotString[slot] = undefined; }
    this.live[slot] = 0;
    if (this.dirty[slot] === 1) { this.dirty[slot] = 0; this.dirtyCount--; }
    this.numRowsRemoved++;
    // A file being loaded is the committed version: its removals are no delta's.
    if (this.loading) { this.release(slot); return; }
    // Its hash stays in index.hashOf until the slot is reused, after the commit.
    this.gone.push(slot); this.isGone[slot] = 1;
  }

  /** A removed slot's key is no longer needed: the slot is free for a new key. */
  private release(slot: number): void {
    for (const c of this.keyCols) c?.free(slot);
    this.free.push(slot);
  }

  /** The slots removed since the commit and not added again, in order. */
  private removedSlots(): Int32Array {
    const out = new Int32Array(this.gone.length), isGone = this.isGone;
    let n = 0;
    for (const s of this.gone) if (isGone[s] === 1) out[n++] = s;
    return out.subarray(0, n);
  }

  /** Every live slot. */
  *slots(): IterableIterator<number> {
    const live = this.live;
    for (let s = 0; s < this.high; s++) if (live[s] === 1) yield s;
  }

  /** Does `slot` (below capacity) hold a key? A loop over 0..capacity with this is slots() without a generator. */
  has(slot: number): boolean { return this.live[slot] === 1; }

  /** A rough count of bytes held, for progress's memoryUsedBytes. */
  memoryUsedBytes(): number {
    const held = [...this.numbers, ...this.keyCols].reduce((n, c) => n + (c ? c.bytes() : 0), 0);
    const cells = this.keyCols.filter((c) => !c).length + this.numbers.filter((c) => !c).length;
    return this.index.table.byteLength + held + this.high * (4 + 2 + 16 * cells)
      + (this.byString ? this.byString.size * 80 : 0);
  }

  private strings(): Map<string, number> {
    if (!this.byString) {
      this.byString = new Map();
      for (const s of this.slots()) {
        const key = encodeCells(this.keyCellsOf(s), this.keyTypes);
        this.byString.set(key, s); this.slotString[s] = key;
      }
    }
    return this.byString;
  }

  /** The dirty slots, each once, in the order first written: what update mode outputs, without a loop over every slot. The same array until the next write: do not change it. */
  dirtySlots(): Int32Array {
    if (this.dirtyView !== null) return this.dirtyView.slots;
    // Each write of a clean slot lists it once, and only remove() cleans a slot before the commit:
    // with none cleaned, the list is the answer. A list clearDirty() keeps is refilled after the
    // commit, so it is copied; one it drops (a big batch's) is lent as it is: later writes before
    // the commit only append past it (4 MB of fresh memory fewer in a batch that creates 1M keys).
    if (this.dirtyCount === this.dirtyLength) {
      const list = this.dirtyList;
      this.dirtyView = { slots: list.length > KEPT_DIRTY_LIST ? list.subarray(0, this.dirtyLength) : list.slice(0, this.dirtyLength), keys: [], values: [] };
      return this.dirtyView.slots;
    }
    const out = new Int32Array(this.dirtyCount), seen = new Uint8Array(this.high), list = this.dirtyList, dirty = this.dirty;
    let n = 0;
    for (let j = 0; j < this.dirtyLength; j++) { const s = list[j]!; if (dirty[s] === 1 && seen[s] === 0) { seen[s] = 1; out[n++] = s; } }
    this.dirtyView = { slots: out.subarray(0, n), keys: [], values: [] };
    return this.dirtyView.slots;
  }

  private clearDirty(): void {
    this.dirtyView = null;
    const list = this.dirtyList, dirty = this.dirty;
    for (let j = 0; j < this.dirtyLength; j++) dirty[list[j]!] = 0;
    this.dirtyLength = 0; this.dirtyCount = 0;
    // A 1M-key batch's list is not kept for a quiet stream's small ones.
    if (list.length > KEPT_DIRTY_LIST) this.dirtyList = new Int32Array(1024);
    for (const s of this.gone) { this.isGone[s] = 0; this.release(s); }
    this.gone = []; this.goneIndexed = 0; if (this.goneIndex.size) this.goneIndex.clear();
    this.numRowsRemoved = 0;
  }

  private fileSchema(withDeleted: boolean): Struct {
    const fields = [...this.keySchema.fields, ...this.valueSchema.fields];
    return struct(withDeleted ? [...fields, { name: DELETED, type: boolean, nullable: false }] : fields);
  }

  /**
   * Commit the changes since the last version as `version`: its delta now, and when a snapshot is
   * due, the snapshot too (batch mode) or a copy of the columns that a background task writes it
   * from (async mode; one at a time: a commit that finds the last one still running waits for it).
   */
  async commit(version: number): Promise<void> {
    const written = this.dirtySlots(), removed = this.removedSlots();
    const view = this.dirtyView!, nk = this.keys.length;
    const gathered = removed.length ? [] : [...this.keys.map((_, k) => view.keys[k]), ...this.values.map((_, v) => view.values[v])];
    const delta = encodeStateRows(this.fileSchema(true), this.columns(), nk, written, removed, gathered);
    const file = new SealedStreamWriter().start(delta.schema);
    for (const b of delta.batches) file.write(b);
    await this.storage.write(joinPath(this.dir, stateFileName(version, 'delta')), file.sealedParts());
    this.clearDirty();
    if (this.spill) { this.spillCold(); this.compactSlots(); this.spill.endBatch(); }
    this.version = version;
    if (version > 0 && version % this.snapshotInterval === 0) await this.snapshot(version);
  }

  /** The background work (snapshots, then purges, in order), and what it has to report. */
  private background: Promise<void> = Promise.resolve();
  private snapshotInFlight: Promise<void> | null = null;
  private reports: SnapshotReport[] = [];
  private warnings: string[] = [];

  private async snapshot(version: number): Promise<void> {
    const schema = this.fileSchema(false), hook = this.options.onSnapshotPhase;
    // Spilled rows are written from their pages as the commit goes: a background copy of them would be the memory they were spilled to save.
    if (!this.options.asyncSnapshots || this.spill?.rows) {
      const sp = this.spill?.rows ? { batches: this.spilledBatches(), rows: this.spill.rows } : undefined;
      const view: StateView = { version, cols: this.columns(), numKeys: this.keys.length, slots: this.liveSlots(), spilled: sp };
      this.reports.push(await writeSnapshot(this.storage, this.dir, schema, view, 'batch', 0, hook));
      return;
    }
    if (this.snapshotInFlight) await this.snapshotInFlight;
    const t0 = performance.now();
    const view = this.snapshotView();
    const viewMs = performance.now() - t0;
    await hook?.('snapshotView', version);
    this.snapshotInFlight = this.enqueue(`writing snapshot ${joinPath(this.dir, stateFileName(version, 'snapshot'))}`, async () => {
      this.reports.push(await writeSnapshot(this.storage, this.dir, schema, view, 'background', viewMs, hook));
    });
  }

  /**
   * The committed version's rows as copies the next batches cannot change: each column sliced
   * (measured for 1M keys: ~0.1 s, against 2.5–3.9 s to encode them and 0.5–0.8 s to write them,
   * so the copy is what the batch keeps paying and the rest moves off it). Cells that operators
   * change in place (collect_list's arrays, HLL registers) are copied one by one.
   */
  private snapshotView(): StateView {
    const cols = this.columns().map((c, k) => {
      if (c instanceof NumberColumn || c instanceof NumberKeys || c instanceof KeyBytes) return c.copy(this.high);
      const copy = c.slice(0, this.high);
      const type = k < this.keys.length ? this.keyTypes[k]! : this.valueTypes[k - this.keys.length]!;
      if (type.kind === 'array' || type.kind === 'map' || type.kind === 'struct' || type.kind === 'binary') {
        for (let s = 0; s < copy.length; s++) copy[s] = cloneCell(copy[s]!);
      }
      return copy;
    });
    return { version: this.version, cols, numKeys: this.keys.length, slots: this.liveSlots() };
  }

  /** Key then value columns as the state files' encoder reads them: a value held as numbers is its NumberColumn. */
  private columns(): StateColumn[] {
    return [...this.keys.map((c, k) => this.keyCols[k] ?? c), ...this.values.map((v, i) => this.numbers[i] ?? v)];
  }

  /** Every live slot, ascending. */
  liveSlots(): Int32Array {
    const out = new Int32Array(this.index.size), live = this.live;
    let n = 0;
    for (let s = 0; s < this.high; s++) if (live[s] === 1) out[n++] = s;
    return out;
  }

  /** Run `job` after the background work before it; a failure is a warning, never the query's end: the deltas hold every version. */
  private enqueue(what: string, job: () => Promise<void>): Promise<void> {
    const run = this.background.then(job).catch((e: unknown) => {
      this.warnings.push(`State store ${this.dir}: ${what} failed (${(e as Error)?.message ?? String(e)}); the deltas still hold every version, `
        + `so nothing is lost, but a restart reads more of them until a later snapshot is written.`);
    });
    this.background = run;
    return run;
  }

  /** Snapshots sealed since the last call, for the progress record. */
  takeSnapshotReports(): SnapshotReport[] { return this.reports.splice(0); }
  /** Background work that failed since the last call, for the progress record's warnings. */
  takeWarnings(): string[] { return this.warnings.splice(0); }

  /** Wait for the background work (a snapshot in flight, purges): a query stops only after it. */
  async flush(): Promise<void> {
    await this.background;
    this.snapshotInFlight = null;
  }

  /** Discard uncommitted changes by reloading the last committed version. */
  async load(version: number): Promise<void> {
    await this.flush();
    this.generation++;
    this.index.clear(); this.byString = null; this.slotString = [];
    this.live = new Uint8Array(1024); this.dirty = new Uint8Array(1024); this.high = 0; this.free = [];
    this.dirtyList = new Int32Array(1024); this.dirtyLength = 0; this.dirtyCount = 0; this.numRowsRemoved = 0;
    this.dirtyView = null;
    this.gone = []; this.goneIndexed = 0; this.isGone = new Uint8Array(1024); this.goneIndex.clear();
    for (const c of [...this.keys, ...this.values]) c.length = 0;
    for (const c of this.numbers) c?.clear();
    for (const c of this.keyCols) c?.clear();
    this.spill?.reset();
    this.version = version;
    if (version < 0) return;
    const plan = new StateFiles(await this.storage.list(this.dir)).rebuildPlan(version);
    if (plan.missingDelta !== null) {
      throw new CheckpointError(`State file ${joinPath(this.dir, stateFileName(plan.missingDelta, 'delta'))} is missing, so state version ${version} cannot be rebuilt. `
        + `The checkpoint is damaged; restore it from a backup or start the query with a new checkpointLocation.`);
    }
    this.loading = true;
    try {
      if (plan.snapshot !== null) this.apply(await this.readFile(stateFileName(plan.snapshot, 'snapshot'), false), false);
      for (const v of plan.deltas) this.apply(await this.readFile(stateFileName(v, 'delta'), true), true);
    } catch (e) {
      // Never leave part of a version behind for a caller that catches the error.
      this.loading = false;
      await this.load(-1);
      throw e;
    }
    this.loading = false;
    this.clearDirty();
    if (this.spill) { this.compactSlots(); this.spill.endBatch(); }
  }

  private async readFile(name: string, withDeleted: boolean): Promise<A.Table> {
    return (await readStateFile(this.storage, this.dir, name, this.fileSchema(withDeleted).fields.map((f) => f.name))).table;
  }

  private apply(t: A.Table, withDeleted: boolean): void {
    const nk = this.keys.length, nv = this.values.length;
    // A file read into an empty store: a file holds each key once, so none needs looking up.
    const fresh = this.index.size === 0 && !this.spill?.rows;
    for (const b of fromArrowTable(t)) {
      const n = b.numRows;
      // Only an empty store knows every row is a new key: reserving n for a later delta, whose keys
      // mostly exist, doubled a 1M-key index for nothing (profiled: a quarter of a restart).
      if (fresh) { this.index.reserve(n); this.reserveSlots(this.high + n); }
      const rows = new BatchKeys(b.columns.slice(0, nk), this.keyTypes, n);
      const readers = b.columns.map((c, k) => (k >= nk && k < nk + nv && this.numbers[k - nk] ? null : cellReader(c, b.schema.fields[k]!.type)));
      const deleted = withDeleted ? readers[nk + nv]! : null;
      // Each row's slot (-1: removed), then the values a column at a time.
      const slotOf = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const h = rowHash(rows, i);
        let slot = fresh ? -1 : this.findRow(rows, i, h);
        if (deleted !== null && deleted(i) === true) { if (slot >= 0) this.remove(slot); slotOf[i] = -1; continue; }
        // Into an empty store, typed key columns are copied whole below, not row by row.
        if (slot < 0) slot = fresh ? this.newSlot(h) : this.insertRow(rows, i, h);
        slotOf[i] = slot;
      }
      for (let k = 0; k < nk && fresh; k++) {
        const c = this.keyCols[k], col = this.keys[k]!;
        if (c) c.scatter(b.columns[k]!, slotOf, n);
        else for (let i = 0; i < n; i++) { const s = slotOf[i]!; if (s >= 0) col[s] = rows.cell(i, k); }
      }
      for (let v = 0; v < nv; v++) {
        const nc = this.numbers[v], col = this.values[v]!, read = readers[nk + v];
        if (nc) nc.scatter(b.columns[nk + v]!, slotOf, n);
        else for (let i = 0; i < n; i++) { const s = slotOf[i]!; if (s >= 0) col[s] = read!(i); }
      }
      if (this.spill) this.spillCold();
    }
  }

  // ---- State past memory (issue #15, spill/): the slot (its key cells, its values) is the unit moved.

  private spill: Spill | null = null;
  private readonly pageIds: number[] = [];

  /** Keep rows past the spill's memory budget in its local store (set before load()). */
  spillTo(spill: Spill): void { this.spill = spill; spill.schema = this.fileSchema(false); }
  /** Rows held in the spill store, not in memory (progress's numRowsSpilled). */
  get spilledRows(): number { return this.spill?.rows ?? 0; }
  /** Progress's custom metrics of a spilling store: rows spilled now, and pages and rows read back since it was made. */
  spillMetrics(): Record<string, number> {
    const sp = this.spill;
    return sp ? { numRowsSpilled: sp.rows, numSpillPagesRead: sp.pagesRead, numRowsReadBack: sp.rowsReadBack } : {};
  }
  /** Remove the local spill store (the state is in the checkpoint). */
  close(): void { this.spill?.close(); }

  /** findRow's miss: row i's key read back from its spill page into a new (clean) slot, or -1. */
  private readBack(rows: BatchKeys, i: number, h: number, last?: number): number {
    const sp = this.spill!, nk = rows.cols.length;
    for (const id of sp.pagesOf(h, this.pageIds)) {
      const pg = sp.page(id);
      for (let r = firstWithHash(pg.hashes, h); r >= 0 && r < pg.hashes.length && pg.hashes[r] === h; r++) {
        if (pg.live[r] !== 1) continue;
        let k = 0;
        while (k < nk && rows.equals(i, k, pg.cell[k]!(r))) k++;
        if (k === nk && (last === undefined || numbersEqual(pg.cell[nk]!(r) as number, last))) return this.restore(pg, r, h);
      }
    }
    return -1;
  }

  private restore(pg: Page, r: number, h: number): number {
    const loading = this.loading;
    this.loading = true; // committed already: not a change to commit
    const slot = this.newSlot(h);
    this.loading = loading;
    const nk = this.keys.length;
    for (let k = 0; k < nk; k++) this.keys[k]![slot] = pg.cell[k]!(r);
    for (let v = 0; v < this.values.length; v++) {
      const c = pg.cell[nk + v]!(r), nc = this.numbers[v];
      if (nc) nc.setCell(slot, c); else this.values[v]![slot] = c;
    }
    if (this.byString) { const s = encodeCells(this.keys.map((c) => c[slot]!), this.keyTypes); this.byString.set(s, slot); this.slotString[slot] = s; }
    this.spill!.take(pg.id, r, h);
    return slot;
  }

  /**
   * Bring back every spilled row whose order key (the spill's event-time key) is at most `max`:
   * the rows a watermark closes, which the operator then emits and removes as it does in memory.
   */
  readBackUpTo(max: number): void {
    const sp = this.spill;
    if (!sp?.rows || sp.orderKey === null) return;
    for (const id of sp.pagesUpTo(max)) {
      const pg = sp.page(id);
      let left = Infinity;
      for (let r = 0; r < pg.hashes.length; r++) {
        const v = pg.live[r] === 1 ? pg.cell[sp.orderKey]!(r) : null;
        if (v === null || v === undefined) continue;
        if (Number(v) <= max) this.restore(pg, r, pg.hashes[r]!); else left = Math.min(left, Number(v));
      }
      // So the next watermark reads this page again only when it closes one of the rows left.
      sp.setMinOrder(id, left);
    }
  }

  /**
   * Past the budget, move the least recently touched clean slots to the spill store, in pages,
   * until memory is at 3/4 of it (so the next batches do not spill again at once). Slots written
   * since the last commit stay. Memory is counted from the arrays' sizes plus the sampled heap
   * size of the cells (row-bytes.ts); bench/state-at-scale.ts --budget compares it with RSS.
   * A full disk throws a StorageError; the pages written before it stay spilled, the rest in memory.
   */
  private spillCold(): void {
    const sp = this.spill!;
    if (this.index.size === 0) return;
    const cellCols = [...this.keys, ...this.values.filter((_, v) => !this.numbers[v])];
    let sampled = 0, sampledBytes = 0;
    for (let s = 0, step = Math.max(1, Math.floor(this.high / 64)); s < this.high && sampled < 64; s += step) {
      if (this.live[s] !== 1) continue;
      sampled++;
      for (const c of cellCols) sampledBytes += cellBytes(c[s]!);
    }
    const perRow = Math.max(1, sampled ? sampledBytes / sampled : 0);
    const fixed = this.index.table.byteLength + this.index.hashOf.byteLength + 2 * this.live.byteLength + 8 * this.free.length
      + this.numbers.reduce((n, c) => n + (c ? c.bytes() : 0), 0) + 8 * this.high * cellCols.length + sp.bytes();
    if (fixed + this.index.size * perRow <= sp.budget) return;
    // What is kept is counted as it will be after compactSlots: arrays sized for the kept slots
    // (flags 3, hash 4, epoch 4, index >= 16, 9 a typed value, 8 a cell pointer; 1.25x for room),
    // plus the page index's ~16 bytes for each row spilled. Counted at the arrays' high-water
    // size instead, a spill kept ~0.6M of 4.5M rows at 10M keys under 512 MB and spilled again
    // at every commit after.
    const perSlot = 1.25 * (27 + 9 * this.numbers.filter((c) => c).length + 8 * cellCols.length);
    const compacted = Math.floor((0.75 * sp.budget - sp.bytes() - 16 * this.index.size) / (perRow + perSlot));
    // At most half the slots stay, so that compactSlots runs after it.
    const keep = Math.max(0, Math.min(compacted, Math.floor(this.high / 2)));
    const cold = sp.coldest(this.live, this.dirty, this.high, this.index.size - keep);
    const cols = this.columns(), schema = this.fileSchema(false), nk = this.keys.length, hashOf = this.index.hashOf, ok = sp.orderKey;
    for (let from = 0; from < cold.length; from += PAGE_ROWS * PAGES_PER_WRITE) {
      const group = cold.subarray(from, from + PAGE_ROWS * PAGES_PER_WRITE);
      const pages: { bytes: Uint8Array; hashes: Int32Array; minOrder: number }[] = [];
      for (let p = 0; p < group.length; p += PAGE_ROWS) {
        const slots = Array.from(group.subarray(p, p + PAGE_ROWS)).sort((a, b) => hashOf[a]! - hashOf[b]!);
        const hashes = Int32Array.from(slots, (s) => hashOf[s]!);
        let minOrder = Infinity;
        if (ok !== null) for (const s of slots) { const v = this.keys[ok]![s]; if (v !== null && v !== undefined) minOrder = Math.min(minOrder, Number(v)); }
        pages.push({ bytes: encodePage(schema, cols, nk, slots, hashes), hashes, minOrder });
      }
      sp.write(pages);
      for (const s of group) this.dropSlot(s);
    }
  }

  /**
   * After a spill, renumber the slots left in memory 0..n-1 and size every array kept by slot for
   * them: otherwise they stay at the high-water mark of slots ever used (at 10M keys under 512 MB,
   * ~4.5M slots, twice that in capacity: ~45 bytes a slot of flags, hashes, epochs, typed values and
   * cell pointers, plus the free list, against ~0.6M rows left). Only between batches, with nothing
   * dirty or removed; operators that index slots see `generation` move and rebuild (as after load).
   * Typed key columns are not spilled (micro-batch-execution.ts), so a store with them never gets here.
   */
  private compactSlots(): void {
    const n = this.index.size;
    if (this.high <= 256 || 2 * n > this.high || this.keyCols.some((c) => c) || this.dirtyCount || this.gone.length) return;
    const order = this.liveSlots(), cap = Math.max(1024, n + (n >> 2));
    const move = (col: Cell[]): Cell[] => { const out = new Array<Cell>(n); for (let j = 0; j < n; j++) out[j] = col[order[j]!]!; return out; };
    for (let k = 0; k < this.keys.length; k++) this.keys[k] = move(this.keys[k]!);
    for (let v = 0; v < this.values.length; v++) { const nc = this.numbers[v]; if (nc) nc.compact(order, cap); else this.values[v] = move(this.values[v]!); }
    this.index.compact(order, cap);
    this.spill?.renumber(order, cap);
    this.live = new Uint8Array(cap).fill(1, 0, n); this.dirty = new Uint8Array(cap); this.isGone = new Uint8Array(cap);
    this.high = n; this.free = [];
    this.dirtyList = new Int32Array(1024); this.dirtyLength = 0; this.dirtyView = null;
    // The string Map (lookup/insert) names slots: rebuilt on its next use.
    this.byString = null; this.slotString = [];
    this.generation++;
  }

  /** Forget a slot whose row is now spilled (not a removal: no delta row). */
  private dropSlot(s: number): void {
    this.dirtyView = null;
    this.index.delete(s);
    this.live[s] = 0;
    for (const c of this.keys) c[s] = null;
    for (const c of this.values) c[s] = null;
    if (this.byString) { this.byString.delete(this.slotString[s]!); this.slotString[s] = undefined; }
    this.free.push(s);
  }

  /** The spilled rows as a snapshot's record batches, a page at a time. */
  private *spilledBatches(): IterableIterator<A.RecordBatch> {
    const schema = this.fileSchema(false);
    for (const pg of this.spill!.pages()) {
      const idx: number[] = [];
      for (let r = 0; r < pg.live.length; r++) if (pg.live[r] === 1) idx.push(r);
      const b = idx.length === pg.live.length ? pg.batch : takeBatch(pg.batch, Int32Array.from(idx));
      yield* toArrowTable(makeBatch(schema, b.columns, b.numRows)).batches;
    }
  }

  /** Remove state files of versions below `keepFrom` that no retained version needs. */
  async purge(keepFrom: number): Promise<void> {
    const purge = async (): Promise<void> => {
      for (const n of new StateFiles(await this.storage.list(this.dir)).purgeable(keepFrom)) await this.storage.remove(joinPath(this.dir, n));
    };
    if (this.options.asyncSnapshots) void this.enqueue(`removing state files older than version ${keepFrom}`, purge);
    else await purge();
  }
}

/** Read the index entries of rows j.. j+PREFETCH into `seen` (kept, so the reads are not optimized away). */
function prefetch(t: Int32Array, m: number, hashes: Int32Array, j: number, n: number, seen: Int32Array): void {
  for (let q = j, e = Math.min(n, j + PREFETCH); q < e; q++) seen[q - j] = t[2 * (hashes[q]! & m)]!;
}

/** A deep copy of a cell that may be changed in place (an array's elements, a binary's bytes). */
function cloneCell(c: Cell): Cell {
  if (c instanceof Uint8Array) return c.slice();
  return Array.isArray(c) ? c.map(cloneCell) : c;
}

function grow(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}

/** Equal key cells by the rules of key-hash.ts. */
function sameCell(a: Cell, b: Cell, type: DataType): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a === 'number') return numbersEqual(a, b as number);
  if (a instanceof Uint8Array) { const c = b as Uint8Array; return a.length === c.length && a.every((x, j) => x === c[j]); }
  return cellKeyPart(a, type) === cellKeyPart(b, type);
}
