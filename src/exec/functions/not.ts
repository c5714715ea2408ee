import type * as A from 'apache-arrow';
import { boolean } from '../../data/types.ts';
import { primitiveColumn } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';

/** NOT b: null stays null (the validity is reused as is). */
function notKernel(d: A.Data, n: number): A.Data {
  const bits = d.values as Uint8Array, out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bits[i >> 3]! >> (i & 7)) & 1) ^ 1;
  return primitiveColumn(boolean, out, n, d.nullCount ? (d.nullBitmap as Uint8Array) : undefined, d.nullCount);
}

/** not(b), also Column.not(); Spark names it `(NOT b)`. */
export const not: ScalarFunction = {
  name: 'not', arity: 1,
  bind: fixedTypes(['boolean'], boolean, ([d], n) => notKernel(d!, n)),
  sql: ([a]) => `(NOT ${a})`,
};
