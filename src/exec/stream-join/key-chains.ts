/**
 * The first and last state slot of each join key hash's chain, in an open-addressing table of
 * int32 hashes (linear probing, as state/slot-index.ts). A Map<number, number> here was a fifth
 * of the join's time where every key is new and soon evicted (ad impressions joined to clicks):
 * each row set and deleted two entries. An emptied chain keeps its entry (head -1) for the next
 * row of that hash; the table is rebuilt without them when they outnumber the live chains.
 */
export class KeyChains {
  private hash = new Int32Array(1024);
  /** Per entry: the chain's first and last slot; -1: an empty chain; `used` 0: a free entry. */
  head = new Int32Array(1024);
  tail = new Int32Array(1024);
  private used = new Uint8Array(1024);
  private mask = 1023;
  private entries = 0;
  private live = 0;

  clear(): void {
    this.hash = new Int32Array(1024); this.head = new Int32Array(1024); this.tail = new Int32Array(1024);
    this.used = new Uint8Array(1024); this.mask = 1023; this.entries = 0; this.live = 0;
  }

  /** The entry of hash `h`, or -1. */
  find(h: number): number {
    const used = this.used, hash = this.hash, m = this.mask;
    for (let p = h & m; used[p] === 1; p = (p + 1) & m) if (hash[p] === h) return p;
    return -1;
  }

  /** The first slot of `h`'s chain, or -1. */
  first(h: number): number {
    const e = this.find(h);
    return e < 0 ? -1 : this.head[e]!;
  }

  /** Append `slot` to `h`'s chain; returns the slot it follows, or -1 (it starts the chain). */
  append(h: number, slot: number): number {
    let e = this.find(h);
    if (e < 0) {
      if (2 * (this.entries + 1) > this.hash.length) this.rebuild();
      e = h & this.mask;
      while (this.used[e] === 1) e = (e + 1) & this.mask;
      this.used[e] = 1; this.hash[e] = h; this.head[e] = -1; this.entries++;
    }
    const last = this.head[e]! < 0 ? -1 : this.tail[e]!;
    if (last < 0) { this.head[e] = slot; this.live++; }
    this.tail[e] = slot;
    return last;
  }

  /** `slot` left `h`'s chain: `prev` and `next` are its neighbours (-1: none). */
  unlink(h: number, prev: number, next: number): void {
    const e = this.find(h);
    if (prev < 0) { this.head[e] = next; if (next < 0) this.live--; }
    if (next < 0 && prev >= 0) this.tail[e] = prev;
  }

  /** Twice the live chains' room, without the empty ones. */
  private rebuild(): void {
    const { hash, head, tail, used } = this;
    let len = 1024;
    while (len < 4 * (this.live + 1)) len *= 2;
    this.hash = new Int32Array(len); this.head = new Int32Array(len); this.tail = new Int32Array(len);
    this.used = new Uint8Array(len); this.mask = len - 1; this.entries = 0;
    for (let p = 0; p < used.length; p++) {
      if (used[p] !== 1 || head[p]! < 0) continue;
      let e = hash[p]! & this.mask;
      while (this.used[e] === 1) e = (e + 1) & this.mask;
      this.used[e] = 1; this.hash[e] = hash[p]!; this.head[e] = head[p]!; this.tail[e] = tail[p]!; this.entries++;
    }
  }
}
