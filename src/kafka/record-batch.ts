import { crc32c } from '@node-rs/crc32';
import { COMPRESSION_IDS, type CompressionName, compress } from '../formats/kafka-compression/compression.ts';

/**
 * The record batch (magic 2) a producer writes, encoded from records already in bytes: the
 * producer side of protocol.ts's decoder. kafkajs's own encoder takes one JS object per record
 * and its codec registry (gzip only); this one writes straight into one buffer per batch and
 * compresses with the project's codecs.
 *
 * Wire reference: https://kafka.apache.org/documentation/#recordbatch
 */

export interface RecordHeader { readonly key: Uint8Array; readonly value: Uint8Array | null }

/** What a batch is made of: parallel arrays of the records' parts, and which of them go in this batch. */
export interface RecordParts {
  readonly keys: readonly (Uint8Array | null)[];
  readonly values: readonly (Uint8Array | null)[];
  /** Per record, or undefined when no record has headers. */
  readonly headers?: readonly (readonly RecordHeader[] | null)[];
}

/** Who writes a batch: an idempotent or transactional producer's id, epoch and first sequence; -1s for neither. */
export interface BatchProducer { readonly producerId: bigint; readonly producerEpoch: number; readonly baseSequence: number; readonly transactional: boolean }

/** Header bytes before the records (baseOffset .. recordsCount). */
export const BATCH_OVERHEAD = 61;

const varintSize = (v: number): number => {
  let z = ((v << 1) ^ (v >> 31)) >>> 0, n = 1;
  while (z >= 0x80) { z >>>= 7; n++; }
  return n;
};

function writeVarint(b: Buffer, p: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0;
  while (z >= 0x80) { b[p++] = (z & 0x7f) | 0x80; z >>>= 7; }
  b[p++] = z;
  return p;
}

const bytesSize = (x: Uint8Array | null): number => (x === null ? 1 : varintSize(x.length) + x.length);

/** A record's body size (after its own length varint), timestamp delta 0, offset delta `delta`. */
function bodySize(parts: RecordParts, i: number, delta: number): number {
  let n = 1 + 1 + varintSize(delta) + bytesSize(parts.keys[i]!) + bytesSize(parts.values[i]!);
  const hs = parts.headers?.[i];
  n += varintSize(hs?.length ?? 0);
  if (hs) for (const h of hs) n += varintSize(h.key.length) + h.key.length + bytesSize(h.value);
  return n;
}

/** Bytes record `i` takes in a batch at offset delta `delta` (its length varint included): what batch.size limits count. */
export function recordSize(parts: RecordParts, i: number, delta = 0): number {
  const body = bodySize(parts, i, delta);
  return varintSize(body) + body;
}

function writeBytes(b: Buffer, p: number, x: Uint8Array | null): number {
  if (x === null) return writeVarint(b, p, -1);
  p = writeVarint(b, p, x.length);
  b.set(x, p);
  return p + x.length;
}

/**
 * One record batch of the records `rows` (indexes into `parts`), all with timestamp
 * `timestampMs` (CreateTime, as a producer stamps them at send).
 */
export function encodeRecordBatch(parts: RecordParts, rows: ArrayLike<number>, timestampMs: number, codec: CompressionName, producer: BatchProducer): Buffer {
  const n = rows.length;
  let size = 0;
  for (let k = 0; k < n; k++) size += recordSize(parts, rows[k]!, k);
  let records: Buffer = Buffer.allocUnsafe(size);
  let p = 0;
  for (let k = 0; k < n; k++) {
    const i = rows[k]!;
    p = writeVarint(records, p, bodySize(parts, i, k));
    records[p++] = 0; // attributes (unused)
    records[p++] = 0; // timestamp delta 0
    p = writeVarint(records, p, k);
    p = writeBytes(records, p, parts.keys[i]!);
    p = writeBytes(records, p, parts.values[i]!);
    const hs = parts.headers?.[i];
    p = writeVarint(records, p, hs?.length ?? 0);
    if (hs) for (const h of hs) { p = writeBytes(records, p, h.key); p = writeBytes(records, p, h.value); }
  }
  if (codec !== 'none') records = compress(codec, records);
  const b = Buffer.allocUnsafe(BATCH_OVERHEAD + records.length);
  b.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(-1, 12); // partition leader epoch
  b.writeInt8(2, 16);
  b.writeInt16BE(COMPRESSION_IDS[codec] | (producer.transactional ? 0x10 : 0), 21);
  b.writeInt32BE(n - 1, 23); // last offset delta
  b.writeBigInt64BE(BigInt(timestampMs), 27);
  b.writeBigInt64BE(BigInt(timestampMs), 35);
  b.writeBigInt64BE(producer.producerId, 43);
  b.writeInt16BE(producer.producerEpoch, 51);
  b.writeInt32BE(producer.baseSequence, 53);
  b.writeInt32BE(n, 57);
  records.copy(b, BATCH_OVERHEAD);
  b.writeUInt32BE(crc32c(b.subarray(21)) >>> 0, 17);
  return b;
}
