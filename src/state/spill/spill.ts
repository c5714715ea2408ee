import type { Struct } from '../../data/types.ts';
import { SpillDb } from './spill-db.ts';
import { PageIndex } from './page-index.ts';
import { decodePage, type Page } from './spill-page.ts';

/** Rows a page holds: measured in bench/state-at-scale.ts --budget (docs/design/state-spill.md). */
export const PAGE_ROWS = 2048;
/** Pages written per LMDB transaction, so a spill never holds more than this many encoded pages at once. */
export const PAGES_PER_WRITE = 32;

/**
 * The part of a state store's rows that is not in memory (issue #15). The store keeps the slots
 * touched most recently in its columns; past `budget` bytes it moves the least recently touched
 * to LMDB in pages of PAGE_ROWS rows (spill-page.ts), each page one value. In memory stay only
 * a table from key hash to page (page-index.ts, ~12 bytes a spilled row), each page's row flags
 * and its smallest order key (the operator's event-time key, e.g. a window's start, so the
 * pages a watermark closes are found without reading any). A read-back takes one row out of its
 * page (its flag cleared); a page with no rows left is deleted at the next write.
 */
export class Spill {
  readonly db: SpillDb;
  private readonly index = new PageIndex();
  /** Per page id: its row flags (null: no such page), live row count and smallest order key. */
  private live: (Uint8Array | null)[] = [];
  private count: number[] = [];
  private minOrder: number[] = [];
  private freeIds: number[] = [];
  /** Pages emptied since the last write, deleted with the next one. */
  private gone: number[] = [];
  /** Pages read this batch (insertion order is recency), up to cacheBytes of them. */
  private cache = new Map<number, Page>();
  private cacheBytes = 0;
  private readonly cacheLimit: number;
  /** Rows spilled and not read back. */
  rows = 0;
  /** Pages read from LMDB since the store was made, and rows read back (progress and the bench). */
  pagesRead = 0;
  rowsReadBack = 0;
  /** Bumped at each commit; touchedAt[slot] is the epoch a slot was last written in (oldest spill first). */
  epoch = 1;
  touchedAt = new Uint32Array(1024);
  /** The state files' key-then-value schema the pages are written in (the store sets it). */
  schema: Struct | null = null;

  constructor(readonly budget: number, readonly orderKey: number | null, mapSize?: number) {
    this.db = new SpillDb(mapSize);
    // A batch spread over every spilled key reads each page once as long as they fit here.
    this.cacheLimit = Math.max(4 << 20, Math.floor(budget / 8));
  }

  touched(slot: number): void {
    if (slot >= this.touchedAt.length) { const t = new Uint32Array(Math.max(slot + 1, this.touchedAt.length * 2)); t.set(this.touchedAt); this.touchedAt = t; }
    this.touchedAt[slot] = this.epoch;
  }

  /** The store renumbered its slots: slot `order[j]` is now slot j. */
  renumber(order: Int32Array, capacity: number): void {
    const t = new Uint32Array(capacity);
    for (let j = 0; j < order.length; j++) t[j] = this.touchedAt[order[j]!]!;
    this.touchedAt = t;
  }

  /** Bytes held in memory for the spilled rows (index, flags, page cache, touch epochs). */
  bytes(): number {
    return this.index.bytes + this.touchedAt.byteLength + this.live.length * 24 + this.rows + this.cacheBytes;
  }

  /**
   * The `n` least recently touched of the slots below `high` with live[s] set and dirty[s]
   * clear, oldest first: a count of slots per epoch finds the cut, one more pass takes them.
   */
  coldest(live: Uint8Array, dirty: Uint8Array, high: number, n: number): Int32Array {
    if (n <= 0) return new Int32Array(0);
    const t = this.touchedAt, perEpoch = new Map<number, number>();
    for (let s = 0; s < high; s++) if (live[s] === 1 && dirty[s] !== 1) perEpoch.set(t[s]!, (perEpoch.get(t[s]!) ?? 0) + 1);
    let cut = -1, before = 0, atCut = 0;
    for (const e of [...perEpoch.keys()].sort((a, b) => a - b)) {
      const c = perEpoch.get(e)!;
      if (before + c >= n) { cut = e; atCut = n - before; break; }
      before += c;
    }
    if (cut < 0) { cut = Infinity; atCut = 0; }
    const out = new Int32Array(Math.min(n, before + atCut));
    let k = 0;
    for (let s = 0; s < high && k < out.length; s++) {
      if (live[s] !== 1 || dirty[s] === 1) continue;
      const e = t[s]!;
      if (e < cut) out[k++] = s; else if (e === cut && atCut > 0) { out[k++] = s; atCut--; }
    }
    return out;
  }

