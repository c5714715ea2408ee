import type { KafkaClient } from '../kafka/kafka-client.ts';
import type { Struct } from '../data/types.ts';
import type { Batch } from '../data/batch.ts';

/** A source's position, as written to the offset log: plain JSON (Kafka: {"topic":{"0":120}}). */
export type Offset = unknown;

/** 'default': the source's own rate limit (e.g. maxOffsetsPerTrigger); 'all': ignore it (trigger once). */
export type ReadLimit = 'default' | 'all';

/**
 * A replayable source: the engine plans ranges [start, end) and asks for exactly them,
 * again after a crash, so what a batch reads is fixed by the offset log.
 */
export interface Source {
  readonly schema: Struct;
  readonly description: string;
  /** The resolved starting position (written once to sources/<i>/0). */
  initialOffset(): Promise<Offset>;
  /**
   * The end of the next batch from `start`, bounded by `limit` and never past `bound`
   * (availableNow's target); equal to `start` when nothing is new.
   */
  latestOffset(start: Offset, limit: ReadLimit, bound?: Offset): Promise<Offset>;
  /** Everything available now, without limits (availableNow's target; progress's latestOffset). */
  availableOffset(): Promise<Offset>;
  /** Read exactly [start, end). */
  getBatch(start: Offset, end: Offset): Promise<Batch[]>;
  /**
   * Read exactly [start, end), handing each chunk to `onChunk` as soon as it is decoded, while the
   * source's next reads are already under way (the trigger loop runs the query on a chunk while the
   * broker prepares the next). A throw from onChunk fails the read. Optional: without it the loop
   * uses getBatch.
   */
  readBatch?(start: Offset, end: Offset, onChunk: (chunk: Batch) => void): Promise<void>;
  /** What latestOffset() last saw available before limits (progress's sources[].latestOffset). */
  reportLatestOffset?(): Offset | undefined;
  /**
   * Source metrics for progress (Spark's sources[].metrics), from the batch's end and the
   * latest available offset; Kafka reports how far each partition is behind.
   */
  metrics?(end: Offset, latest: Offset | undefined): Record<string, string>;
  /**
   * The largest event time the rows' producer had seen once [start, end) was written (a
   * repartition topic's `sluice-max-event-time` headers), for the watermark in place of the rows'
   * own maximum; null while it has reported none. Asked after the range was read. Optional.
   */
  maxEventTimeMs?(start: Offset, end: Offset): number | null;
  /** True when two offsets are the same position (nothing new to read). */
  sameOffset(a: Offset, b: Offset): boolean;
  /** Things to report once, e.g. data lost with failOnDataLoss=false. */
  drainWarnings?(): string[];
  stop(): Promise<void>;
}

export interface SourceOptions {
  readonly options: ReadonlyMap<string, string>;
  /** Where the source may keep its own metadata (sources/<i>). */
  readonly metadataPath?: string;
  /**
   * True when the checkpoint already holds this source's start (sources/<i>/0): the query ran
   * before, so its address was right once and an unreachable source is an outage to wait out
   * (within the source's retry budget), not a typo to report at once.
   */
  readonly resuming?: boolean;
  /**
   * The source may share its connections, and its answers about the input's metadata and latest
   * offsets, with the other sources of this process that have the same connection settings: a
   * scale-out worker's tasks (runtime/scale-out/task-run.ts), each with its own source.
   */
  readonly shareClients?: boolean;
  /**
   * The columns the query reads (plan/prune-from-json.ts), for a provider with `readsColumns`:
   * per top-level column 'all' or the struct fields read. Undefined: all. The source may leave
   * the others null (it need not make what no one reads).
   */
  readonly readColumns?: ReadColumns;
}

/** Per top-level column read, 'all' or the names of the struct fields read. */
export type ReadColumns = ReadonlyMap<string, 'all' | ReadonlySet<string>>;

/**
 * What scale-out (docs/design/scale-out.md) needs of a partitioned source: task `0_<p>` reads
 * partition p of every input topic. A source without it cannot run as tasks.
 */
export interface PartitionedInput {
  /** Each input topic's partition count, asked of the source's system. */
  partitionCounts(opts: SourceOptions): Promise<Map<string, number>>;
  /** The reader options that read partition `partition` of every input topic, and nothing else. */
  restrict(options: ReadonlyMap<string, string>, partition: number): ReadonlyMap<string, string>;
  /**
   * A Kafka client of the input's cluster for the workers' group (kafka/group/), its own: the
   * coordinator holds a connection while a JoinGroup waits. Requests may wait `requestTimeoutMs`.
   */
  groupClient(options: ReadonlyMap<string, string>, requestTimeoutMs: number): KafkaClient;
}

export interface SourceProvider {
  readonly name: string;
  readonly options: readonly string[];
  /** Present when the source can be split into scale-out tasks by partition. */
  readonly partitioned?: PartitionedInput;
  /** The source makes only the columns in SourceOptions.readColumns: the planner passes them. */
  readonly readsColumns?: boolean;
  /** The schema, known without connecting (checked at load()). */
  schema(opts: SourceOptions): Struct;
  create(opts: SourceOptions): Source;
}
