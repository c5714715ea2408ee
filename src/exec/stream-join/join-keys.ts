import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import type { Batch } from '../../data/batch.ts';
import { BatchKeys, rowHash } from '../../state/key-hash.ts';
import { convertColumn } from './row-cells.ts';

/**
 * The join key of every row of one batch, as the state stores it: each key column converted to
 * its stored type (int keys of a long join are longs) and split into its leaves (a window key is
 * its start and end), hashed a column at a time by state/key-hash.ts, which hashes a stored key's
 * cells to the same number. `nullKey[i]` is 1 when a part of row i's key is null: it matches
 * nothing (SQL), whatever its hash.
 */
export interface JoinKeys {
  readonly rows: BatchKeys;
  readonly hash: Int32Array;
  readonly nullKey: Uint8Array;
}

export function joinKeys(b: Batch, keyCols: readonly number[], keyTypes: readonly DataType[], leafTypes: readonly DataType[]): JoinKeys {
  const n = b.numRows, leaves: A.Data[] = [], nullKey = new Uint8Array(n);
  keyCols.forEach((c, j) => {
    const d = convertColumn(b.columns[c]!, b.schema.fields[c]!.type, keyTypes[j]!);
    collectLeaves(d, keyTypes[j]!, leaves, nullKey, n);
  });
  const rows = new BatchKeys(leaves, leafTypes, n);
  const hash = new Int32Array(n);
  for (let i = 0; i < n; i++) hash[i] = rowHash(rows, i);
  return { rows, hash, nullKey };
}

/** `d`'s leaf columns appended to `out`; a row whose struct or leaf is null is marked in `nullKey`. */
function collectLeaves(d: A.Data, type: DataType, out: A.Data[], nullKey: Uint8Array, n: number): void {
  if (d.nullCount > 0) for (let i = 0; i < n; i++) if (!isValid(d, i)) nullKey[i] = 1;
  if (type.kind !== 'struct') { out.push(d); return; }
  type.fields.forEach((f, k) => collectLeaves(d.children[k]!, f.type, out, nullKey, n));
}
