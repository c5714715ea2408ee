import type { Struct } from '../api/types.ts';
import type { Batch } from '../exec/batch.ts';

/** A source's position, as written to the offset log: plain JSON (Kafka: {"topic":{"0":120}}). */
export type Offset = unknown;

export interface ReadLimit {
  /** Max rows in one batch; undefined means everything available. */
  readonly maxRows?: number;
}

/**
 * A replayable source: the engine plans ranges [start, end) and asks for exactly them,
 * again after a crash, so what a batch reads is fixed by the offset log.
 */
export interface Source {
  readonly schema: Struct;
  readonly description: string;
  /** The resolved starting position (written once to sources/<i>/0). */
  initialOffset(): Promise<Offset>;
  /** The end of the next batch from `start`, bounded by `limit`; equal to `start` when nothing is new. */
  latestOffset(start: Offset, limit: ReadLimit): Promise<Offset>;
  /** Latest position without limit (for progress: latestOffset). */
  availableOffset?(): Promise<Offset>;
  /** Read exactly [start, end). */
  getBatch(start: Offset, end: Offset): Promise<Batch[]>;
  /** Rows between two offsets (for the progress record), when cheap to know. */
  sameOffset(a: Offset, b: Offset): boolean;
  /** Things to report once, e.g. data lost with failOnDataLoss=false. */
  drainWarnings?(): string[];
  stop(): Promise<void>;
}

export interface SourceOptions {
  readonly options: ReadonlyMap<string, string>;
  /** Where the source may keep its own metadata (sources/<i>). */
  readonly metadataPath?: string;
}

export interface SourceProvider {
  readonly name: string;
  readonly options: readonly string[];
  create(opts: SourceOptions): Source;
}
