// The spill's page index (src/state/spill/page-index.ts) holds page ids in 16 bits until one
// passes 65534, then in 32: every (hash, page) pair must still be found after the switch.
import { describe, expect, it } from 'vitest';
import { PageIndex } from '../src/state/spill/page-index.ts';

describe('the spill page index', () => {
  it('finds every page of a hash across the switch from 16-bit to 32-bit page ids, and after deletes', () => {
    const ix = new PageIndex(), out: number[] = [];
    // 3 rows a page, page ids up to 70 000; row 0's hash is shared by pages 2k and 2k + 1.
    const pages = Array.from({ length: 70_000 }, (_, p) => p);
    const hashOf = (p: number, r: number) => Math.imul(r === 0 ? p >> 1 : 3 * p + r + 1_000_000, 0x9e3779b1);
    for (const p of pages) for (let r = 0; r < 3; r++) ix.add(hashOf(p, r), p);
    expect(ix.size).toBe(210_000);
    const want = (h: number, gone: (p: number) => boolean) => pages.filter((p) => !gone(p) && [0, 1, 2].some((r) => hashOf(p, r) === h)).sort((a, b) => a - b);
    for (const h of [hashOf(65_534, 0), hashOf(69_999, 0), hashOf(69_999, 2), hashOf(3, 1)]) expect([...ix.find(h, out)].sort((a, b) => a - b)).toEqual(want(h, () => false));
    // Pages past 65534 leave, then one more comes: the rest are still found.
    for (const p of pages.filter((q) => q > 65_534)) for (let r = 0; r < 3; r++) ix.delete(hashOf(p, r), p);
    ix.add(hashOf(65_534, 0), 100_000);
    const h = hashOf(65_534, 0);
    expect([...ix.find(h, out)].sort((a, b) => a - b)).toEqual([...want(h, (p) => p > 65_534), 100_000]);
  });
});
