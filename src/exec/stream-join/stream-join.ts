import type * as A from 'apache-arrow';
import { type DataType, type Struct, boolean, struct, typeToString } from '../../data/types.ts';
import { type Batch, makeBatch } from '../../data/batch.ts';
import { cellReader } from '../../data/cells.ts';
import { isValid } from '../../data/batch.ts';
import { nullColumn } from '../../data/builders.ts';
import { take } from '../../data/take.ts';
import type { NumberHolder } from '../../state/number-column.ts';
import { AnalysisError } from '../../errors.ts';
import type { StateStore } from '../../state/state-store.ts';
import type { OutputMode } from '../../sinks/sink.ts';
import type { OperatorMetadata } from '../../checkpoint/operator-metadata.ts';
import { type Bound, newEvalContext } from '../compiled-expr.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from '../stateful.ts';
import { isLate } from '../watermark-rule.ts';
import { JoinSideState, PairList, type SideName, joinStateNumbers, joinStateSchemas } from './join-state.ts';
import { joinKeys } from './join-keys.ts';
import { convertColumn, leafTypes, rowCellReader, rowCellWriter } from './row-cells.ts';

export type StreamJoinType = 'inner' | 'left' | 'right' | 'full' | 'leftsemi';

/** Spark's names of the join types, as its messages and plans print them. */
export const SPARK_JOIN_NAME: Record<StreamJoinType, string> = { inner: 'Inner', left: 'LeftOuter', right: 'RightOuter', full: 'FullOuter', leftsemi: 'LeftSemi' };

/** When a side's buffered rows can go: no other row that may still arrive can match them. */
export type StateCleanup =
  /** A join key is an event time with a watermark: rows whose key is at or below the watermark. */
  | { readonly kind: 'key'; readonly ordinal: number }
  /** A time range in the condition: rows whose event time is at or below `bound(watermark)`. */
  | { readonly kind: 'value'; readonly bound: (watermarkMs: number) => number };

export interface JoinSideSpec {
  readonly schema: Struct;
  /** Key column positions, pairwise with the other side's. */
  readonly keys: readonly number[];
  /** The condition's conjuncts over this side only: a row failing them never matches. */
  readonly filter: Bound | null;
  /** This side's watermarked column (its withWatermark, or a window of it), or -1: rows at or below W(N-1) there are late. */
  readonly eventTime: number;
  readonly cleanup: StateCleanup | null;
}

/** One output column: a side's column, or (a full outer USING join's key) the left's if not null, else the right's. */
export type OutputColumn = { readonly from: SideName; readonly index: number } | { readonly from: 'coalesce'; readonly left: number; readonly right: number };

export interface StreamJoinSpec {
  readonly how: StreamJoinType;
  readonly left: JoinSideSpec;
  readonly right: JoinSideSpec;
  /** The stored key columns: named after the left's keys, typed so both sides' values compare equal (int with long is long). */
  readonly keyNames: readonly string[];
  readonly keyTypes: readonly DataType[];
  /** The rest of the condition, over the left columns then the right columns of a pair. */
  readonly residual: Bound | null;
  readonly schema: Struct;
  readonly output: readonly OutputColumn[];
  /** Late rows of both sides in one table: `join_side`, then the left's columns, then the right's not already named. */
  readonly lateSchema: Struct;
  /** Where each late row column comes from in a side's row (-1: null for that side). */
  readonly lateColumns: { readonly left: readonly number[]; readonly right: readonly number[] };
  /** The condition, as the checkpoint records it (a restart with another condition is refused). */
  readonly conditionText: string;
}

/** Where one side's columns of a run of output rows come from. */
type Source =
  /** Rows `idx` of this batch of the side. */
  | { readonly kind: 'batch'; readonly batch: Batch; readonly idx: Int32Array }
  /** Slots of the side's state (a negative slot: null). */
  | { readonly kind: 'state'; readonly slots: Int32Array }
  /** Null: the side has no row here (an outer row). */
  | null;

/** A growing list of row indexes. */
class Rows {
  idx = new Int32Array(64);
  length = 0;
  push(i: number): void {
    if (this.length === this.idx.length) { const b = new Int32Array(this.length * 2); b.set(this.idx); this.idx = b; }
    this.idx[this.length++] = i;
  }
  get view(): Int32Array { return this.idx.subarray(0, this.length); }
}

