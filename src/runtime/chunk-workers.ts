import { Worker } from 'node:worker_threads';
import type { Batch } from '../data/batch.ts';
import type { EventTimeStats } from '../exec/compiled-expr.ts';
import type { OperatorSpec } from '../plan/operator-spec.ts';
import * as errors from '../errors.ts';
import { type ChunkReply, type ChunkRequest, batchFromIpc, batchToIpc } from './chunk-transfer.ts';
import { chunkWorkerEntry } from './chunk-worker-entry.ts';

/**
 * sluice.exec.chunkWorkers: how many worker threads run the JSON-parsing head of a query (from_json,
 * select, filter, withWatermark's statistics) over the chunks of a batch while the trigger loop's
 * thread fetches and decodes the next ones. Default 0: everything on the trigger loop's thread.
 * Not on by default: a worker costs ~0.4 CPU s to load the engine (from its bundle,
 * chunk-worker-entry.ts), which a run of a few small batches never earns back, and on YSB's shape
 * on 2 cores a warm worker gave 0.86–0.94x (bench/yahoo.ts --chunk-workers 1): the copies to and
 * from it and its own warm-up cost more than the from_json it takes over.
 */
export const CHUNK_WORKERS_CONF = 'sluice.exec.chunkWorkers';

export function chunkWorkerCount(conf: ReadonlyMap<string, string>): number {
  const v = conf.get(CHUNK_WORKERS_CONF);
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    throw new errors.OptionError(`Session config '${CHUNK_WORKERS_CONF}' must be a whole number from 0 to 64 (0: no worker threads), got '${v}'.`);
  }
  return n;
}

export interface ChunkResult {
  readonly batch: Batch;
  readonly malformedRowsDropped: number;
  readonly eventTime: readonly EventTimeStats[];
}

/** A worker thread died with chunks out: those chunks are run again on the loop's thread. */
export class ChunkWorkerStopped extends Error {}

interface Pending { resolve(r: ChunkResult): void; reject(e: Error): void }

/** One worker thread. `ready` once it has loaded its modules; dead after an exit or error. */
class Slot {
  ready = false;
  dead = false;
  /** Resolves true once ready, false if it died first. */
  readonly started: Promise<boolean>;
  private onStart: (ok: boolean) => void = () => undefined;
  /** Set when it died before it was ready: a worker that cannot start is not started again. */
  failedToStart: Error | null = null;
  readonly pending = new Map<number, Pending>();
  /** Null until its entry file is known (chunk-worker-entry.ts). */
  private worker: Worker | null = null;
  private stopped = false;

  constructor(private readonly counts: { answered: number; orphaned: number }) {
    this.started = new Promise((resolve) => { this.onStart = resolve; });
    void chunkWorkerEntry().then((url) => { if (!this.stopped) this.start(url); });
  }

  private start(url: URL): void {
    // The environment as this thread sees it: by default a worker copies the process's own, which
    // misses what was set on a process.env that code replaced (a test, a library).
    const worker = this.worker = new Worker(url, { env: process.env });
    worker.unref();
    worker.on('message', (m: ChunkReply | { ready: true }) => {
      if ('ready' in m) { this.ready = true; this.onStart(true); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      this.counts.answered++;
      if (m.ok) p.resolve({ batch: batchFromIpc(m.schema, m.ipc), malformedRowsDropped: m.malformedRowsDropped, eventTime: m.eventTime });
      else p.reject(revive(m.name, m.message, m.stack));
    });
    const fail = (e: Error): void => {
      if (!this.ready && !this.dead) this.failedToStart = e;
      this.dead = true;
      this.ready = false;
      this.onStart(false);
      this.counts.orphaned += this.pending.size;
      for (const p of this.pending.values()) p.reject(new ChunkWorkerStopped(`A chunk worker thread stopped: ${e.message}`, { cause: e }));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  run(req: Omit<ChunkRequest, 'ipc'>, batch: Batch): Promise<ChunkResult> {
    const ipc = batchToIpc(batch);
    return new Promise((resolve, reject) => {
      // Referenced while a chunk is out, so the process waits for its rows; idle, it never holds the process.
      const worker = this.worker!; // ready, so started
      if (this.pending.size === 0) worker.ref();
      this.pending.set(req.id, { resolve, reject });
      worker.postMessage({ ...req, ipc } satisfies ChunkRequest, [ipc.buffer as ArrayBuffer]);
    });
  }

  async terminate(): Promise<void> {
    this.stopped = true;
    if (!this.worker) { this.dead = true; this.onStart(false); return; }
    await this.worker.terminate();
  }
}

/** The error a worker threw, as the same class of errors.ts when it is one (its message is the user's). */
function revive(name: string, message: string, stack?: string): Error {
  const cls = (errors as Record<string, unknown>)[name];
  const e = typeof cls === 'function' && cls.prototype instanceof Error && cls.length <= 2
    ? new (cls as new (m: string) => Error)(message) : Object.assign(new Error(message), { name });
  if (stack) e.stack = stack;
  return e;
}

/**
 * The process's chunk workers, shared by its queries and started on first use (a worker takes
 * ~0.4 CPU s to load its modules; chunks run on the trigger loop's thread until one is ready).
 */
export class ChunkWorkers {
  private static shared: ChunkWorkers | null = null;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private broken = false;
  /**
   * Chunks the workers answered, and chunks out when a worker died (run again on the loop's
   * thread): for tests, that a query's chunks did go where they should.
   */
  readonly counts = { answered: 0, orphaned: 0 };

  /** The process's pool, grown to `count` workers; null when count is 0. */
  static forProcess(count: number): ChunkWorkers | null {
    if (count <= 0) return null;
    const pool = (ChunkWorkers.shared ??= new ChunkWorkers());
    const unstarted = pool.slots.find((s) => s.failedToStart);
    if (unstarted && !pool.broken) {
      pool.broken = true;
      process.stderr.write(`sluice: a chunk worker thread could not start (${unstarted.failedToStart!.message}); chunks run on the trigger loop's thread.\n`);
    }
    if (pool.broken) return null;
    pool.slots.splice(0, pool.slots.length, ...pool.slots.filter((s) => !s.dead));
    while (pool.slots.length < count) pool.slots.push(new Slot(pool.counts));
    return pool;
  }

  /** Resolves once every worker started so far is ready (true) or one failed to start (false). */
  async whenReady(): Promise<boolean> {
    return (await Promise.all(this.slots.map((s) => s.started))).every(Boolean);
  }

  /**
   * Runs `batch` through `specs` on the ready worker with the fewest chunks out, if one has fewer
   * than `depth`; null when none has (the caller runs the chunk itself).
   */
  tryRun(plan: number, specs: readonly OperatorSpec[], batch: Batch, watermarks: number, batchTimestampMs: number, depth: number): Promise<ChunkResult> | null {
    let best: Slot | null = null;
    for (const s of this.slots) if (s.ready && !s.dead && s.pending.size < depth && (!best || s.pending.size < best.pending.size)) best = s;
    if (!best) return null;
    return best.run({ id: this.nextId++, plan, specs, watermarks, batchTimestampMs, schema: batch.schema }, batch);
  }

  /** Stops the process's workers (tests; a process exits without it). */
  static async stopAll(): Promise<void> {
    const pool = ChunkWorkers.shared;
    ChunkWorkers.shared = null;
    if (pool) await Promise.all(pool.slots.map((s) => s.terminate()));
  }
}
