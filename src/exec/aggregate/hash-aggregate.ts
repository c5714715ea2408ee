import * as A from 'apache-arrow';
import { type DataType, type Struct, struct, timestamp, typeToString } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import { makeBatch, isValid, type Batch } from '../../data/batch.ts';
import { takeBatch } from '../../data/take.ts';
import { cellReader, cellWriter } from '../../data/cells.ts';
import { BatchKeys, finish, hashNumber } from '../../state/key-hash.ts';
import { isEvicted, isLate } from '../watermark-rule.ts';
import type { StateStore } from '../../state/state-store.ts';
import type { NumberColumn, NumberHolder } from '../../state/number-column.ts';
import type { OutputMode } from '../../sinks/sink.ts';
import type { OperatorKey, OperatorMetadata } from '../../checkpoint/operator-metadata.ts';
import { newEvalContext, type EvalContext, type Bound } from '../compiled-expr.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from '../stateful.ts';
import type { Aggregator } from './aggregators.ts';
import { aggInputReader } from './agg-input.ts';
import { slidingStarts, tumblingStart, windowColumn, windowColumnFrom, windowType } from './window.ts';

export interface WindowKey { readonly name: string; readonly time: Bound; readonly kind: 'tumbling' | 'sliding'; readonly sizeMs: number; readonly slideMs: number }
export interface PlainKey { readonly name: string; readonly bound: Bound }
export interface AggColumn {
  readonly aggregator: Aggregator;
  readonly input: Bound | null;
  /** The further column inputs of an aggregate of several columns (count(DISTINCT a, b), max_by(x, ord)). */
  readonly extra?: readonly Bound[];
  /** The function and its input as written, e.g. "sum(amount)": stored in the state's _metadata. */
  readonly call: string;
}

export interface HashAggregateSpec {
  readonly inputSchema: Struct;
  /** Grouping keys in groupBy order; at most one is a window. */
  readonly keys: readonly (PlainKey | WindowKey)[];
  readonly aggs: readonly AggColumn[];
  /** The watermarked column of the input, if any. */
  readonly watermarkColumn: string | null;
}

const noCtx: EvalContext = newEvalContext();
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const isWindow = (k: PlainKey | WindowKey): k is WindowKey => 'time' in k;

/**
 * groupBy(...).agg(...) over tumbling or sliding windows or plain keys, kept in a
 * StateStore: one slot per group (the window is stored as its start), aggregate buffers
 * in the slot's value columns. Rows find their group through the store's hash index, hashed
 * from the key columns' buffers, so no row object or key string is made; key strings are
 * decoded only when a new group appears.
 */
export class HashAggregate implements StatefulOperator {
  readonly name = 'stateStoreSave';
  readonly schema: Struct;
  readonly stateKey: Struct;
  readonly stateValue: Struct;
  readonly shape: OperatorMetadata;
  readonly spillOrderKey: number | null;
  private readonly plain: PlainKey[];
  private readonly window: WindowKey | null;
  private readonly windowPos: number;
  private readonly valueBase: number[];
  /** How the store holds each state value column: typed for aggregates with a grouped form (and one input), else cells. */
  readonly stateNumbers: readonly (NumberHolder | null)[];
  /** Keys are read through the store's keyCell/keyNumber/keyData, so it may hold them as bytes and numbers. */
  readonly stateKeysTyped = true;
  /** The group number of each store slot within one process() call (-1 between calls). */
  private groupOf: Int32Array<ArrayBuffer> = new Int32Array(0);
  /** Which state key column holds the event time that closes a group, and how to get its end. */
  private readonly closeBy: { keyIndex: number; addMs: number } | null;

