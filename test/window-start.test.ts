// tumblingStart (exec/aggregate/window.ts) divides instead of taking remainders; it must give
// Spark's start (start <= t < start + size, aligned to the epoch) exactly, checked in bigints,
// before the epoch, at window edges and far from the epoch.
import { describe, expect, it } from 'vitest';
import { slidingStarts, tumblingStart } from '../src/exec/aggregate/window.ts';
import { mulberry32 } from './support/prng.ts';

const exact = (t: number, size: number): number => {
  const T = BigInt(t), S = BigInt(size), r = ((T % S) + S) % S;
  return Number(T - r);
};

describe('tumblingStart', () => {
  it('is the bigint answer for times before and after the epoch, at edges and past 2^50 ms', () => {
    const sizes = [1, 7, 1000, 60_000, 3_600_000, 86_400_000, 604_800_000, 3_600_001];
    const rnd = mulberry32(11);
    const times: number[] = [0, -1, 1, Date.UTC(2024, 0, 1, 10), 2 ** 50 + 3, -(2 ** 50) - 3];
    for (let i = 0; i < 400; i++) times.push(Math.round((rnd() - 0.5) * 2 ** 52));
    for (const size of sizes) {
      for (const t0 of times) {
        // The edges of t0's window and their neighbours.
        const e = exact(t0, size);
        for (const t of [t0, e, e - 1, e + size - 1, e + size]) expect(tumblingStart(t, size)).toBe(exact(t, size));
      }
    }
  });

  it('gives sliding windows the same starts', () => {
    const out: number[] = [];
    slidingStarts(-1, 10_000, 5_000, out);
    expect(out).toEqual([-5_000, -10_000]);
    slidingStarts(12_345, 10_000, 5_000, out);
    expect(out).toEqual([10_000, 5_000]);
  });
});
