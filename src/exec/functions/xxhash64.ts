/**
 * Spark's XXH64 (common/unsafe/.../hash/XXH64.java) on BigInt. It is the reference XXH64 of the
 * value's bytes (an int as 4 little-endian bytes, a long as 8), with each column's hash the seed of
 * the next; written here because the npm XXH64 packages are WASM builds that hash one buffer and
 * would need the ints and longs copied into bytes per row anyway.
 */
const P1 = 0x9e3779b185ebca87n, P2 = 0xc2b2ae3d27d4eb4fn, P3 = 0x165667b19e3779f9n, P4 = 0x85ebca77c2b2ae63n, P5 = 0x27d4eb2f165667c5n;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const rotl = (x: bigint, r: bigint): bigint => u64((x << r) | (x >> (64n - r)));
const round = (acc: bigint, input: bigint): bigint => u64(rotl(u64(acc + u64(input * P2)), 31n) * P1);
const merge = (acc: bigint, v: bigint): bigint => u64((acc ^ round(0n, v)) * P1 + P4);

function fmix(h: bigint): bigint {
  h ^= h >> 33n; h = u64(h * P2);
  h ^= h >> 29n; h = u64(h * P3);
  return h ^ (h >> 32n);
}

function word64(b: Uint8Array, i: number): bigint {
  const lo = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  const hi = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Hashes are unsigned 64-bit BigInts here; Spark's long is BigInt.asIntN(64, h). */
export const xxhash64 = {
  int(v: number, seed: bigint): bigint {
    const h = u64(seed + P5 + 4n) ^ u64(BigInt(v >>> 0) * P1);
    return fmix(u64(rotl(h, 23n) * P2 + P3));
  },
  long(v: bigint, seed: bigint): bigint {
    const h = u64(seed + P5 + 8n) ^ round(0n, u64(v));
    return fmix(u64(rotl(h, 27n) * P1 + P4));
  },
  bytes(b: Uint8Array, s: number, e: number, seed: bigint): bigint {
    let h: bigint, i = s;
    if (e - s >= 32) {
      let v1 = u64(seed + P1 + P2), v2 = u64(seed + P2), v3 = seed, v4 = u64(seed - P1);
      for (; i + 32 <= e; i += 32) {
        v1 = round(v1, word64(b, i)); v2 = round(v2, word64(b, i + 8));
        v3 = round(v3, word64(b, i + 16)); v4 = round(v4, word64(b, i + 24));
      }
      h = u64(rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n));
      h = merge(merge(merge(merge(h, v1), v2), v3), v4);
    } else {
      h = u64(seed + P5);
    }
    h = u64(h + BigInt(e - s));
    for (; i + 8 <= e; i += 8) h = u64(rotl(h ^ round(0n, word64(b, i)), 27n) * P1 + P4);
    if (i + 4 <= e) {
      const w = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
      h = u64(rotl(h ^ u64(BigInt(w) * P1), 23n) * P2 + P3);
      i += 4;
    }
    for (; i < e; i++) h = u64(rotl(h ^ u64(BigInt(b[i]!) * P5), 11n) * P1);
    return fmix(h);
  },
};
