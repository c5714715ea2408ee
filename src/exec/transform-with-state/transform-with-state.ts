import { type Struct, struct, typeToString } from '../../data/types.ts';
import { AnalysisError, StatefulProcessorError } from '../../errors.ts';
import { isValid, makeBatch, type Batch } from '../../data/batch.ts';
import { takeBatch } from '../../data/take.ts';
import { batchToRows } from '../../data/rows.ts';
import { columnFromValues } from '../../data/column-from-values.ts';
import type { StateStore } from '../../state/state-store.ts';
import type { OutputMode } from '../../sinks/sink.ts';
import type { OperatorMetadata } from '../../checkpoint/operator-metadata.ts';
import type { StatefulOperator, StatefulResult, WatermarkContext } from '../stateful.ts';
import { isLate } from '../watermark-rule.ts';
import { keyParts, rowKey } from '../../state/key-encoding.ts';
import { bindHandle, SPARK_TIME_MODE, type Row, type StatefulProcessor, type TimeMode, type TimerValues } from './stateful-processor.ts';
import { ProcessorHandle, type DeclaredState } from './processor-handle.ts';
import { STATE_KEY, STATE_VALUE, StateRows, TIMERS, type ScannedRow } from './state-rows.ts';
import { compactList } from './state-variables.ts';
import { decodeState, encodeState } from './state-codec.ts';

export interface TransformWithStateSpec {
  // The processor's own row types are the user's; at this edge rows are plain objects.
  readonly processor: StatefulProcessor<never, never, never>;
  readonly keyColumns: readonly string[];
  readonly outputSchema: Struct;
  /** What the processor is told it runs in (Spark's transformWithState outputMode argument). */
  readonly outputMode: 'append' | 'update';
  readonly timeMode: TimeMode;
}

type AnyProcessor = StatefulProcessor<Row, Row, Row>;

/**
 * Spark 4's TransformWithStateExec: a user's StatefulProcessor per grouping key, with value,
 * list and map state (each with its own TTL) and processing- or event-time timers, all kept in
 * the operator's versioned StateStore (layout: state-rows.ts). A batch runs as Spark's does:
 * init, the rows of each key, the timers that expired (processing time: at or before the
 * batch's timestamp; event time: at or before the watermark W(N)), the TTL clean-up, close.
 */
export class TransformWithState implements StatefulOperator {
  readonly name = 'transformWithStateExec';
  readonly schema: Struct;
  readonly stateKey = STATE_KEY;
  readonly stateValue = STATE_VALUE;
  readonly shape: OperatorMetadata;
  private readonly declared: ReadonlyMap<string, DeclaredState>;
  private readonly keyIdx: number[];
  private readonly timeIdx: number;
  private readonly processor: AnyProcessor;
  private rows: StateRows | null = null;
  /** dueAtMs() for the store's generation it was computed for. */
  private due: { generation: number; atMs: number | null } | null = null;

  /** `eventTimeColumn`: the input's watermarked column, for eventTime mode (late rows are dropped by it). */
  constructor(readonly inputSchema: Struct, private readonly spec: TransformWithStateSpec, eventTimeColumn: string | null) {
    const names = inputSchema.fields.map((f) => f.name);
    this.keyIdx = spec.keyColumns.map((c) => {
      const k = names.indexOf(c);
      if (k < 0) throw new AnalysisError(`transformWithState: groupBy column '${c}' does not exist. Available columns: ${names.join(', ')}.`);
      return k;
    });
    if (!spec.keyColumns.length) throw new AnalysisError(`transformWithState needs grouping columns: groupBy('<column>', ...).transformWithState(...).`);
    this.timeIdx = spec.timeMode === 'eventTime' && eventTimeColumn !== null ? names.indexOf(eventTimeColumn) : -1;
    this.schema = spec.outputSchema;
    this.processor = spec.processor as unknown as AnyProcessor;
    // Spark runs init() on the driver first, to learn and check the state variables before any batch.
    const h = new ProcessorHandle(null, spec.timeMode, 0);
    this.call(() => { bindHandle(spec.processor, h); this.processor.init(h); }, 'init', null, null);
    this.declared = h.declared;
    const groupingType = typeToString(struct(this.keyIdx.map((k) => inputSchema.fields[k]!)));
    this.shape = {
      operator: `transformWithState(${spec.timeMode})`,
      keys: [
        { name: 'stateName', kind: 'column', type: 'string' },
        // The grouping columns and their types ride in this key's type: a changed groupBy is refused on restart.
        { name: 'groupingKey', kind: 'column', type: groupingType },
        { name: 'userKey', kind: 'column', type: 'string' },
      ],
      aggregates: [...h.declared.values()].map((d) => ({ name: d.name, type: `${d.kind}State` })),
    };
  }

  checkOutputMode(mode: OutputMode): void {
    if (mode === 'complete') {
      throw new AnalysisError(`Complete output mode is not supported for transformWithState: its processor emits rows per key as it goes, and Spark allows only append and update. Use outputMode('append') or outputMode('update').`);
    }
  }

