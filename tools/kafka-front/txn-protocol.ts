// The wire formats the transaction coordinator (transactions.ts) reads, rewrites or sends: bodies
// after the request/response header, in the versions the test broker offers (librdkafka 2.0.2's
// mock answers ApiVersions with Produce 0-7, Fetch 0-11, ListOffsets 0-5, OffsetCommit 0-7,
// InitProducerId 0-4, AddPartitionsToTxn 0-1, EndTxn 0-1, TxnOffsetCommit 0-2; measured with an
// ApiVersions v0 request to .build/mock_kafka). Of these only InitProducerId v2+ is flexible.
//
// Reader and Writer are the front's (frames.ts). Hand-written rather than kafkajs's protocol
// modules: those are untyped internals that decode a Fetch answer into record objects, while a
// rewrite must keep the record bytes as the broker sent them; and librdkafka (kcat) may use
// versions kafkajs has no codec for (ListOffsets v4-v5, InitProducerId v2-v4).
// Field reference: https://kafka.apache.org/protocol (the request and response schemas).

import { crc32c } from '@node-rs/crc32';
import { ApiKey, Reader, Writer } from './frames.ts';

/** Reads an array (int32 count) of `item`; the front's Reader has the count, this the loop. */
function each<T>(r: Reader, item: () => T): T[] {
  const out: T[] = [];
  for (let n = r.int32(), i = 0; i < n; i++) out.push(item());
  return out;
}

function writeEach<T>(w: Writer, xs: readonly T[], item: (x: T) => void): Writer {
  w.int32(xs.length);
  for (const x of xs) item(x);
  return w;
}

export interface TopicPartition { topic: string; partition: number }

// ---- record batches (magic 2) ----------------------------------------------------------------

const ATTRIBUTES = 21, LAST_OFFSET_DELTA = 23, PRODUCER_ID = 43, PRODUCER_EPOCH = 51, HEADER = 61;
const TRANSACTIONAL = 0x10, CONTROL = 0x20;

export interface BatchHeader { baseOffset: bigint; lastOffset: bigint; producerId: bigint; producerEpoch: number; transactional: boolean; control: boolean; end: number }

/** The complete magic-2 batches of `b[start, end)`; a partial batch at the end (a Fetch cut at max bytes) is left out. */
export function batches(b: Buffer, start: number, end: number): BatchHeader[] {
  const out: BatchHeader[] = [];
  for (let p = start; p + HEADER <= end;) {
    const next = p + 12 + b.readInt32BE(p + 8);
    if (next > end || b.readInt8(p + 16) !== 2) break;
    const baseOffset = b.readBigInt64BE(p), attrs = b.readInt16BE(p + ATTRIBUTES);
    out.push({
      baseOffset, lastOffset: baseOffset + BigInt(b.readInt32BE(p + LAST_OFFSET_DELTA)),
      producerId: b.readBigInt64BE(p + PRODUCER_ID), producerEpoch: b.readInt16BE(p + PRODUCER_EPOCH),
      transactional: (attrs & TRANSACTIONAL) !== 0, control: (attrs & CONTROL) !== 0, end: next,
    });
    p = next;
  }
  return out;
}

/** Control record type of a transaction marker (Kafka's ControlRecordType). */
export type MarkerType = 'abort' | 'commit';

/** A magic-2 record batch holding one control record: the marker a coordinator writes (WriteTxnMarkers). */
export function controlBatch(producerId: bigint, producerEpoch: number, type: MarkerType, timestamp = Date.now()): Buffer {
  // Record: length, attributes, timestampDelta, offsetDelta, key (version int16, type int16),
  // value (version int16, coordinatorEpoch int32), no headers. Every varint here is one byte.
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type === 'abort' ? 0 : 1, 2);
  const value = Buffer.alloc(6);
  const body = Buffer.concat([Buffer.from([0, 0, 0, key.length * 2]), key, Buffer.from([value.length * 2]), value, Buffer.from([0])]);
  const record = Buffer.concat([Buffer.from([body.length * 2]), body]);
  const b = Buffer.alloc(HEADER + record.length);
  b.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(-1, 12); // partition leader epoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(TRANSACTIONAL | CONTROL, ATTRIBUTES);
  b.writeInt32BE(0, LAST_OFFSET_DELTA);
  b.writeBigInt64BE(BigInt(timestamp), 27);
  b.writeBigInt64BE(BigInt(timestamp), 35);
  b.writeBigInt64BE(producerId, PRODUCER_ID);
  b.writeInt16BE(producerEpoch, PRODUCER_EPOCH);
  b.writeInt32BE(-1, 53); // base sequence: markers have none
  b.writeInt32BE(1, 57);
  record.copy(b, HEADER);
  b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES)) >>> 0, 17);
  return b;
}

