/**
 * An open-addressing hash index from key hashes to slots (linear probing, as arquero's and
 * DataFusion's group-by tables): one Int32Array of `slot + 1` (0 is empty) kept at most half
 * full, and each slot's hash in another, so a probe compares keys only when the hashes are
 * equal and a resize never rehashes a key. Deletion shifts later entries back instead of
 * leaving tombstones, so evicting windows never slows later probes.
 */
export class SlotIndex {
  table = new Int32Array(1024);
  mask = 1023;
  /** The hash of each slot in the index. */
  hashOf = new Int32Array(1024);
  size = 0;

  clear(): void {
    this.table = new Int32Array(1024); this.mask = 1023; this.size = 0;
  }

  /** Add `slot` (not in the index) with hash `h`. */
  add(slot: number, h: number): void {
    if (slot >= this.hashOf.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.hashOf.length * 2));
      grown.set(this.hashOf);
      this.hashOf = grown;
    }
    this.hashOf[slot] = h;
    if (2 * (this.size + 1) > this.table.length) this.resize(this.table.length * 2);
    this.place(slot, h);
    this.size++;
  }

  /** Make room for `n` more slots at once (a state file's rows), instead of doubling step by step. */
  reserve(n: number): void {
    let len = this.table.length;
    while (2 * (this.size + n) > len) len *= 2;
    if (len > this.table.length) this.resize(len);
  }

  /** Remove `slot`, which must be in the index. */
  delete(slot: number): void {
    const t = this.table, m = this.mask;
    let p = this.hashOf[slot]! & m;
    while (t[p] !== slot + 1) p = (p + 1) & m;
    // Backward-shift: move up every later entry of the run that may not sit behind the gap.
    let gap = p;
    for (let q = (p + 1) & m; t[q] !== 0; q = (q + 1) & m) {
      const home = this.hashOf[t[q]! - 1]! & m;
      // Entry q may move to the gap unless its home lies cyclically in (gap, q].
      if (gap <= q ? home <= gap || home > q : home <= gap && home > q) { t[gap] = t[q]!; gap = q; }
    }
    t[gap] = 0;
    this.size--;
  }

  private place(slot: number, h: number): void {
    const t = this.table, m = this.mask;
    let p = h & m;
    while (t[p] !== 0) p = (p + 1) & m;
    t[p] = slot + 1;
  }

  private resize(n: number): void {
    const old = this.table;
    this.table = new Int32Array(n); this.mask = n - 1;
    for (let p = 0; p < old.length; p++) { const e = old[p]!; if (e !== 0) this.place(e - 1, this.hashOf[e - 1]!); }
  }
}
