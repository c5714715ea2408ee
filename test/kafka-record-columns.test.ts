import { describe, expect, it } from 'vitest';
import { RecordColumns, decodeRecordSet } from '../src/kafka/protocol.ts';
import { encodeRecordBatch } from '../src/kafka/record-batch.ts';

describe('RecordColumns', () => {
  it('stores offsets and timestamps as exact int64, negative timestamps and values past 2^32 included', () => {
    const offsets = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 53 - 1];
    const timestamps = [-1, 0, 1, -(2 ** 31), -(2 ** 32) - 1, 1714521600123, -1714521600123, 2 ** 53 - 1];
    const c = new RecordColumns(4, 64);
    c.beginTopic('t');
    const empty = new Uint8Array(0);
    offsets.forEach((o, i) => c.append(3, o, timestamps[i]!, 0, empty, 0, -1, empty, 0, 0));
    const asI64 = (pairs: Int32Array): bigint[] => Array.from(new BigInt64Array(pairs.buffer, pairs.byteOffset, offsets.length));
    expect(asI64(c.offsets)).toEqual(offsets.map(BigInt));
    expect(asI64(c.timestamps)).toEqual(timestamps.map(BigInt));
  });

  it('decodes a batch whose varints take one to three bytes: lengths and offset deltas across 63/64, 8191/8192; null keys and values', async () => {
    const sizes = [0, 1, 63, 64, 65, 127, 128, 8191, 8192, 20000];
    const n = 300;
    const values = Array.from({ length: n }, (_, i) => (i % 37 === 5 ? null : Uint8Array.from({ length: sizes[i % sizes.length]! }, (_, j) => (i + j) & 0xff)));
    const keys = Array.from({ length: n }, (_, i) => (i % 2 ? null : Uint8Array.of(i & 0xff, 1)));
    const batch = encodeRecordBatch({ keys, values }, Array.from({ length: n }, (_, i) => i), 1714521600123, 'none',
      { producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false });
    const out = new RecordColumns(n, batch.length);
    out.beginTopic('t');
    await decodeRecordSet(batch, 0, batch.length, { partition: 0, from: 0, to: n, abortedTransactions: null }, out, () => undefined);
    expect(out.length).toBe(n);
    const offs = new BigInt64Array(out.offsets.buffer, out.offsets.byteOffset, n);
    expect(Array.from(offs)).toEqual(Array.from({ length: n }, (_, i) => BigInt(i)));
    for (let i = 0; i < n; i++) {
      const v = out.valueBytes.subarray(out.valueBase + out.valueOffsets[i]!, out.valueBase + out.valueOffsets[i + 1]!);
      expect(Array.from(v), `value ${i}`).toEqual(Array.from(values[i] ?? []));
      expect((out.valueValid[i >> 3]! >> (i & 7)) & 1, `value ${i} valid`).toBe(values[i] ? 1 : 0);
      expect(Array.from(out.keyBytes.subarray(out.keyOffsets[i]!, out.keyOffsets[i + 1]!)), `key ${i}`).toEqual(Array.from(keys[i] ?? []));
    }
    expect(out.valueNulls).toBe(values.filter((v) => v === null).length);
  });
});
