/**
 * HyperLogLog for approx_count_distinct: 2^P one-byte registers, murmur3-style 32-bit
 * hashing of the value's bytes. P = 9 gives Spark's default relative error (~5%).
 */
export const HLL_P = 9;
const M = 1 << HLL_P;

function hash32(s: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51); k = (k << 15) | (k >>> 17); k = Math.imul(k, 0x1b873593);
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= s.length;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

export function hllNew(): Uint8Array { return new Uint8Array(M); }

export function hllAdd(regs: Uint8Array, keyPart: string): void {
  const h = hash32(keyPart);
  const idx = h >>> (32 - HLL_P);
  const rest = (h << HLL_P) >>> 0;
  const rank = rest === 0 ? 32 - HLL_P + 1 : Math.clz32(rest) + 1;
  if (rank > regs[idx]!) regs[idx] = rank;
}

export function hllMerge(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < M; i++) if (from[i]! > into[i]!) into[i] = from[i]!;
}

export function hllCount(regs: Uint8Array): number {
  let sum = 0, zeros = 0;
  for (let i = 0; i < M; i++) { sum += 2 ** -regs[i]!; if (regs[i] === 0) zeros++; }
  const alpha = 0.7213 / (1 + 1.079 / M);
  const est = (alpha * M * M) / sum;
  // Small ranges: linear counting is exact-ish where HLL is biased.
  if (est <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(est);
}
