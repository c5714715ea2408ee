// Files of a checkpoint on local disk: the logs' purge, and the directories local storage makes.
import { describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MetadataLog } from '../src/checkpoint/metadata-log.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { tmpDir } from './support/tmp.ts';

/** Real local storage that counts its directory listings. */
class CountingStorage extends LocalStorage {
  lists = 0;
  override async list(dir: string): Promise<string[]> { this.lists++; return super.list(dir); }
}

describe('MetadataLog.purge', () => {
  it('lists once, then removes by name only the ids that fell below the bound since the last purge', async () => {
    const dir = tmpDir('purge'), storage = new CountingStorage(), log = new MetadataLog(storage, dir, 'Offset log entry');
    for (let id = 0; id < 6; id++) await log.add(id, `v1\n${id}`);
    await log.purge(3);
    expect(readdirSync(dir).sort()).toEqual(['3', '4', '5']);
    expect(storage.lists).toBe(1);
    // A file below the last bound that appears later (none do in a query) is past the purge: it was already gone.
    writeFileSync(path.join(dir, '1'), 'x');
    await log.add(6, 'v1\n6');
    await log.purge(5);
    await log.purge(5);
    expect(readdirSync(dir).sort()).toEqual(['1', '5', '6']);
    expect(storage.lists).toBe(1);
    // A bound that skips ids (a purge that was queued behind another) still removes every one of them.
    await log.add(7, 'v1\n7');
    await log.add(8, 'v1\n8');
    await log.purge(8);
    expect(readdirSync(dir).sort()).toEqual(['1', '8']);
    expect(await log.latestId()).toBe(8);
  });
});

describe('LocalStorage directories', () => {
  it('makes a directory once, and again when it was removed since', async () => {
    const storage = new LocalStorage(), root = tmpDir('dirs'), file = path.join(root, 'a', 'b', '0');
    await storage.write(file, new TextEncoder().encode('one'));
    rmSync(path.join(root, 'a'), { recursive: true });
    await storage.write(file, new TextEncoder().encode('two'));
    expect(await storage.create(path.join(root, 'a', 'b', '1'), new TextEncoder().encode('three'))).toBe(true);
    rmSync(path.join(root, 'a'), { recursive: true });
    expect(await storage.create(path.join(root, 'a', 'b', '1'), new TextEncoder().encode('four'))).toBe(true);
    expect(readdirSync(path.join(root, 'a', 'b')).sort()).toEqual(['1']);
    expect(new TextDecoder().decode((await storage.read(path.join(root, 'a', 'b', '1')))!)).toBe('four');
  });
});
