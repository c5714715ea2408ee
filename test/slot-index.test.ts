// The state store's open-addressing index (state/slot-index.ts) against a Map, through random
// adds and deletes with colliding hashes, so backward-shift deletion and resizing never lose or
// misplace a slot (a lost slot would hang the next delete of it, or hide a live key).
import { describe, expect, it } from 'vitest';
import { SlotIndex } from '../src/state/slot-index.ts';

function slotsOf(ix: SlotIndex, h: number): number[] {
  const out: number[] = [];
  // Entry p is table[2p] (slot + 1) and table[2p + 1] (its hash); the hash kept by slot must agree.
  for (let p = h & ix.mask; ix.table[2 * p] !== 0; p = (p + 1) & ix.mask) {
    const s = ix.table[2 * p]! - 1;
    if (ix.table[2 * p + 1] === h) { expect(ix.hashOf[s]).toBe(h); out.push(s); }
  }
  return out.sort((a, b) => a - b);
}

describe('slot index', () => {
  it('finds every slot it holds by its hash after random adds, deletes and resizes, with many equal and wrapping hashes', () => {
    let seed = 42;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const ix = new SlotIndex(), model = new Map<number, number>();
    let next = 0;
    const free: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      if (model.size && rnd(3) === 0) {
        const slots = [...model.keys()], s = slots[rnd(slots.length)]!;
        ix.delete(s); model.delete(s); free.push(s);
      } else {
        const s = free.length ? free.pop()! : next++;
        // Few distinct hashes, many near the end of the table: long runs that wrap around.
        const h = rnd(4) === 0 ? -1 - rnd(8) : rnd(200) * 7919;
        ix.add(s, h); model.set(s, h);
      }
      if (step % 5000 === 0 || step === 19_999) {
        expect(ix.size).toBe(model.size);
        const byHash = new Map<number, number[]>();
        for (const [s, h] of model) byHash.set(h, [...(byHash.get(h) ?? []), s]);
        for (const [h, ss] of byHash) expect(slotsOf(ix, h)).toEqual(ss.sort((a, b) => a - b));
      }
    }
  });
});
