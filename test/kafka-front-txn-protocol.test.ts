// The transaction coordinator's codecs (tools/kafka-front/txn-protocol.ts) on answers built here,
// read back by sluice's own Fetch decoder (src/kafka/protocol.ts), which no one wrote for the front.
import { describe, expect, it } from 'vitest';
import { crc32c } from '@node-rs/crc32';
import { encodeFetchRequest, parseFetchResponse } from '../src/kafka/protocol.ts';
import { decodeApiVersionsResponse, encodeApiVersionsResponse } from '../tools/kafka-front/codecs.ts';
import { ApiKey, Reader, Writer } from '../tools/kafka-front/frames.ts';
import { TransactionCoordinator } from '../tools/kafka-front/transactions.ts';
import {
  INVALID_PRODUCER_EPOCH, batches, controlBatch, fencedAnswer, readErrorAfterThrottle, readPartitionErrors, readProduceRequest, readProduceResponse, readTxnOffsetCommitRequest, readListOffsetsRequest, rewriteFetchResponse, rewriteListOffsetsResponse, tpKey, type FetchFix,
} from '../tools/kafka-front/txn-protocol.ts';

/** A batch at `base` (a control batch re-addressed: the coordinator reads only headers). */
function batchAt(base: bigint, producerId: bigint): Buffer {
  const b = controlBatch(producerId, 3, 'commit');
  b.writeBigInt64BE(base, 0);
  return b;
}

/** A Fetch answer of `version` with one topic: partition 0 holding `records`, partition 1 none (null). */
function fetchAnswer(version: number, records: Buffer): Buffer {
  const w = new Writer().int32(0);
  if (version >= 7) w.int16(0).int32(0);
  w.int32(1).string('t').int32(2);
  for (const [partition, recs] of [[0, records], [1, null]] as const) {
    w.int32(partition).int16(0).int64(10n).int64(10n);
    if (version >= 5) w.int64(0n);
    w.int32(0); // no aborted transactions
    if (version >= 11) w.int32(-1);
    w.bytes(recs, false);
  }
  return w.build();
}

describe('controlBatch', () => {
  it('is a magic-2 transactional control batch of the producer, with a valid CRC-32C and the marker type in its key', () => {
    for (const [type, code] of [['abort', 0], ['commit', 1]] as const) {
      const b = controlBatch(123456789n, 7, type);
      expect(batches(b, 0, b.length)).toEqual([{ baseOffset: 0n, lastOffset: 0n, producerId: 123456789n, producerEpoch: 7, transactional: true, control: true, end: b.length }]);
      expect(b.readUInt32BE(17)).toBe(crc32c(b.subarray(21)) >>> 0);
      expect(b.readInt16BE(61 + 1 + 1 + 1 + 1 + 1 + 2)).toBe(code); // length, attributes, ts delta, offset delta, key length, key version
    }
  });
});

describe('rewriteFetchResponse', () => {
  for (const version of [4, 5, 7, 11]) {
    it(`v${version}: sets the LSO and aborted list, cuts the records before the first batch at the LSO, keeps the rest`, () => {
      const first = batchAt(0n, 1n), second = batchAt(3n, 2n);
      const body = fetchAnswer(version, Buffer.concat([first, second]));
      const seen: string[] = [];
      const out = rewriteFetchResponse(version, body, (p): FetchFix => {
        seen.push(`${p.topic}/${p.partition} hw ${p.highWatermark} ${p.records ? p.records.length : 'null'}`);
        return p.partition === 0
          ? { lastStableOffset: 3n, abortedTransactions: [{ producerId: 9n, firstOffset: 1n }], keepBytes: first.length }
          : { lastStableOffset: 10n, abortedTransactions: null, keepBytes: null };
      });
      expect(seen).toEqual([`t/0 hw 10 ${first.length + second.length}`, 't/1 hw 10 null']);
      const parsed = parseFetchResponse(version, out);
      expect(parsed.partitions.map((p) => ({ partition: p.partition, hw: p.highWatermark, aborted: p.abortedTransactions, records: p.buf.subarray(p.start, p.end) })))
        .toEqual([
          { partition: 0, hw: 10, aborted: [{ producerId: 9n, firstOffset: 1 }], records: first },
          { partition: 1, hw: 10, aborted: null, records: Buffer.alloc(0) },
        ]);
      // The LSO sits after partition, error code and high watermark (sluice's decoder skips it).
      const r = new Reader(out, version >= 7 ? 10 : 4);
      r.int32(); r.string(); r.int32(); r.int32(); r.int16(); r.int64();
      expect(r.int64()).toBe(3n);
    });
  }

  it('refuses versions it cannot read (v12+ is flexible; v3 has no transactions)', () => {
    expect(() => rewriteFetchResponse(12, Buffer.alloc(0), () => ({ lastStableOffset: 0n, abortedTransactions: null, keepBytes: null }))).toThrow(/Fetch v12/);
  });
});

