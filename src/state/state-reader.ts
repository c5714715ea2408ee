import * as A from 'apache-arrow';
import { type Struct, fromArrowSchema, struct } from '../data/types.ts';
import type { Storage } from '../storage/storage-for.ts';
import { joinPath } from '../storage/storage-for.ts';
import { CheckpointError } from '../errors.ts';
import type { Cell } from '../data/cells.ts';
import { DELETED, StateStore } from './state-store.ts';
import { readStateFile } from './state-file-read.ts';
import { parseStateFileName, rangeText, StateFiles, stateFileName, type StateFileKind } from './state-files.ts';

export { rangeText };

/**
 * Read-only access to a state directory (`<checkpoint>/state/<op>`), for tools that look at
 * a checkpoint without running its query (`sluice checkpoint show|state`). Rebuilding a
 * version goes through StateStore.load, so it reads the files exactly as a restart would.
 */

export interface StateFileInfo {
  readonly name: string;
  readonly version: number;
  readonly kind: StateFileKind;
  readonly bytes: number;
  /** Rows in the file: for a delta, keys written plus keys removed. */
  readonly rows: number;
  /** Keys a delta removes (evicted windows, expired duplicates); 0 for a snapshot. */
  readonly deletedRows: number;
}


/** Every version file of the directory, by version then delta before snapshot. */
export async function describeStateFiles(storage: Storage, dir: string): Promise<StateFileInfo[]> {
  const named = (await storage.list(dir)).flatMap((name) => { const p = parseStateFileName(name); return p ? [{ name, ...p }] : []; });
  named.sort((a, b) => a.version - b.version || (a.kind === 'delta' ? -1 : 1));
  const out: StateFileInfo[] = [];
  for (const f of named) {
    const { table: t, bytes } = await readStateFile(storage, dir, f.name);
    let deleted = 0;
    const col = t.getChild(DELETED);
    if (col) for (const v of col) if (v === true) deleted++;
    out.push({ ...f, bytes, rows: t.numRows, deletedRows: deleted });
  }
  return out;
}

/** The versions that can be rebuilt from `names` (a listing of the directory), by the store's own rule. */
export function readableVersions(names: readonly string[]): number[] {
  return new StateFiles(names).readableVersions();
}

export interface StateRows {
  readonly version: number;
  readonly keySchema: Struct;
  readonly valueSchema: Struct;
  readonly numRows: number;
  /** Column-major: keys[k][i] is key column k of row i (rows in no particular order). */
  readonly keys: readonly (readonly Cell[])[];
  readonly values: readonly (readonly Cell[])[];
}

/**
 * The live rows of state `version`. The files do not say which columns are the key, so the
 * caller passes how many leading columns are (from the operator's `_metadata`).
 */
export async function readStateAt(storage: Storage, dir: string, version: number, numKeyColumns: number): Promise<StateRows> {
  const files = new StateFiles(await storage.list(dir));
  const readable = files.readableVersions();
  if (!readable.includes(version)) {
    throw new CheckpointError(`State version ${version} cannot be rebuilt from ${dir}: ${files.has(version, 'delta') ? 'a delta file it needs is missing' : `there is no ${stateFileName(version, 'delta')}`}. `
      + `Readable versions: ${rangeText(readable)}.`);
  }
  const file = stateFileName(version, files.has(version, 'snapshot') ? 'snapshot' : 'delta');
  const path = joinPath(dir, file);
  const schema = fromArrowSchema((await readStateFile(storage, dir, file)).table.schema);
  const fields = schema.fields.filter((f) => f.name !== DELETED);
  if (numKeyColumns < 0 || numKeyColumns > fields.length) {
    throw new CheckpointError(`${path} has ${fields.length} state columns (${fields.map((f) => f.name).join(', ')}), fewer than the ${numKeyColumns} key columns its operator's _metadata names.`);
  }
  const keySchema = struct(fields.slice(0, numKeyColumns)), valueSchema = struct(fields.slice(numKeyColumns));
  // Never commits, so the snapshot interval does not matter.
  const store = new StateStore(storage, dir, keySchema, valueSchema, Number.MAX_SAFE_INTEGER);
  await store.load(version);
  const slots = [...store.slots()];
  return {
    version, keySchema, valueSchema, numRows: slots.length,
    keys: store.keys.map((c) => slots.map((s) => c[s] ?? null)),
    values: store.values.map((c) => slots.map((s) => c[s] ?? null)),
  };
}
