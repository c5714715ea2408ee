/**
 * Kafka wire format for the source's hot path: the Fetch request (v4..v11) and a columnar
 * decoder of its response, straight from the response bytes into Arrow-ready buffers
 * (offsets, timestamps, key/value bytes) with no JS object per record.
 *
 * Record batches of magic 2 are decoded here; compressed batches are decompressed with the
 * codec the caller looks up (client.ts: the project's codecs, codecs/compression.ts) and then
 * decoded here too. Legacy message sets (magic 0/1) go through kafkajs's own decoder (see
 * client.ts `decodeLegacy`).
 *
 * Wire reference: https://kafka.apache.org/documentation/#recordbatch and the Fetch API
 * (KIP-74, KIP-98 for transactions).
 */

import { crc32c } from '@node-rs/crc32';
import { HeaderColumns } from './header-columns.ts';

// ---- request ---------------------------------------------------------------------------------

export interface FetchPartitionRequest { partition: number; fetchOffset: number; maxBytes: number }
export interface FetchRequest {
  maxWaitTime: number; minBytes: number; maxBytes: number; isolationLevel: number;
  topics: { topic: string; partitions: FetchPartitionRequest[] }[];
}

export const FETCH_MIN_VERSION = 4;
export const FETCH_MAX_VERSION = 11;

/** The Fetch request body (after the request header) for `version` 4..11. */
export function encodeFetchRequest(version: number, r: FetchRequest): Buffer {
  if (version < FETCH_MIN_VERSION || version > FETCH_MAX_VERSION) throw new Error(`Fetch v${version} is not supported here`);
  let size = 4 + 4 + 4 + 4 + 1 + (version >= 7 ? 8 : 0) + 4 + (version >= 7 ? 4 : 0) + (version >= 11 ? 2 : 0);
  const names = r.topics.map((t) => Buffer.from(t.topic, 'utf8'));
  const perPartition = 4 + (version >= 9 ? 4 : 0) + 8 + (version >= 5 ? 8 : 0) + 4;
  r.topics.forEach((t, i) => { size += 2 + names[i]!.length + 4 + t.partitions.length * perPartition; });
  const b = Buffer.alloc(size);
  let p = 0;
  p = b.writeInt32BE(-1, p); // replica_id: a consumer
  p = b.writeInt32BE(r.maxWaitTime, p);
  p = b.writeInt32BE(r.minBytes, p);
  p = b.writeInt32BE(r.maxBytes, p);
  p = b.writeInt8(r.isolationLevel, p);
  if (version >= 7) { p = b.writeInt32BE(0, p); p = b.writeInt32BE(-1, p); } // no fetch session
  p = b.writeInt32BE(r.topics.length, p);
  r.topics.forEach((t, i) => {
    const name = names[i]!;
    p = b.writeInt16BE(name.length, p);
    p += name.copy(b, p);
    p = b.writeInt32BE(t.partitions.length, p);
    for (const q of t.partitions) {
      p = b.writeInt32BE(q.partition, p);
      if (version >= 9) p = b.writeInt32BE(-1, p); // current_leader_epoch: unknown
      p = b.writeBigInt64BE(BigInt(q.fetchOffset), p);
      if (version >= 5) p = b.writeBigInt64BE(-1n, p); // log_start_offset (followers only)
      p = b.writeInt32BE(q.maxBytes, p);
    }
  });
  if (version >= 7) p = b.writeInt32BE(0, p); // forgotten_topics_data
  if (version >= 11) p = b.writeInt16BE(0, p); // rack_id ''
  if (p !== size) throw new Error(`Fetch request encoding: wrote ${p} of ${size} bytes`);
  return b;
}

// ---- response --------------------------------------------------------------------------------

/** A record as kafkajs decodes it (legacy message sets and old brokers only). */
export interface FetchedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext?: { timestampType?: number };
}

export interface AbortedTransaction { producerId: bigint; firstOffset: number }

/** One partition of a Fetch response; its records are `buf[start, end)` (not copied). */
export interface RawPartition {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  abortedTransactions: AbortedTransaction[] | null;
  buf: Buffer;
  start: number;
  end: number;
  /** Old brokers (Fetch < v4): records kafkajs already decoded; buf is then empty. */
  decoded?: FetchedRecord[];
}