  constructor(readonly spec: HashAggregateSpec) {
    const { keys, aggs } = spec;
    const windows = keys.filter(isWindow);
    if (windows.length > 1) throw new AnalysisError(`groupBy() takes at most one window(); got ${windows.length}.`);
    this.window = windows[0] ?? null;
    this.windowPos = keys.findIndex(isWindow);
    this.plain = keys.filter((k): k is PlainKey => !isWindow(k));
    const keyFields = this.plain.map((k) => ({ name: k.name, type: k.bound.type, nullable: true }));
    if (this.window) keyFields.push({ name: this.window.name, type: timestamp, nullable: false });
    this.stateKey = struct(keyFields);
    let base = 0;
    this.valueBase = aggs.map((a) => { const b = base; base += a.aggregator.stateFields.length; return b; });
    this.stateNumbers = aggs.flatMap((a): readonly (NumberHolder | null)[] => (a.aggregator.grouped && !a.extra?.length ? a.aggregator.grouped.holders : a.aggregator.stateFields.map(() => null)));
    this.stateValue = struct(aggs.flatMap((a, k) => a.aggregator.stateFields.map((f) => ({ ...f, name: `${k}_${f.name}` }))));
    this.schema = struct([
      ...keys.map((k) => ({ name: k.name, type: isWindow(k) ? windowType : k.bound.type, nullable: true })),
      ...aggs.map((a) => ({ name: a.aggregator.name, type: a.aggregator.type, nullable: true })),
    ]);
    this.inputSchema = spec.inputSchema;
    const wm = spec.watermarkColumn;
    if (this.window && wm !== null && this.window.time.name === wm) this.closeBy = { keyIndex: this.plain.length, addMs: this.window.sizeMs };
    else {
      const k = this.plain.findIndex((p) => p.bound.name === wm && p.bound.type.kind === 'timestamp');
      this.closeBy = wm !== null && k >= 0 ? { keyIndex: k, addMs: 0 } : null;
    }
    this.spillOrderKey = this.closeBy?.keyIndex ?? null;
    this.shape = {
      operator: 'aggregate',
      keys: keys.map((k): OperatorKey => (isWindow(k)
        ? { name: k.name, kind: 'window', time: k.time.name, sizeMs: k.sizeMs, slideMs: k.slideMs }
        : { name: k.name, kind: 'column', type: typeToString(k.bound.type) })),
      aggregates: aggs.map((a) => ({ name: a.aggregator.name, type: typeToString(a.aggregator.type), fn: a.call })),
    };
  }
  readonly inputSchema: Struct;

