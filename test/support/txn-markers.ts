// What a Kafka transaction coordinator does that librdkafka's mock broker (2.0.2) does not, for the
// read-side transaction tests (test/kafka-transactions.test.ts).
//
// Evidence (librdkafka src/rdkafka_mock_handlers.c, and a run against .build/mock_kafka):
// - rd_kafka_mock_handle_EndTxn checks the coordinator and the producer id, then answers: it writes
//   no COMMIT/ABORT control batch to the partitions of the transaction;
// - rd_kafka_mock_handle_Fetch writes LastStableOffset = the partition's end offset and an empty
//   AbortedTransactions array, whatever the isolation level; ListOffsets ignores it too.
// So with the bare mock, `kcat -X isolation.level=read_committed` reads aborted and still-open
// transactional records (measured: a topic with c1 c2 committed, a1 aborted, open1 open reads back
// all four), and no Kafka client can tell an aborted record from a committed one.
//
// The tests fill the gap the way the broker would: after a transaction ends, `writeMarker` appends
// the control batch (the coordinator's WriteTxnMarkers) to each of its partitions with a plain
// Produce request. The mock validates a Produce's records only when the request carries a
// transactional id (rd_kafka_mock_validate_records), so the batch is stored byte for byte, and the
// Fetch responses the source decodes hold real control batches at real offsets. The aborted-transaction
// list and the last stable offset, which a broker derives from its transaction index, are supplied by
// `TxnBook` below (the test applies them to the client's answers).
import { connect } from 'node:net';
import { crc32c } from '@node-rs/crc32';

/** Control record type of a transaction marker (Kafka's ControlRecordType). */
export type MarkerType = 'abort' | 'commit';

/** A magic-2 record batch holding one control record: the marker a coordinator writes. */
export function controlBatch(producerId: bigint, producerEpoch: number, type: MarkerType, timestamp = Date.now()): Buffer {
  // Record: length, attributes, timestampDelta, offsetDelta, key (version int16, type int16),
  // value (version int16, coordinatorEpoch int32), no headers. Every varint here is one byte.
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type === 'abort' ? 0 : 1, 2);
  const value = Buffer.alloc(6);
  const body = Buffer.concat([Buffer.from([0, 0, 0, key.length * 2]), key, Buffer.from([value.length * 2]), value, Buffer.from([0])]);
  const record = Buffer.concat([Buffer.from([body.length * 2]), body]);
  const b = Buffer.alloc(61 + record.length);
  b.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(-1, 12); // partition leader epoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(0x30, 21); // attributes: transactional | control
  b.writeInt32BE(0, 23); // last offset delta
  b.writeBigInt64BE(BigInt(timestamp), 27);
  b.writeBigInt64BE(BigInt(timestamp), 35);
  b.writeBigInt64BE(producerId, 43);
  b.writeInt16BE(producerEpoch, 51);
  b.writeInt32BE(-1, 53); // base sequence: markers have none
  b.writeInt32BE(1, 57);
  record.copy(b, 61);
  b.writeUInt32BE(crc32c(b.subarray(21)) >>> 0, 17);
  return b;
}

