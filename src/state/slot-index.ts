/**
 * An open-addressing hash index from key hashes to slots (linear probing, as arquero's and
 * DataFusion's group-by tables): one Int32Array of (`slot + 1`, hash) pairs (slot 0: empty) kept
 * at most half full, so a probe compares keys only when the hashes are equal, reads the hash
 * from the cache line it already has (a separate array by slot was one more cache miss per
 * probe: profiled on 1M keys), and a resize never rehashes a key. Each slot's hash is also kept
 * by slot, for delete. Deletion shifts later entries back instead of leaving tombstones, so
 * evicting windows never slows later probes.
 */
export class SlotIndex {
  /** Entry p is table[2p] (slot + 1, 0: empty) and table[2p + 1] (its hash). */
  table = new Int32Array(2048);
  /** Entries - 1. */
  mask = 1023;
  /** The hash of each slot in the index. */
  hashOf = new Int32Array(1024);
  size = 0;

  clear(): void {
    this.table = new Int32Array(2048); this.mask = 1023; this.size = 0;
  }

  /** Add `slot` (not in the index) with hash `h`. */
  add(slot: number, h: number): void {
    if (slot >= this.hashOf.length) this.reserveSlots(Math.max(slot + 1, this.hashOf.length * 2));
    this.hashOf[slot] = h;
    if (2 * (this.size + 1) > this.mask + 1) this.resize(2 * (this.mask + 1));
    this.place(slot + 1, h);
    this.size++;
  }

  /** Room in hashOf for slots below `n`. */
  reserveSlots(n: number): void {
    if (n <= this.hashOf.length) return;
    const grown = new Int32Array(n);
    grown.set(this.hashOf);
    this.hashOf = grown;
  }

  /** Make room for `n` more slots at once (a state file's rows), instead of doubling step by step. */
  reserve(n: number): void {
    let len = this.mask + 1;
    while (2 * (this.size + n) > len) len *= 2;
    if (len > this.mask + 1) this.resize(len);
  }

  /**
   * Renumber: slot `order[j]` becomes slot j (`order` ascending, every slot in the index), with
   * the table and hashOf sized for order.length: what a store does after a spill left most slots empty.
   */
  compact(order: Int32Array, capacity: number): void {
    const old = this.hashOf;
    this.hashOf = new Int32Array(capacity);
    let len = 1024;
    while (2 * order.length > len) len *= 2;
    this.table = new Int32Array(2 * len); this.mask = len - 1;
    for (let j = 0; j < order.length; j++) { const h = old[order[j]!]!; this.hashOf[j] = h; this.place(j + 1, h); }
  }

  /** Remove `slot`, which must be in the index. */
  delete(slot: number): void {
    const t = this.table, m = this.mask;
    let p = this.hashOf[slot]! & m;
    while (t[2 * p] !== slot + 1) p = (p + 1) & m;
    // Backward-shift: move up every later entry of the run that may not sit behind the gap.
    let gap = p;
    for (let q = (p + 1) & m; t[2 * q] !== 0; q = (q + 1) & m) {
      const home = t[2 * q + 1]! & m;
      // Entry q may move to the gap unless its home lies cyclically in (gap, q].
      if (gap <= q ? home <= gap || home > q : home <= gap && home > q) { t[2 * gap] = t[2 * q]!; t[2 * gap + 1] = t[2 * q + 1]!; gap = q; }
    }
    t[2 * gap] = 0;
    this.size--;
  }

  private place(entry: number, h: number): void {
    const t = this.table, m = this.mask;
    let p = h & m;
    while (t[2 * p] !== 0) p = (p + 1) & m;
    t[2 * p] = entry; t[2 * p + 1] = h;
  }

  private resize(n: number): void {
    const old = this.table;
    this.table = new Int32Array(2 * n); this.mask = n - 1;
    for (let p = 0; p < old.length; p += 2) { const e = old[p]!; if (e !== 0) this.place(e, old[p + 1]!); }
  }
}
