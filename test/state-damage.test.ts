// A state file that is cut short or corrupt fails the restart with a CheckpointError naming the file
// and the versions that can still be rebuilt; it never loads wrong or partial state. Files are
// damaged on disk the way a crash or a bad disk would, then loaded by the real store.
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../src/state/state-store.ts';
import { encodeCells } from '../src/state/key-encoding.ts';
import { readStateAt } from '../src/state/state-reader.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { CheckpointError } from '../src/errors.ts';
import { types as T } from '../src/index.ts';
import { tmpDir } from './support/tmp.ts';

const keySchema = T.struct({ user: T.string, start: T.timestamp });
const valueSchema = T.struct({ total: T.double, n: T.long });
const types = keySchema.fields.map((f) => f.type);
const open = () => new StateStore(new LocalStorage(), dir, keySchema, valueSchema, 2);
let dir = '';

/** Versions 0..3 of 200 keys each, a snapshot at 2: 0.delta 1.delta 2.delta 2.snapshot 3.delta. */
async function writeVersions(): Promise<void> {
  dir = tmpDir('state-damage');
  const store = open();
  for (let v = 0; v < 4; v++) {
    for (let i = 0; i < 200; i++) {
      const cells = [`user-${v}-${i}`, 1_700_000_000_000 + i];
      const slot = store.insert(encodeCells(cells, types), cells);
      store.values[0]![slot] = i * 1.5; store.values[1]![slot] = BigInt(i);
    }
    await store.commit(v);
  }
}

const file = (name: string) => path.join(dir, name);
const damage = (name: string, f: (b: Buffer) => Buffer) => writeFileSync(file(name), f(readFileSync(file(name))));

async function loadFails(version: number): Promise<CheckpointError> {
  const store = open();
  const err = await store.load(version).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(CheckpointError);
  expect(store.size).toBe(0); // nothing half-loaded is left behind
  return err as CheckpointError;
}

describe('damaged state files', () => {
  it('a delta cut short at an Arrow message boundary (which Arrow alone reads as fewer rows) fails, naming the file and the readable versions', async () => {
    await writeVersions();
    // The seal (16 bytes) and Arrow's end-of-stream marker (8 bytes) go: what is left is whole Arrow messages.
    damage('3.delta', (b) => b.subarray(0, b.length - 24));
    const err = await loadFails(3);
    expect(err.message).toContain(`State file ${file('3.delta')} is damaged`);
    expect(err.message).toContain('cut short');
    expect(err.message).toContain('Versions that can be rebuilt without it: 0..2.');
    // The versions named really do load.
    const store = open();
    await store.load(2);
    expect(store.size).toBe(600);
  });

  it('a delta cut in the middle of a message fails', async () => {
    await writeVersions();
    damage('1.delta', (b) => b.subarray(0, Math.floor(b.length / 2)));
    const err = await loadFails(1);
    expect(err.message).toContain(file('1.delta'));
    expect(err.message).toContain('Versions that can be rebuilt without it: 0, 2..3.');
  });

  it('one flipped bit in a value fails the checksum instead of loading a wrong total', async () => {
    await writeVersions();
    // The last 16 bytes are the seal and 8 before them the end-of-stream marker; flip a byte of the data before.
    damage('3.delta', (b) => { const c = Buffer.from(b); c[c.length - 40]! ^= 0x01; return c; });
    const err = await loadFails(3);
    expect(err.message).toMatch(/CRC-32 is 0x[0-9a-f]{8} but its seal records 0x[0-9a-f]{8}/);
  });

  it('a damaged snapshot names the versions rebuilt without it (the deltas before it still rebuild 0..3)', async () => {
    await writeVersions();
    damage('2.snapshot', (b) => { const c = Buffer.from(b); c.fill(0, 100, 140); return c; });
    const err = await loadFails(3);
    expect(err.message).toContain(file('2.snapshot'));
    expect(err.message).toContain('Versions that can be rebuilt without it: 0..1.');
  });

  it('a state file of another operator (other columns) in the directory fails instead of being read by position', async () => {
    await writeVersions();
    const other = tmpDir('state-damage-other');
    const store = new StateStore(new LocalStorage(), other, T.struct({ id: T.long }), T.struct({ seen: T.timestamp }), 2);
    store.values[0]![store.insert('1', [1n])] = 5;
    await store.commit(0);
    copyFileSync(path.join(other, '0.delta'), file('1.delta'));
    const err = await loadFails(1);
    expect(err.message).toContain('its columns are (id, seen, __deleted)');
  });

  it('the checkpoint tools (sluice checkpoint state) fail the same way', async () => {
    await writeVersions();
    damage('3.delta', (b) => b.subarray(0, b.length - 24));
    await expect(readStateAt(new LocalStorage(), dir, 3, 2)).rejects.toThrow(/3\.delta is damaged: .*cut short.*rebuilt without it: 0\.\.2\./);
  });
});
