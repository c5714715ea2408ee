// The state key of a row is built in one place (state/key-encoding.ts): the key a batch builds from
// Arrow columns must equal the key rebuilt from a state file's cells after a restart, for every key
// type, an empty string and null included; otherwise a restarted query counts a group twice.
import { describe, expect, it } from 'vitest';
import * as T from '../src/data/types.ts';
import { cellWriter, type Cell } from '../src/data/cells.ts';
import { encodeCells, keyParts, rowKey, windowKey } from '../src/state/key-encoding.ts';
import { isEvicted, isLate } from '../src/exec/watermark-rule.ts';
import { BatchKeys, hashCells, rowHash } from '../src/state/key-hash.ts';
import { StateStore } from '../src/state/state-store.ts';
import { NumberKeys } from '../src/state/key-columns.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { tmpDir } from './support/tmp.ts';

const column = (type: T.DataType, cells: Cell[]) => {
  const w = cellWriter(type, cells.length);
  for (const c of cells) w.push(c);
  return w.finish();
};

describe('state keys', () => {
  const types: T.DataType[] = [T.string, T.long, T.int, T.boolean, T.double];
  const rows: Cell[][] = [
    ['', 1n, 1, true, 1.5],
    ['é€😀', -5n, 0, false, -0.25],
    [null, null, null, null, null],
    ['a\u0001b', 2n ** 62n, 2147483647, true, 1e300],
  ];
  const parts = types.map((t, k) => keyParts(column(t, rows.map((r) => r[k]!)), t, rows.length));

  it('a row key from columns equals the key encoded from its cells', () => {
    rows.forEach((r, i) => expect(rowKey(parts, i)).toBe(encodeCells(r, types)));
    rows.forEach((r, i) => expect(rowKey([parts[0]!], i)).toBe(encodeCells([r[0]!], [T.string])));
  });

  it('a window key is the group key with the window start as its last key column', () => {
    rows.forEach((r, i) => expect(windowKey(rowKey(parts, i), true, 60_000)).toBe(encodeCells([...r, 60_000], [...types, T.timestamp])));
    // A session or window keyed by an empty string is still a keyed window (it was once keyed as the ungrouped one).
    expect(windowKey('', true, 5)).toBe(encodeCells(['', 5], [T.string, T.timestamp]));
    expect(windowKey('', false, 5)).toBe(encodeCells([5], [T.timestamp]));
  });
});

describe('the watermark rule (DESIGN §6)', () => {
  const w = { lateMs: 10_000, evictMs: 20_000, defined: true };
  it('late iff the bound is at or before W(N-1); evicted iff at or before W(N)', () => {
    expect([isLate(9_999, w), isLate(10_000, w), isLate(10_001, w)]).toEqual([true, true, false]);
    expect([isEvicted(19_999, w), isEvicted(20_000, w), isEvicted(20_001, w)]).toEqual([true, true, false]);
  });
  it('nothing is late or evicted without a watermark', () => {
    const none = { lateMs: 0, evictMs: 0, defined: false };
    expect([isLate(-1, none), isEvicted(-1, none)]).toEqual([false, false]);
  });
});

describe('state key hashes (state/key-hash.ts)', () => {
  const types: T.DataType[] = [T.string, T.long, T.int, T.boolean, T.double, T.timestamp, T.binary, T.date];
  const rows: Cell[][] = [
    ['', 1n, 1, true, 1.5, 0, new Uint8Array([]), 0],
    ['é€😀', -5n, 0, false, -0.25, -1, new Uint8Array([0, 255]), -3],
    [null, null, null, null, null, null, null, null],
    ['a\u0001b', 2n ** 62n, 2147483647, true, Number.NaN, Date.UTC(2024, 0, 1), new Uint8Array([1]), 19000],
    ['plain', -(2n ** 63n), -1, false, -0, 2 ** 52, new Uint8Array([9, 9]), 1],
  ];
  const cols = types.map((t, k) => column(t, rows.map((r) => r[k]!)));
  const batch = new BatchKeys(cols, types, rows.length);

  it('a row hashed from Arrow columns has the hash of its cells (what a restart rebuilds the index from)', () => {
    rows.forEach((r, i) => expect(rowHash(batch, i)).toBe(hashCells(r, types)));
    // With a window start folded in as the last key column.
    rows.forEach((r, i) => expect(rowHash(batch, i, 3_600_000)).toBe(hashCells([...r, 3_600_000], [...types, T.timestamp])));
  });

  it('a row equals its own cells, decodes to them, and differs from every other row', () => {
    rows.forEach((r, i) => types.forEach((_, k) => {
      expect(batch.equals(i, k, r[k]!)).toBe(true);
      expect(batch.cell(i, k)).toEqual(r[k]);
      rows.forEach((o, j) => { if (j !== i && encodeCells([o[k]!], [types[k]!]) !== encodeCells([r[k]!], [types[k]!])) expect(batch.equals(i, k, o[k]!)).toBe(false); });
    }));
    // -0 is 0, as in the string encoding.
    expect(batch.equals(4, 4, 0)).toBe(true);
  });

  it('the store finds a key by row, by cells and by its string, after a reload too', async () => {
    const dir = tmpDir('state-keys-store');
    const keySchema = T.struct(types.map((type, k) => ({ name: `k${k}`, type, nullable: true })));
    const open = () => new StateStore(new LocalStorage(), dir, keySchema, T.struct([{ name: 'v', type: T.long, nullable: true }]), 10);
    const store = open();
    rows.forEach((_, i) => { const h = rowHash(batch, i); expect(store.findRow(batch, i, h)).toBe(-1); store.values[0]![store.insertRow(batch, i, h)] = BigInt(i); });
    await store.commit(0);
    for (const s of [store, open()]) {
      if (s !== store) await s.load(0);
      rows.forEach((r, i) => {
        const slot = s.find(r);
        expect(s.values[0]![slot]).toBe(BigInt(i));
        expect(s.findRow(batch, i, rowHash(batch, i))).toBe(slot);
        expect(s.lookup(encodeCells(r, types))).toBe(slot);
      });
    }
  });
});

describe('number key columns (state/key-columns.ts)', () => {
  it('a long key reads and writes as a number, like a double or timestamp key; null is NaN', () => {
    for (const type of [T.long, T.double, T.timestamp]) {
      const k = new NumberKeys(type);
      k.reserve(4);
      k.setNumber(0, 1_704_067_200_000);
      k.setNumber(1, -7);
      expect([k.number(0), k.number(1), k.number(2)]).toEqual([1_704_067_200_000, -7, NaN]);
    }
  });
});