/** int64 big-endian as a Number (exact below 2^53, which Kafka offsets and ms timestamps are). */
export function readInt64(b: Uint8Array, p: number): number {
  const hi = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
  return hi * 4294967296 + lo;
}

function readInt32(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

function readInt16(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
}

export class ProtocolError extends Error {}

/**
 * A compressed batch whose records cannot be recovered: the codec rejects its bytes, the type id
 * names no codec, or what it decompresses to is not records. The batch is never skipped.
 */
export class CorruptBatchError extends ProtocolError {
  constructor(readonly baseOffset: number, readonly lastOffset: number, readonly codec: string, readonly detail: string, options?: ErrorOptions) {
    super(`the ${codec}-compressed record batch at base offset ${baseOffset} (offsets ${baseOffset} to ${lastOffset}) cannot be decompressed: ${detail}`, options);
  }
}

/** The partitions of a Fetch response (`payload` = the bytes after the correlation id). */
export function parseFetchResponse(version: number, payload: Buffer): { errorCode: number; partitions: RawPartition[] } {
  const b = payload, n = b.length;
  let p = 0;
  const need = (k: number): void => { if (p + k > n) throw new ProtocolError(`truncated Fetch v${version} response (${n} bytes)`); };
  need(4); p += 4; // throttle_time_ms
  let errorCode = 0;
  if (version >= 7) { need(6); errorCode = readInt16(b, p); p += 6; } // error_code, session_id
  need(4);
  const topics = readInt32(b, p); p += 4;
  const partitions: RawPartition[] = [];
  for (let t = 0; t < topics; t++) {
    need(2);
    const len = readInt16(b, p); p += 2;
    need(len);
    const topic = b.toString('utf8', p, p + len); p += len;
    need(4);
    const count = readInt32(b, p); p += 4;
    for (let i = 0; i < count; i++) {
      need(4 + 2 + 8);
      const partition = readInt32(b, p), pErr = readInt16(b, p + 4), highWatermark = readInt64(b, p + 6);
      p += 14;
      need(8 + (version >= 5 ? 8 : 0) + 4);
      p += 8; // last_stable_offset
      if (version >= 5) p += 8; // log_start_offset
      const na = readInt32(b, p); p += 4;
      let abortedTransactions: AbortedTransaction[] | null = null;
      if (na > 0) {
        need(na * 16);
        abortedTransactions = [];
        for (let k = 0; k < na; k++, p += 16) abortedTransactions.push({ producerId: b.readBigInt64BE(p), firstOffset: readInt64(b, p + 8) });
      }
      if (version >= 11) { need(4); p += 4; } // preferred_read_replica
      need(4);
      const size = readInt32(b, p); p += 4;
      const start = p, end = size > 0 ? p + size : p;
      if (end > n) throw new ProtocolError(`truncated Fetch v${version} response: records of '${topic}' partition ${partition} end at ${end}, the response at ${n}`);
      p = end;
      partitions.push({ topic, partition, errorCode: pErr, highWatermark, abortedTransactions, buf: b, start, end });
    }
  }
  return { errorCode, partitions };
}

// ---- record batches --------------------------------------------------------------------------

/** Record batch header fields (magic 2), relative to the batch start. */
const BASE_OFFSET = 0, BATCH_LENGTH = 8, MAGIC = 16, CRC = 17, ATTRIBUTES = 21, LAST_OFFSET_DELTA = 23, BASE_TIMESTAMP = 27,
  MAX_TIMESTAMP = 35, PRODUCER_ID = 43, RECORDS_COUNT = 57, RECORDS = 61;
const LOG_OVERHEAD = 12; // baseOffset + batchLength

export const COMPRESSION_MASK = 0x07, TIMESTAMP_TYPE_FLAG = 0x08, TRANSACTIONAL_FLAG = 0x10, CONTROL_FLAG = 0x20;

export interface RecordSetScan {
  /** Offset after the last complete batch (or message) in the set; -1 when there is none. */
  nextOffset: number;
  /** Records in complete batches (an upper bound of the rows they yield). */
  records: number;
  /** Bytes of complete batches (an upper bound of their uncompressed key+value bytes when uncompressed). */
  bytes: number;
  /** Some batch is compressed, or a legacy message set (magic 0/1) is present. */
  compressed: boolean;
  legacy: boolean;
}

/** Walk the batch headers of a record set; a partial batch at the end (maxBytes cut) is ignored. */
export function scanRecordSet(b: Uint8Array, start: number, end: number): RecordSetScan {
  const s: RecordSetScan = { nextOffset: -1, records: 0, bytes: 0, compressed: false, legacy: false };
  let p = start;
  while (p + LOG_OVERHEAD <= end) {
    const len = readInt32(b, p + BATCH_LENGTH);
    if (len < 0 || p + LOG_OVERHEAD + len > end) break;
    const base = readInt64(b, p + BASE_OFFSET);
    if (len >= RECORDS - LOG_OVERHEAD && b[p + MAGIC]! >= 2) {
      s.nextOffset = base + readInt32(b, p + LAST_OFFSET_DELTA) + 1;
      s.records += readInt32(b, p + RECORDS_COUNT);
      if ((b[p + ATTRIBUTES + 1]! & COMPRESSION_MASK) !== 0) s.compressed = true;
    } else {
      // Legacy message: the (wrapper) offset is its last offset.
      s.nextOffset = base + 1;
      s.legacy = true;
    }
    s.bytes += LOG_OVERHEAD + len;
    p += LOG_OVERHEAD + len;
  }
  return s;
}

/** Growable columns of one fetch round, in the Kafka source's schema order. */
export class RecordColumns {
  length = 0;
  keyOffsets: Int32Array;
  keyBytes: Uint8Array;
  keyValid: Uint8Array;
  keyNulls = 0;
  valueOffsets: Int32Array;
  valueBytes: Uint8Array;
  valueValid: Uint8Array;
  valueNulls = 0;
  /** int64 columns as (lo, hi) int32 pairs: no BigInt per row. */
  offsets: Int32Array;
  timestamps: Int32Array;
  timestampTypes: Int32Array;
  partitions: Int32Array;
  /** Runs of rows from one topic: [topic, rows]. */
  topicRuns: [string, number][] = [];
  keyByteLength = 0;
  /** Values are valueBytes[valueBase, valueByteLength). */
  valueByteLength = 0;
  readonly valueBase: number;
  private readonly inPlace: Uint8Array | null;
  /** The `headers` column, when the source's includeHeaders is on (null: headers are skipped unread). */
  readonly headers: HeaderColumns | null;

  /**
   * `rows` and `bytes` are capacity hints (the columns grow as needed). With `inPlace`, values
   * are compacted inside that buffer (a Fetch response nobody else reads) from `start` on, and
   * decodeBatch may only be given uncompressed batches of it, in buffer order. With
   * `includeHeaders`, each record's headers are decoded into `headers`.
   */
  constructor(rows: number, bytes: number, inPlace?: { buf: Uint8Array; start: number }, includeHeaders = false) {
    rows = Math.max(rows, 16);
    this.headers = includeHeaders ? new HeaderColumns(rows) : null;
    this.keyOffsets = new Int32Array(rows + 1);
    this.valueOffsets = new Int32Array(rows + 1);
    this.keyBytes = new Uint8Array(1024);
    this.inPlace = inPlace ? inPlace.buf : null;
    // A plain Uint8Array view (Buffer#slice would not copy where a copy is meant).
    this.valueBytes = inPlace ? new Uint8Array(inPlace.buf.buffer, inPlace.buf.byteOffset, inPlace.buf.length) : uninitialized(Math.max(bytes, 1024));
    this.valueBase = this.valueByteLength = inPlace ? inPlace.start : 0;
    this.keyValid = new Uint8Array((rows + 7) >> 3);
    this.valueValid = new Uint8Array((rows + 7) >> 3);
    this.offsets = new Int32Array(rows * 2);
    this.timestamps = new Int32Array(rows * 2);
    this.timestampTypes = new Int32Array(rows);
    this.partitions = new Int32Array(rows);
  }

  /** Room for `rows` more rows. */
  reserveRows(rows: number): void {
    if (this.length + rows <= this.partitions.length) return;
    const cap = Math.max(this.partitions.length * 2, this.length + rows);
    const g = <T extends Int32Array | Uint8Array>(a: T, n: number): T => { const c = new (a.constructor as new (n: number) => T)(n); c.set(a); return c; };
    this.keyOffsets = g(this.keyOffsets, cap + 1);
    this.valueOffsets = g(this.valueOffsets, cap + 1);
    this.keyValid = g(this.keyValid, (cap + 7) >> 3);
    this.valueValid = g(this.valueValid, (cap + 7) >> 3);
    this.offsets = g(this.offsets, cap * 2);
    this.timestamps = g(this.timestamps, cap * 2);
    this.timestampTypes = g(this.timestampTypes, cap);
    this.partitions = g(this.partitions, cap);
  }

  /** Room for `bytes` more value bytes. */
  reserveValueBytes(bytes: number): void {
    if (this.valueByteLength + bytes <= this.valueBytes.length) return;
    if (this.inPlace) throw new Error('RecordColumns: values decoded in place cannot grow');
    const c = uninitialized(Math.max(this.valueBytes.length * 2, this.valueByteLength + bytes));
    c.set(this.valueBytes.subarray(0, this.valueByteLength));
    this.valueBytes = c;
  }

  private reserveKeyBytes(bytes: number): void {
    if (this.keyByteLength + bytes <= this.keyBytes.length) return;
    const c = new Uint8Array(Math.max(this.keyBytes.length * 2, this.keyByteLength + bytes));
    c.set(this.keyBytes.subarray(0, this.keyByteLength));
    this.keyBytes = c;
  }

  /** Start a run of rows of `topic` (consecutive calls with the same topic extend one run). */
  beginTopic(topic: string): void {
    const last = this.topicRuns[this.topicRuns.length - 1];
    if (!last || last[0] !== topic) this.topicRuns.push([topic, 0]);
  }

  /** The fixed-width fields of row `i` (capacity reserved by the caller). */
  private setRow(i: number, partition: number, offset: number, timestamp: number, timestampType: number): void {
    // Two's-complement halves by floor division: V8 has no machine instruction for a double's %
    // (three of those per record were ~0.15 s of a million-record batch). Timestamps may be negative (-1 = none).
    const ohi = Math.floor(offset / 4294967296);
    this.offsets[2 * i] = (offset - ohi * 4294967296) | 0;
    this.offsets[2 * i + 1] = ohi;
    const thi = Math.floor(timestamp / 4294967296);
    this.timestamps[2 * i] = (timestamp - thi * 4294967296) | 0;
    this.timestamps[2 * i + 1] = thi;
    this.timestampTypes[i] = timestampType;
    this.partitions[i] = partition;
  }

  private setKey(i: number, src: Uint8Array, start: number, len: number): void {
    if (len >= 0) {
      this.reserveKeyBytes(len);
      const kb = this.keyBytes, kp = this.keyByteLength;
      if (len < 48) { for (let k = 0; k < len; k++) kb[kp + k] = src[start + k]!; } else kb.set(src.subarray(start, start + len), kp);
      this.keyByteLength = kp + len;
      this.keyValid[i >> 3]! |= 1 << (i & 7);
    } else this.keyNulls++;
    this.keyOffsets[i + 1] = this.keyByteLength;
  }

  /** Append one record from separate key/value buffers (length -1 = null). */
  append(partition: number, offset: number, timestamp: number, timestampType: number,
    keySrc: Uint8Array, keyStart: number, keyLen: number, valueSrc: Uint8Array, valueStart: number, valueLen: number): void {
    if (this.inPlace) throw new Error('RecordColumns: append() needs copied values');
    this.reserveRows(1);
    const i = this.length;
    this.setKey(i, keySrc, keyStart, keyLen);
    if (valueLen >= 0) {
      this.reserveValueBytes(valueLen);
      this.valueBytes.set(valueSrc.subarray(valueStart, valueStart + valueLen), this.valueByteLength);
      this.valueByteLength += valueLen;
      this.valueValid[i >> 3]! |= 1 << (i & 7);
    } else this.valueNulls++;
    this.valueOffsets[i + 1] = this.valueByteLength - this.valueBase;
    this.setRow(i, partition, offset, timestamp, timestampType);
    this.headers?.endRow(); // legacy message sets (magic < 2) have no headers
    this.topicRuns[this.topicRuns.length - 1]![1]++;
    this.length = i + 1;
  }

  /**
   * The records of one (uncompressed or decompressed) batch, `b[start, end)`, keeping offsets in
   * [range.from, range.to). Values are compacted with copyWithin (no subarray object per record):
   * in place in `b`, or after copying the whole region into the value buffer in one go.
   */
  decodeBatch(b: Uint8Array, start: number, end: number, count: number, base: number, baseTs: number, tsType: number, range: DecodeRange): void {
    const from = range.from, to = range.to, partition = range.partition;
    this.reserveRows(count);
    let shift = 0; // value position in valueBytes - position in b
    if (this.inPlace) {
      if (b !== this.inPlace || start < this.valueByteLength) throw new Error('RecordColumns: in-place batches must come from its buffer, in order');
    } else {
      this.reserveValueBytes(end - start);
      this.valueBytes.set(b.subarray(start, end), this.valueByteLength);
      shift = this.valueByteLength - start;
    }
    const vb = this.valueBytes, vOffsets = this.valueOffsets, vValid = this.valueValid, vBase = this.valueBase;
    let vp = this.valueByteLength, i = this.length, rows = 0;
    const headers = this.headers;
    P = start;
    for (let r = 0; r < count; r++) {
      const len = varint(b);
      const recEnd = P + len;
      if (len < 0 || recEnd > end) throw new ProtocolError(`record ${r} of the batch at offset ${base} overruns its batch`);
      P++; // attributes (unused)
      const tsDelta = varint(b);
      const offset = base + varint(b);
      const keyLen = varint(b);
      const keyStart = P;
      if (keyLen > 0) P += keyLen;
      const valueLen = varint(b);
      const valueStart = P;
      if (keyStart + (keyLen > 0 ? keyLen : 0) > recEnd || valueStart + (valueLen > 0 ? valueLen : 0) > recEnd) {
        throw new ProtocolError(`record at offset ${offset} has a key or value past its end`);
      }
      if (offset < from) { P = recEnd; continue; }
      if (offset >= to) break;
      // Headers follow the value; they are read before the value is compacted, which only ever
      // moves bytes left of the current record, so in-place decoding never overwrites them.
      if (headers) { P = valueStart + (valueLen > 0 ? valueLen : 0); readHeaders(b, recEnd, offset, headers); }
      P = recEnd;
      this.setKey(i, b, keyStart, keyLen);
      if (valueLen >= 0) {
        const at = valueStart + shift;
        if (at !== vp) vb.copyWithin(vp, at, at + valueLen);
        vp += valueLen;
        vValid[i >> 3]! |= 1 << (i & 7);
      } else this.valueNulls++;
      vOffsets[i + 1] = vp - vBase;
      this.setRow(i, partition, offset, tsType === 1 ? baseTs : baseTs + tsDelta, tsType);
      i++;
      rows++;
    }
    this.valueByteLength = vp;
    this.length = i;
    this.topicRuns[this.topicRuns.length - 1]![1] += rows;
  }
}

/** A byte buffer whose contents are all overwritten before use: skip zero-filling it. */
function uninitialized(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** A decompressor of a batch's records section (synchronous, or a promise as kafkajs's codecs return). */
export interface Codec { readonly name: string; decompress(buf: Buffer): Buffer | Promise<Buffer> }
/** The codec of a compression type id (attributes & 0x07); undefined when none is known for it. */
export type CodecLookup = (compression: number) => Codec | undefined;

/** What `decodeRecordSet` needs to filter a partition's records. */
export interface DecodeRange {
  partition: number;
  /** Rows are records with from <= offset < to. */
  from: number;
  to: number;
  /** READ_COMMITTED: aborted transactions to drop (sorted by firstOffset), or null. */
  abortedTransactions: AbortedTransaction[] | null;
}

// Varint cursor shared by the readers below (one decoder runs at a time: all synchronous).
let P = 0;

/** Zigzag varint (Kafka's varint/varlong) as a Number; exact for |v| < 2^53. */
function varint(b: Uint8Array): number {
  let x = b[P++]!;
  if (x < 0x80) return (x & 1) ? -((x + 1) / 2) : x / 2;
  let v = x & 0x7f, mul = 128;
  for (let k = 1; k < 10; k++) {
    x = b[P++]!;
    if (x === undefined) throw new ProtocolError('varint runs past the end of the data');
    v += (x & 0x7f) * mul;
    // v & 1 while v fits 31 bits: a double's % is a C call in V8, and records carry several such varints
    if (x < 0x80) return (v < 0x80000000 ? (v & 1) === 1 : v % 2 === 1) ? -((v + 1) / 2) : v / 2;
    mul *= 128;
  }
  throw new ProtocolError('varint longer than 10 bytes');
}

/**
 * Decode the records of one partition's record set into `out`, keeping those in
 * [range.from, range.to) and dropping control records and (with `abortedTransactions`)
 * records of aborted transactions. Compressed batches are decompressed with the codec `codecs`
 * gives and then decoded; the function is async only when a codec returns a promise. A compressed
 * batch that cannot be recovered throws (or rejects with) a CorruptBatchError.
 */
export function decodeRecordSet(b: Buffer, start: number, end: number, range: DecodeRange, out: RecordColumns,
  codecs: CodecLookup): Promise<void> | void {
  return decodeFrom(b, start, end, range, out, codecs, new AbortedTracker(range.abortedTransactions));
}

function decodeFrom(b: Buffer, start: number, end: number, range: DecodeRange, out: RecordColumns,
  codecs: CodecLookup, aborted: AbortedTracker): Promise<void> | void {
  let p = start;
  while (p + LOG_OVERHEAD <= end) {
    const len = readInt32(b, p + BATCH_LENGTH);
    const batchEnd = p + LOG_OVERHEAD + len;
    if (len < 0 || batchEnd > end) break; // partial batch at the end of the set
    const batchStart = p;
    p = batchEnd;
    if (b[batchStart + MAGIC]! < 2) throw new ProtocolError('legacy message set (magic < 2) in a record batch set');
    if (len < RECORDS - LOG_OVERHEAD) throw new ProtocolError(`record batch of ${len} bytes is too short`);
    const base = readInt64(b, batchStart + BASE_OFFSET);
    const last = base + readInt32(b, batchStart + LAST_OFFSET_DELTA);
    if (base >= range.to) break;
    const attrs = readInt16(b, batchStart + ATTRIBUTES);
    const control = (attrs & CONTROL_FLAG) !== 0;
    // As Kafka's consumer (Fetcher, READ_COMMITTED): an abort marker ends the producer's aborted
    // transaction; other transactional batches of a producer with an open aborted transaction are dropped.
    if (aborted.active && (attrs & TRANSACTIONAL_FLAG) !== 0) {
      const producer = b.readBigInt64BE(batchStart + PRODUCER_ID);
      aborted.advanceTo(last);
      if (control && controlType(b, batchStart, batchEnd) === 0) aborted.end(producer);
      else if (aborted.isAborted(producer)) continue;
    }
    // Control batches (transaction markers) are never rows; their offsets are still consumed: the
    // caller advances over every batch of the set (scanRecordSet), so a partition whose last records
    // are markers or aborted records still reaches its planned end.
    if (control || last < range.from) continue;
    const count = readInt32(b, batchStart + RECORDS_COUNT);
    const compression = attrs & COMPRESSION_MASK;
    const tsType = (attrs & TIMESTAMP_TYPE_FLAG) !== 0 ? 1 : 0;
    const baseTs = tsType === 1 ? readInt64(b, batchStart + MAX_TIMESTAMP) : readInt64(b, batchStart + BASE_TIMESTAMP);
    if (compression !== 0) {
      const codec = codecs(compression);
      if (!codec) throw new CorruptBatchError(base, last, `type-${compression}`, `compression type ${compression} is not one Kafka defines (1 gzip, 2 snappy, 3 lz4, 4 zstd)`);
      // As the Java consumer (check.crcs): a compressed batch is checked against its CRC-32C before it
      // is decompressed, so damage that still decompresses (LZ4 and snappy carry no checksum of their
      // own here) cannot turn into wrong rows. Uncompressed batches are not checked (the hot path).
      const stored = b.readUInt32BE(batchStart + CRC), computed = crc32c(b.subarray(batchStart + ATTRIBUTES, batchEnd)) >>> 0;
      if (stored !== computed) {
        throw new CorruptBatchError(base, last, codec.name, `its CRC-32C is ${hex(computed)}, the batch header says ${hex(stored)}, so its bytes were damaged after the producer wrote them`);
      }
      const payload = b.subarray(batchStart + RECORDS, batchEnd);
      const decode = (raw: Buffer): void => {
        try {
          out.decodeBatch(raw, 0, raw.length, count, base, baseTs, tsType, range);
        } catch (e) {
          // Decompressed, but not into the records the header announces: the compressed bytes were wrong.
          throw new CorruptBatchError(base, last, codec.name, `it decompressed to ${raw.length} bytes that are not its ${count} records (${(e as Error).message})`, { cause: e });
        }
      };
      const failed = (e: unknown): never => {
        throw new CorruptBatchError(base, last, codec.name, (e as Error).message, { cause: e });
      };
      const decompress = (): Buffer | Promise<Buffer> => { try { return codec.decompress(payload); } catch (e) { return failed(e); } };
      const raw = decompress();
      if (raw instanceof Promise) {
        // Decompress, then decode it and the rest of the set (offsets stay in order).
        return raw.then((r) => {
          decode(r);
          return decodeFrom(b, p, end, range, out, codecs, aborted);
        }, failed);
      }
      decode(raw);
      continue;
    }
    out.decodeBatch(b, batchStart + RECORDS, batchEnd, count, base, baseTs, tsType, range);
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Control record key: version int16, type int16 (0 = abort, 1 = commit). */
function controlType(b: Uint8Array, batchStart: number, batchEnd: number): number {
  P = batchStart + RECORDS;
  if (P >= batchEnd) return -1;
  varint(b); // length
  P++; // attributes
  varint(b); varint(b); // timestamp delta, offset delta
  const keyLen = varint(b);
  if (keyLen < 4 || P + 4 > batchEnd) return -1;
  return readInt16(b, P + 2);
}

/** The headers of one record, from P (its header count) to recEnd, as one row of `out`. */
function readHeaders(b: Uint8Array, recEnd: number, offset: number, out: HeaderColumns): void {
  const count = varint(b);
  if (count < 0) throw new ProtocolError(`record at offset ${offset} has a negative header count`);
  for (let h = 0; h < count; h++) {
    const keyLen = varint(b), keyStart = P;
    // As Kafka's DefaultRecord.readHeaders: a header key is never null.
    if (keyLen < 0) throw new ProtocolError(`record at offset ${offset} has a header with a negative key length`);
    P += keyLen;
    const valueLen = varint(b), valueStart = P;
    if (valueLen > 0) P += valueLen;
    if (P > recEnd) throw new ProtocolError(`record at offset ${offset} has a header past its end`);
    out.add(b, keyStart, keyLen, valueStart, valueLen);
  }
  out.endRow();
}

/** Kafka's consumer-side filter of aborted transactions (READ_COMMITTED, KIP-98). */
class AbortedTracker {
  private next = 0;
  private readonly open = new Set<bigint>();
  readonly active: boolean;
  constructor(private readonly list: AbortedTransaction[] | null) {
    if (list) list.sort((a, b) => a.firstOffset - b.firstOffset);
    this.active = !!list && list.length > 0;
  }
  advanceTo(offset: number): void {
    const l = this.list!;
    while (this.next < l.length && l[this.next]!.firstOffset <= offset) this.open.add(l[this.next++]!.producerId);
  }
  isAborted(producer: bigint): boolean { return this.open.has(producer); }
  end(producer: bigint): void { this.open.delete(producer); }
}
