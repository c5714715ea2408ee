import { describe, it, expect } from 'vitest';
import * as A from 'apache-arrow';
import { take } from '../src/data/take.ts';

describe('take on string and binary columns', () => {
  it('gathers empty, short, word-boundary and long values and nulls, in any order and repeated', () => {
    // short values are copied by words (util/byte-words.ts copyWords), long ones by set()
    const values = ['', 'a', 'abc', 'abcd', 'abcde', 'é€😀', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(200), null, '0123456789abcdef'];
    const col = A.vectorFromArray(values, new A.Utf8()).data[0]!;
    const idx = Int32Array.from([10, 8, 0, 9, 5, 5, 7, 1, 6, 2, 3, 4, 8]);
    const out = new A.Vector([take(col, idx)]).toArray() as (string | null)[];
    expect(out).toEqual([...idx].map((i) => values[i]));
    const bin = A.makeData({ type: new A.Binary(), length: 3, nullCount: 0, valueOffsets: Int32Array.from([0, 3, 70, 71]),
      data: Uint8Array.from({ length: 71 }, (_, i) => i) });
    const got = take(bin, Int32Array.from([2, 1, 0]));
    expect([...(got.valueOffsets as Int32Array)]).toEqual([0, 1, 68, 71]);
    expect([...(got.values as Uint8Array)]).toEqual([70, ...Array.from({ length: 67 }, (_, i) => 3 + i), 0, 1, 2]);
  });
});