  checkOutputMode(mode: OutputMode, hasWatermark: boolean): void {
    if (mode === 'append' && (!hasWatermark || !this.closeBy)) {
      throw new AnalysisError(`Append output mode is not supported for a streaming aggregation without a watermark on its window or event-time key: `
        + `a group could change at any time, so it is never final. Add withWatermark('<event time column>', '<delay>') before groupBy and group by window() of that column, or use outputMode('update') or 'complete'.`);
    }
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext, mode: OutputMode): StatefulResult {
    const late: Batch[] = [];
    let numLate = 0;
    const vals = store.values;
    const aggs = this.spec.aggs;
    // Aggregates over numbers update typed columns (grouped.ts) when the store holds theirs so.
    const numberCols = aggs.map((_, k) => this.numberColumns(store, k));
    // The groups this call meets, in the order met, for aggregates that finish each group once a
    // batch (endBatch): groupOf[slot] is a slot's number (-1: not met yet). Without one, a slot
    // needs no more than the store's dirty mark.
    const byGroup = aggs.some((a) => a.aggregator.endBatch);
    const groupSlot: number[] = [];
    // A spilling store renumbers its slots into fewer after a spill (state-store.ts compactSlots): shrink with it.
    if (this.groupOf.length > 2 * Math.max(1024, store.capacity)) this.groupOf = new Int32Array(0);
    let groupOf = this.groupOf;
    // Spark's complete mode keeps every input row, late or not: it evicts nothing, so no window is closed.
    const dropsLate = this.closeBy !== null && mode !== 'complete';
    const plainTypes = this.plain.map((k) => k.bound.type);
    const win = this.window, size = win?.sizeMs ?? 0, slide = win?.slideMs ?? 0, tumbling = win?.kind === 'tumbling';
    const perRow = win?.kind === 'sliding' ? Math.ceil(size / slide) : 1;
    const starts: number[] = [];
    for (const b of input) {
      const n = b.numRows;
      if (n === 0) continue;
      const keyCols = this.plain.map((k) => k.bound.eval(b, noCtx));
      const room = this.pairs(n * perRow, win !== null);
      // With at most one pair per row, pair m's hash is written over row i's (m <= i, read first):
      // the rows' hashes need no array of their own (4 MB of fresh memory a 1M-row batch).
      const rowKeys = new BatchKeys(keyCols, plainTypes, n, perRow === 1 ? room.hashOf : undefined), base = rowKeys.hashes;
      const timeCol = win ? win.time.eval(b, noCtx) : null, timeNulls = timeCol !== null && timeCol.nullCount > 0;
      // The event times' int64 words, read as two int32s: no BigInt allocated per row (exact below 2^53 ms).
      const tv = timeCol ? timeCol.values as BigInt64Array : null;
      const times = tv && LITTLE_ENDIAN ? new Int32Array(tv.buffer, tv.byteOffset, tv.length * 2) : null;
      const lateRows: number[] = [];
      // A group keyed by the event time itself: its key, read as a window's time is above. A null key
      // is never late (Spark's late-row predicate `key <= watermark` is null there, not true), as
      // bound() never evicts it.
      const closeCol = dropsLate && !win ? keyCols[this.closeBy!.keyIndex]! : null, closeNulls = closeCol !== null && closeCol.nullCount > 0;
      const cv = closeCol ? closeCol.values as BigInt64Array : null;
      const closeWords = cv && LITTLE_ENDIAN ? new Int32Array(cv.buffer, cv.byteOffset, cv.length * 2) : null;
      // First each (row, window start) pair that is not late, with its key's finished hash; then
      // their slots in one call to the store; then each aggregate folds them in one loop. Split so,
      // each loop does one thing with its arrays at hand (the one loop with a lookup in it was
      // most of a 1M-key batch).
      let rowOf = room.rowOf, hashOf = room.hashOf, lastOf = win ? room.lastOf : null, m = 0;
      for (let i = 0; i < n; i++) {
        if (!win) {
          if (cv && !(closeNulls && !isValid(closeCol!, i))
            && isLate(closeWords ? closeWords[2 * i + 1]! * 4294967296 + (closeWords[2 * i]! >>> 0) : Number(cv[i]!), w)) { numLate++; lateRows.push(i); continue; }
          rowOf[m] = i; hashOf[m++] = finish(base[i]!);
          continue;
        }
        if (timeNulls && !isValid(timeCol!, i)) continue; // no event time: no window, as in Spark
        const t = times ? times[2 * i + 1]! * 4294967296 + (times[2 * i]! >>> 0) : Number(tv![i]!);
        if (tumbling) {
          const start = tumblingStart(t, size);
          if (dropsLate && isLate(start + size, w)) { numLate++; lateRows.push(i); continue; }
          rowOf[m] = i; lastOf![m] = start; hashOf[m++] = finish(hashNumber(base[i]!, start));
          continue;
        }
        slidingStarts(t, size, slide, starts);
        let droppedHere = false;
        for (let j = 0; j < starts.length; j++) {
          const start = starts[j]!;
          if (dropsLate && isLate(start + size, w)) { numLate++; droppedHere = true; continue; }
          if (m === rowOf.length) { rowOf = growInts(rowOf); hashOf = growInts(hashOf); lastOf = growFloats(lastOf!); }
          rowOf[m] = i; lastOf![m] = start; hashOf[m++] = finish(hashNumber(base[i]!, start));
        }
        if (droppedHere) lateRows.push(i);
      }
      if (lateRows.length) late.push(takeBatch(b, Int32Array.from(lateRows)));
      const slotOf = room.slotOf.length >= m ? room.slotOf : new Int32Array(m);
      store.slotsOf(rowKeys, rowOf, hashOf, lastOf, m, slotOf);
      if (byGroup) {
        for (let j = 0; j < m; j++) {
          const slot = slotOf[j]!;
          if (slot >= groupOf.length) groupOf = this.groupOf = growGroups(groupOf, store.capacity);
          if (groupOf[slot]! < 0) { groupOf[slot] = groupSlot.length; groupSlot.push(slot); }
        }
      }
      // After the slots: a new slot may have replaced the typed columns' arrays.
      for (let a = 0; a < aggs.length; a++) {
        const agg = aggs[a]!, cols = numberCols[a];
        if (cols) { agg.aggregator.grouped!.update(cols, agg.input ? agg.input.eval(b, noCtx) : null, rowOf, slotOf, m); continue; }
        const read = aggInputReader(agg, b), base = this.valueBase[a]!, update = agg.aggregator.update;
        for (let j = 0; j < m; j++) update(vals, base, slotOf[j]!, read(rowOf[j]!));
      }
    }
    for (const slot of groupSlot) groupOf[slot] = -1;
    for (let a = 0; a < aggs.length; a++) {
      const agg = aggs[a]!.aggregator, base = this.valueBase[a]!;
      if (agg.endBatch) for (const slot of groupSlot) agg.endBatch(vals, base, slot);
    }
    return { output: this.emit(store, w, mode), late, numLateRows: numLate };
  }

