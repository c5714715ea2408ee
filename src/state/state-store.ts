import * as A from 'apache-arrow';
import { type Struct, type DataType, boolean, struct } from '../data/types.ts';
import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';
import { CheckpointError } from '../errors.ts';
import { makeBatch, toArrowTable, fromArrowTable } from '../data/batch.ts';
import { cellReader, cellWriter, type Cell } from '../data/cells.ts';
import { keyParts, rowKey } from './key-encoding.ts';
import { StateFiles, stateFileName } from './state-files.ts';
import { sealStateFile } from './state-file-seal.ts';
import { readStateFile } from './state-file-read.ts';

/** The delta files' column that marks a removed key (its value columns are null). */
export const DELETED = '__deleted';

/**
 * A versioned keyed state store (Spark's HDFSBackedStateStore, columnar): rows live in
 * slots, key and value columns as arrays indexed by slot. Version N is committed as
 * `<N>.delta` (the keys changed or removed since N-1, Arrow IPC), plus `<N>.snapshot`
 * (every live key) every `snapshotInterval` versions, so a commit costs what the batch
 * touched and a restart reads one snapshot and the deltas after it.
 */
export class StateStore {
  private index = new Map<string, number>();
  private slotKey: (string | null)[] = [];
  private free: number[] = [];
  readonly keys: Cell[][];
  readonly values: Cell[][];
  private dirty = new Set<number>();
  private removed = new Map<string, Cell[]>();
  private readonly keyTypes: DataType[];
  private readonly valueTypes: DataType[];
  /** Rows removed since the last commit (progress's numRowsRemoved). */
  numRowsRemoved = 0;
  version = -1;
  /** Bumped by load(): operators that index slots themselves rebuild their index. */
  generation = 0;

  constructor(private readonly storage: Storage, readonly dir: string, readonly keySchema: Struct, readonly valueSchema: Struct,
    private readonly snapshotInterval: number) {
    this.keyTypes = keySchema.fields.map((f) => f.type);
    this.valueTypes = valueSchema.fields.map((f) => f.type);
    this.keys = this.keyTypes.map(() => []);
    this.values = this.valueTypes.map(() => []);
  }

  get size(): number { return this.index.size; }
  /** Rows written since the last commit (progress's numRowsUpdated). */
  get numRowsUpdated(): number { return this.dirty.size; }

  /** The slot of an encoded key, or -1. */
  lookup(key: string): number { return this.index.get(key) ?? -1; }

  /** A new slot for `key` with its key cells and null values; marked dirty. */
  insert(key: string, keyCells: readonly Cell[]): number {
    const slot = this.free.length ? this.free.pop()! : this.slotKey.length;
    this.index.set(key, slot);
    this.slotKey[slot] = key;
    for (let k = 0; k < keyCells.length; k++) this.keys[k]![slot] = keyCells[k]!;
    for (const col of this.values) col[slot] = null;
    this.removed.delete(key);
    this.dirty.add(slot);
    return slot;
  }

  touch(slot: number): void { this.dirty.add(slot); }

  remove(slot: number): void {
    const key = this.slotKey[slot];
    if (key === null || key === undefined) return;
    this.index.delete(key);
    this.removed.set(key, this.keys.map((c) => c[slot]!));
    this.slotKey[slot] = null;
    this.dirty.delete(slot);
    this.free.push(slot);
    this.numRowsRemoved++;
  }

  /** Every live slot. */
  *slots(): IterableIterator<number> {
    for (const slot of this.index.values()) yield slot;
  }

  isDirty(slot: number): boolean { return this.dirty.has(slot); }

  /** A rough count of bytes held, for progress's memoryUsedBytes. */
  memoryUsedBytes(): number {
    return this.index.size * (64 + 16 * (this.keys.length + this.values.length));
  }

  private fileSchema(withDeleted: boolean): Struct {
    const fields = [...this.keySchema.fields, ...this.valueSchema.fields];
    return struct(withDeleted ? [...fields, { name: DELETED, type: boolean, nullable: false }] : fields);
  }

