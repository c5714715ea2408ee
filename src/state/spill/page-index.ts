/**
 * Which spill pages hold a key: an open-addressing table of (key hash, page id) pairs, linear
 * probing, at most 3/4 full (~8-12 bytes a spilled key). Page ids are 16-bit until a page id
 * passes 65534 (134M rows spilled), then 32-bit: at 10M spilled rows the table has 2^24 entries,
 * 100 MB against 134 with 32-bit ids (docs/design/state-spill.md). A hash may appear
 * more than once (two keys with one hash, in one page or two); a lookup yields every page its
 * hash is in and the page's own sorted hashes and key columns settle it. A JS Map of 10M
 * entries would cost ~5x this and stops at 2^24 entries.
 */
export class PageIndex {
  private hashes = new Int32Array(1024);
  /** Page id + 1 (0 is empty). */
  private pages: Uint16Array | Int32Array = new Uint16Array(1024);
  private mask = 1023;
  size = 0;

  get bytes(): number { return this.hashes.byteLength + this.pages.byteLength; }

  clear(): void { this.hashes = new Int32Array(1024); this.pages = new Uint16Array(1024); this.mask = 1023; this.size = 0; }

  add(h: number, page: number): void {
    if (page + 1 > 0xffff && this.pages instanceof Uint16Array) this.pages = Int32Array.from(this.pages);
    if (4 * (this.size + 1) > 3 * this.pages.length) this.resize(this.pages.length * 2);
    this.place(h, page + 1);
    this.size++;
  }

  /** The pages that hold hash `h`, into `out` (cleared first). */
  find(h: number, out: number[]): number[] {
    out.length = 0;
    const hs = this.hashes, ps = this.pages, m = this.mask;
    for (let p = h & m; ps[p] !== 0; p = (p + 1) & m) if (hs[p] === h) out.push(ps[p]! - 1);
    return out;
  }

  /** Remove one (h, page) pair, which must be there. */
  delete(h: number, page: number): void {
    const hs = this.hashes, ps = this.pages, m = this.mask;
    let p = h & m;
    while (!(hs[p] === h && ps[p] === page + 1)) p = (p + 1) & m;
    // Backward shift (as slot-index.ts): no tombstones, so probes stay short as pages come back.
    let gap = p;
    for (let q = (p + 1) & m; ps[q] !== 0; q = (q + 1) & m) {
      const home = hs[q]! & m;
      if (gap <= q ? home <= gap || home > q : home <= gap && home > q) { hs[gap] = hs[q]!; ps[gap] = ps[q]!; gap = q; }
    }
    ps[gap] = 0;
    this.size--;
  }

  private place(h: number, v: number): void {
    const hs = this.hashes, ps = this.pages, m = this.mask;
    let p = h & m;
    while (ps[p] !== 0) p = (p + 1) & m;
    hs[p] = h; ps[p] = v;
  }

  private resize(n: number): void {
    const oh = this.hashes, op = this.pages;
    this.hashes = new Int32Array(n); this.pages = op instanceof Uint16Array ? new Uint16Array(n) : new Int32Array(n); this.mask = n - 1;
    for (let p = 0; p < op.length; p++) if (op[p] !== 0) this.place(oh[p]!, op[p]!);
  }
}
