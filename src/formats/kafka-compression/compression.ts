import { type CompressionName, COMPRESSION_IDS, type KafkaCodec } from './codec.ts';
import { gzip } from './gzip.ts';
import { lz4 } from './lz4.ts';
import { snappy } from './snappy.ts';
import { zstd } from './zstd.ts';

export type { CompressionName, KafkaCodec } from './codec.ts';
export { COMPRESSION_IDS } from './codec.ts';

/** The codecs by Kafka compression type id (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
const BY_ID: ReadonlyMap<number, KafkaCodec> = new Map([gzip, snappy, lz4, zstd].map((c) => [COMPRESSION_IDS[c.name], c]));

/** The codec of a batch's compression type id; undefined for an id Kafka does not define (5–7). */
export function codecById(id: number): KafkaCodec | undefined {
  return BY_ID.get(id);
}

/** Compress a batch's records section as `codec` (the Kafka sink's `kafka.compression.type`); 'none' returns the bytes. */
export function compress(codec: CompressionName, data: Uint8Array): Buffer {
  if (codec === 'none') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return BY_ID.get(COMPRESSION_IDS[codec])!.compress(data);
}

/** Decompress a batch's records section written as `codec`. */
export function decompress(codec: CompressionName, data: Uint8Array): Buffer {
  if (codec === 'none') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return BY_ID.get(COMPRESSION_IDS[codec])!.decompress(data);
}