  private encode(slots: readonly number[], removed: readonly Cell[][], withDeleted: boolean): Uint8Array {
    const schema = this.fileSchema(withDeleted);
    const n = slots.length + removed.length;
    const cols = schema.fields.map((f, c) => {
      const w = cellWriter(f.type, n);
      const nk = this.keys.length, nv = this.values.length;
      for (const s of slots) w.push(c < nk ? this.keys[c]![s]! : c < nk + nv ? this.values[c - nk]![s]! : false);
      for (const r of removed) w.push(c < nk ? r[c]! : c < nk + nv ? null : true);
      return w.finish();
    });
    return sealStateFile(A.tableToIPC(toArrowTable(makeBatch(schema, cols, n)), 'stream'));
  }

  /** Commit the changes since the last version as `version`. */
  async commit(version: number): Promise<void> {
    const delta = this.encode([...this.dirty], [...this.removed.values()], true);
    await this.storage.write(joinPath(this.dir, stateFileName(version, 'delta')), delta);
    if (version > 0 && version % this.snapshotInterval === 0) {
      await this.storage.write(joinPath(this.dir, stateFileName(version, 'snapshot')), this.encode([...this.index.values()], [], false));
    }
    this.dirty.clear();
    this.removed.clear();
    this.numRowsRemoved = 0;
    this.version = version;
  }

  /** Discard uncommitted changes by reloading the last committed version. */
  async load(version: number): Promise<void> {
    this.generation++;
    this.index.clear(); this.slotKey = []; this.free = []; this.dirty.clear(); this.removed.clear();
    for (const c of [...this.keys, ...this.values]) c.length = 0;
    this.version = version;
    if (version < 0) return;
    const plan = new StateFiles(await this.storage.list(this.dir)).rebuildPlan(version);
    if (plan.missingDelta !== null) {
      throw new CheckpointError(`State file ${joinPath(this.dir, stateFileName(plan.missingDelta, 'delta'))} is missing, so state version ${version} cannot be rebuilt. `
        + `The checkpoint is damaged; restore it from a backup or start the query with a new checkpointLocation.`);
    }
    try {
      if (plan.snapshot !== null) this.apply(await this.readFile(stateFileName(plan.snapshot, 'snapshot'), false), false);
      for (const v of plan.deltas) this.apply(await this.readFile(stateFileName(v, 'delta'), true), true);
    } catch (e) {
      // Never leave part of a version behind for a caller that catches the error.
      await this.load(-1);
      throw e;
    }
    this.dirty.clear(); this.removed.clear(); this.numRowsRemoved = 0;
  }

  private async readFile(name: string, withDeleted: boolean): Promise<A.Table> {
    return (await readStateFile(this.storage, this.dir, name, this.fileSchema(withDeleted).fields.map((f) => f.name))).table;
  }

  private apply(t: A.Table, withDeleted: boolean): void {
    const nk = this.keys.length, nv = this.values.length;
    for (const b of fromArrowTable(t)) {
      const n = b.numRows;
      // Keys straight from the columns (no cell per key part); key cells are decoded only for new keys.
      const parts = this.keyTypes.map((type, k) => keyParts(b.columns[k]!, type, n));
      const readers = b.columns.map((c, k) => cellReader(c, b.schema.fields[k]!.type));
      const deleted = withDeleted ? readers[nk + nv]! : null;
      for (let i = 0; i < n; i++) {
        const key = rowKey(parts, i);
        let slot = this.lookup(key);
        if (deleted !== null && deleted(i) === true) { if (slot >= 0) this.remove(slot); continue; }
        if (slot < 0) {
          const keyCells: Cell[] = new Array<Cell>(nk);
          for (let k = 0; k < nk; k++) keyCells[k] = readers[k]!(i);
          slot = this.insert(key, keyCells);
        }
        for (let v = 0; v < nv; v++) this.values[v]![slot] = readers[nk + v]!(i);
      }
    }
  }

  /** Remove state files of versions below `keepFrom` that no retained version needs. */
  async purge(keepFrom: number): Promise<void> {
    for (const n of new StateFiles(await this.storage.list(this.dir)).purgeable(keepFrom)) await this.storage.remove(joinPath(this.dir, n));
  }
}