/** Appends a transaction marker to `topic`/`partition` at `leader` (host:port); resolves to its offset. */
export async function writeMarker(leader: string, topic: string, partition: number, producerId: bigint, producerEpoch: number, type: MarkerType): Promise<number> {
  const batch = controlBatch(producerId, producerEpoch, type);
  const clientId = Buffer.from('txn-marker-writer'), name = Buffer.from(topic);
  // Produce v3: header (api key 0, version 3, correlation id, client id), then transactional_id
  // null, acks -1, timeout, one topic with one partition's records.
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 2 + 2 + 4 + 4 + 2 + name.length + 4 + 4 + 4 + batch.length);
  let p = 4;
  p = req.writeInt16BE(0, p); p = req.writeInt16BE(3, p); p = req.writeInt32BE(1, p);
  p = req.writeInt16BE(clientId.length, p); p += clientId.copy(req, p);
  p = req.writeInt16BE(-1, p); p = req.writeInt16BE(-1, p); p = req.writeInt32BE(10_000, p);
  p = req.writeInt32BE(1, p); p = req.writeInt16BE(name.length, p); p += name.copy(req, p);
  p = req.writeInt32BE(1, p); p = req.writeInt32BE(partition, p); p = req.writeInt32BE(batch.length, p); p += batch.copy(req, p);
  req.writeInt32BE(p - 4, 0);
  const [host, port] = leader.split(':');
  const res = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host, port: Number(port) });
    let got = Buffer.alloc(0);
    s.once('error', reject);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) { s.destroy(); resolve(got.subarray(4)); }
    });
    s.write(req);
  });
  // Response v3: correlation id, [topic name, [partition, error code, base offset, log append time]], throttle.
  let q = 4 + 4;
  q += 2 + res.readInt16BE(q) + 4;
  const error = res.readInt16BE(q + 4), offset = Number(res.readBigInt64BE(q + 6));
  if (error !== 0) throw new Error(`writing a ${type} marker to ${topic}/${partition} failed with Kafka error code ${error}`);
  return offset;
}

/** Producer id and epoch of the record batch at `offset`, read from its header. */
export function batchProducer(buf: Buffer, start: number, end: number, offset: number): { producerId: bigint; producerEpoch: number } {
  for (let p = start; p + 61 <= end;) {
    const len = buf.readInt32BE(p + 8), base = Number(buf.readBigInt64BE(p));
    if (offset >= base && offset <= base + buf.readInt32BE(p + 23)) return { producerId: buf.readBigInt64BE(p + 43), producerEpoch: buf.readInt16BE(p + 51) };
    p += 12 + len;
  }
  throw new Error(`no record batch holds offset ${offset}`);
}

/**
 * The transaction index a broker keeps per partition: where each transaction of each producer
 * began, which ended in an abort (and at which marker), which are still open. It answers what a
 * READ_COMMITTED Fetch and ListOffsets would: the aborted transactions overlapping a fetch, and the
 * last stable offset.
 */
export class TxnBook {
  private readonly open = new Map<string, Map<bigint, number>>();
  private readonly aborted = new Map<string, { producerId: bigint; firstOffset: number; lastOffset: number }[]>();

  /** A transactional batch of `producerId` was appended at `offset`. */
  appended(topic: string, partition: number, producerId: bigint, offset: number): void {
    const m = this.open.get(`${topic}/${partition}`) ?? new Map<bigint, number>();
    this.open.set(`${topic}/${partition}`, m);
    if (!m.has(producerId)) m.set(producerId, offset);
  }

  /** The marker of `producerId`'s transaction was written at `markerOffset`. */
  ended(topic: string, partition: number, producerId: bigint, type: MarkerType, markerOffset: number): void {
    const key = `${topic}/${partition}`, first = this.open.get(key)?.get(producerId);
    if (first === undefined) throw new Error(`no open transaction of producer ${producerId} on ${key}`);
    this.open.get(key)!.delete(producerId);
    if (type === 'abort') {
      const l = this.aborted.get(key) ?? [];
      this.aborted.set(key, l);
      l.push({ producerId, firstOffset: first, lastOffset: markerOffset });
    }
  }

  has(topic: string): boolean {
    return [...this.open.keys(), ...this.aborted.keys()].some((k) => k.slice(0, k.lastIndexOf('/')) === topic);
  }

  /** Aborted transactions a broker lists for a READ_COMMITTED fetch from `fetchOffset` (those not over before it). */
  abortedFrom(topic: string, partition: number, fetchOffset: number): { producerId: bigint; firstOffset: number }[] | null {
    const l = (this.aborted.get(`${topic}/${partition}`) ?? []).filter((a) => a.lastOffset >= fetchOffset);
    return l.length ? l.map(({ producerId, firstOffset }) => ({ producerId, firstOffset })) : null;
  }

  /** The last stable offset: the first offset of the earliest open transaction, else the high watermark. */
  lastStable(topic: string, partition: number, highWatermark: number): number {
    const firsts = [...(this.open.get(`${topic}/${partition}`)?.values() ?? [])];
    return Math.min(highWatermark, ...firsts);
  }
}
