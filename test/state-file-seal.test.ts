/** The sealed writer's parts make the same bytes as the two-copy path it replaced, so files written before and after read alike. */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SealedStreamWriter, openStateFile, sealStateFile } from '../src/state/state-file-seal.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { mulberry32 } from './support/prng.ts';
import { tmpDir } from './support/tmp.ts';
import path from 'node:path';

const table = (rows: number, batches: number): A.Table => {
  const parts = Array.from({ length: batches }, (_, b) => new A.Table({
    k: A.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : `user-${b}-${i}`)), new A.Utf8()),
    v: A.vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i * 1.5 + b)),
  }).batches[0]!);
  return new A.Table(parts);
};

describe('SealedStreamWriter', () => {
  it.each([[1000, 1], [333, 3], [0, 1]])('%i rows in %i batches: the bytes of sealStateFile(tableToIPC(...)), and they open and read back', (rows, batches) => {
    const t = table(rows, batches);
    const w = new SealedStreamWriter().start(t.schema);
    for (const b of t.batches) w.write(b);
    const bytes = Buffer.concat(w.sealedParts());
    expect(Buffer.from(bytes).equals(Buffer.from(sealStateFile(A.tableToIPC(t, 'stream'))))).toBe(true);
    const opened = openStateFile(bytes);
    if (!('ipc' in opened)) throw new Error(opened.damage);
    const back = A.tableFromIPC(opened.ipc);
    expect(back.numRows).toBe(rows * batches);
    if (rows) expect([back.getChild('k')!.get(1), back.getChild('v')!.get(rows * batches - 1)]).toEqual([`user-0-1`, (rows - 1) * 1.5 + batches - 1]);
  });

  it('started by its first batch (no start()), as the snapshot writer uses it', () => {
    const t = table(50, 2), w = new SealedStreamWriter();
    for (const b of t.batches) w.write(b);
    expect(Buffer.concat(w.sealedParts()).equals(Buffer.from(sealStateFile(A.tableToIPC(t, 'stream'))))).toBe(true);
  });

  it('its parts, written by the local storage (writev, 256 parts at a time), are the file', async () => {
    const t = table(2000, 3), w = new SealedStreamWriter().start(t.schema);
    for (const b of t.batches) w.write(b);
    const parts = w.sealedParts(), file = path.join(tmpDir('sealed-parts'), '1.delta'), storage = new LocalStorage();
    await storage.write(file, parts);
    expect(Buffer.from((await storage.read(file))!).equals(Buffer.from(sealStateFile(A.tableToIPC(t, 'stream'))))).toBe(true);
    // many parts, some empty: more than one writev
    const rnd = mulberry32(5), many = Array.from({ length: 1000 }, (_, i) => Uint8Array.from({ length: i % 9 === 0 ? 0 : 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
    await storage.write(file, many);
    expect(Buffer.from((await storage.read(file))!).equals(Buffer.concat(many))).toBe(true);
  });
});
