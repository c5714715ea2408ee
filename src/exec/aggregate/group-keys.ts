import type * as A from 'apache-arrow';
import type { DataType } from '../../api/types.ts';
import { isValid } from '../batch.ts';
import { NULL_KEY } from '../../state/key-encoding.ts';

/**
 * The key part of every row of one column, as the state store encodes it (see
 * key-encoding.ts): strings as latin1 of their bytes, sliced from Arrow's buffer without
 * decoding; numbers as their decimal text.
 */
export function keyParts(d: A.Data, type: DataType, n: number): string[] {
  const out: string[] = new Array(n);
  const nulls = d.nullCount > 0;
  if (type.kind === 'string' || type.kind === 'binary') {
    const v = d.values as Uint8Array, o = d.valueOffsets as Int32Array;
    const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : buf.toString('latin1', o[i]!, o[i + 1]!);
  } else if (type.kind === 'boolean') {
    const v = d.values as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? 'true' : 'false';
  } else {
    const v = d.values as Int32Array | Float64Array | BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = nulls && !isValid(d, i) ? NULL_KEY : String(v[i]!);
  }
  return out;
}
