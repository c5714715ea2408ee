/** Seeded randomness, so tests, benchmarks and the chaos harness make the same data every run. */

/** A source of numbers in [0, 1), as Math.random. */
export type Rng = () => number;

/** mulberry32: a small seeded PRNG. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number from lo to hi, both included. */
export const randInt = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

/** One element of a non-empty list. */
export const pick = <X>(rng: Rng, xs: readonly X[]): X => xs[Math.floor(rng() * xs.length)]!;
