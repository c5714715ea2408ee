import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader, cellWriter } from '../../data/cells.ts';

/**
 * Row i of the result is row i of `cols[choice[i]]`, or null where `choice[i]` is -1: the one
 * gather that CASE WHEN and coalesce share. All columns are of `type` already; strings are copied
 * as bytes, never decoded.
 */
export function pickRows(type: DataType, cols: readonly A.Data[], choice: Int32Array, n: number): A.Data {
  if (type.kind === 'string' || type.kind === 'binary') {
    const bb = new BytesBuilder(n);
    for (let i = 0; i < n; i++) {
      const k = choice[i]!;
      const d = k < 0 ? undefined : cols[k]!;
      if (!d || !isValid(d, i)) { bb.appendNull(); continue; }
      const o = d.valueOffsets as Int32Array;
      bb.appendBytes(d.values as Uint8Array, o[i]!, o[i + 1]!);
    }
    return bb.finish(type.kind);
  }
  // Readers only for the columns chosen: CASE WHEN passes its boolean conditions too, which a
  // decimal reader cannot even view (Decimal128 words over a bitmap).
  const readers: (ReturnType<typeof cellReader> | undefined)[] = [], w = cellWriter(type, n);
  for (let i = 0; i < n; i++) { const k = choice[i]!; w.push(k < 0 ? null : (readers[k] ??= cellReader(cols[k]!, type))(i)); }
  return w.finish();
}
