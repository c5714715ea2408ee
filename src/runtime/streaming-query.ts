import type { StreamingQueryListener, StreamingQueryProgress } from './progress.ts';
import { type QueryStatus, initializingStatus, stoppedStatus } from './query-status.ts';
import { OptionError, SluiceError } from '../errors.ts';

/** The query's failure, as Spark's StreamingQueryException: the cause is kept. */
export class StreamingQueryException extends SluiceError {}

const RECENT = 100;
/** While a query stays idle, listeners hear of it again at most this often (Spark's noDataProgressEventInterval). */
export const IDLE_EVENT_INTERVAL_MS = 10_000;

/**
 * Call one listener. As in Spark, a listener that throws is reported and skipped: a bug in
 * monitoring code must not stop the query it watches.
 */
function notify(l: StreamingQueryListener, event: string, call: () => void): void {
  try {
    call();
  } catch (e) {
    process.stderr.write(`sluice: a StreamingQueryListener threw in ${event} (ignored): ${(e as Error)?.stack ?? String(e)}\n`);
  }
}

/** What a query handle runs: the trigger loop (micro-batch-execution.ts), or a scale-out worker's tasks (scale-out/worker.ts). */
export interface QueryExecution {
  run(signal: AbortSignal): Promise<void>;
  readonly status: QueryStatus;
  readonly nextTriggerMs: number | null;
  /** Triggers that found nothing new: processAllAvailable() waits for two more after it is called. */
  readonly noDataTriggers: number;
}

/** A running query: Spark's StreamingQuery handle. */
export class StreamingQuery {
  readonly recentProgress: StreamingQueryProgress[] = [];
  private error: Error | null = null;
  private active = true;
  private readonly controller = new AbortController();
  private finished!: Promise<void>;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly id: string, readonly runId: string, readonly name: string | null,
    private readonly listeners: readonly StreamingQueryListener[], private readonly onEnd: () => Promise<void>) {}

  /** Called once by the writer: runs the loop until it ends, fails or is stopped. */
  launch(exec: QueryExecution): void {
    this.exec = exec;
    const ts = new Date().toISOString();
    for (const l of this.listeners) notify(l, 'onQueryStarted', () => l.onQueryStarted?.({ id: this.id, runId: this.runId, name: this.name, timestamp: ts }));
    this.finished = exec.run(this.controller.signal).catch((e: unknown) => {
      this.error = e instanceof Error ? e : new Error(String(e));
    }).finally(async () => {
      this.active = false;
      await this.onEnd().catch(() => undefined);
      for (const w of this.idleWaiters) w();
      this.idleWaiters = [];
      for (const l of this.listeners) notify(l, 'onQueryTerminated', () => l.onQueryTerminated?.({ id: this.id, runId: this.runId, exception: this.error ? this.error.message : null }));
    });
  }
  private exec: QueryExecution | null = null;

  /** When listeners last heard onQueryIdle; null after a batch (the next idle trigger is news). */
  private lastIdleEvent: number | null = null;

  /** @internal */ progress(p: StreamingQueryProgress): void {
    this.lastIdleEvent = null;
    this.recentProgress.push(p);
    if (this.recentProgress.length > RECENT) this.recentProgress.shift();
    for (const l of this.listeners) notify(l, 'onQueryProgress', () => l.onQueryProgress?.({ progress: p }));
  }
  /**
   * @internal A trigger found nothing new (every 100 ms while idle). processAllAvailable() hears
   * every one; listeners hear the first after a batch, then one every IDLE_EVENT_INTERVAL_MS.
   */
  idle(): void {
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
    const now = Date.now();
    if (this.lastIdleEvent !== null && now - this.lastIdleEvent < IDLE_EVENT_INTERVAL_MS) return;
    this.lastIdleEvent = now;
    for (const l of this.listeners) notify(l, 'onQueryIdle', () => l.onQueryIdle?.({ id: this.id, runId: this.runId, timestamp: new Date().toISOString() }));
  }

  /**
   * The web UI's address (`http://127.0.0.1:PORT/`) when the query was started with option `ui.port`
   * (or conf `sluice.ui.port`), else null. With port 0 this is where to find the port picked.
   */
  get uiUrl(): string | null { return this.ui; }
  /** @internal set by the web UI's query observer (ui/web-ui-observer.ts) before launch */ ui: string | null = null;

  get isActive(): boolean { return this.active; }
  /** Spark's query.status: what the query is doing now ('Waiting for data to arrive', 'Processing new data', …, 'Stopped'). */
  get status(): QueryStatus { return !this.active ? stoppedStatus : this.exec?.status ?? initializingStatus; }
  /** With trigger({ cron }): when the next tick's drain starts (ISO-8601), while the query runs; null otherwise. Not in Spark. */
  get nextTriggerTime(): string | null {
    const ms = this.active ? this.exec?.nextTriggerMs ?? null : null;
    return ms === null ? null : new Date(ms).toISOString();
  }
  get lastProgress(): StreamingQueryProgress | null { return this.recentProgress.at(-1) ?? null; }
  exception(): Error | null { return this.error; }

  /**
   * Resolves when the query ends; rejects with its error if it failed. With a timeout in
   * **seconds**, as PySpark's awaitTermination(timeout) (Scala's takes milliseconds; the scripts
   * sluice ports are PySpark's): true if it ended in time.
   */
  async awaitTermination(timeoutSeconds?: number): Promise<boolean> {
    if (timeoutSeconds === undefined) { await this.finished; this.throwIfFailed(); return true; }
    if (!(timeoutSeconds >= 0)) throw new OptionError(`awaitTermination(timeout): the timeout is in seconds and must be 0 or more, got ${timeoutSeconds}.`);
    let t: NodeJS.Timeout | undefined;
    const ended = await Promise.race([this.finished.then(() => true), new Promise<boolean>((r) => { t = setTimeout(() => r(false), timeoutSeconds * 1000); })]);
    clearTimeout(t);
    if (ended) this.throwIfFailed();
    return ended;
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  /** Stop after the batch in progress (a batch is never cut in half) and release the sources. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.finished;
  }

  /** Wait until everything available at the time of the call is processed (for tests). */
  async processAllAvailable(): Promise<void> {
    const exec = this.exec;
    if (!exec) return;
    const seen = exec.noDataTriggers;
    // Two idle triggers: the first may have planned before the call and missed its data.
    while (this.active && exec.noDataTriggers < seen + 2) {
      await new Promise<void>((r) => { this.idleWaiters.push(r); setTimeout(r, 50); });
    }
    this.throwIfFailed();
  }
}