describe('ListOffsets', () => {
  for (const version of [2, 4, 5]) {
    it(`v${version}: reads the isolation level and the latest-offset partitions, and rewrites only the offsets fix changes`, () => {
      const req = new Writer().int32(-1).int8(1).int32(1).string('t').int32(2);
      for (const [partition, ts] of [[0, -1n], [1, -2n]] as const) { req.int32(partition); if (version >= 4) req.int32(-1); req.int64(ts); }
      expect(readListOffsetsRequest(version, req.build())).toEqual({ isolationLevel: 1, latest: new Set([tpKey('t', 0)]) });

      const res = new Writer().int32(0).int32(1).string('t').int32(2);
      for (const partition of [0, 1]) { res.int32(partition).int16(0).int64(-1n).int64(partition === 0 ? 20n : 0n); if (version >= 4) res.int32(5); }
      const body = res.build();
      const out = rewriteListOffsetsResponse(version, body, (tp, offset) => (tp.partition === 0 ? 12n : offset));
      expect(out.length).toBe(body.length);
      const r = new Reader(out);
      r.int32(); r.int32(); r.string(); r.int32();
      const got = [0, 1].map(() => { const p = r.int32(); r.int16(); r.int64(); const o = r.int64(); if (version >= 4) r.int32(); return [p, o]; });
      expect(got).toEqual([[0, 12n], [1, 0n]]);
    });
  }
});

describe('fencedAnswer', () => {
  it('answers INVALID_PRODUCER_EPOCH for every partition of a Produce (v3, v5, v7) and TxnOffsetCommit (v0, v2), and to EndTxn', () => {
    const batch = controlBatch(5n, 1, 'commit');
    for (const version of [3, 5, 7]) {
      const req = new Writer().nullableString('tx').int16(-1).int32(1000).int32(2)
        .string('a').int32(2).int32(0).bytes(batch, false).int32(1).bytes(batch, false)
        .string('b').int32(1).int32(4).bytes(batch, false).build();
      expect(readProduceRequest(version, req)).toMatchObject({ transactionalId: 'tx', batches: [{ topic: 'a', partition: 0, producerId: 5n, producerEpoch: 1, transactional: true }, {}, {}] });
      expect(readProduceResponse(version, fencedAnswer(ApiKey.Produce, version, req)!)).toEqual(
        [['a', 0], ['a', 1], ['b', 4]].map(([topic, partition]) => ({ topic, partition, errorCode: INVALID_PRODUCER_EPOCH, baseOffset: -1n })));
    }
    for (const version of [0, 2]) {
      const req = new Writer().string('tx').string('group').int64(5n).int16(1).int32(1).string('a').int32(2);
      for (const partition of [0, 1]) { req.int32(partition).int64(10n); if (version >= 2) req.int32(-1); req.nullableString(null); }
      const body = req.build();
      expect(readTxnOffsetCommitRequest(version, body)).toMatchObject({ transactionalId: 'tx', groupId: 'group', producerId: 5n, producerEpoch: 1 });
      expect(readPartitionErrors(fencedAnswer(ApiKey.TxnOffsetCommit, version, body)!, true)).toEqual(
        [0, 1].map((partition) => ({ topic: 'a', partition, errorCode: INVALID_PRODUCER_EPOCH })));
    }
    expect(readErrorAfterThrottle(fencedAnswer(ApiKey.EndTxn, 1, Buffer.alloc(0))!)).toBe(INVALID_PRODUCER_EPOCH);
  });
});

describe('ApiVersions through the coordinator', () => {
  it('caps the versions of the apis it reads (a newer mock may offer flexible Fetch v12+), leaves the others', async () => {
    const unused = (): Promise<Buffer> => Promise.reject(new Error('no request expected'));
    const c = new TransactionCoordinator({ toLeader: unused, toBroker: unused }, (e) => { throw e; });
    for (const version of [0, 3]) {
      const offered = { errorCode: 0, throttleTimeMs: 0, tags: Buffer.alloc(0), apis: [
        { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 9 }, { apiKey: ApiKey.Fetch, minVersion: 0, maxVersion: 13 },
        { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 }, { apiKey: ApiKey.EndTxn, minVersion: 0, maxVersion: 1 },
      ] };
      const response = await c.onResponse({ apiKey: ApiKey.ApiVersions, version, request: Buffer.alloc(0), response: encodeApiVersionsResponse(version, offered), nodeId: 1 });
      expect(decodeApiVersionsResponse(version, response).apis).toEqual([
        { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 7 }, { apiKey: ApiKey.Fetch, minVersion: 0, maxVersion: 11 },
        { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 }, { apiKey: ApiKey.EndTxn, minVersion: 0, maxVersion: 1 },
      ]);
    }
  });
});

describe('Fetch through the coordinator', () => {
  it("an open transaction whose Produce answer the front has not seen yet holds the LSO, learned from the fetched batches", async () => {
    const unused = (): Promise<Buffer> => Promise.reject(new Error('no request expected'));
    const c = new TransactionCoordinator({ toLeader: unused, toBroker: unused }, (e) => { throw e; });
    const at = (base: bigint, attributes: number): Buffer => { const b = batchAt(base, 9n); b.writeInt16BE(attributes, 21); return b; };
    const plain0 = at(0n, 0), open1 = at(1n, 0x10), plain2 = at(2n, 0);
    const response = fetchAnswer(11, Buffer.concat([plain0, open1, plain2]));
    for (const isolationLevel of [1, 0]) {
      const request = encodeFetchRequest(11, { maxWaitTime: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, maxBytes: 1 << 20 }] }] });
      const out = await c.onResponse({ apiKey: ApiKey.Fetch, version: 11, request, response, nodeId: 1 });
      const [p0] = parseFetchResponse(11, out).partitions;
      expect(p0!.buf.subarray(p0!.start, p0!.end)).toEqual(isolationLevel === 1 ? plain0 : Buffer.concat([plain0, open1, plain2]));
      expect(p0!.abortedTransactions).toBeNull(); // none aborted (read_committed: an empty list), or read_uncommitted
      const r = new Reader(out, 10);
      r.int32(); r.string(); r.int32(); r.int32(); r.int16(); r.int64();
      expect(r.int64()).toBe(1n); // the LSO, whatever the isolation level
    }
  });
});
