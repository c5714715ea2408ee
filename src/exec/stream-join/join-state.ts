import { type DataType, type Struct, type StructField, boolean, long, string, struct } from '../../data/types.ts';
import { flattenRow, leafFields, leafTypes, unflattenCell } from './row-cells.ts';
import type { Cell } from '../../data/cells.ts';
import { KEY_SEP, cellKeyPart, encodeCells } from '../../state/key-encoding.ts';
import type { StateStore } from '../../state/state-store.ts';

export type SideName = 'left' | 'right';

/**
 * Both sides' buffered rows in one versioned store (Spark keeps four stores, keyToNumValues and
 * keyWithIndexToValue per side; one store with the side in the key holds the same facts and
 * commits, recovers and shows in `sluice checkpoint state` as every other operator's does).
 *
 * A state row's key: join_side ('left'|'right'), the join key columns (named and typed as the join
 * stores them), and join_seq, a number unique per side, so one key holds many rows. Its value:
 * `matched` (Spark's state format 2 flag: the row has joined at least once), then every left
 * column as `left.<name>` and every right column as `right.<name>`; the other side's are null.
 */
export function joinStateSchemas(keyNames: readonly string[], keyTypes: readonly DataType[], left: Struct, right: Struct): { key: Struct; value: Struct } {
  const side = (prefix: string, s: Struct): StructField[] => s.fields.flatMap((f) => leafFields({ ...f, nullable: true }, prefix));
  return {
    key: struct([
      { name: 'join_side', type: string, nullable: false },
      ...keyNames.flatMap((name, k) => leafFields({ name, type: keyTypes[k]!, nullable: true })),
      { name: 'join_seq', type: long, nullable: false },
    ]),
    value: struct([{ name: 'matched', type: boolean, nullable: false }, ...side('left.', left), ...side('right.', right)]),
  };
}

/** The join key of a row as a map key, from its key leaves; null when a part is null (SQL: it matches nothing). */
export function matchKey(keyCells: readonly Cell[], keyTypes: readonly DataType[]): string | null {
  let s = '';
  for (let k = 0; k < keyCells.length; k++) {
    const c = keyCells[k]!;
    if (c === null) return null;
    s += (k ? KEY_SEP : '') + cellKeyPart(c, keyTypes[k]!);
  }
  return s;
}

/** One side's rows in the shared store, indexed by join key; rebuilt from the store after it loads a version. */
export class JoinSideState {
  private index = new Map<string, number[]>();
  /** Every live slot of this side, for the watermark's sweep. */
  private live = new Set<number>();
  private nextSeq = 0n;
  private generation = -1;
  /** Key leaves and value leaves of this side, as the store holds them. */
  private readonly keyTypes: readonly DataType[];
  private readonly keyCount: number;
  private readonly width: number;
  /** Where this side's columns start among the store's value columns (after `matched`). */
  readonly valueOffset: number;

  /** `keyTypes`: the join's stored key types (structs allowed); `leftWidth`: the left side's leaf count (the right's columns follow it). */
  constructor(readonly side: SideName, keyTypes: readonly DataType[], private readonly schema: Struct, leftWidth: number) {
    this.keyTypes = leafTypes(keyTypes);
    this.keyCount = this.keyTypes.length;
    this.width = leafTypes(schema.fields.map((f) => f.type)).length;
    this.valueOffset = side === 'left' ? 1 : 1 + leftWidth;
  }

  get size(): number { return this.live.size; }

  /** Re-index after the store loaded a version (a restart, or a batch re-run). */
  sync(store: StateStore): void {
    if (this.generation === store.generation) return;
    this.generation = store.generation;
    this.index.clear(); this.live.clear(); this.nextSeq = 0n;
    const sides = store.keys[0]!, seqs = store.keys[1 + this.keyCount]!;
    for (const slot of store.slots()) {
      if (sides[slot] !== this.side) continue;
      this.live.add(slot);
      const seq = seqs[slot] as bigint;
      if (seq >= this.nextSeq) this.nextSeq = seq + 1n;
      const k = matchKey(this.keyCells(store, slot), this.keyTypes);
      if (k !== null) this.push(k, slot);
    }
  }

