import type * as A from 'apache-arrow';
import { type DataType, type Struct, boolean, struct, typeToString } from '../../data/types.ts';
import { type Batch, makeBatch } from '../../data/batch.ts';
import { type Cell, cellReader } from '../../data/cells.ts';
import { AnalysisError } from '../../errors.ts';
import type { StateStore } from '../../state/state-store.ts';
import type { OutputMode } from '../../sinks/sink.ts';
import type { OperatorMetadata } from '../../checkpoint/operator-metadata.ts';
import { type Bound, newEvalContext } from '../compiled-expr.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from '../stateful.ts';
import { isLate } from '../watermark-rule.ts';
import { JoinSideState, type SideName, joinStateSchemas, matchKey } from './join-state.ts';
import { flattenRow, leafTypes, rowCellReader, rowCellWriter } from './row-cells.ts';

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

/** A value of one numeric key type read as another (int keys stored as long, say): equal SQL values, equal keys. */
export function convertCell(v: Cell, from: DataType, to: DataType): Cell {
  if (v === null || from.kind === to.kind) return v;
  if (to.kind === 'long') return BigInt(v as number);
  if (to.kind === 'double' || to.kind === 'int') return Number(v);
  return v;
}

interface Pair { readonly l: readonly Cell[] | null; readonly r: readonly Cell[] | null }

/**
 * A stream-stream join as Spark's StreamingSymmetricHashJoinExec runs it. Each batch: the left
 * side's new rows join the right's buffered rows and are buffered; then the right side's new
 * rows join the left's buffered rows (this batch's included) and are buffered unless they are
 * already past the state watermark. Then rows the watermark has put out of reach are removed;
 * an outer side's removed rows that never matched are emitted with nulls, so an outer row
 * comes out in the first batch whose watermark shows the other side can no longer match it.
 * Rows at or below W(N-1) on a side's watermarked column are late: dropped, counted, and
 * written to lateRowsPath.
 */
export class StreamJoin implements StatefulOperator {
  readonly name = 'symmetricHashJoin';
  readonly schema: Struct;
  readonly inputSchema: Struct;
  readonly stateKey: Struct;
  readonly stateValue: Struct;
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

  /** Whether a row of `side` is out of reach at watermark W (Spark's state key / state value watermark predicates). */
  private evictable(side: SideName, W: number): ((row: readonly Cell[]) => boolean) | null {
    const s = side === 'left' ? this.spec.left : this.spec.right, c = s.cleanup;
    if (!c) return null;
    if (c.kind === 'key') { const k = s.keys[c.ordinal]!; return (row) => { const t = timeOf(row[k]!); return t !== null && t <= W; }; }
    if (s.eventTime < 0) return null;
    const bound = c.bound(W), e = s.eventTime;
    return (row) => { const t = timeOf(row[e]!); return t !== null && t <= bound; };
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext, _mode: OutputMode, inputOf?: readonly number[]): StatefulResult {
    this.L.sync(store); this.R.sync(store);
    const W = w.defined ? w.evictMs : null;
    const out: Pair[] = [];
    const late: { side: SideName; row: Cell[] }[] = [];
    const sideOf = (k: number): number => inputOf?.[k] ?? 0;
    this.pass('left', input.filter((_, k) => sideOf(k) === 0), store, w, out, late);
    this.pass('right', input.filter((_, k) => sideOf(k) === 1), store, w, out, late);
    if (W !== null) {
      for (const side of ['left', 'right'] as const) {
        const s = side === 'left' ? this.spec.left : this.spec.right, c = s.cleanup;
        if (!c || (c.kind === 'value' && s.eventTime < 0)) continue;
        const state = side === 'left' ? this.L : this.R;
        const preserved = this.preserves(side);
        const unmatched = c.kind === 'key' ? state.removeAtOrBelow(store, state.timeLeaf(s.keys[c.ordinal]!), W, preserved)
          : state.removeAtOrBelow(store, state.timeLeaf(s.eventTime), c.bound(W), preserved);
        for (const row of unmatched) out.push(side === 'left' ? { l: row, r: null } : { l: null, r: row });
      }
    }
    return {
      output: out.length ? [this.build(out)] : [],
      late: late.length ? [this.buildLate(late)] : [],
      numLateRows: late.length,
    };
  }