  /**
   * The (row, window start) pairs' arrays of one input batch, kept from batch to batch: four fresh
   * arrays per batch were 20 MB for 1M rows, zeroed page by page and pressing the GC (external
   * memory) each time. Renewed when too short, or more than four times too long (a quiet stream
   * after a burst). Only the first `n` entries are meaningful.
   */
  private room: { rowOf: Int32Array; hashOf: Int32Array; lastOf: Float64Array | null; slotOf: Int32Array } = { rowOf: new Int32Array(0), hashOf: new Int32Array(0), lastOf: null, slotOf: new Int32Array(0) };
  private pairs(n: number, windowed: boolean): { rowOf: Int32Array; hashOf: Int32Array; lastOf: Float64Array | null; slotOf: Int32Array } {
    const r = this.room;
    if (r.rowOf.length < n || r.rowOf.length > 4 * n + 1024 || (windowed && r.lastOf === null)) {
      this.room = { rowOf: new Int32Array(n), hashOf: new Int32Array(n), lastOf: windowed ? new Float64Array(n) : null, slotOf: new Int32Array(n) };
    }
    return this.room;
  }

  /** Aggregate k's state columns when the store holds them as numbers (see stateNumbers), else null. */
  private numberColumns(store: StateStore, k: number): NumberColumn[] | null {
    const g = this.spec.aggs[k]!.aggregator.grouped, base = this.valueBase[k]!;
    if (!g || this.stateNumbers[base] === null || !store.numbers[base]) return null;
    return g.holders.map((_, j) => store.numbers[base + j]!);
  }

  /** The event-time bound of a group (its window's end, or its event-time key), null if it has none. */
  private bound(store: StateStore, slot: number): number | null {
    if (!this.closeBy) return null;
    const v = store.keyNumber(this.closeBy.keyIndex, slot);
    return v !== v ? null : v + this.closeBy.addMs;
  }

  /** Spark's StateStoreSaveExec: append and update evict on a moved watermark; complete never evicts. */
  runsNoDataBatch(mode: OutputMode): boolean { return mode !== 'complete'; }

  private emit(store: StateStore, w: WatermarkContext, mode: OutputMode): Batch[] {
    // Spilled groups the watermark closes come back first, to be emitted and removed as the others.
    const evicts = this.closeBy !== null && w.defined && mode !== 'complete', spilled = store.spilledRows > 0;
    if (evicts) store.readBackUpTo(w.evictMs - this.closeBy!.addMs);
    // Update mode outputs the groups this batch wrote, which the store lists: a loop over every
    // group only to find them was most of a 1%-of-1M-keys batch (profiled).
    const dirty = mode === 'update' || evicts ? store.dirtySlots() : null;
    let closed: number[] = [];
    if (evicts) {
      this.lowerBound(store, dirty!);
      const m = this.minBound;
      // Rows read back from a spill are not in minBound.
      if (m.at <= w.evictMs || m.of !== store || m.generation !== store.generation || spilled) closed = this.closing(store, w);
    }
    // Spark's complete mode keeps every group: the whole result is the output each time.
    const out = mode === 'complete' ? store.liveSlots() : mode === 'update' ? dirty! : closed;
    const batch = this.rows(store, out);
    for (const slot of closed) store.remove(slot);
    return batch.numRows ? [batch] : [];
  }

