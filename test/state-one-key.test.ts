// StateStore.slotsOf's loop for one typed key column (and a window start or none) must find and
// make exactly the slots the general path does: the same store holding its keys as cells takes
// the general path, so both see the same rows and must answer the same slots. Hashes are forced
// into 16 values, so nearly every probe meets other keys with an equal hash and only the key
// compare tells them apart; nulls, NaN and -0, removals, reused slots and growth past the
// first arrays are all in the rows, and a reused slot's values start from null again.
import { describe, expect, it } from 'vitest';
import * as T from '../src/data/types.ts';
import { cellWriter, type Cell } from '../src/data/cells.ts';
import { BatchKeys } from '../src/state/key-hash.ts';
import { StateStore } from '../src/state/state-store.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { mulberry32, pick } from './support/prng.ts';
import { tmpDir } from './support/tmp.ts';

const column = (type: T.DataType, cells: readonly Cell[]) => {
  const w = cellWriter(type, cells.length);
  for (const c of cells) w.push(c);
  return w.finish();
};

/** A hash that depends only on the key (as it must), with 16 values: most keys collide. */
const weakHash = (key: Cell, start: number): number => {
  const s = `${Object.is(key, -0) ? 0 : String(key)}@${start}`;
  let h = 0;
  for (let j = 0; j < s.length; j++) { h = Math.imul(h ^ s.charCodeAt(j), 0x5bd1e995); h ^= h >>> 15; }
  return h & 15;
};

function count(store: StateStore, slots: Int32Array): void {
  const c = store.numbers[0]!;
  for (const s of slots) { c.f[s]! += 1; c.valid[s] = 1; }
}

async function run(type: T.DataType, pool: readonly Cell[], windowed: boolean): Promise<void> {
  const fields = [{ name: 'k', type, nullable: true }, ...(windowed ? [{ name: 'window', type: T.timestamp, nullable: false }] : [])];
  const keySchema = T.struct(fields), valueSchema = T.struct([{ name: 'n', type: T.long, nullable: true }]);
  const open = (typedKeys: boolean) => new StateStore(new LocalStorage(), tmpDir('one-key'), keySchema, valueSchema, 1000, { typedKeys, numbers: ['f64'] });
  const fast = open(true), general = open(false), rng = mulberry32(7);
  const bySlot = new Map<number, string>();
  for (let batch = 0; batch < 12; batch++) {
    const n = 200 + Math.floor(rng() * 800);
    const keys = Array.from({ length: n }, () => pick(rng, pool)), starts = Array.from({ length: n }, () => (windowed ? pick(rng, [0, 60_000]) : 0));
    const rows = new BatchKeys([column(type, keys)], [type], n), idx = Int32Array.from({ length: n }, (_, i) => i);
    const hashes = Int32Array.from(keys, (k, i) => weakHash(k, starts[i]!)), last = windowed ? Float64Array.from(starts) : null;
    const a = new Int32Array(n), b = new Int32Array(n);
    fast.slotsOf(rows, idx, hashes, last, n, a);
    general.slotsOf(rows, idx, hashes, last, n, b);
    expect(Array.from(a)).toEqual(Array.from(b));
    // Count rows per slot as an aggregate would: a reused slot must start again from null.
    count(fast, a); count(general, b);
    expect(Array.from(a, (s) => fast.numbers[0]!.cell(s))).toEqual(Array.from(b, (s) => general.numbers[0]!.cell(s)));
    // One slot per key: equal keys (NaN with NaN, -0 with 0) share it, others never do.
    const wrong: string[] = [];
    for (let j = 0; j < n; j++) {
      const name = `${Object.is(keys[j], -0) ? 0 : String(keys[j])}@${starts[j]}`, had = bySlot.get(a[j]!);
      if (had === undefined) bySlot.set(a[j]!, name); else if (had !== name) wrong.push(`${name} in the slot of ${had}`);
      const held = `${String(fast.keyCell(0, a[j]!))}@${windowed ? fast.keyNumber(1, a[j]!) : 0}`;
      if (held !== name) wrong.push(`${name} holds ${held}`);
    }
    expect(wrong).toEqual([]);
    expect(new Set(bySlot.values()).size).toBe(bySlot.size);
    // Remove some keys in both stores: their slots are reused after the commit.
    if (batch % 3 === 1) {
      for (const s of new Set(a)) if (rng() < 0.3) { fast.remove(s); general.remove(s); bySlot.delete(s); }
      fast.slotsOf(rows, idx, hashes, last, n, a);
      general.slotsOf(rows, idx, hashes, last, n, b);
      expect(Array.from(a)).toEqual(Array.from(b));
    }
    await fast.commit(batch); await general.commit(batch);
    expect(fast.size).toBe(general.size);
  }
  // Past the first arrays (1024 slots), so the loop met growth and handed those rows on.
  expect(fast.capacity).toBeGreaterThan(1024);
}

describe('slotsOf for one typed key column', () => {
  const strings: Cell[] = [null, '', 'é', ...Array.from({ length: 1200 }, (_, i) => `user-${i}`)];
  const numbers: Cell[] = [null, NaN, -0, 0, ...Array.from({ length: 1200 }, (_, i) => i * 0.5 - 7)];
  it('finds the slots the general path finds: string keys in windows', () => run(T.string, strings, true));
  it('finds the slots the general path finds: string keys alone', () => run(T.string, strings, false));
  it('finds the slots the general path finds: double keys in windows', () => run(T.double, numbers, true));
  it('finds the slots the general path finds: int keys alone', () => run(T.int, [null, ...Array.from({ length: 1200 }, (_, i) => i - 5)], false));
});
