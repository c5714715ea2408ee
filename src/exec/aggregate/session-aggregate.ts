import * as A from 'apache-arrow';
import { type Struct, struct, timestamp, typeToString } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import { makeBatch, isValid, type Batch } from '../../data/batch.ts';
import { takeBatch } from '../../data/take.ts';
import { cellReader, cellWriter, type Cell } from '../../data/cells.ts';
import { encodeCells, keyParts, rowKey, windowKey } from '../../state/key-encoding.ts';
import { isEvicted, isLate } from '../watermark-rule.ts';
import type { StateStore } from '../../state/state-store.ts';
import type { OutputMode } from '../../sinks/sink.ts';
import type { OperatorKey, OperatorMetadata } from '../../checkpoint/operator-metadata.ts';
import { newEvalContext, type EvalContext, type Bound } from '../compiled-expr.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from '../stateful.ts';
import type { AggColumn, PlainKey } from './hash-aggregate.ts';
import { aggInputReader } from './agg-input.ts';
import { windowColumn, windowType } from './window.ts';

export interface SessionAggregateSpec {
  readonly inputSchema: Struct;
  readonly keys: readonly PlainKey[];
  readonly session: { readonly name: string; readonly time: Bound; readonly gapMs: number };
  readonly aggs: readonly AggColumn[];
  readonly watermarkColumn: string | null;
}

const noCtx: EvalContext = newEvalContext();

interface Event { t: number; read: () => Cell[] }
interface Part { start: number; end: number; slot: number; event: Event | null }

/**
 * groupBy(keys, session_window(t, gap)).agg(...): an event opens [t, t + gap); sessions of
 * one key whose intervals overlap or touch merge (as Spark's: an event exactly `gap` after the
 * last joins its session). Append and complete modes only, with at least one key (Spark's rules).
 * An event is late when its own session [t, t + gap) ends at or before W(N-1), as in Spark; so an
 * event may open a session beside (even overlapping) one of its key already closed and written.
 * State: one slot per open session (key + start), its end and the aggregate buffers. A session
 * closes when its end <= the watermark.
 */
export class SessionAggregate implements StatefulOperator {
  readonly name = 'sessionWindowStateStoreSave';
  readonly schema: Struct;
  readonly stateKey: Struct;
  readonly stateValue: Struct;
  readonly inputSchema: Struct;
  readonly shape: OperatorMetadata;
  private readonly valueBase: number[];
  private index = new Map<string, Set<number>>();
  private indexed = -1;

  constructor(readonly spec: SessionAggregateSpec) {
    const { keys, aggs, session } = spec;
    this.inputSchema = spec.inputSchema;
    this.stateKey = struct([...keys.map((k) => ({ name: k.name, type: k.bound.type, nullable: true })), { name: session.name, type: timestamp, nullable: false }]);
    let base = 1;
    this.valueBase = aggs.map((a) => { const b = base; base += a.aggregator.stateFields.length; return b; });
    this.stateValue = struct([{ name: 'end', type: timestamp, nullable: false },
      ...aggs.flatMap((a, k) => a.aggregator.stateFields.map((f) => ({ ...f, name: `${k}_${f.name}` })))]);
    this.schema = struct([
      ...keys.map((k) => ({ name: k.name, type: k.bound.type, nullable: true })),
      { name: session.name, type: windowType, nullable: true },
      ...aggs.map((a) => ({ name: a.aggregator.name, type: a.aggregator.type, nullable: true })),
    ]);
    this.shape = {
      operator: 'sessionAggregate',
      keys: [
        ...keys.map((k): OperatorKey => ({ name: k.name, kind: 'column', type: typeToString(k.bound.type) })),
        { name: session.name, kind: 'session', time: session.time.name, gapMs: session.gapMs },
      ],
      aggregates: aggs.map((a) => ({ name: a.aggregator.name, type: typeToString(a.aggregator.type), fn: a.call })),
    };
  }

