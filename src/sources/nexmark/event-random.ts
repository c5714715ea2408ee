/**
 * The random numbers of one event, seeded by (seed, event id) as Beam's generator seeds a
 * java.util.Random with the event id: any event can be made on its own, so a batch [from, to)
 * needs no state from the batches before it, and a replay after a crash makes the same events.
 * (nexmark/nexmark's Flink generator draws from one unseeded SplittableRandom, so its runs differ.)
 * mulberry32 on a splitmix-style mix of the two: 32-bit integer math, no BigInt on the hot path.
 */
export class EventRandom {
  private s = 0;
  /** Start the stream of event `id` (ids up to 2^53). */
  reset(seed: number, id: number): void {
    const lo = id >>> 0, hi = Math.floor(id / 4294967296) >>> 0;
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ lo;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ Math.imul(hi, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    this.s = (h ^ (h >>> 16)) >>> 0;
  }
  /** Uniform in [0, 1). */
  nextDouble(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [0, n), n < 2^32. */
  nextInt(n: number): number { return Math.floor(this.nextDouble() * n); }
  /** Uniform in [0, n) for n past 2^32 too (LongGenerator.nextLong). */
  nextLong(n: number): number {
    if (n < 4294967296) return this.nextInt(n);
    return Math.floor((this.nextDouble() + this.nextDouble() / 4294967296) * n) % n;
  }
}

/** A plain seeded stream, for the tables the generator draws once (URLs, the extra-string pool). */
export function seededRandom(seed: number, stream: number): EventRandom {
  const r = new EventRandom();
  r.reset(seed, 0x1_0000_0000 * 7 + stream);
  return r;
}