  private push(k: string, slot: number): void {
    const list = this.index.get(k);
    if (list) list.push(slot); else this.index.set(k, [slot]);
  }

  keyCells(store: StateStore, slot: number): Cell[] {
    const out: Cell[] = new Array<Cell>(this.keyCount);
    for (let k = 0; k < this.keyCount; k++) out[k] = store.keys[1 + k]![slot]!;
    return out;
  }

  /** A stored row, one cell per column of this side (a struct's cell holds its fields'). */
  row(store: StateStore, slot: number): Cell[] {
    const leaves: Cell[] = new Array<Cell>(this.width);
    for (let c = 0; c < this.width; c++) leaves[c] = store.values[this.valueOffset + c]![slot]!;
    const out: Cell[] = [];
    let at = 0;
    for (const f of this.schema.fields) { const r = unflattenCell(leaves, at, f.type); out.push(r.cell); at = r.next; }
    return out;
  }

  /** The slots whose join key is `k`, in the order they were added. */
  get(k: string): readonly number[] { return this.index.get(k) ?? []; }

  /** `keyCells`: the key's leaves; `row`: one cell per column. */
  add(store: StateStore, key: string | null, keyCells: readonly Cell[], row: readonly Cell[], matched: boolean): number {
    const seq = this.nextSeq++;
    const cells: Cell[] = [this.side, ...keyCells, seq];
    const slot = store.insert(encodeCells(cells, [string, ...this.keyTypes, long]), cells);
    store.values[0]![slot] = matched;
    const leaves = flattenRow(row, this.schema);
    for (let c = 0; c < this.width; c++) store.values[this.valueOffset + c]![slot] = leaves[c]!;
    this.live.add(slot);
    if (key !== null) this.push(key, slot);
    return slot;
  }

  isMatched(store: StateStore, slot: number): boolean { return store.values[0]![slot] === true; }

  setMatched(store: StateStore, slot: number): void {
    if (store.values[0]![slot] === true) return;
    store.values[0]![slot] = true;
    store.touch(slot);
  }

  /**
   * Where column `c`'s event time sits among this side's stored leaves: the column itself, or for
   * a struct (a window) its second field, the end, as Spark's watermark predicate reads a struct.
   */
  timeLeaf(c: number): number {
    let at = 0;
    for (let k = 0; k < c; k++) at += leafTypes([this.schema.fields[k]!.type]).length;
    return this.schema.fields[c]!.type.kind === 'struct' ? at + 1 : at;
  }

  /**
   * Remove the rows whose time leaf is at or below `bound` (a null time stays, as Spark's `t <= bound` is not
   * true for it); with `unmatched`, return those that never matched (an outer side's), oldest first.
   */
  removeAtOrBelow(store: StateStore, leaf: number, bound: number, unmatched: boolean): Cell[][] {
    const col = store.values[this.valueOffset + leaf]!;
    return this.removeWhere(store, (slot) => { const t = col[slot]; return t !== null && t !== undefined && (t as number) <= bound; }, unmatched);
  }

  private removeWhere(store: StateStore, drop: (slot: number) => boolean, unmatched: boolean): Cell[][] {
    const out: { row: Cell[]; seq: bigint }[] = [];
    const seqs = store.keys[1 + this.keyCount]!;
    // Keys whose lists lose rows are filtered once at the end: a hot key's list is not spliced per row.
    const touched = new Set<string>(), gone = new Set<number>();
    for (const slot of this.live) {
      if (!drop(slot)) continue;
      if (unmatched && !this.isMatched(store, slot)) out.push({ row: this.row(store, slot), seq: seqs[slot] as bigint });
      const k = matchKey(this.keyCells(store, slot), this.keyTypes);
      if (k !== null) touched.add(k);
      gone.add(slot);
      this.live.delete(slot);
      store.remove(slot);
    }
    for (const k of touched) {
      const list = this.index.get(k)!.filter((slot) => !gone.has(slot));
      if (list.length) this.index.set(k, list); else this.index.delete(k);
    }
    return out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0)).map((r) => r.row);
  }
}