  private get timeIsWatermarked(): boolean { return this.spec.watermarkColumn !== null && this.spec.session.time.name === this.spec.watermarkColumn; }

  /** Spark's refusals, in Spark's order: update mode is refused at analysis, a global session window when it runs. */
  checkOutputMode(mode: OutputMode, hasWatermark: boolean): void {
    if (mode === 'update') {
      throw new AnalysisError(`Update output mode is not supported for session window on streaming DataFrames/DataSets: a session written in one batch `
        + `can merge with another later, and the row already written would stand with nothing to retract it. Use outputMode('append') `
        + `(with withWatermark on '${this.spec.session.time.name}') or 'complete'.`);
    }
    if (!this.spec.keys.length) {
      throw new AnalysisError(`Global aggregation with session window in streaming query is not supported: group by a key as well, `
        + `e.g. groupBy(col('user_id'), session_window(...)).`);
    }
    if (mode === 'append' && (!hasWatermark || !this.timeIsWatermarked)) {
      throw new AnalysisError(`Append output mode needs a watermark on the session_window's time column '${this.spec.session.time.name}': `
        + `add withWatermark('${this.spec.session.time.name}', '<delay>') before groupBy, or use outputMode('complete').`);
    }
  }

  private prefixOf(store: StateStore, slot: number): string {
    return encodeCells(this.keyCellsOf(store, slot), this.spec.keys.map((k) => k.bound.type));
  }

  private ensureIndex(store: StateStore): void {
    if (this.indexed === store.generation) return;
    this.index.clear();
    for (const slot of store.slots()) this.indexAdd(this.prefixOf(store, slot), slot);
    this.indexed = store.generation;
  }
  private indexAdd(prefix: string, slot: number): void {
    let s = this.index.get(prefix);
    if (!s) this.index.set(prefix, (s = new Set()));
    s.add(slot);
  }
  private indexRemove(prefix: string, slot: number): void {
    const s = this.index.get(prefix);
    if (s) { s.delete(slot); if (!s.size) this.index.delete(prefix); }
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext, mode: OutputMode): StatefulResult {
    this.ensureIndex(store);
    const { keys, aggs, session } = this.spec;
    const late: Batch[] = [];
    let numLate = 0;
    const events = new Map<string, { keyCells: () => Cell[]; list: Event[] }>();
    // Spark's complete mode keeps every input row, late or not: it evicts nothing, so no session is closed.
    const dropsLate = this.timeIsWatermarked && mode !== 'complete';
    for (const b of input) {
      const n = b.numRows;
      if (!n) continue;
      const keyCols = keys.map((k) => k.bound.eval(b, noCtx));
      const parts = keyCols.map((c, k) => keyParts(c, keys[k]!.bound.type, n));
      const decoders = keyCols.map((c, k) => cellReader(c, keys[k]!.bound.type));
      const inputs = aggs.map((a) => aggInputReader(a, b));
      const tc = session.time.eval(b, noCtx), tv = tc.values as BigInt64Array;
      const lateRows: number[] = [];
      for (let i = 0; i < n; i++) {
        if (!isValid(tc, i)) continue;
        const t = Number(tv[i]!);
        // Spark's late test is on the event's own session, [t, t + gap): late when its end <= W(N-1).
        if (dropsLate && isLate(t + session.gapMs, w)) { numLate++; lateRows.push(i); continue; }
        const prefix = rowKey(parts, i);
        let g = events.get(prefix);
        if (!g) { const row = i; events.set(prefix, (g = { keyCells: () => decoders.map((d) => d(row)), list: [] })); }
        const row = i;
        g.list.push({ t, read: () => inputs.map((r) => r(row)) });
      }
      if (lateRows.length) late.push(takeBatch(b, Int32Array.from(lateRows)));
    }
    const vals = store.values, ends = vals[0]!;
    for (const [prefix, g] of events) {
      const partsList: Part[] = g.list.map((e) => ({ start: e.t, end: e.t + session.gapMs, slot: -1, event: e }));
      for (const slot of this.index.get(prefix) ?? []) {
        partsList.push({ start: store.keys[keys.length]![slot] as number, end: ends[slot] as number, slot, event: null });
      }
      partsList.sort((a, b) => a.start - b.start || (a.event ? 1 : 0) - (b.event ? 1 : 0));
      let group: Part[] = [];
      const flush = (): void => {
        if (!group.length) return;
        this.mergeGroup(store, prefix, g.keyCells, group);
        group = [];
      };
      let end = -Infinity;
      // Spark's MergingSessionsIterator: the next session joins while its start <= the current end,
      // so sessions that touch (an event exactly one gap after the last) merge.
      for (const p of partsList) {
        if (group.length && p.start > end) { flush(); end = -Infinity; }
        group.push(p);
        if (p.end > end) end = p.end;
      }
      flush();
    }
    return { output: this.emit(store, w, mode), late, numLateRows: numLate };
  }

