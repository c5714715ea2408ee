import { type Batch, makeBatch } from '../data/batch.ts';
import { nullColumn } from '../data/builders.ts';
import type { EvalContext } from '../exec/compiled-expr.ts';
import { type OperatorSpec, inputColumnsRead, specOf, worthAWorker } from '../plan/operator-spec.ts';
import type { ChunkOperator } from '../plan/physical-plan.ts';
import { type ChunkResult, ChunkWorkerStopped, ChunkWorkers } from './chunk-workers.ts';

/**
 * Chunks smaller than this run on the trigger loop's thread: the trip to a worker costs more than
 * their rows, and at a low rate it would only add latency.
 */
const MIN_WORKER_ROWS = 4096;
/**
 * Chunks out per worker at once: one running and one waiting keeps it busy without hoarding,
 * unless it has had fewer rows than this thread (below).
 */
const DEPTH = 2;

/** A stable key per plan (its first operator), so a worker plans a query's operators once. */
const planIds = new WeakMap<ChunkOperator, number>();
let lastPlanId = 0;

/**
 * The specs of the leading operators that have one (what a worker can run), when there are
 * workers and those operators parse JSON; else none. With no workers (the default) nothing walks
 * the plan's expressions: a pipeline is made every batch.
 */
function workerPrefix(ops: readonly ChunkOperator[], workerCount: number): OperatorSpec[] {
  const out: OperatorSpec[] = [];
  if (workerCount <= 0) return out;
  for (const op of ops) {
    const spec = specOf(op);
    if (!spec) break;
    out.push(spec);
  }
  return worthAWorker(out) ? out : [];
}

/**
 * A source's chunks through the query's stateless operators, in the order they were read. When
 * the leading operators that have a spec (plan/operator-spec.ts: from_json, select, filter, the
 * watermark's statistics) parse JSON, they run on a chunk worker thread that has room while this
 * thread fetches and decodes the next chunks; the rest, and every chunk no worker took, run here.
 * The chunks reach `emit` in read order either way, and the batch's context gets the same metrics
 * and event-time statistics.
 */
export class ChunkPipeline {
  /** Each chunk's rows in read order; a chunk still on a worker holds its place. */
  private readonly slots: (Batch | null)[] = [];
  private readonly out: Promise<void>[] = [];
  private failure: { error: unknown } | null = null;
  private readonly prefix: OperatorSpec[];
  private readonly planId: number;
  /** Per input column, whether the prefix reads it (asked of the first chunk a worker takes). */
  private read: boolean[] | null = null;
  /** Rows of this source's batch given to workers and run here (of chunks a worker could take). */
  private rowsSent = 0;
  private rowsHere = 0;

  constructor(private readonly ops: readonly ChunkOperator[], private readonly ctx: EvalContext,
    private readonly workerCount: number, private readonly emit: (chunk: Batch) => void) {
    this.prefix = workerPrefix(ops, workerCount);
    const first = ops[0];
    this.planId = first ? planIds.get(first) ?? (planIds.set(first, ++lastPlanId), lastPlanId) : 0;
  }

  /**
   * Starts the process's chunk workers for a query whose head they would run (a worker takes ~0.4 CPU
   * s to load the engine), so that they are ready by its first big batch.
   */
  static startWorkersFor(ops: readonly ChunkOperator[], workerCount: number): void {
    if (workerPrefix(ops, workerCount).length > 0) ChunkWorkers.forProcess(workerCount);
  }

  /**
   * Takes a chunk: to a worker with room, else through the operators here and now (a failure
   * throws at once, as it did before workers). This thread never waits for a worker's chunk to
   * run one of its own: the read order is kept by the slots, not by running in turn.
   */
  push(chunk: Batch): void {
    if (this.failure) return;
    const at = this.slots.length;
    this.slots.push(null);
    const offloaded = this.offload(chunk);
    if (!offloaded) { this.slots[at] = this.run(chunk, 0); return; }
    this.out.push(offloaded.then((r) => {
      this.merge(r);
      this.slots[at] = this.run(r.batch, this.prefix.length);
    }, (e: unknown) => {
      // A worker that died (not the chunk's own error) leaves the chunk to this thread.
      if (!(e instanceof ChunkWorkerStopped)) throw e;
      this.slots[at] = this.run(chunk, 0);
    }).catch((e: unknown) => { this.failure ??= { error: e }; }));
  }

  /** Hands every chunk pushed so far to `emit`, in read order, once all are back; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.out);
    this.out.length = 0;
    if (this.failure) throw this.failure.error;
    for (const b of this.slots) if (b) this.emit(b);
    this.slots.length = 0;
  }

  private offload(chunk: Batch): Promise<ChunkResult> | null {
    if (this.prefix.length === 0 || this.workerCount === 0 || chunk.numRows < MIN_WORKER_ROWS) return null;
    const pool = ChunkWorkers.forProcess(this.workerCount);
    if (!pool) return null;
    const read = this.read ??= inputColumnsRead(this.prefix, chunk.schema);
    // The columns no operator reads go as nulls (the Kafka key, topic, offsets...): less to copy.
    const sent = read.every(Boolean) ? chunk : makeBatch(chunk.schema, chunk.columns.map((c, i) => (read[i] ? c : nullColumn(chunk.schema.fields[i]!.type, chunk.numRows))), chunk.numRows);
    // Chunks that come all at once (a prefetched batch, a memory source) would otherwise leave the
    // workers two and this thread the rest: a worker behind on rows takes a chunk however many it has out.
    const depth = this.rowsSent <= this.rowsHere ? Infinity : DEPTH;
    const r = pool.tryRun(this.planId, this.prefix, sent, this.ctx.eventTime.length, this.ctx.batchTimestampMs, depth);
    if (r) this.rowsSent += chunk.numRows; else this.rowsHere += chunk.numRows;
    return r;
  }

  private run(chunk: Batch, from: number): Batch {
    for (let i = from; i < this.ops.length; i++) chunk = this.ops[i]!(chunk, this.ctx);
    return chunk;
  }

  private merge(r: ChunkResult): void {
    this.ctx.metrics.malformedRowsDropped += r.malformedRowsDropped;
    r.eventTime.forEach((s, i) => {
      const t = this.ctx.eventTime[i]!;
      if (s.min < t.min) t.min = s.min;
      if (s.max > t.max) t.max = s.max;
      t.sum += s.sum;
      t.count += s.count;
    });
  }
}
