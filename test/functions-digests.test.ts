// md5, sha1, sha2, crc32, base64, unbase64: the `>>>` examples of PySpark's docstrings
// (python/pyspark/sql/functions/builtin.py) with their answers, then nulls and Spark's rules.
import { describe, expect, it } from 'vitest';
import { col, expr, md5, sha1, sha2, crc32, base64, unbase64, types as T } from '../src/index.ts';
import { selectRows } from './support/select-rows.ts';

const a = T.struct({ a: T.string });

describe('PySpark docstring examples', () => {
  it("md5 / sha1 / crc32 of 'ABC'", async () => {
    const out = await selectRows(a, [{ a: 'ABC' }], md5('a').alias('hash'), sha1('a').alias('sha1'), crc32('a').alias('crc32'));
    expect(out).toEqual([{ hash: '902fbdd2b1df0c4f70b4a5d23525e932', sha1: '3c01bdbb26f358bab27f267924aa2c9a03fcfdb8', crc32: 2743272264n }]);
  });
  it('sha2(name, 256)', async () => {
    const out = await selectRows(T.struct({ name: T.string }), [{ name: 'Alice' }, { name: 'Bob' }], 'name', sha2('name', 256).alias('sha2'));
    expect(out).toEqual([
      { name: 'Alice', sha2: '3bc51062973c458d5a6f2d8d64a023246354ad7e064b1e4e009ec8a0699a3043' },
      { name: 'Bob', sha2: 'cd9fb1e148ccd8442e5aa74904cc73bf6fb54d1d54d333bd596aa9bb4bb4e961' },
    ]);
  });
  it('base64 / unbase64', async () => {
    const out = await selectRows(T.struct({ value: T.string }), [{ value: 'Spark SQL' }, { value: 'PySpark' }], base64('value').alias('b'));
    expect(out).toEqual([{ b: 'U3BhcmsgU1FM' }, { b: 'UHlTcGFyaw==' }]);
    const back = await selectRows(T.struct({ value: T.string }), [{ value: 'U3BhcmsgU1FM' }], unbase64('value').cast('string').alias('s'));
    expect(back).toEqual([{ s: 'Spark SQL' }]);
  });
});

describe('nulls, bit lengths, binary input, SQL', () => {
  it('null in, null out; sha2 with an unknown bit length is null; 0 means 256', async () => {
    const out = await selectRows(a, [{ a: null }, { a: '' }], md5('a').alias('m'), sha2('a', 100).alias('bad'), sha2('a', 0).alias('z'), crc32('a').alias('c'));
    expect(out).toEqual([
      { m: null, bad: null, z: null, c: null },
      { m: 'd41d8cd98f00b204e9800998ecf8427e', bad: null, z: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', c: 0n },
    ]);
  });
  it('a binary column hashes its bytes; expr() and the names Spark gives', async () => {
    const out = await selectRows(T.struct({ b: T.binary }), [{ b: new Uint8Array([0x41, 0x42, 0x43]) }], md5(col('b')), expr('sha2(b, 512)'), expr('sha(b)'));
    expect(Object.keys(out[0]!)).toEqual(['md5(b)', 'sha2(b, 512)', 'sha(b)']);
    expect(out[0]!['md5(b)']).toBe('902fbdd2b1df0c4f70b4a5d23525e932');
  });
});