  /** Event-time timers fire as the watermark moves, so a moved watermark asks for a batch (Spark's shouldRunAnotherBatch). */
  runsNoDataBatch(): boolean { return this.spec.timeMode === 'eventTime'; }

  dueAtMs(store: StateStore): number | null {
    if (this.spec.timeMode !== 'processingTime') return null;
    if (this.due?.generation !== store.generation) this.due = { generation: store.generation, atMs: nextDue(this.rowsOf(store).scan()) };
    return this.due.atMs;
  }

  process(input: readonly Batch[], store: StateStore, w: WatermarkContext): StatefulResult {
    const { batchId, batchTimestampMs } = w;
    if (batchId === undefined || batchTimestampMs === undefined) throw new StatefulProcessorError('transformWithState needs the batch id and timestamp in its WatermarkContext; the trigger loop gives them.');
    const rows = this.rowsOf(store), mode = this.spec.timeMode;
    const h = new ProcessorHandle(rows, mode, batchTimestampMs, w.defined);
    const timerValues: TimerValues = {
      getCurrentProcessingTimeInMs: () => batchTimestampMs,
      getCurrentWatermarkInMs: () => (w.defined ? w.evictMs : -1),
    };
    const p = this.processor;
    this.call(() => { bindHandle(p, h); p.init(h); }, 'init', null, batchId);
    this.checkSameStates(h);
    for (const name of h.deleted) for (const r of rows.scan()) if (r.name === name) rows.remove(r.name, r.groupingKey, r.userKey);
    h.state = 'INITIALIZED';

    const { groups, late, numLate } = this.group(input, w);
    const out: Row[] = [];
    for (const [gk, g] of groups) {
      h.currentKey = gk;
      this.call(() => { for (const o of p.handleInputRows(g.key, g.rows, timerValues)) out.push(o); }, 'handleInputRows', gk, batchId);
    }
    h.state = 'DATA_PROCESSED';

    // Timers registered above with a time already past fire now, as Spark's timer scan runs after the rows.
    const threshold = mode === 'processingTime' ? batchTimestampMs : mode === 'eventTime' && w.defined ? w.evictMs : null;
    let numTimers = 0;
    if (threshold !== null) {
      const expired = rows.scan().filter((r) => r.name === TIMERS && Number(r.userKey) <= threshold)
        .map((r) => ({ gk: r.groupingKey, at: Number(r.userKey) }))
        .sort((a, b) => a.at - b.at || (a.gk < b.gk ? -1 : a.gk > b.gk ? 1 : 0));
      for (const t of expired) {
        h.currentKey = t.gk;
        const key = decodeState<Row>(t.gk);
        this.call(() => { for (const o of p.handleExpiredTimer(key, timerValues, { getExpiryTimeInMs: () => t.at })) out.push(o); }, 'handleExpiredTimer', t.gk, batchId);
        // Removed after the handler, as Spark does: listTimers() there still shows the timer firing.
        rows.remove(TIMERS, t.gk, String(t.at));
        numTimers++;
      }
    }
    h.state = 'TIMER_PROCESSED';
    h.currentKey = null;
    const numExpired = mode === 'processingTime' ? this.removeExpired(rows, batchTimestampMs) : 0;
    this.call(() => p.close(), 'close', null, batchId);
    h.state = 'CLOSED';
    this.due = mode === 'processingTime' ? { generation: store.generation, atMs: nextDue(rows.scan()) } : null;
    return {
      output: out.length ? [this.toBatch(out, batchId)] : [],
      late,
      numLateRows: numLate,
      customMetrics: { numExpiredTimers: numTimers, numValuesRemovedDueToTTLExpiry: numExpired },
    };
  }

  private rowsOf(store: StateStore): StateRows {
    if (this.rows?.store !== store) this.rows = new StateRows(store);
    return this.rows;
  }