/**
 * A stream-stream join as Spark's StreamingSymmetricHashJoinExec runs it. Each batch: the left
 * side's new rows join the right's buffered rows and are buffered; then the right side's new
 * rows join the left's buffered rows (this batch's included) and are buffered unless they are
 * already past the state watermark. Then rows the watermark has put out of reach are removed;
 * an outer side's removed rows that never matched are emitted with nulls, so an outer row
 * comes out in the first batch whose watermark shows the other side can no longer match it.
 * Rows at or below W(N-1) on a side's watermarked column are late: dropped, counted, and
 * written to lateRowsPath.
 *
 * It runs a batch at a time, as hash-join.ts does: the batch's keys are hashed once a column at
 * a time, probed against the other side's key chains into (row, slot) pairs, and the output is
 * gathered a column at a time from the batch (take) and the state's columns; rows are appended
 * to the state and evicted from it the same way. Profiled row at a time (a Cell[] per row and a
 * string key per row and state row), the join was 0.03–0.15× a union of the same streams.
 */
export class StreamJoin implements StatefulOperator {
  readonly name = 'symmetricHashJoin';
  readonly schema: Struct;
  readonly inputSchema: Struct;
  readonly stateKey: Struct;
  readonly stateValue: Struct;
  readonly stateNumbers: readonly (NumberHolder | null)[];
  /** The join reads its state keys through keyCell() and keyCols (join-state.ts), never `store.keys` alone. */
  readonly stateKeysTyped = true;
  readonly shape: OperatorMetadata;
  private readonly L: JoinSideState;
  private readonly R: JoinSideState;
  private readonly keyLeaves: readonly DataType[];

  constructor(private readonly spec: StreamJoinSpec) {
    this.schema = spec.schema;
    this.inputSchema = spec.lateSchema;
    const { key, value } = joinStateSchemas(spec.keyNames, spec.keyTypes, spec.left.schema, spec.right.schema);
    this.stateKey = key;
    this.stateValue = value;
    this.stateNumbers = joinStateNumbers(value);
    const lw = leafTypes(spec.left.schema.fields.map((f) => f.type)).length;
    this.L = new JoinSideState('left', spec.keyTypes, spec.left.schema, lw);
    this.R = new JoinSideState('right', spec.keyTypes, spec.right.schema, lw);
    this.keyLeaves = leafTypes(spec.keyTypes);
    this.shape = {
      operator: `symmetricHashJoin ${SPARK_JOIN_NAME[spec.how]} on ${spec.conditionText}`,
      keys: key.fields.map((f) => ({ name: f.name, kind: 'column', type: typeToString(f.type) })),
      // The stored row's columns: a restart whose sides have other columns would misread them.
      aggregates: value.fields.map((f) => ({ name: f.name, type: typeToString(f.type) })),
    };
  }

  checkOutputMode(mode: OutputMode): void {
    if (mode !== 'append') {
      const m = mode === 'update' ? 'Update' : 'Complete';
      throw new AnalysisError(`Join between two streaming DataFrames/Datasets is not supported in ${m} output mode, only in Append output mode.`);
    }
  }

  /** Spark's shouldRunAnotherBatch: a moved watermark matters only when it can remove state. */
  runsNoDataBatch(): boolean { return this.spec.left.cleanup !== null || this.spec.right.cleanup !== null; }

  /**
   * Spark's produceOutputWatermark for a join (StreamingSymmetricHashJoinExec, Spark 3.5+): the
   * smallest of the two sides' state watermarks (the watermark itself for a side cleaned by a time
   * key, the range's bound of it for one cleaned by a range) and the input watermark. A range may
   * bound a side above W (`l > r + 5 s`), and a join whose state no watermark bounds still passes
   * its input watermark on: its output rows are its input rows, at or above W on each side.
   */
  outputWatermark(inputMs: number): number {
    const of = (c: StateCleanup | null): number | null => (c === null ? null : c.kind === 'key' ? inputMs : c.bound(inputMs));
    const ws = [of(this.spec.left.cleanup), of(this.spec.right.cleanup)].filter((w): w is number => w !== null);
    return Math.min(inputMs, ...ws);
  }

  private preserves(side: SideName): boolean {
    const h = this.spec.how;
    return h === 'full' || (side === 'left' ? h === 'left' : h === 'right');
  }

