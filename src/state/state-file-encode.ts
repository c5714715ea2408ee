import * as A from 'apache-arrow';
import { type Struct } from '../data/types.ts';
import { makeBatch, toArrowTable } from '../data/batch.ts';
import { cellWriter, type Cell } from '../data/cells.ts';

/**
 * Rows of a state store as one Arrow record batch of a state file: `slots` read from the
 * key-then-value columns `cols`, then `removed` keys (their values null, the delta files'
 * deleted column true). The schema is the file's (with or without that column); the store and
 * the snapshot writer both encode through here, so a delta and a snapshot are the same format.
 */
export function encodeStateRows(schema: Struct, cols: readonly (readonly Cell[])[], numKeys: number,
  slots: readonly number[], removed: readonly (readonly Cell[])[] = []): A.Table {
  const n = slots.length + removed.length, nkv = cols.length;
  const data = schema.fields.map((f, c) => {
    const w = cellWriter(f.type, n), col = cols[c];
    if (col) for (const s of slots) w.push(col[s]!);
    else for (let i = 0; i < slots.length; i++) w.push(false);
    for (const r of removed) w.push(c < numKeys ? r[c]! : c < nkv ? null : true);
    return w.finish();
  });
  return toArrowTable(makeBatch(schema, data, n));
}
