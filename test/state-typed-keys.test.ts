// Key columns held typed (state/key-columns.ts, key-bytes.ts: strings as bytes in an arena,
// numbers in typed arrays) must find, add and remove exactly the keys a store of cells does,
// through removals, an arena that compacts, and read and write the very files the cell path does:
// checkpoints written before them must load, and a store of cells must load what they write.
import { describe, expect, it } from 'vitest';
import * as T from '../src/data/types.ts';
import { cellWriter, type Cell } from '../src/data/cells.ts';
import { BatchKeys, rowHash } from '../src/state/key-hash.ts';
import { StateStore } from '../src/state/state-store.ts';
import { KeyBytes } from '../src/state/key-bytes.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { tmpDir } from './support/tmp.ts';

const column = (type: T.DataType, cells: readonly Cell[]) => {
  const w = cellWriter(type, cells.length);
  for (const c of cells) w.push(c);
  return w.finish();
};

// A string (with non-ASCII text, an empty string and null), a long, a double (NaN, -0) and a
// timestamp; the store's last key column is a window start given as a number.
const keyTypes = [T.string, T.long, T.double, T.timestamp];
const keySchema = T.struct([...keyTypes.map((type, k) => ({ name: `k${k}`, type, nullable: true })), { name: 'window', type: T.timestamp, nullable: false }]);
const valueSchema = T.struct([{ name: 'v', type: T.long, nullable: true }]);
const strs = ['', 'a', 'é', '日本語のキー', 'user-1', 'user-1 with a longer tail to fill the arena quickly'];

