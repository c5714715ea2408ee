/**
 * Spark's Murmur3_x86_32 (common/unsafe/.../hash/Murmur3_x86_32.java), ported line by line on int32
 * arithmetic. Written by hand rather than taken from a Murmur3 package because Spark's differs from
 * the reference in its tail: hashUnsafeBytes mixes each trailing byte, sign-extended, as a whole
 * block (a reference Murmur3 packs the tail into one word), so no library gives Spark's hash('ABC').
 */
const C1 = 0xcc9e2d51 | 0, C2 = 0x1b873593;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const mixK1 = (k: number): number => Math.imul(rotl(Math.imul(k, C1), 15), C2);
const mixH1 = (h: number, k: number): number => (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;

function fmix(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export const murmur3 = {
  int: (v: number, seed: number): number => fmix(mixH1(seed, mixK1(v)), 4),
  /** Low word first, then high, as Spark's hashLong. */
  long(v: bigint, seed: number): number {
    const low = Number(BigInt.asIntN(32, v)), high = Number(BigInt.asIntN(32, v >> 32n));
    return fmix(mixH1(mixH1(seed, mixK1(low)), mixK1(high)), 8);
  },
  /** Bytes [s, e): little-endian words, then each remaining byte sign-extended (Spark's tail). */
  bytes(b: Uint8Array, s: number, e: number, seed: number): number {
    const aligned = s + ((e - s) & ~3);
    let h = seed, i = s;
    for (; i < aligned; i += 4) h = mixH1(h, mixK1(b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)));
    for (; i < e; i++) h = mixH1(h, mixK1((b[i]! << 24) >> 24));
    return fmix(h, e - s);
  },
};