  /** One side's new rows: join the other side's buffered rows, then buffer them. */
  private pass(side: SideName, batches: readonly Batch[], store: StateStore, w: WatermarkContext, out: Pair[], late: { side: SideName; row: Cell[] }[]): void {
    const spec = this.spec, me = side === 'left' ? spec.left : spec.right;
    const state = side === 'left' ? this.L : this.R, other = side === 'left' ? this.R : this.L;
    const semi = spec.how === 'leftsemi', preserved = this.preserves(side);
    const W = w.defined ? w.evictMs : null;
    const evict = W === null ? null : this.evictable(side, W);
    const ctx = newEvalContext();
    const pair = (mine: readonly Cell[], theirs: readonly Cell[] | null): Pair => (side === 'left' ? { l: mine, r: theirs } : { l: theirs, r: mine });
    for (const b of batches) {
      const readers = b.columns.map((c, k) => rowCellReader(c, me.schema.fields[k]!.type));
      const pass = me.filter ? truthy(me.filter.eval(b, ctx)) : null;
      const items: { row: Cell[]; keyCells: Cell[]; key: string | null; candidates: readonly number[] }[] = [];
      for (let i = 0; i < b.numRows; i++) {
        const row = readers.map((r) => r(i));
        if (me.eventTime >= 0) { const t = timeOf(row[me.eventTime]!); if (t !== null && isLate(t, w)) { late.push({ side, row }); continue; } }
        if (pass && !pass(i)) {
          // Fails this side's own conditions: it can never match, so an outer row is emitted now.
          if (preserved) out.push(pair(row, null));
          continue;
        }
        const keyCells = flattenRow(me.keys.map((k, j) => convertCell(row[k]!, me.schema.fields[k]!.type, spec.keyTypes[j]!)), spec.keyTypes);
        const key = matchKey(keyCells, this.keyLeaves);
        // A null key matches nothing; off an outer side it is dropped, as Spark's inferred isnotnull(key) filter drops it.
        if (key === null && !preserved) continue;
        // The other side's lists do not change during this pass (only their matched flags), so they are read in place.
        items.push({ row, keyCells, key, candidates: key === null ? [] : other.get(key) });
      }
      const ok = this.residualMask(items, side, other, store, ctx);
      let p = 0;
      for (const it of items) {
        const matches: number[] = [];
        for (const slot of it.candidates) if (ok === null || ok[p++] === 1) matches.push(slot);
        let matched = matches.length > 0;
        if (semi && side === 'left') {
          if (matched) out.push({ l: it.row, r: null });
        } else if (semi) {
          // Each buffered left row comes out once, at its first match.
          matched = false;
          for (const slot of matches) {
            if (other.isMatched(store, slot)) continue;
            out.push({ l: other.row(store, slot), r: null });
            other.setMatched(store, slot);
            matched = true;
          }
        } else {
          for (const slot of matches) { out.push(pair(it.row, other.row(store, slot))); other.setMatched(store, slot); }
        }
        // The left side is always buffered (the right's rows of this batch are still to come) unless a
        // left semi row already matched; a right row only while it can still match, or to be emitted
        // unmatched by the eviction below.
        const add = side === 'left' ? !(semi && matched)
          : !(evict?.(it.row) ?? false) || (!matched && preserved);
        if (add) state.add(store, it.key, it.keyCells, it.row, matched);
      }
    }
  }

  /** The residual condition over every (new row, buffered row) candidate, in order; null when there is none. */
  private residualMask(items: readonly { row: Cell[]; candidates: readonly number[] }[], side: SideName, other: JoinSideState, store: StateStore, ctx: ReturnType<typeof newEvalContext>): Uint8Array | null {
    const cond = this.spec.residual;
    if (!cond) return null;
    const pairs: Pair[] = [];
    for (const it of items) for (const slot of it.candidates) pairs.push(side === 'left' ? { l: it.row, r: other.row(store, slot) } : { l: other.row(store, slot), r: it.row });
    const mask = new Uint8Array(pairs.length);
    if (!pairs.length) return mask;
    const L = this.spec.left.schema.fields, R = this.spec.right.schema.fields;
    const schema = struct([...L, ...R]);
    const cols = schema.fields.map((f, c) => {
      const wr = rowCellWriter(f.type, pairs.length);
      for (const pr of pairs) wr.push(c < L.length ? pr.l![c]! : pr.r![c - L.length]!);
      return wr.finish();
    });
    const t = truthy(cond.eval(makeBatch(schema, cols, pairs.length), ctx));
    for (let i = 0; i < pairs.length; i++) mask[i] = t(i) ? 1 : 0;
    return mask;
  }

  private build(pairs: readonly Pair[]): Batch {
    const { schema, output, left, right } = this.spec;
    const cols = output.map((o, c) => {
      const type = schema.fields[c]!.type;
      const wr = rowCellWriter(type, pairs.length);
      for (const p of pairs) {
        if (o.from === 'coalesce') {
          const v = p.l?.[o.left] ?? null;
          wr.push(v !== null ? v : convertCell(p.r?.[o.right] ?? null, right.schema.fields[o.right]!.type, type));
        } else {
          const row = o.from === 'left' ? p.l : p.r, src = (o.from === 'left' ? left : right).schema.fields[o.index]!.type;
          wr.push(row ? convertCell(row[o.index]!, src, type) : null);
        }
      }
      return wr.finish();
    });
    return makeBatch(schema, cols, pairs.length);
  }

  private buildLate(rows: readonly { side: SideName; row: Cell[] }[]): Batch {
    const { lateSchema, lateColumns } = this.spec;
    const cols = lateSchema.fields.map((f, c) => {
      const wr = rowCellWriter(f.type, rows.length);
      for (const r of rows) {
        if (c === 0) { wr.push(r.side); continue; }
        const k = lateColumns[r.side][c - 1]!;
        wr.push(k < 0 ? null : r.row[k]!);
      }
      return wr.finish();
    });
    return makeBatch(lateSchema, cols, rows.length);
  }
}

/** Row i of a boolean column is true (null is not). */
function truthy(d: A.Data): (i: number) => boolean {
  const read = cellReader(d, boolean);
  return (i) => read(i) === true;
}

/** An event time in ms: a timestamp, or a window's end (Spark's watermark predicate on a struct reads its second field). */
function timeOf(v: Cell): number | null {
  if (v === null) return null;
  if (Array.isArray(v)) return (v as readonly Cell[])[1] as number | null;
  return v as number;
}
