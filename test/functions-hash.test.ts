// hash (Spark's Murmur3_x86_32) and xxhash64 (Spark's XXH64), seed 42: the answers of PySpark's
// docstrings (python/pyspark/sql/functions/builtin.py) and of Spark's SQL examples (hash.scala).
import { describe, expect, it } from 'vitest';
import { expr, hash, xxhash64, col, types as T } from '../src/index.ts';
import { xxhash64 as xxh64 } from '../src/exec/functions/xxhash64.ts';
import { selectRows } from './support/select-rows.ts';

const c12 = T.struct({ c1: T.string, c2: T.string });

describe('PySpark docstring examples', () => {
  it("hash('c1') and hash('c1', c2), hash('*') named hash(c1, c2)", async () => {
    const out = await selectRows(c12, [{ c1: 'ABC', c2: 'DEF' }], hash('c1'), hash('c1', col('c2')), hash('*').alias('star'));
    expect(out).toEqual([{ 'hash(c1)': -757602832, 'hash(c1, c2)': 599895104, star: 599895104 }]);
  });
  it("xxhash64('c1') and xxhash64('c1', c2)", async () => {
    const out = await selectRows(c12, [{ c1: 'ABC', c2: 'DEF' }], xxhash64('c1'), xxhash64('c1', col('c2')));
    expect(out).toEqual([{ 'xxhash64(c1)': 4105715581806190027n, 'xxhash64(c1, c2)': 3233247871021311208n }]);
  });
});

describe("Spark's SQL examples and rules", () => {
  it("SELECT hash('Spark', array(123), 2) and xxhash64 of the same: strings, arrays and ints", async () => {
    const out = await selectRows(T.struct({ x: T.int }), [{ x: 0 }],
      expr("hash('Spark', array(123), 2) AS h"), expr("xxhash64('Spark', array(123), 2) AS x"));
    expect(out).toEqual([{ h: -1321691492, x: 5602566077635097486n }]);
  });

  it('a null leaves the hash at the seed (hash(NULL) is 42), and is skipped among other columns', async () => {
    const out = await selectRows(c12, [{ c1: 'ABC', c2: null }, { c1: null, c2: null }], hash('c1', 'c2').alias('h'), xxhash64('c1', 'c2').alias('x'));
    expect(out).toEqual([{ h: -757602832, x: 4105715581806190027n }, { h: 42, x: 42n }]);
  });

  it('an int widened to a long hashes differently, as in Spark (4 bytes against 8); 0.0 and -0.0 hash alike', async () => {
    const s = T.struct({ i: T.int, l: T.long, d: T.double, z: T.double });
    const out = await selectRows(s, [{ i: 1, l: 1n, d: 0, z: -0 }], hash('i').alias('hi'), hash('l').alias('hl'), hash('d').alias('hd'), hash('z').alias('hz'));
    expect(out[0]!.hi).not.toBe(out[0]!.hl);
    expect(out[0]!.hd).toBe(out[0]!.hz);
  });
});

describe('the XXH64 core is the reference XXH64', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it("of '' and of a 39-byte text (the 32-byte stripe path), seed 0", () => {
    expect(xxh64.bytes(bytes(''), 0, 0, 0n).toString(16)).toBe('ef46db3751d8e999');
    const t = bytes('Nobody inspects the spammish repetition');
    expect(xxh64.bytes(t, 0, t.length, 0n).toString(16)).toBe('fbcea83c8a378bf1');
  });
});
