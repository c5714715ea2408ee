import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';
import type { Storage } from '../storage/storage.ts';

export type OutputMode = 'append' | 'update' | 'complete';

/** What a sink is created from: the writer's settings, checked by the sink itself. */
export interface SinkOptions {
  /** The argument of start(path) or option('path'). */
  readonly path?: string;
  /** All writer options, keys as the user wrote them. */
  readonly options: ReadonlyMap<string, string>;
  readonly partitionBy: readonly string[];
  readonly outputMode: OutputMode;
  readonly queryName?: string;
  /** Schema of the rows the sink receives. */
  readonly schema: Struct;
  /** Column that holds event time, for the sink's per-batch log (optional). */
  readonly eventTimeColumn?: string;
  /** The session's config, for file sinks' storage settings (`sluice.s3.*`). */
  readonly conf?: ReadonlyMap<string, string>;
}

export interface SinkResult { readonly numOutputRows: number }

/** What the engine knows of a batch besides its rows. */
export interface BatchInfo {
  /** The largest event time the batch's withWatermark() columns saw (before any filter after them); undefined when none. */
  readonly maxEventTimeMs?: number;
  /**
   * Given only to a sink that `stagesOutput`, while the batch's offsets/<N> is still being written:
   * the sink may write its output where no reader looks, and makes none of it visible before this
   * resolves. A rejection fails the batch (the sink drops what it staged).
   */
  readonly ready?: Promise<void>;
}

/** What a sink gets when the query opens it, once the checkpoint's lease is held. */
export interface SinkOpenContext {
  /** The query's id, from its checkpoint's metadata: stable across restarts. */
  readonly queryId: string;
  /** The sink's own directory in the checkpoint (Checkpoint.sinkDir), on `storage`; nothing is there until the sink writes. */
  readonly dir: string;
  readonly storage: Storage;
  /** Test hook: crash tests kill the process at named points inside a sink's batch (runtime/crash-hook.ts). */
  readonly onPhase?: (phase: string, batchId: number) => void | Promise<void>;
  /**
   * The scale-out task this sink instance writes for (`0_3`; docs/design/scale-out.md), absent for
   * a query without scale-out. Batch ids are per task, so a sink must keep its per-batch names
   * (files, logs, transactional ids) apart by task.
   */
  readonly task?: string;
}

/**
 * A sink receives each batch once per attempt; it must be idempotent per batchId:
 * a re-run of batch N after a crash replaces what the first attempt wrote.
 */
export interface Sink {
  readonly description: string;
  /** Called once before the first batch. */
  open?(ctx: SinkOpenContext): Promise<void>;
  addBatch(batchId: number, data: readonly Batch[], info?: BatchInfo): Promise<SinkResult>;
  /**
   * The sink honours BatchInfo.ready: a batch with no stateful operator then reaches it while its
   * offsets are still being logged, so the sink's fsyncs overlap the log's.
   */
  readonly stagesOutput?: boolean;
  /** Things to report once in progress's warnings (e.g. a partition value the sink had to shorten). */
  drainWarnings?(): string[];
  close?(): Promise<void>;
}

export interface SinkProvider {
  readonly name: string;
  readonly outputModes: readonly OutputMode[];
  /** Option keys this sink understands (besides the engine's own); others are refused as unknown. */
  readonly options: readonly string[];
  /**
   * A query may run without checkpointLocation (in a temporary one) when the sink's output does not
   * outlive the process anyway: Spark allows it for console and memory. Default false.
   */
  readonly temporaryCheckpoint?: boolean;
  /** Writes files laid out in directories by partitionBy(...) columns. Default false. */
  readonly partitionBy?: boolean;
  /** Added to the message refusing an output mode the sink does not support: what to do instead. */
  readonly outputModeHint?: string;
  /** Check the options and create the sink. Throws OptionError on a bad option. */
  create(opts: SinkOptions): Sink;
}