// ---- Produce v3-v7 ---------------------------------------------------------------------------

export interface ProducedBatch extends TopicPartition { producerId: bigint; producerEpoch: number; transactional: boolean }

/** The transactional id and, per partition, the producer of the first batch (one producer writes a whole request). */
export function readProduceRequest(version: number, body: Buffer): { transactionalId: string | null; acks: number; batches: ProducedBatch[] } {
  if (version < 3) return { transactionalId: null, acks: -1, batches: [] }; // no transactions before v3
  const r = new Reader(body);
  const transactionalId = r.nullableString(), acks = r.int16();
  r.int32(); // timeout_ms
  const out: ProducedBatch[] = [];
  each(r, () => {
    const topic = r.string();
    each(r, () => {
      const partition = r.int32(), rec = r.bytes(false);
      const first = rec ? batches(rec, 0, rec.length)[0] : undefined;
      if (first) out.push({ topic, partition, producerId: first.producerId, producerEpoch: first.producerEpoch, transactional: first.transactional });
    });
  });
  return { transactionalId, acks, batches: out };
}

export interface Appended extends TopicPartition { errorCode: number; baseOffset: bigint }

export function readProduceResponse(version: number, body: Buffer): Appended[] {
  const r = new Reader(body), out: Appended[] = [];
  each(r, () => {
    const topic = r.string();
    each(r, () => {
      const partition = r.int32(), errorCode = r.int16(), baseOffset = r.int64();
      if (version >= 2) r.int64(); // log_append_time_ms
      if (version >= 5) r.int64(); // log_start_offset
      if (version >= 8) throw new RangeError(`Produce v${version} answers are not read here (the test broker offers up to v7)`);
      out.push({ topic, partition, errorCode, baseOffset });
    });
  });
  return out;
}

export const MARKER_PRODUCE_VERSION = 3;

/** Produce v3 of one batch to one partition, with no transactional id (the broker then stores it as it is). */
export function produceRequest(tp: TopicPartition, batch: Buffer, timeoutMs = 10_000): Buffer {
  return new Writer().nullableString(null).int16(-1).int32(timeoutMs).int32(1).string(tp.topic).int32(1).int32(tp.partition).bytes(batch, false).build();
}

// ---- InitProducerId v0-v4 (v2+ flexible) ------------------------------------------------------

export function readInitProducerIdRequest(version: number, body: Buffer): { transactionalId: string | null; transactionTimeoutMs: number } {
  const r = new Reader(body);
  return { transactionalId: r.nullableStr(version >= 2), transactionTimeoutMs: r.int32() };
}

export function readInitProducerIdResponse(_version: number, body: Buffer): { errorCode: number; producerId: bigint; producerEpoch: number } {
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}

// ---- AddPartitionsToTxn v0-v1, EndTxn v0-v1 --------------------------------------------------

export interface TxnRequestHead { transactionalId: string; producerId: bigint; producerEpoch: number }

/** The fields AddPartitionsToTxn, AddOffsetsToTxn and EndTxn (v0-v1) begin with. */
export function readTxnRequestHead(body: Buffer): TxnRequestHead {
  const r = new Reader(body);
  return { transactionalId: r.string(), producerId: r.int64(), producerEpoch: r.int16() };
}

/** The partitions the coordinator added to the transaction (error code 0). */
export function readAddPartitionsToTxnResponse(body: Buffer): TopicPartition[] {
  const r = new Reader(body), out: TopicPartition[] = [];
  r.int32(); // throttle_time_ms
  each(r, () => {
    const topic = r.string();
    each(r, () => { const partition = r.int32(); if (r.int16() === 0) out.push({ topic, partition }); });
  });
  return out;
}

export function readEndTxnRequest(body: Buffer): { transactionalId: string; producerId: bigint; producerEpoch: number; committed: boolean } {
  const r = new Reader(body);
  return { transactionalId: r.string(), producerId: r.int64(), producerEpoch: r.int16(), committed: r.int8() !== 0 };
}

export const INVALID_PRODUCER_EPOCH = 47;

/**
 * The answer a coordinator or leader gives a fenced producer (one whose transactional id has a newer
 * producer) for `apiKey`'s request: INVALID_PRODUCER_EPOCH on everything it asked, as Kafka answers
 * these (pre-flexible) versions; PRODUCER_FENCED (90) is for newer ones. Null for other apis.
 */
