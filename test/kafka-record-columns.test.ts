import { describe, expect, it } from 'vitest';
import { RecordColumns } from '../src/kafka/protocol.ts';

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
});
