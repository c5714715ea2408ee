import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { open, type Database, type RootDatabaseOptionsWithPath } from 'lmdb';
import { StorageError } from '../../errors.ts';

/**
 * Where spilled state pages go: LMDB (the `lmdb` package), chosen by bench/state-stores.ts
 * (docs/design/state-spill.md): its reads are synchronous lookups in a memory map, which the
 * operators' synchronous per-row loop needs. One entry per page, keyed by its id (uint32). It
 * is a local cache in a fresh temp directory, never part of the checkpoint: a restart rebuilds
 * it from the state files. No fsync (noSync): a crash loses the cache, which the restart
 * rebuilds anyway.
 */
export class SpillDb {
  readonly dir: string;
  private readonly db: Database<Buffer, number>;

  /** `mapSize` caps the file (LMDB's map size). */
  constructor(mapSize = 2 ** 40) {
    this.dir = mkdtempSync(path.join(process.env.SLUICE_SPILL_DIR ?? tmpdir(), 'sluice-spill-'));
    // noReadAhead (MDB_NORDAHEAD, which open.js passes though lmdb's types leave it out): a read is
    // one random page, so the kernel's read-around would only map more of the file into RSS.
    // compression (lmdb's LZ4): the file's pages a read maps stay in RSS (412-486 MB at 10M
    // spilled rows once a batch reads every page). Measured on 300 pages of
    // bench/state-at-scale.ts's rows (90.7 KB each, load ~20): file 27.0 -> 9.4 MB and the RSS
    // mapped by reading them all 25.7 -> 8.9 MB; put 0.9-1.6 -> 2.5-9.2 ms a page, get 0.6-1.0 -> 0.8-2.1 ms.
    const options: RootDatabaseOptionsWithPath & { noReadAhead: boolean } = {
      path: this.dir, keyEncoding: 'uint32', encoding: 'binary', compression: true, noSync: true, mapSize, noReadAhead: true };
    this.db = open<Buffer, number>(options);
  }

  /**
   * A copy of page `id`'s bytes. Not getBinaryFast: the buffer it answers with (a view of a
   * shared 16 MB one) threw "offset is out of bounds" when copied with set() and took ~60 ms a
   * copy through slice() here, against ~0.2-0.4 ms for getBinary of an 88 KB page.
   */
  get(id: number): Uint8Array | undefined { return this.db.getBinary(id); }

  /** Remove `gone` and write `pages` in one transaction: all of it or, on error, none. */
  write(gone: readonly number[], pages: readonly (readonly [number, Uint8Array])[], rows: number): void {
    try {
      this.db.transactionSync(() => {
        for (const id of gone) this.db.removeSync(id);
        for (const [id, bytes] of pages) this.db.putSync(id, bytes as Buffer);
      });
    } catch (e) {
      throw new StorageError(`Spilling ${rows} state rows (${pages.length} pages) to the local store ${this.dir} failed (${(e as Error).message}): the disk is full or `
        + `not writable. The batch fails and is re-run on restart; free space there, point SLUICE_SPILL_DIR at a larger disk, or raise sluice.state.memoryBudget.`,
      'spill', '', this.dir, { cause: e });
    }
  }

  clear(): void { this.db.clearSync(); }

  close(): void {
    // A cache only: if it cannot be closed or removed, the next run makes a new one anyway.
    void this.db.close().then(() => rmSync(this.dir, { recursive: true, force: true })).catch(() => undefined);
  }
}