  /**
   * No group's bound (window end, event-time key) is below `at`, in store `of` as it was at its
   * `generation`: a watermark below it closes nothing, so emit skips the loop over every group.
   * A load() (a restart, a retried batch) changes the generation, so the next emit looks again.
   */
  private minBound: { at: number; of: StateStore | null; generation: number } = { at: -Infinity, of: null, generation: -1 };

  /**
   * The window starts by slot, to be read in place, or null (then bound() reads each). Only a window
   * start: it is never null (a row without event time has no window), where an event-time key can
   * be, and bound() reads that as no bound.
   */
  private boundsInPlace(store: StateStore): Float64Array | null {
    return this.window ? store.keyFloats(this.closeBy!.keyIndex) : null;
  }

  /** Lower minBound to the bounds of `slots` (the groups this batch wrote, the new ones among them). */
  private lowerBound(store: StateStore, slots: ArrayLike<number>): void {
    const floats = this.boundsInPlace(store), addMs = this.closeBy!.addMs;
    let at = this.minBound.at;
    for (let j = 0; j < slots.length; j++) {
      const b = floats ? floats[slots[j]!]! + addMs : this.bound(store, slots[j]!);
      if (b !== null && b < at) at = b;
    }
    this.minBound.at = at;
  }

  /** The groups `w` closes, in slot order; sets minBound to the smallest bound of the others. */
  private closing(store: StateStore, w: WatermarkContext): number[] {
    const closed: number[] = [];
    // A window start held in a typed array is read in place: this loop meets every group.
    const floats = this.boundsInPlace(store), addMs = this.closeBy!.addMs;
    let min = Infinity;
    for (let slot = 0; slot < store.capacity; slot++) {
      if (!store.has(slot)) continue;
      const b = floats ? floats[slot]! + addMs : this.bound(store, slot);
      if (b === null) continue;
      if (isEvicted(b, w)) closed.push(slot); else if (b < min) min = b;
    }
    this.minBound = { at: min, of: store, generation: store.generation };
    return closed;
  }

  /** Output rows for the given slots, in the output schema. */
  private rows(store: StateStore, slots: ArrayLike<number>): Batch {
    const n = slots.length, cols: A.Data[] = [];
    let plainIdx = 0;
    for (let k = 0; k < this.spec.keys.length; k++) {
      if (k === this.windowPos) {
        const at = this.plain.length, size = this.window!.sizeMs, floats = store.keyFloats(at);
        // The window key gathered as the store holds it (no nulls: a window always has a start), shared with the delta.
        cols.push(floats ? windowColumnFrom(store.keyData(at, slots), size)
          : windowColumn(n, (i) => store.keyNumber(at, slots[i]!), (i) => store.keyNumber(at, slots[i]!) + size));
      } else cols.push(store.keyData(plainIdx++, slots));
    }
    this.spec.aggs.forEach((a, k) => {
      const numbers = this.numberColumns(store, k);
      const g = a.aggregator.grouped;
      // The state column as it is (a sum, a min): the same column the delta writes, gathered once for both.
      if (numbers && g!.resultIsState) { cols.push(store.valueData(this.valueBase[k]!, slots)); return; }
      // A count: the state column too, unless a group counted nothing (null there, 0 in the result).
      if (numbers && g!.resultIsStateWithoutNulls) {
        const state = store.valueData(this.valueBase[k]!, slots);
        if (state.nullCount === 0) { cols.push(state); return; }
      }
      if (numbers) { cols.push(g!.result(numbers, slots)); return; }
      const wr = cellWriter(a.aggregator.type, n);
      for (let j = 0; j < n; j++) wr.push(a.aggregator.result(store.values, this.valueBase[k]!, slots[j]!));
      cols.push(wr.finish());
    });
    return makeBatch(this.schema, cols, n);
  }
}

function growInts(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2 + 16);
  b.set(a);
  return b;
}

function growFloats(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2 + 16);
  b.set(a);
  return b;
}

function growGroups(a: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(capacity, a.length * 2, 1024)).fill(-1);
  b.set(a);
  return b;
}