export function fencedAnswer(apiKey: number, version: number, body: Buffer): Buffer | null {
  const w = new Writer();
  /** The request's topics[name, partitions[partition, …]], answered as topics[name, partitions[partition, error]]. */
  const echo = (r: Reader, skipRest: () => void): void => {
    const topics = each(r, () => ({ topic: r.string(), partitions: each(r, () => { const p = r.int32(); skipRest(); return p; }) }));
    writeEach(w, topics, (t) => writeEach(w.string(t.topic), t.partitions, (p) => w.int32(p).int16(INVALID_PRODUCER_EPOCH)));
  };
  switch (apiKey) {
    case ApiKey.AddOffsetsToTxn: case ApiKey.EndTxn: return w.int32(0).int16(INVALID_PRODUCER_EPOCH).build();
    case ApiKey.AddPartitionsToTxn: {
      const r = new Reader(body);
      r.string(); r.int64(); r.int16();
      w.int32(0);
      echo(r, () => undefined);
      return w.build();
    }
    case ApiKey.TxnOffsetCommit: {
      const r = new Reader(body);
      r.string(); r.string(); r.int64(); r.int16();
      w.int32(0);
      echo(r, () => { r.int64(); if (version >= 2) r.int32(); r.nullableString(); });
      return w.build();
    }
    case ApiKey.Produce: {
      const r = new Reader(body);
      r.nullableString(); r.int16(); r.int32();
      writeEach(w, each(r, () => ({ topic: r.string(), ps: each(r, () => { const p = r.int32(); r.bytes(false); return p; }) })), (t) =>
        writeEach(w.string(t.topic), t.ps, (p) => { w.int32(p).int16(INVALID_PRODUCER_EPOCH).int64(-1n).int64(-1n); if (version >= 5) w.int64(-1n); }));
      return w.int32(0).build(); // throttle_time_ms
    }
    default: return null;
  }
}

/** The error code of an EndTxn, AddOffsetsToTxn or InitProducerId answer: after throttle_time_ms. */
export function readErrorAfterThrottle(body: Buffer): number {
  return body.readInt16BE(4);
}

// ---- TxnOffsetCommit v0-v2, OffsetCommit v2 ---------------------------------------------------

export interface GroupOffset extends TopicPartition { offset: bigint; metadata: string | null }

export function readTxnOffsetCommitRequest(version: number, body: Buffer): TxnRequestHead & { groupId: string; offsets: GroupOffset[] } {
  const r = new Reader(body);
  const transactionalId = r.string(), groupId = r.string(), producerId = r.int64(), producerEpoch = r.int16();
  const offsets: GroupOffset[] = [];
  each(r, () => {
    const topic = r.string();
    each(r, () => {
      const partition = r.int32(), offset = r.int64();
      if (version >= 2) r.int32(); // committed_leader_epoch
      offsets.push({ topic, partition, offset, metadata: r.nullableString() });
    });
  });
  return { transactionalId, groupId, producerId, producerEpoch, offsets };
}

/** Partitions of a TxnOffsetCommit v0-v2 or OffsetCommit v3+ answer (throttle first) that failed, with their error codes. */
export function readPartitionErrors(body: Buffer, throttleFirst: boolean): (TopicPartition & { errorCode: number })[] {
  const r = new Reader(body), out: (TopicPartition & { errorCode: number })[] = [];
  if (throttleFirst) r.int32();
  each(r, () => {
    const topic = r.string();
    each(r, () => { const partition = r.int32(), errorCode = r.int16(); if (errorCode !== 0) out.push({ topic, partition, errorCode }); });
  });
  return out;
}

export const OFFSET_COMMIT_VERSION = 2;

/** OffsetCommit v2 outside any generation (generation -1, no member): how a coordinator writes a transaction's offsets once it commits. */
export function offsetCommitRequest(groupId: string, offsets: readonly GroupOffset[]): Buffer {
  const w = new Writer().string(groupId).int32(-1).string('').int64(-1n); // retention -1: the broker's default
  writeEach(w, [...byTopic(offsets)], ([topic, ps]) => {
    writeEach(w.string(topic), ps, (o) => w.int32(o.partition).int64(o.offset).nullableString(o.metadata));
  });
  return w.build();
}

function byTopic<T extends TopicPartition>(xs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(x.topic, [...(m.get(x.topic) ?? []), x]);
  return m;
}

// ---- Fetch v4-v11 ----------------------------------------------------------------------------

export const READ_COMMITTED = 1;

