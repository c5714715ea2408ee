import type * as A from 'apache-arrow';
import type { DataType } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { cellReader, type Cell } from '../../data/cells.ts';
import { DataError } from '../../errors.ts';
import { cellsEqual } from './array-columns.ts';

/**
 * Spark's rules for the keys of a map being built (ArrayBasedMapBuilder, default
 * spark.sql.mapKeyDedupPolicy=EXCEPTION): a null key or a key given twice in one map stops the
 * query, naming the function, the row and the key, since dropping either would lose a value.
 * `offsets` gives each row's entries in `keys`.
 */
export function checkMapKeys(fn: string, keys: A.Data, keyType: DataType, offsets: Int32Array, n: number, rowValid: (i: number) => boolean): void {
  const read = cellReader(keys, keyType);
  const seen = new Set<Cell>();
  // Numbers, bigints and strings are equal by Set's SameValueZero (NaN too, as Spark); bytes by content.
  const atomic = keyType.kind !== 'binary' && keyType.kind !== 'array' && keyType.kind !== 'map' && keyType.kind !== 'struct';
  for (let i = 0; i < n; i++) {
    if (!rowValid(i)) continue;
    const from = offsets[i]!, to = offsets[i + 1]!;
    seen.clear();
    for (let k = from; k < to; k++) {
      if (!isValid(keys, k)) throw new DataError(`${fn}: row ${i} of the batch has a null map key (Spark's NULL_MAP_KEY); a map key cannot be null. Filter the row out or coalesce() the key first.`);
      const key = read(k);
      const dup = atomic ? seen.has(key) : [...seen].some((s) => cellsEqual(s, key));
      if (dup) {
        throw new DataError(`${fn}: duplicate map key ${typeof key === 'string' ? `'${key}'` : String(key)} in row ${i} of the batch (Spark's DUPLICATED_MAP_KEY, with its default mapKeyDedupPolicy EXCEPTION). `
          + `Make the keys unique before building the map.`);
      }
      seen.add(key);
    }
  }
}
