// Snapshots written in the background (state/snapshot-writer.ts): the file a background snapshot
// writes is the one the batch itself would have written for that version, whatever the next
// batches change meanwhile (in place too), and a snapshot cut short by a crash is never loaded:
// the restart rebuilds the version from the deltas. Real store, real files on disk.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore, type StateStoreOptions } from '../src/state/state-store.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { types as T } from '../src/index.ts';
import type { Cell } from '../src/data/cells.ts';
import { tmpDir } from './support/tmp.ts';

const keySchema = T.struct({ user: T.string, start: T.timestamp });
// A list (collect_list's state) and a binary (HLL registers): cells operators change in place.
const valueSchema = T.struct({ total: T.double, items: T.array(T.long), regs: T.binary });
const open = (dir: string, o: StateStoreOptions = {}) => new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 2, o);

/** Batch v: 300 keys updated (some new), in place for the list and the bytes; every third key of the batch before removed. */
function runBatch(store: StateStore, v: number): void {
  for (let i = 0; i < 300; i++) {
    const key = [`user-${(v * 100 + i) % 700}`, 1_700_000_000_000 + (i % 7)];
    let slot = store.find(key);
    if (slot < 0) { slot = store.add(key); store.values[1]![slot] = []; store.values[2]![slot] = new Uint8Array(4); }
    store.values[0]![slot] = ((store.values[0]![slot] as number | null) ?? 0) + i * 0.5;
    (store.values[1]![slot] as Cell[]).push(BigInt(v));
    (store.values[2]![slot] as Uint8Array)[v % 4]! += 1;
    store.touch(slot);
  }
  for (let i = 0; i < 300; i += 3) {
    const slot = store.find([`user-${((v - 1) * 100 + i) % 700}`, 1_700_000_000_000 + (i % 7)]);
    if (slot >= 0) store.remove(slot);
  }
}

/** Every live key and its values, as comparable text. */
function contents(store: StateStore): string[] {
  const out: string[] = [];
  for (const s of store.slots()) out.push(JSON.stringify([...store.keys, ...store.values].map((c) => c[s]), (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x)));
  return out.sort();
}

async function runVersions(dir: string, versions: number, o: StateStoreOptions = {}): Promise<StateStore> {
  const store = open(dir, o);
  for (let v = 0; v < versions; v++) { runBatch(store, v); await store.commit(v); }
  await store.flush();
  return store;
}

describe('asynchronous state snapshots', () => {
  it('write the same snapshot files as the batch mode, though later batches change the store (in place too) while they are written', async () => {
    const inBatch = tmpDir('snap-batch'), background = tmpDir('snap-background');
    const a = await runVersions(inBatch, 9);
    const phases: string[] = [];
    const b = await runVersions(background, 9, { asyncSnapshots: true, onSnapshotPhase: (p, v) => { phases.push(`${p}:${v}`); } });
    const snapshots = (d: string) => readdirSync(d).filter((n) => n.endsWith('.snapshot')).sort();
    expect(snapshots(background)).toEqual(['2.snapshot', '4.snapshot', '6.snapshot', '8.snapshot']);
    expect(snapshots(background)).toEqual(snapshots(inBatch));
    for (const n of snapshots(inBatch)) expect(readFileSync(path.join(background, n)).equals(readFileSync(path.join(inBatch, n))), n).toBe(true);
    expect(phases).toContain('snapshotView:2');
    expect(phases).toContain('snapshotWritten:8');
    expect(contents(b)).toEqual(contents(a));
    // Each reloads to what the store held: one from 8.snapshot alone, one from 6.snapshot + 7.delta.
    for (const v of [7, 8]) {
      const r = open(background);
      await r.load(v);
      const want = open(inBatch);
      await want.load(v);
      expect(contents(r)).toEqual(contents(want));
      expect(r.size).toBeGreaterThan(300);
    }
    expect(b.takeSnapshotReports().map((r) => [r.version, r.writtenIn])).toEqual([[2, 'background'], [4, 'background'], [6, 'background'], [8, 'background']]);
    expect(a.takeSnapshotReports().map((r) => r.writtenIn)).toEqual(['batch', 'batch', 'batch', 'batch']);
  });

  it('a snapshot of more keys than one slice is written in slices (one record batch each) and reloads whole', async () => {
    const dir = tmpDir('snap-slices');
    const store = open(dir, { asyncSnapshots: true });
    for (let v = 0; v < 3; v++) {
      for (let i = 0; i < 20_000; i++) {
        const slot = store.add([`user-${v}-${i}`, 1_700_000_000_000 + v]);
        store.values[0]![slot] = i; store.values[1]![slot] = [BigInt(i)]; store.values[2]![slot] = Uint8Array.of(v);
      }
      await store.commit(v);
    }
    await store.flush();
    const file = tableFromIPC(readFileSync(path.join(dir, '2.snapshot')));
    expect(file.numRows).toBe(60_000);
    expect(file.batches.length).toBe(4);
    const r = open(dir);
    await r.load(2);
    expect(contents(r)).toEqual(contents(store));
  });

  it('a snapshot whose write stopped half way is never loaded: the restart rebuilds the version from the deltas', async () => {
    const dir = tmpDir('snap-cut'), want = tmpDir('snap-cut-want');
    // The hook fails the write where a SIGKILL would stop it: half the file is in its temp file, nothing under its name.
    const store = await runVersions(dir, 5, {
      asyncSnapshots: true,
      onSnapshotPhase: (p, v) => { if (p === 'snapshotHalfWritten' && v === 4) throw new Error('cut here'); },
    });
    const names = readdirSync(dir);
    expect(names).not.toContain('4.snapshot');
    const temp = names.filter((n) => n.startsWith('.4.snapshot.') && n.endsWith('.tmp'));
    expect(temp.length).toBe(1);
    expect(store.takeWarnings().join()).toMatch(/writing snapshot .*4\.snapshot failed \(cut here\); the deltas still hold every version/);
    // What the cut file holds: half a sealed snapshot, so no seal: loaded, it would fail the restart (state-damage.test.ts).
    const full = readFileSync(path.join((await runVersions(want, 5)).dir, '4.snapshot')).length;
    expect(statSync(path.join(dir, temp[0]!)).size).toBe(full >> 1);
    const r = open(dir);
    await r.load(4);
    const w = open(want);
    await w.load(4);
    expect(contents(r)).toEqual(contents(w));
  });

  it('a commit that finds the last snapshot still being written waits for it: one in flight at a time', { timeout: 60_000 }, async () => {
    const dir = tmpDir('snap-one');
    let release: () => void = () => undefined, inFlight = 0, most = 0;
    const store = open(dir, {
      asyncSnapshots: true,
      onSnapshotPhase: async (p, v) => {
        if (p === 'snapshotHalfWritten') { inFlight++; most = Math.max(most, inFlight); if (v === 2) await new Promise<void>((r) => { release = r; }); }
        if (p === 'snapshotWritten') inFlight--;
      },
    });
    for (let v = 0; v < 3; v++) { runBatch(store, v); await store.commit(v); }
    runBatch(store, 3);
    await store.commit(3);
    // Version 4 is due a snapshot while 2's is held half written: its commit waits.
    runBatch(store, 4);
    let committed = false;
    const c4 = store.commit(4).then(() => { committed = true; });
    await new Promise((r) => setTimeout(r, 200));
    expect(committed).toBe(false);
    release();
    await c4;
    await store.flush();
    expect(most).toBe(1);
    expect(readdirSync(dir).filter((n) => n.endsWith('.snapshot')).sort()).toEqual(['2.snapshot', '4.snapshot']);
  });
});