export interface FetchRequestView { maxWaitMs: number; isolationLevel: number; fetchOffsets: Map<string, bigint> }

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function readFetchRequest(version: number, body: Buffer): FetchRequestView {
  const r = new Reader(body);
  r.int32(); // replica_id
  const maxWaitMs = r.int32();
  r.int32(); r.int32(); // min_bytes, max_bytes
  const isolationLevel = r.int8();
  if (version >= 7) { r.int32(); r.int32(); } // session_id, session_epoch
  const fetchOffsets = new Map<string, bigint>();
  each(r, () => {
    const topic = r.string();
    each(r, () => {
      const partition = r.int32();
      if (version >= 9) r.int32(); // current_leader_epoch
      fetchOffsets.set(tpKey(topic, partition), r.int64());
      if (version >= 5) r.int64(); // log_start_offset
      r.int32(); // partition_max_bytes
    });
  });
  return { maxWaitMs, isolationLevel, fetchOffsets };
}

export interface AbortedTxn { producerId: bigint; firstOffset: bigint }
export interface FetchedPartition extends TopicPartition { errorCode: number; highWatermark: bigint; records: Buffer | null }
/** What the coordinator answers for one partition: the LSO, the aborted list, and how many of the record bytes it returns (null: all). */
export interface FetchFix { lastStableOffset: bigint; abortedTransactions: AbortedTxn[] | null; keepBytes: number | null }

/** The Fetch answer with each partition's LSO, aborted transactions and records as `fix` says; everything else as it was. */
export function rewriteFetchResponse(version: number, body: Buffer, fix: (p: FetchedPartition) => FetchFix): Buffer {
  if (version < 4 || version > 11) throw new RangeError(`Fetch v${version} answers are not rewritten here (the test broker offers v0-v11; v4 added transactions)`);
  const head = version >= 7 ? 10 : 4; // throttle_time_ms, then (v7+) error_code and session_id
  const r = new Reader(body, head), w = new Writer().bytesRaw(body.subarray(0, head));
  const each = (f: () => void): void => { const n = r.int32(); w.int32(n); for (let i = 0; i < n; i++) f(); };
  each(() => {
    const topic = r.string();
    w.string(topic);
    each(() => {
      const partition = r.int32(), errorCode = r.int16(), highWatermark = r.int64();
      r.int64(); // last_stable_offset: rewritten
      const logStart = version >= 5 ? r.int64() : null;
      const na = r.int32();
      for (let i = 0; i < na; i++) { r.int64(); r.int64(); } // aborted_transactions: rewritten
      const preferred = version >= 11 ? r.int32() : null;
      const records = r.bytes(false);
      const f = fix({ topic, partition, errorCode, highWatermark, records });
      w.int32(partition).int16(errorCode).int64(highWatermark).int64(f.lastStableOffset);
      if (logStart !== null) w.int64(logStart);
      if (f.abortedTransactions === null) w.int32(-1);
      else writeEach(w, f.abortedTransactions, (a) => w.int64(a.producerId).int64(a.firstOffset));
      if (preferred !== null) w.int32(preferred);
      w.bytes(records && f.keepBytes !== null ? records.subarray(0, f.keepBytes) : records, false);
    });
  });
  return w.build();
}

// ---- ListOffsets v1-v5 -----------------------------------------------------------------------

export const LATEST = -1n;

export function readListOffsetsRequest(version: number, body: Buffer): { isolationLevel: number; latest: Set<string> } {
  const r = new Reader(body), latest = new Set<string>();
  r.int32(); // replica_id
  const isolationLevel = version >= 2 ? r.int8() : 0;
  each(r, () => {
    const topic = r.string();
    each(r, () => {
      const partition = r.int32();
      if (version >= 4) r.int32(); // current_leader_epoch
      if (r.int64() === LATEST) latest.add(tpKey(topic, partition));
      if (version === 0) r.int32(); // max_num_offsets
    });
  });
  return { isolationLevel, latest };
}

/** The ListOffsets v1-v5 answer with each partition's offset replaced by `fix(tp, offset)` (the same size: rewritten in a copy). */
export function rewriteListOffsetsResponse(version: number, body: Buffer, fix: (tp: TopicPartition, offset: bigint) => bigint): Buffer {
  if (version < 1 || version > 5) throw new RangeError(`ListOffsets v${version} answers are not rewritten here (v1-v5 are)`);
  const out = Buffer.from(body), r = new Reader(out);
  if (version >= 2) r.int32(); // throttle_time_ms
  each(r, () => {
    const topic = r.string();
    each(r, () => {
      const partition = r.int32(), errorCode = r.int16();
      r.int64(); // timestamp
      const at = r.offset, offset = r.int64();
      if (version >= 4) r.int32(); // leader_epoch
      if (errorCode === 0) out.writeBigInt64BE(fix({ topic, partition }, offset), at);
    });
  });
  return out;
}