describe('state keys held typed', () => {
  it('find, add and remove the keys a Map does, across commits and restarts into either layout', async () => {
    let seed = 7;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const keyOf = (): Cell[] => [rnd(8) === 0 ? null : `${strs[rnd(strs.length)]}#${rnd(200)}`, rnd(6) === 0 ? null : BigInt(rnd(3)) - 1n,
      [0, -0, 1.5, Number.NaN][rnd(4)]!, rnd(5) === 0 ? null : rnd(2) * 3_600_000];
    const text = (key: readonly Cell[], start: number) => JSON.stringify([...key, start], (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? 0 : Number.isNaN(v) ? 'NaN' : v));
    // Keys drawn from a pool, so that most rows meet a key again (and a third of those remove it).
    const pool = Array.from({ length: 150 }, () => ({ key: keyOf(), start: rnd(3) * 3_600_000 }));
    let removals = 0;
    const dir = tmpDir('state-typed-keys');
    const open = (typedKeys: boolean) => new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 3, { typedKeys });
    const store = open(true);
    expect(store.keyCols[0]).toBeInstanceOf(KeyBytes);
    const model = new Map<string, bigint>();
    // The keys and values of a store, as the model holds them (keys through keyCell, so either layout).
    const contents = (s: StateStore) => new Map([...s.slots()].map((slot) => {
      const cells = keySchema.fields.map((_, k) => s.keyCell(k, slot));
      return [text(cells.slice(0, 4), cells[4] as number), s.values[0]![slot] as bigint];
    }));
    for (let version = 0; version < 8; version++) {
      const n = 200, picks = Array.from({ length: n }, () => pool[rnd(pool.length)]!), keys = picks.map((p) => p.key), starts = picks.map((p) => p.start);
      const rows = new BatchKeys(keyTypes.map((t, k) => column(t, keys.map((c) => c[k]!))), keyTypes, n);
      for (let i = 0; i < n; i++) {
        // Four hashes in all, so that a probe compares the row with many keys, not just its own.
        const h = rowHash(rows, i, starts[i]) & 3, t = text(keys[i]!, starts[i]!);
        let slot = store.findRow(rows, i, h, starts[i]);
        expect(slot >= 0).toBe(model.has(t));
        // A third of the keys met are removed (some re-added in the same batch), the rest counted.
        if (slot >= 0 && rnd(3) === 0) { store.remove(slot); model.delete(t); removals++; continue; }
        if (slot < 0) { slot = store.insertRow(rows, i, h, starts[i]); store.values[0]![slot] = 0n; }
        store.values[0]![slot] = (store.values[0]![slot] as bigint) + 1n;
        store.touch(slot);
        model.set(t, (model.get(t) ?? 0n) + 1n);
      }
      expect(contents(store)).toEqual(model);
      await store.commit(version);
      // Every version restarts into both layouts with the same keys (snapshots every 3 versions, deltas between).
      for (const typed of [true, false]) {
        const again = open(typed);
        await again.load(version);
        expect(contents(again)).toEqual(model);
      }
    }
    expect(model.size).toBeGreaterThan(50);
    expect(removals).toBeGreaterThan(100);
  }, 60_000);

  it('a key column of bytes compacts its arena without moving any key', () => {
    const kb = new KeyBytes(T.string), n = 4000, keys = Array.from({ length: n }, (_, i) => `key-${i}-${'x'.repeat(i % 40)}`);
    kb.reserve(n);
    keys.forEach((k, s) => kb.setCell(s, k));
    const kept = (s: number) => s % 4 === 3;
    for (let s = 0; s < n; s++) if (!kept(s)) kb.free(s);
    const before = kb.used, arena = kb.arena.length;
    // New keys into the freed slots: the arena is mostly garbage, so it compacts instead of growing.
    for (let s = 0; s < n; s++) if (!kept(s)) kb.setCell(s, `new-${s}`);
    expect(kb.used).toBeLessThan(before);
    expect(kb.arena.length).toBeLessThanOrEqual(arena);
    keys.forEach((k, s) => expect(kb.cell(s)).toBe(kept(s) ? k : `new-${s}`));
  });

  it('gathers keys that lie in one run as a view of the arena, which later writes and compaction leave as it was', () => {
    const kb = new KeyBytes(T.string), n = 3000, keys = Array.from({ length: n }, (_, i) => `user-${i}`);
    kb.reserve(2 * n);
    keys.forEach((k, s) => kb.setCell(s, k));
    const strings = (d: ReturnType<KeyBytes['gather']>): (string | null)[] => Array.from({ length: d.length }, (_, r) => {
      const o = d.valueOffsets as Int32Array;
      return d.nullCount && !((d.nullBitmap![r >> 3]! >> (r & 7)) & 1) ? null : Buffer.from((d.values as Uint8Array).subarray(o[r]!, o[r + 1]!)).toString();
    });
    const all = kb.gather(Int32Array.from(keys, (_, s) => s));
    expect((all.values as Uint8Array).buffer).toBe(kb.arena.buffer);
    expect(strings(all)).toEqual(keys);
    // Slots out of the arena's order, or a run too small for the arena it would keep alive: copies.
    const reversed = kb.gather(Int32Array.from(keys, (_, s) => n - 1 - s));
    expect((reversed.values as Uint8Array).buffer).not.toBe(kb.arena.buffer);
    expect(strings(reversed)).toEqual([...keys].reverse());
    const few = kb.gather(Int32Array.of(10, 11, 12));
    expect((few.values as Uint8Array).buffer).not.toBe(kb.arena.buffer);
    expect(strings(few)).toEqual(['user-10', 'user-11', 'user-12']);
    // A null key in the run has no bytes, so the run goes on past it.
    kb.setCell(n, null); kb.setCell(n + 1, 'after-null');
    const withNull = kb.gather(Int32Array.from({ length: n + 2 }, (_, s) => s));
    expect((withNull.values as Uint8Array).buffer).toBe(kb.arena.buffer);
    expect(strings(withNull)).toEqual([...keys, null, 'after-null']);
    // Keys freed and written again, the arena grown and compacted: the view handed out is unchanged.
    for (let s = 0; s < n; s++) kb.free(s);
    for (let round = 0; round < 3; round++) for (let s = 0; s < n; s++) kb.setCell(s, `other-${round}-${s}-${'y'.repeat(s % 30)}`);
    expect(kb.arena.buffer).not.toBe((all.values as Uint8Array).buffer);
    expect(strings(all)).toEqual(keys);
    expect(strings(withNull)).toEqual([...keys, null, 'after-null']);
  });
});
