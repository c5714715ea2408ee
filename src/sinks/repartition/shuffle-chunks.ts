import * as A from 'apache-arrow';
import { type Batch, batchNumRows, emptyBatch, makeBatch, toArrowTables } from '../../data/batch.ts';
import { concatBatches } from '../../data/concat.ts';
import { takeBatch } from '../../data/take.ts';
import { Struct } from '../../data/types.ts';
import type { RecordHeader } from '../../kafka/record-batch.ts';
import { MAX_EVENT_TIME_HEADER } from '../../kafka/shuffle-header.ts';
import type { RecordEncoder } from '../kafka/kafka-sink.ts';
import type { SinkRecords } from '../kafka/row-records.ts';

/**
 * A chunk's Arrow IPC stream is cut in halves until it is at most this many bytes: under the
 * Kafka producer's default max.request.size (1 MiB) and the broker's message.max.bytes, with room
 * for the record batch's own framing.
 */
export const MAX_CHUNK_BYTES = 900 * 1024;

const HEADER_KEY = new TextEncoder().encode(MAX_EVENT_TIME_HEADER);

/**
 * A batch's rows as repartition records: row i goes to partition pmod(hash_i, partitions) (Spark's
 * HashPartitioning: Pmod(Murmur3Hash(keys), n), the hash made by the upstream plan in column
 * `hashColumn`), and each partition gets its rows as one Arrow IPC stream per record, without the
 * hash column. Every partition gets at least one record, empty when no row hashed to it, so each
 * downstream partition hears the batch's event time (header MAX_EVENT_TIME_HEADER).
 */
export class ShuffleChunks implements RecordEncoder {
  /** The rows' schema downstream: the input's without the hash column. */
  readonly schema: Struct;
  private readonly hashIndex: number;
  private maxEventTimeMs: number | undefined;

  constructor(input: Struct, hashColumn: string, private readonly topic: string, private readonly partitions: number) {
    this.hashIndex = input.fields.findIndex((f) => f.name === hashColumn);
    this.schema = new Struct(input.fields.filter((f) => f.name !== hashColumn));
  }

  /** The largest event time upstream has seen so far: it only grows. */
  observe(maxEventTimeMs: number | undefined): void {
    if (maxEventTimeMs !== undefined && (this.maxEventTimeMs === undefined || maxEventTimeMs > this.maxEventTimeMs)) this.maxEventTimeMs = maxEventTimeMs;
  }

  encode(_batchId: number, data: readonly Batch[]): SinkRecords {
    const n = this.partitions, h = this.hashIndex;
    const parts: Batch[][] = Array.from({ length: n }, () => []);
    for (const b of data) {
      if (b.numRows === 0) continue;
      const hashes = b.columns[h]!.values as Int32Array;
      const rows: number[][] = Array.from({ length: n }, () => []);
      for (let i = 0; i < b.numRows; i++) rows[((hashes[i]! % n) + n) % n]!.push(i);
      const stripped = makeBatch(this.schema, b.columns.filter((_, k) => k !== h), b.numRows);
      rows.forEach((r, p) => { if (r.length) parts[p]!.push(r.length === b.numRows ? stripped : takeBatch(stripped, Int32Array.from(r))); });
    }
    const values: Uint8Array[] = [], partitions: number[] = [];
    parts.forEach((batches, p) => { for (const ipc of this.ipcChunks(batches)) { values.push(ipc); partitions.push(p); } });
    const header: RecordHeader[] | null = this.maxEventTimeMs === undefined ? null
      : [{ key: HEADER_KEY, value: new TextEncoder().encode(String(this.maxEventTimeMs)) }];
    return {
      count: values.length, keys: values.map(() => null), values, topics: values.map(() => this.topic),
      partitions: Int32Array.from(partitions), headers: header ? values.map(() => header) : undefined,
    };
  }

  /** One partition's rows as IPC streams of at most MAX_CHUNK_BYTES (a single larger row alone). */
  private ipcChunks(batches: readonly Batch[]): Uint8Array[] {
    const whole = batches.length ? batches : [emptyBatch(this.schema)];
    const bytes = A.tableToIPC(toArrowTables(whole), 'stream');
    const rows = batchNumRows(whole);
    if (bytes.length <= MAX_CHUNK_BYTES || rows <= 1) return [bytes];
    const all = concatBatches(this.schema, whole), half = rows >> 1;
    const range = (from: number, to: number): Batch => takeBatch(all, Int32Array.from({ length: to - from }, (_, k) => from + k));
    return [...this.ipcChunks([range(0, half)]), ...this.ipcChunks([range(half, rows)])];
  }
}
