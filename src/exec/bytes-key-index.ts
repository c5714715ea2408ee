import type * as A from 'apache-arrow';
import { isValid } from '../data/batch.ts';
import { finish } from '../state/key-hash.ts';
import { sameBytes, viewOver } from '../util/byte-words.ts';

/**
 * A hash index over one string/binary key column, keyed by the value's bytes: the build side of a
 * join on one string key (ad_id -> campaign in YSB). Probing reads the probe column's bytes in
 * place, where a Map<string, row> needs a JS string per probed row (a third of a million 36-byte
 * strings per million YSB events, for the allocator and the GC to handle, plus hashing them).
 *
 * Open addressing (linear probing) over the distinct keys; each slot holds the first row with
 * its key, and `next` chains the others in row order (-1 ends), as the Map index did. Equal keys
 * are equal bytes, the 'bytes' join domain (no UTF-8 decoding).
 */
export class BytesKeyIndex {
  /** Row + 1 of each slot's first row (0 = empty). */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private readonly mask: number;
  /** Per build row: the next row with the same key, -1 at the end. */
  readonly next: Int32Array;
  private readonly bytes: DataView;
  private readonly offsets: Int32Array;

  /** Indexes rows [0, n) of `keys` (a null key is left out: it matches nothing, as in SQL). */
  constructor(keys: A.Data, n: number) {
    this.bytes = viewOver(keys.values as Uint8Array);
    this.offsets = keys.valueOffsets as Int32Array;
    let size = 16;
    while (size < n * 2) size <<= 1;
    this.mask = size - 1;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.next = new Int32Array(n).fill(-1);
    const nulls = keys.nullCount > 0, o = this.offsets, b = this.bytes;
    // Backwards, so each chain runs in row order.
    for (let r = n - 1; r >= 0; r--) {
      if (nulls && !isValid(keys, r)) continue;
      const s = o[r]!, e = o[r + 1]!, h = hashOf(b, s, e);
      let at = h & this.mask;
      for (;;) {
        const first = this.slots[at]! - 1;
        if (first < 0) { this.slots[at] = r + 1; this.hashes[at] = h; break; }
        if (this.hashes[at] === h && this.same(first, b, s, e)) { this.next[r] = first; this.slots[at] = r + 1; break; }
        at = (at + 1) & this.mask;
      }
    }
  }

  /** The first build row whose key is the bytes [s, e) of `b` (a view of the probe column's bytes: viewOver), or -1. */
  find(b: DataView, s: number, e: number): number {
    const h = hashOf(b, s, e);
    for (let at = h & this.mask; ; at = (at + 1) & this.mask) {
      const first = this.slots[at]! - 1;
      if (first < 0) return -1;
      if (this.hashes[at] === h && this.same(first, b, s, e)) return first;
    }
  }

  private same(row: number, b: DataView, s: number, e: number): boolean {
    const o = this.offsets, p = o[row]!;
    return o[row + 1]! - p === e - s && sameBytes(this.bytes, p, b, s, e - s);
  }
}

/**
 * FNV-1a over the bytes taken four at a time (a quarter of the multiplies of the byte loop on
 * 36-byte ids), then the state keys' avalanche (finish) so linear probing sees spread low bits.
 */
function hashOf(b: DataView, s: number, e: number): number {
  let h = 0x811c9dc5 | 0;
  for (; s + 4 <= e; s += 4) h = Math.imul(h ^ b.getInt32(s, true), 0x01000193);
  for (; s < e; s++) h = Math.imul(h ^ b.getUint8(s), 0x01000193);
  return finish(h);
}