  /** Fold one run of overlapping sessions and events, in time order, into the slot keyed by its start. */
  private mergeGroup(store: StateStore, prefix: string, keyCells: () => Cell[], group: Part[]): void {
    if (group.length === 1 && group[0]!.event === null) return; // an old session nothing touched
    const start = group[0]!.start;
    let end = -Infinity;
    for (const p of group) if (p.end > end) end = p.end;
    const key = windowKey(prefix, this.spec.keys.length > 0, start);
    let target = store.lookup(key);
    if (target < 0) {
      const cells = group.find((p) => p.slot >= 0) ? this.keyCellsOf(store, group.find((p) => p.slot >= 0)!.slot) : keyCells();
      target = store.insert(key, [...cells, start]);
      this.indexAdd(prefix, target);
    } else store.touch(target);
    const vals = store.values;
    for (const p of group) {
      if (p.slot === target) continue;
      if (p.event) {
        const cells = p.event.read();
        this.spec.aggs.forEach((a, k) => a.aggregator.update(vals, this.valueBase[k]!, target, cells[k]!));
      } else {
        this.spec.aggs.forEach((a, k) => a.aggregator.merge(vals, this.valueBase[k]!, target, vals, p.slot));
        store.remove(p.slot);
        this.indexRemove(prefix, p.slot);
      }
    }
    vals[0]![target] = end;
  }

  private keyCellsOf(store: StateStore, slot: number): Cell[] {
    return this.spec.keys.map((_, k) => store.keys[k]![slot]!);
  }

  /** Spark's SessionWindowStateStoreSaveExec: append evicts on a moved watermark; complete never evicts. */
  runsNoDataBatch(mode: OutputMode): boolean { return mode !== 'complete'; }

  private emit(store: StateStore, w: WatermarkContext, mode: OutputMode): Batch[] {
    const closed: number[] = [], out: number[] = [];
    for (const slot of store.slots()) {
      const closing = this.timeIsWatermarked && isEvicted(store.values[0]![slot] as number, w);
      if (closing) closed.push(slot);
      if (mode === 'complete' || closing) out.push(slot);
    }
    const batch = this.rows(store, out);
    if (mode !== 'complete') for (const slot of closed) { this.indexRemove(this.prefixOf(store, slot), slot); store.remove(slot); }
    return batch.numRows ? [batch] : [];
  }

  private rows(store: StateStore, slots: readonly number[]): Batch {
    const n = slots.length, { keys, aggs } = this.spec;
    const cols: A.Data[] = keys.map((k, j) => { const wr = cellWriter(k.bound.type, n); for (const s of slots) wr.push(store.keys[j]![s] ?? null); return wr.finish(); });
    cols.push(windowColumn(n, (i) => store.keys[keys.length]![slots[i]!] as number, (i) => store.values[0]![slots[i]!] as number));
    aggs.forEach((a, k) => { const wr = cellWriter(a.aggregator.type, n); for (const s of slots) wr.push(a.aggregator.result(store.values, this.valueBase[k]!, s)); cols.push(wr.finish()); });
    return makeBatch(this.schema, cols, n);
  }
}
