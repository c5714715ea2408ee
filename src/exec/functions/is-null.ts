import type * as A from 'apache-arrow';
import { boolean } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { primitiveColumn } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';

/** Never null itself: a null input is the answer, not an unknown. */
function isNullKernel(d: A.Data, n: number, negate: boolean): A.Data {
  const out = new Uint8Array(n), yes = negate ? 0 : 1;
  if (d.nullCount === 0) out.fill(1 - yes);
  else if (d.nullCount === n) out.fill(yes);
  else for (let i = 0; i < n; i++) out[i] = isValid(d, i) ? 1 - yes : yes;
  return primitiveColumn(boolean, out, n);
}

/** isnull(x), also Column.isNull(); Spark names it `(x IS NULL)`. */
export const isnull: ScalarFunction = {
  name: 'isnull', arity: 1,
  bind: fixedTypes(['any'], boolean, ([d], n) => isNullKernel(d!, n, false)),
  sql: ([a]) => `(${a} IS NULL)`,
};

/** isnotnull(x), also Column.isNotNull(); Spark names it `(x IS NOT NULL)`. */
export const isnotnull: ScalarFunction = {
  name: 'isnotnull', arity: 1,
  bind: fixedTypes(['any'], boolean, ([d], n) => isNullKernel(d!, n, true)),
  sql: ([a]) => `(${a} IS NOT NULL)`,
};
