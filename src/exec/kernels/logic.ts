import type * as A from 'apache-arrow';
import { boolean } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { primitiveColumn } from '../../data/builders.ts';

const bit = (d: A.Data, i: number): number => ((d.values as Uint8Array)[i >> 3]! >> (i & 7)) & 1;

/** SQL AND / OR with three-valued logic: false AND null = false, true OR null = true. */
export function andOr(op: 'and' | 'or', l: A.Data, r: A.Data, n: number): A.Data {
  const out = new Uint8Array(n);
  const anyNull = l.nullCount > 0 || r.nullCount > 0;
  const bm = anyNull ? new Uint8Array((n + 7) >> 3) : undefined;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const lv = isValid(l, i) ? bit(l, i) : -1, rv = isValid(r, i) ? bit(r, i) : -1;
    let v: number;
    if (op === 'and') v = lv === 0 || rv === 0 ? 0 : lv === -1 || rv === -1 ? -1 : 1;
    else v = lv === 1 || rv === 1 ? 1 : lv === -1 || rv === -1 ? -1 : 0;
    if (v === -1) nulls++; else { out[i] = v; if (bm) bm[i >> 3]! |= 1 << (i & 7); }
  }
  return primitiveColumn(boolean, out, n, nulls ? bm : undefined, nulls);
}
