// After a spill, a store renumbers the slots left in memory and sizes its per-slot arrays for
// them (state-store.ts compactSlots): at 10M keys under 512 MB they stayed at the high-water
// mark of ~4.5M slots (docs/design/state-spill.md). Renumbering must lose nothing: every key,
// in memory or spilled, keeps its value, and the next delta names the right keys.
import { describe, expect, it } from 'vitest';
import * as T from '../src/data/types.ts';
import { cellWriter } from '../src/data/cells.ts';
import { BatchKeys, rowHash } from '../src/state/key-hash.ts';
import { StateStore } from '../src/state/state-store.ts';
import { Spill } from '../src/state/spill/spill.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { tmpDir } from './support/tmp.ts';

const N = 20_000;
const keySchema = T.struct({ k: T.string });
const valueSchema = T.struct([{ name: 'n', type: T.double, nullable: true }]);
const names = Array.from({ length: N }, (_, i) => `key-${i}`);
const w = cellWriter(T.string, N);
for (const k of names) w.push(k);
const rows = new BatchKeys([w.finish()], [T.string], N);

/** Row i's slot in `s` (read back from the spill if it is there), or -1. */
const slotOf = (s: StateStore, i: number) => s.findRow(rows, i, rowHash(rows, i));
const valueOf = (s: StateStore, i: number) => { const slot = slotOf(s, i); return slot < 0 ? null : s.numbers[0]!.cell(slot); };

describe('a spilling store after a spill', () => {
  it('shrinks its slots to the rows left in memory and keeps every value, in memory, spilled and in the next delta', async () => {
    const dir = tmpDir('spill-compact'), storage = new LocalStorage();
    const store = new StateStore(storage, dir, keySchema, valueSchema, 100, { numbers: ['f64'] });
    store.spillTo(new Spill(1.5 * 2 ** 20, null));
    await store.load(-1);
    for (let i = 0; i < N; i++) store.numbers[0]!.setCell(store.insertRow(rows, i, rowHash(rows, i)), i);
    expect(store.capacity).toBe(N);
    const generation = store.generation;
    await store.commit(0);
    // A 1.5 MB budget keeps some rows in memory (the fixed arrays take most of it) and spills the rest.
    const inMemory = store.size - store.spilledRows;
    expect(store.spilledRows).toBeGreaterThan(N / 2);
    expect(inMemory).toBeGreaterThan(0);
    expect(store.capacity).toBe(inMemory);
    expect(store.generation).toBe(generation + 1);
    expect(store.size).toBe(N);

    // Every key's value, whichever slot it has now; then a batch that writes each again.
    for (let i = 0; i < N; i++) expect(valueOf(store, i)).toBe(i);
    for (let i = 0; i < N; i++) { const slot = slotOf(store, i); store.numbers[0]!.setCell(slot, 2 * i); store.touch(slot); }
    await store.commit(1);
    expect(store.size).toBe(N);

    // A store without a budget loads version 1 (delta 0 then delta 1): the deltas written around the renumbering name the right keys.
    const fresh = new StateStore(storage, dir, keySchema, valueSchema, 100, { numbers: ['f64'] });
    await fresh.load(1);
    expect(fresh.size).toBe(N);
    const wrong = names.filter((_, i) => valueOf(fresh, i) !== 2 * i);
    expect(wrong).toEqual([]);
    store.close();
  }, 60_000);
});
