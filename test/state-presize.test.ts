// A large batch grows the store once for the keys it is estimated to add (StateStore.reserveNewKeys):
// the estimate must never change which slot a row finds, and must not size the index for a
// batch's repeated rows instead of its distinct keys.
import { describe, expect, it } from 'vitest';
import * as T from '../src/data/types.ts';
import { cellWriter, type Cell } from '../src/data/cells.ts';
import { BatchKeys, finish, hashNumber } from '../src/state/key-hash.ts';
import { StateStore } from '../src/state/state-store.ts';
import type { SlotIndex } from '../src/state/slot-index.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { tmpDir } from './support/tmp.ts';

const column = (type: T.DataType, cells: readonly Cell[]) => {
  const w = cellWriter(type, cells.length);
  for (const c of cells) w.push(c);
  return w.finish();
};
const keySchema = T.struct([{ name: 'user', type: T.string, nullable: true }, { name: 'window', type: T.timestamp, nullable: false }]);
const valueSchema = T.struct([{ name: 'n', type: T.long, nullable: true }]);

/** Every row of `users` (window start `start`) through slotsOf, as the aggregation calls it. */
function slotsOf(store: StateStore, users: readonly (string | null)[], start: number): Int32Array {
  const n = users.length, rows = new BatchKeys([column(T.string, users)], [T.string], n);
  const idx = Int32Array.from({ length: n }, (_, i) => i), last = new Float64Array(n).fill(start), out = new Int32Array(n);
  const hashes = Int32Array.from(rows.hashes, (h) => finish(hashNumber(h, start)));
  store.slotsOf(rows, idx, hashes, last, n, out);
  return out;
}

describe('a batch that adds many keys', () => {
  it('finds each key once, old and new, with repeated rows and nulls, and sizes the index for its distinct keys', async () => {
    const store = new StateStore(new LocalStorage(), tmpDir('presize'), keySchema, valueSchema, 10, { typedKeys: true, numbers: ['f64'] });
    const old = Array.from({ length: 40_000 }, (_, i) => `user-${i}`);
    const first = slotsOf(store, old, 0);
    await store.commit(0);
    // 20k old keys, 30k new ones three times each, and a null key: 110,001 rows (past the pre-sizing threshold), 50,001 keys.
    const users = [...old.slice(20_000), ...Array.from({ length: 90_000 }, (_, i) => `new-${i % 30_000}`), null];
    const out = slotsOf(store, users, 0);
    expect(store.size).toBe(70_001);
    expect(Array.from(out.subarray(0, 20_000))).toEqual(Array.from(first.subarray(20_000)));
    for (let j = 0; j < 30_000; j++) expect([out[50_000 + j], out[80_000 + j]]).toEqual([out[20_000 + j], out[20_000 + j]]);
    expect(new Set(out).size).toBe(50_001);
    expect(store.numRowsUpdated).toBe(50_001);
    // 70,001 keys at most half full: 2^18 entries; sized by the rows (150,001 with the first batch's) it would be 2^19.
    expect((store as unknown as { index: SlotIndex }).index.mask + 1).toBe(1 << 18);
    // A window start makes other keys: the same users in another window are all new.
    const other = slotsOf(store, old, 3_600_000);
    expect(new Set([...other, ...out, ...first]).size).toBe(110_001);
    expect(store.size).toBe(110_001);
  });

  it('update mode output and the delta share one gather of the keys and values, renewed by any later write, and the delta restarts', async () => {
    const dir = tmpDir('presize-share'), open = () => new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 10, { typedKeys: true, numbers: ['f64'] });
    const store = open(), users = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    slotsOf(store, users, 0);
    const n = store.numbers[0]!;
    for (const s of store.dirtySlots()) { n.f[s] = s + 1; n.valid[s] = 1; }
    const dirty = store.dirtySlots(), out = store.keyData(0, dirty), value = store.valueData(0, dirty);
    expect([store.dirtySlots() === dirty, store.keyData(0, dirty) === out, store.valueData(0, dirty) === value]).toEqual([true, true, true]);
    // A key added after the output was built, with a value: the delta must hold both.
    const [late] = slotsOf(store, ['late'], 60_000);
    n.f[late!] = 7; n.valid[late!] = 1;
    const again = store.dirtySlots();
    expect(again).not.toBe(dirty);
    expect(again.length).toBe(1001);
    expect([store.keyData(0, again).length, store.valueData(0, again).length]).toEqual([1001, 1001]);
    await store.commit(0);
    const back = open();
    await back.load(0);
    expect(back.size).toBe(1001);
    const all = [...back.slots()];
    expect(new Set(all.map((s) => `${back.keyCell(0, s)}@${back.keyNumber(1, s)}`))).toEqual(new Set([...users.map((u) => `${u}@0`), 'late@60000']));
    expect(all.map((s) => back.numbers[0]!.cell(s)).sort((a, b) => Number(a) - Number(b))).toEqual([...Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)), 7n].sort((a, b) => Number(a) - Number(b)));
  });
});
