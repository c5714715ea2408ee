/** Shaped like Spark's StreamingQueryProgress (the fields that apply so far). */
export interface SourceProgress {
  readonly description: string;
  readonly startOffset: unknown;
  readonly endOffset: unknown;
  readonly latestOffset: unknown;
  readonly numInputRows: number;
  readonly inputRowsPerSecond: number;
  readonly processedRowsPerSecond: number;
  /** Source metrics; Kafka: avg/max/minOffsetsBehindLatest, as in Spark. */
  readonly metrics: Readonly<Record<string, string>>;
  /**
   * With trigger availableNow or once: where the run stops (what was available at its
   * start). Not in Spark; `sluice run` draws its progress bar from it.
   */
  readonly targetOffset?: unknown;
}

export interface StreamingQueryProgress {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  readonly timestamp: string;
  readonly batchId: number;
  readonly batchDuration: number;
  readonly numInputRows: number;
  readonly inputRowsPerSecond: number;
  readonly processedRowsPerSecond: number;
  readonly durationMs: Readonly<Record<string, number>>;
  readonly eventTime: Readonly<Record<string, string>>;
  readonly stateOperators: readonly unknown[];
  readonly sources: readonly SourceProgress[];
  readonly sink: { readonly description: string; readonly numOutputRows: number };
  /** Rows dropped by from_json's DROPMALFORMED mode in this batch. */
  readonly numMalformedRowsDropped: number;
  /** Things the query went past, e.g. data lost with failOnDataLoss=false. */
  readonly warnings: readonly string[];
  /** With trigger({ cron }): when the next tick's drain starts (ISO-8601). Not in Spark, which has no cron trigger. */
  readonly nextTriggerTime?: string;
  /** sluice-specific: S3 requests by operation since the previous progress record (this batch's), when there were any. */
  readonly s3Requests?: Readonly<Record<string, number>>;
  /**
   * sluice-specific, with scale-out (docs/design/scale-out.md): the task this batch belongs to
   * (batch ids count per task), and what the worker that ran it owns.
   */
  readonly task?: string;
  readonly tasks?: WorkerTasks;
}

/** A scale-out worker's tasks, in its progress records (docs/operations.md). */
export interface WorkerTasks {
  /** The assignment's generation (0 for a fixed split). */
  readonly generation: number;
  /** Each task the worker owns, in task order: its last batch run by this worker, and how far its input lags behind. */
  readonly owned: readonly { readonly task: string; readonly batchId: number | null; readonly offsetsBehind: number | null }[];
  /** In a group: every member of the generation and its tasks, this worker (`self`) included; absent for a fixed split. */
  readonly members?: readonly GroupOwner[];
}

/** One member of a scale-out worker's group, as its generation's SyncGroup table gave it. */
export interface GroupOwner {
  readonly memberId: string;
  readonly host: string;
  readonly uiPort?: number;
  readonly tasks: readonly string[];
  readonly self: boolean;
}

/** Times the phases of one trigger, by Spark's names (latestOffset, walCommit, getBatch, addBatch, ...). */
export class PhaseTimer {
  readonly durations: Record<string, number> = {};
  private readonly start = performance.now();
  async time<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try { return await fn(); } finally { this.durations[phase] = (this.durations[phase] ?? 0) + Math.round(performance.now() - t0); }
  }
  add(phase: string, ms: number): void { this.durations[phase] = (this.durations[phase] ?? 0) + Math.round(ms); }
  total(): number { return Math.round(performance.now() - this.start); }
}

export interface StreamingQueryListener {
  onQueryStarted?(e: { id: string; runId: string; name: string | null; timestamp: string }): void;
  onQueryProgress?(e: { progress: StreamingQueryProgress }): void;
  onQueryIdle?(e: { id: string; runId: string; timestamp: string }): void;
  onQueryTerminated?(e: { id: string; runId: string; exception: string | null }): void;
}
