import type * as A from 'apache-arrow';
import { int, long, type DataType, typeToString } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { primitiveColumn } from '../../data/builders.ts';
import type { Arg, ScalarFunction } from './scalar-function.ts';
import { murmur3 } from './murmur3.ts';
import { xxhash64 as xxh64 } from './xxhash64.ts';
import { decimalWords, readDecimal } from '../../data/decimal.ts';

/** One of Spark's seeded hashes, as its HashExpression calls them per type. */
interface SparkHash<H> { int(v: number, seed: H): H; long(v: bigint, seed: H): H; bytes(b: Uint8Array, s: number, e: number, seed: H): H }

const f64 = new Float64Array(1), i64 = new BigInt64Array(f64.buffer);
/** Java's doubleToLongBits after Spark's -0.0 → 0.0: one NaN, and 0.0 and -0.0 hash alike. */
function doubleBits(x: number): bigint {
  if (Number.isNaN(x)) return 0x7ff8000000000000n;
  f64[0] = x === 0 ? 0 : x;
  return i64[0]!;
}

/** Java's BigInteger.toByteArray: the fewest big-endian two's-complement bytes that keep the sign. */
function javaBigIntegerBytes(v: bigint): Uint8Array {
  let n = 1;
  while (BigInt.asIntN(n * 8, v) !== v) n++;
  const out = new Uint8Array(n);
  for (let k = n - 1, x = v; k >= 0; k--, x >>= 8n) out[k] = Number(x & 0xffn);
  return out;
}

/**
 * How a non-null value at row i of `d` folds into a running hash, as Spark's computeHash: ints,
 * dates and booleans as ints; longs, doubles and timestamps (in Spark's microseconds) as longs;
 * strings and binary by their bytes; arrays and structs element by element, nulls skipped.
 */
function valueHasher<H>(d: A.Data, t: DataType, alg: SparkHash<H>): (i: number, h: H) => H {
  switch (t.kind) {
    case 'null': return (_i, h) => h;
    case 'boolean': { const v = d.values as Uint8Array; return (i, h) => alg.int((v[i >> 3]! >> (i & 7)) & 1, h); }
    case 'int': case 'date': { const v = d.values as Int32Array; return (i, h) => alg.int(v[i]!, h); }
    case 'long': { const v = d.values as BigInt64Array; return (i, h) => alg.long(v[i]!, h); }
    case 'timestamp': { const v = d.values as BigInt64Array; return (i, h) => alg.long(v[i]! * 1000n, h); }
    case 'double': { const v = d.values as Float64Array; return (i, h) => alg.long(doubleBits(v[i]!), h); }
    case 'string': case 'binary': {
      const o = d.valueOffsets as Int32Array, v = d.values as Uint8Array;
      return (i, h) => alg.bytes(v, o[i]!, o[i + 1]!, h);
    }
    case 'array': {
      const o = d.valueOffsets as Int32Array, c = d.children[0]!, el = valueHasher(c, t.elementType, alg);
      return (i, h) => { for (let k = o[i]!; k < o[i + 1]!; k++) if (isValid(c, k)) h = el(k, h); return h; };
    }
    case 'decimal': {
      // Spark: a compact decimal (precision <= 18) hashes its unscaled long; a wider one the bytes of
      // Java's BigInteger.toByteArray (big-endian two's complement, shortest).
      const w = decimalWords(d);
      if (t.precision <= 18) return (i, h) => alg.long(readDecimal(w, i), h);
      return (i, h) => { const b = javaBigIntegerBytes(readDecimal(w, i)); return alg.bytes(b, 0, b.length, h); };
    }
    // Refused when the call is bound (Spark 3's DATATYPE_MISMATCH.HASH_MAP_TYPE), never reached.
    case 'map': throw new Error('hash of a map');
    case 'struct': {
      const fields = t.fields.map((f, k) => [d.children[k]!, valueHasher(d.children[k]!, f.type, alg)] as const);
      return (i, h) => { for (const [c, f] of fields) if (isValid(c, i)) h = f(i, h); return h; };
    }
  }
}

/** Every row's hash of all the columns, each column's hash the seed of the next; a null leaves it as it was. */
function hashRows<H>(cols: readonly A.Data[], types: readonly DataType[], n: number, alg: SparkHash<H>, seed: H): H[] {
  const out = new Array<H>(n).fill(seed);
  cols.forEach((d, k) => {
    const f = valueHasher(d, types[k]!, alg);
    for (let i = 0; i < n; i++) if (isValid(d, i)) out[i] = f(i, out[i]!);
  });
  return out;
}

const hasMap = (t: DataType): boolean =>
  t.kind === 'map' || (t.kind === 'array' && hasMap(t.elementType)) || (t.kind === 'struct' && t.fields.some((f) => hasMap(f.type)));

/** Spark 3 refuses to hash maps: equal maps may list their entries in different orders. */
function refuseMaps(args: readonly Arg[]): string | null {
  const a = args.find((x) => hasMap(x.type));
  return a ? `'${a.name}' is of ${typeToString(a.type)} type, and maps cannot be hashed (equal maps may hold their entries in other orders, as in Spark); leave it out of the call, or hash sort_array(map_keys(...)) instead` : null;
}

/** hash(a, b, …): Spark's Murmur3Hash with seed 42, an int; never null. */
export const hash: ScalarFunction = {
  name: 'hash', arity: [1, Infinity],
  bind(args) {
    const types = args.map((a) => a.type);
    const bad = refuseMaps(args);
    if (bad) return bad;
    return {
      inputTypes: types, returnType: int,
      kernel: (cols, n) => primitiveColumn(int, Int32Array.from(hashRows(cols, types, n, murmur3, 42)), n),
    };
  },
};

/** xxhash64(a, b, …): Spark's XxHash64 with seed 42, a long; never null. */
export const xxhash64: ScalarFunction = {
  name: 'xxhash64', arity: [1, Infinity],
  bind(args) {
    const types = args.map((a) => a.type);
    const bad = refuseMaps(args);
    if (bad) return bad;
    return {
      inputTypes: types, returnType: long,
      kernel: (cols, n) => primitiveColumn(long, BigInt64Array.from(hashRows(cols, types, n, xxh64, 42n), (h) => BigInt.asIntN(64, h)), n),
    };
  },
};
