/**
 * A Kafka compression codec: what a record batch's attributes name (bits 0–2) and how its
 * records section is (de)compressed. Synchronous on purpose: a batch is at most a few MiB, and
 * the native calls take well under a millisecond per MiB, less than a hop to the thread pool.
 */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Kafka's compression type ids (record batch attributes & 0x07; `compression.type`). */
export const COMPRESSION_IDS: Readonly<Record<CompressionName, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

export interface KafkaCodec {
  readonly name: Exclude<CompressionName, 'none'>;
  /** The records section of a batch, as a producer of this codec writes it. */
  compress(data: Uint8Array): Buffer;
  /** Throws on data that is not valid for the codec (a corrupt batch). */
  decompress(data: Uint8Array): Buffer;
}