  /**
   * The column (of the side's schema) and bound below which a side's rows are out of reach at
   * watermark W (Spark's state key / state value watermark predicates), or null.
   */
  private reach(side: SideName, W: number): { column: number; bound: number } | null {
    const s = side === 'left' ? this.spec.left : this.spec.right, c = s.cleanup;
    if (!c) return null;
    if (c.kind === 'key') return { column: s.keys[c.ordinal]!, bound: W };
    return s.eventTime < 0 ? null : { column: s.eventTime, bound: c.bound(W) };
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext, _mode: OutputMode, inputOf?: readonly number[]): StatefulResult {
    this.L.sync(store); this.R.sync(store);
    const W = w.defined ? w.evictMs : null;
    const output: Batch[] = [], late: Batch[] = [];
    let numLateRows = 0;
    const sideOf = (k: number): number => inputOf?.[k] ?? 0;
    for (const side of ['left', 'right'] as const) {
      for (let k = 0; k < input.length; k++) {
        if (sideOf(k) !== (side === 'left' ? 0 : 1) || input[k]!.numRows === 0) continue;
        numLateRows += this.pass(side, input[k]!, store, w, output, late);
      }
    }
    if (W !== null) {
      for (const side of ['left', 'right'] as const) {
        const r = this.reach(side, W);
        if (!r) continue;
        const state = side === 'left' ? this.L : this.R;
        const gone = state.atOrBelow(store, state.timeColumn(r.column), r.bound);
        if (!gone.length) continue;
        if (this.preserves(side)) {
          const rows = state.unmatched(store, gone);
          if (rows.length) {
            const src: Source = { kind: 'state', slots: rows };
            output.push(this.build(store, side === 'left' ? src : null, side === 'left' ? null : src, rows.length));
          }
        }
        state.remove(store, gone);
      }
    }
    return { output, late, numLateRows };
  }

  /** One batch of one side's new rows: join the other side's buffered rows, then buffer them; returns its late rows' count. */
  private pass(side: SideName, b: Batch, store: StateStore, w: WatermarkContext, output: Batch[], late: Batch[]): number {
    const spec = this.spec, me = side === 'left' ? spec.left : spec.right;
    const state = side === 'left' ? this.L : this.R, other = side === 'left' ? this.R : this.L;
    const semi = spec.how === 'leftsemi', preserved = this.preserves(side);
    const n = b.numRows, ctx = newEvalContext();
    const times = me.eventTime >= 0 ? timesOf(b.columns[me.eventTime]!, me.schema.fields[me.eventTime]!.type) : null;
    const pass = me.filter ? truthy(me.filter.eval(b, ctx)) : null;
    const keys = joinKeys(b, me.keys, spec.keyTypes, this.keyLeaves);
    const lateRows = new Rows(), failed = new Rows(), probe = new Rows(), kept = new Rows();
    for (let i = 0; i < n; i++) {
      if (times !== null) { const t = times[i]!; if (t === t && isLate(t, w)) { lateRows.push(i); continue; } }
      // Fails this side's own conditions: it can never match, so an outer row is emitted now.
      if (pass && !pass(i)) { if (preserved) failed.push(i); continue; }
      // A null key matches nothing; off an outer side it is dropped, as Spark's inferred isnotnull(key) filter drops it.
      if (keys.nullKey[i] === 1) { if (preserved) kept.push(i); continue; }
      probe.push(i);
      kept.push(i);
    }
    if (lateRows.length) late.push(this.lateBatch(side, b, lateRows.view));
    if (failed.length) {
      const src: Source = { kind: 'batch', batch: b, idx: failed.view };
      output.push(this.build(store, side === 'left' ? src : null, side === 'left' ? null : src, failed.length));
    }
    let pairs = other.probe(store, keys, probe.idx, probe.length);
    if (spec.residual && pairs.length) pairs = pairs.filter(this.residualMask(side, b, store, pairs, ctx));
    const matched = new Uint8Array(n);
    const mine: Source = { kind: 'batch', batch: b, idx: pairs.rows.subarray(0, pairs.length) };
    const theirs: Source = { kind: 'state', slots: pairs.slots.subarray(0, pairs.length) };
    if (semi && side === 'left') {
      const rows = new Rows();
      for (let p = 0; p < pairs.length; p++) { const i = pairs.rows[p]!; if (matched[i] === 0) { matched[i] = 1; rows.push(i); } }
      if (rows.length) output.push(this.build(store, { kind: 'batch', batch: b, idx: rows.view }, null, rows.length));
    } else if (semi) {
      // Each buffered left row comes out once, at its first match.
      const slots = new Rows();
      for (let p = 0; p < pairs.length; p++) {
        const s = pairs.slots[p]!;
        if (other.isMatched(store, s)) continue;
        other.setMatched(store, s);
        matched[pairs.rows[p]!] = 1;
        slots.push(s);
      }
      if (slots.length) output.push(this.build(store, { kind: 'state', slots: slots.view }, null, slots.length));
    } else {
      for (let p = 0; p < pairs.length; p++) { matched[pairs.rows[p]!] = 1; other.setMatched(store, pairs.slots[p]!); }
      if (pairs.length) output.push(this.build(store, side === 'left' ? mine : theirs, side === 'left' ? theirs : mine, pairs.length));
    }
    // The left side is always buffered (the right's rows of this batch are still to come) unless a
    // left semi row already matched; a right row only while it can still match, or to be emitted
    // unmatched by the eviction below.
    const W = w.defined ? w.evictMs : null, reach = side === 'right' && W !== null ? this.reach(side, W) : null;
    const reachTimes = reach ? timesOf(b.columns[reach.column]!, me.schema.fields[reach.column]!.type) : null;
    const add = new Rows(), flags = new Uint8Array(kept.length);
    for (let r = 0; r < kept.length; r++) {
      const i = kept.idx[r]!, m = matched[i] === 1;
      let keep: boolean;
      if (side === 'left') keep = !(semi && m);
      else keep = !(reach !== null && reachTimes![i]! <= reach.bound) || (!m && preserved);
      if (keep) { flags[add.length] = m ? 1 : 0; add.push(i); }
    }
    state.append(store, b, keys, add.idx, add.length, flags);
    return lateRows.length;
  }