  /** Input rows per grouping key, in first-seen order; in eventTime mode, rows at or before W(N-1) are late (Spark filters them only then, SPARK-51758). */
  private group(input: readonly Batch[], w: WatermarkContext): { groups: Map<string, { key: Row; rows: Row[] }>; late: Batch[]; numLate: number } {
    const groups = new Map<string, { key: Row; rows: Row[] }>(), late: Batch[] = [];
    const names = this.keyIdx.map((k) => this.inputSchema.fields[k]!.name);
    const byParts = new Map<string, string>();
    let numLate = 0;
    for (let b of input) {
      if (this.timeIdx >= 0 && w.defined) {
        const tc = b.columns[this.timeIdx]!, keep: number[] = [], drop: number[] = [];
        for (let i = 0; i < b.numRows; i++) {
          const t = isValid(tc, i) ? Number((tc.values as BigInt64Array)[i]!) : null;
          (t !== null && isLate(t, w) ? drop : keep).push(i);
        }
        if (drop.length) { late.push(takeBatch(b, Int32Array.from(drop))); numLate += drop.length; b = takeBatch(b, Int32Array.from(keep)); }
      }
      // Rows are grouped by the store's key text of their key columns, read off the Arrow buffers
      // (JSON per row cost more than the processor in bench/transform-with-state.ts); the key's
      // JSON is made once per key. Struct and array keys have no such text: JSON per row.
      const atomic = this.keyIdx.every((k) => !['struct', 'array'].includes(b.schema.fields[k]!.type.kind));
      const parts = atomic ? this.keyIdx.map((k) => keyParts(b.columns[k]!, b.schema.fields[k]!.type, b.numRows)) : null;
      const rowsOfB = batchToRows(b);
      for (let i = 0; i < rowsOfB.length; i++) {
        const row = rowsOfB[i]!;
        const fast = parts ? rowKey(parts, i) : null;
        let gk = fast !== null ? byParts.get(fast) : undefined;
        if (gk === undefined) {
          const key: Row = {};
          for (const n of names) key[n] = row[n];
          gk = encodeState(key, 'grouping key');
          if (fast !== null) byParts.set(fast, gk);
          if (!groups.has(gk)) groups.set(gk, { key, rows: [] });
        }
        groups.get(gk)!.rows.push(row);
      }
    }
    return { groups, late, numLate };
  }

  /** The TTL clean-up at the end of a batch: rows whose expiry is at or before the batch's time go; lists close their gaps. */
  private removeExpired(rows: StateRows, nowMs: number): number {
    let n = 0;
    const lists = new Set<string>();
    for (const r of rows.scan()) {
      if (r.expiresAt === null || r.expiresAt > nowMs) continue;
      rows.remove(r.name, r.groupingKey, r.userKey);
      n++;
      if (this.declared.get(r.name)?.kind === 'list') lists.add(JSON.stringify([r.name, r.groupingKey]));
    }
    for (const l of lists) { const [name, gk] = JSON.parse(l) as [string, string]; compactList(rows, name, gk); }
    return n;
  }

  /** init() must declare the same state variables every batch: the checkpoint's _metadata records them. */
  private checkSameStates(h: ProcessorHandle): void {
    const want = [...this.declared.values()].map((d) => `${d.name}:${d.kind}`).join(', ');
    const got = [...h.declared.values()].map((d) => `${d.name}:${d.kind}`).join(', ');
    if (want !== got) throw new StatefulProcessorError(`The processor's init() declared [${got}] in this batch but [${want}] when the query started; init() must declare the same state variables every time.`);
  }

  private toBatch(out: readonly Row[], batchId: number): Batch {
    const fields = this.schema.fields, known = new Set(fields.map((f) => f.name));
    out.forEach((r, i) => {
      if (r === null || typeof r !== 'object') throw new StatefulProcessorError(`transformWithState: output row ${i} of batch ${batchId} is ${r === null ? 'null' : typeof r}, not an object with the columns of outputSchema (${fields.map((f) => f.name).join(', ')}).`);
      for (const k of Object.keys(r)) {
        if (!known.has(k)) throw new StatefulProcessorError(`transformWithState: output row ${i} of batch ${batchId} has a field '${k}' that outputSchema (${fields.map((f) => f.name).join(', ')}) lacks; add it to outputSchema or leave it out of the row.`);
      }
    });
    try {
      return makeBatch(this.schema, fields.map((f) => columnFromValues(f.type, out.map((r) => r[f.name]), `transformWithState output of batch ${batchId}`, f.name)), out.length);
    } catch (e) {
      if (e instanceof AnalysisError) throw new StatefulProcessorError(e.message, { cause: e });
      throw e;
    }
  }

  /** Run the user's code; what it throws stops the query naming the key and batch. */
  private call(fn: () => void, method: string, gk: string | null, batchId: number | null): void {
    try { fn(); } catch (e) {
      const where = `${this.processor.constructor.name}.${method}()${gk !== null ? ` for key ${gk}` : ''}${batchId !== null ? ` in batch ${batchId}` : ''}`;
      const text = e instanceof Error ? e.message : String(e), msg = /[.!?]$/.test(text) ? text : `${text}.`;
      const after = batchId !== null ? ` The batch was not committed: the state stays as of batch ${batchId - 1}, and a restart runs batch ${batchId} again.` : '';
      throw new StatefulProcessorError(`transformWithState (timeMode ${SPARK_TIME_MODE[this.spec.timeMode]}): ${where} failed: ${msg}${after}`, { cause: e });
    }
  }
}

/** The earliest processing-time timer or TTL expiry among the rows, or null. */
function nextDue(rows: readonly ScannedRow[]): number | null {
  let at: number | null = null;
  for (const r of rows) {
    const t = r.name === TIMERS ? Number(r.userKey) : r.expiresAt;
    if (t !== null && (at === null || t < at)) at = t;
  }
  return at;
}