  /**
   * Write encoded pages (rows, their sorted hashes, smallest order key) and delete emptied ones,
   * in one transaction: on a full disk it throws a StorageError and nothing is spilled.
   */
  write(pages: readonly { bytes: Uint8Array; hashes: Int32Array; minOrder: number }[]): void {
    const reuse = Math.min(this.freeIds.length, pages.length), ids = this.freeIds.slice(this.freeIds.length - reuse);
    for (let next = this.live.length; ids.length < pages.length;) ids.push(next++);
    const rows = pages.reduce((n, p) => n + p.hashes.length, 0);
    this.db.write(this.gone, pages.map((p, i) => [ids[i]!, p.bytes] as const), rows);
    this.freeIds.length -= reuse;
    for (const id of this.gone) { this.live[id] = null; this.freeIds.push(id); }
    this.gone = [];
    pages.forEach((p, i) => {
      const id = ids[i]!, n = p.hashes.length;
      this.live[id] = new Uint8Array(n).fill(1); this.count[id] = n; this.minOrder[id] = p.minOrder;
      for (let r = 0; r < n; r++) this.index.add(p.hashes[r]!, id);
    });
    this.rows += rows;
  }

  /** The pages that may hold a key with hash `h` (into `out`). */
  pagesOf(h: number, out: number[]): number[] { return this.rows ? this.index.find(h, out) : (out.length = 0, out); }

  /** Pages holding a row whose order key may be at most `max`. */
  pagesUpTo(max: number): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.live.length; id++) if (this.live[id] && this.count[id]! > 0 && this.minOrder[id]! <= max) out.push(id);
    return out;
  }

  /** After a watermark's read-back: the smallest order key left in page `id`. */
  setMinOrder(id: number, v: number): void { this.minOrder[id] = v; }

  /** Page `id`, read once per batch while the cache has room. */
  page(id: number): Page {
    const hit = this.cache.get(id);
    if (hit) { this.cache.delete(id); this.cache.set(id, hit); return hit; }
    const bytes = this.db.get(id);
    if (!bytes) throw new Error(`Spill store ${this.db.dir}: page ${id} is missing`);
    const page = decodePage(id, this.schema!, bytes, this.live[id]!);
    this.pagesRead++;
    this.cache.set(id, page); this.cacheBytes += page.bytes;
    for (const [old, p] of this.cache) {
      if (this.cacheBytes <= this.cacheLimit || old === id) break;
      this.cache.delete(old); this.cacheBytes -= p.bytes;
    }
    return page;
  }

  /** Row r of page `id` is back in memory: off the index, and the page is deleted once empty. */
  take(id: number, r: number, h: number): void {
    this.live[id]![r] = 0;
    this.index.delete(h, id);
    this.rows--; this.rowsReadBack++;
    if (--this.count[id]! === 0) {
      this.gone.push(id);
      const p = this.cache.get(id);
      if (p) { this.cache.delete(id); this.cacheBytes -= p.bytes; }
    }
  }

  /** Every page with rows still spilled, read one at a time (a snapshot's spilled part). */
  *pages(): IterableIterator<Page> {
    for (let id = 0; id < this.live.length; id++) {
      const live = this.live[id];
      if (!live || this.count[id] === 0) continue;
      yield decodePage(id, this.schema!, this.db.get(id)!, live);
    }
  }

  /** End of a batch: the pages read for it go (they would only hold memory until the next). */
  endBatch(): void {
    this.cache.clear(); this.cacheBytes = 0;
    this.epoch++;
  }

  /** Drop every spilled row (the store reloads a version from the checkpoint). */
  reset(): void {
    this.db.clear();
    this.index.clear();
    this.live = []; this.count = []; this.minOrder = []; this.freeIds = []; this.gone = [];
    this.cache.clear(); this.cacheBytes = 0; this.rows = 0;
    this.touchedAt = new Uint32Array(1024);
  }

  close(): void { this.db.close(); }
}