  /** The residual condition over every (new row, buffered row) pair, 1 where it holds. */
  private residualMask(side: SideName, b: Batch, store: StateStore, pairs: PairList, ctx: ReturnType<typeof newEvalContext>): Uint8Array {
    const n = pairs.length;
    const mine: Source = { kind: 'batch', batch: b, idx: pairs.rows.subarray(0, n) };
    const theirs: Source = { kind: 'state', slots: pairs.slots.subarray(0, n) };
    const [l, r] = side === 'left' ? [mine, theirs] : [theirs, mine];
    const L = this.spec.left.schema.fields, R = this.spec.right.schema.fields;
    const schema = struct([...L, ...R]);
    const cols = [...L.map((_, c) => this.sideColumn(store, 'left', c, l, n)), ...R.map((_, c) => this.sideColumn(store, 'right', c, r, n))];
    const t = truthy(this.spec.residual!.eval(makeBatch(schema, cols, n), ctx));
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = t(i) ? 1 : 0;
    return mask;
  }

  /** Column `c` of a side over `n` output rows from `src`. */
  private sideColumn(store: StateStore, side: SideName, c: number, src: Source, n: number): A.Data {
    const s = side === 'left' ? this.spec.left : this.spec.right;
    if (src === null) return nullColumn(s.schema.fields[c]!.type, n);
    if (src.kind === 'batch') return take(src.batch.columns[c]!, src.idx);
    return (side === 'left' ? this.L : this.R).column(store, c, src.slots, n);
  }

  private build(store: StateStore, l: Source, r: Source, n: number): Batch {
    const { schema, output, left, right } = this.spec;
    const cols = output.map((o, c) => {
      const type = schema.fields[c]!.type;
      if (o.from !== 'coalesce') {
        const s = o.from === 'left' ? left : right;
        return convertColumn(this.sideColumn(store, o.from, o.index, o.from === 'left' ? l : r, n), s.schema.fields[o.index]!.type, type);
      }
      const a = convertColumn(this.sideColumn(store, 'left', o.left, l, n), left.schema.fields[o.left]!.type, type);
      if (r === null) return a;
      const b = convertColumn(this.sideColumn(store, 'right', o.right, r, n), right.schema.fields[o.right]!.type, type);
      if (l === null) return b;
      const ra = rowCellReader(a, type), rb = rowCellReader(b, type), wr = rowCellWriter(type, n);
      for (let i = 0; i < n; i++) { const v = ra(i); wr.push(v !== null ? v : rb(i)); }
      return wr.finish();
    });
    return makeBatch(schema, cols, n);
  }

  private lateBatch(side: SideName, b: Batch, idx: Int32Array): Batch {
    const { lateSchema, lateColumns } = this.spec, n = idx.length;
    const s = side === 'left' ? this.spec.left : this.spec.right;
    const cols = lateSchema.fields.map((f, c) => {
      if (c === 0) { const wr = rowCellWriter(f.type, n); for (let i = 0; i < n; i++) wr.push(side); return wr.finish(); }
      const k = lateColumns[side][c - 1]!;
      return k < 0 ? nullColumn(f.type, n) : convertColumn(take(b.columns[k]!, idx), s.schema.fields[k]!.type, f.type);
    });
    return makeBatch(lateSchema, cols, n);
  }
}

/** Row i of a boolean column is true (null is not). */
function truthy(d: A.Data): (i: number) => boolean {
  const read = cellReader(d, boolean);
  return (i) => read(i) === true;
}

/** A column's event times in ms, NaN for null: a timestamp, or a window's end (Spark's watermark predicate on a struct reads its second field). */
function timesOf(d: A.Data, type: DataType): Float64Array {
  const n = d.length, out = new Float64Array(n);
  const leaf = type.kind === 'struct' ? d.children[1]! : d, leafType = type.kind === 'struct' ? type.fields[1]!.type : type;
  const read = cellReader(leaf, leafType), nulls = d.nullCount > 0 || leaf.nullCount > 0;
  for (let i = 0; i < n; i++) {
    if (nulls && (!isValid(d, i) || !isValid(leaf, i))) { out[i] = NaN; continue; }
    out[i] = Number(read(i));
  }
  return out;
}
