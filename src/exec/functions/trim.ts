import type * as A from 'apache-arrow';
import { string } from '../../data/types.ts';
import { isValid } from '../../data/batch.ts';
import { BytesBuilder } from '../../data/builders.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';

const SPACE = 0x20;

/** Spark's trim removes the space character only (not tabs or newlines), so bytes suffice: UTF-8 never uses 0x20 inside a character. */
function trimKernel(d: A.Data, n: number, left: boolean, right: boolean): A.Data {
  const o = d.valueOffsets as Int32Array, v = d.values as Uint8Array;
  const bb = new BytesBuilder(n, (o[n] ?? 0) - (o[0] ?? 0));
  for (let i = 0; i < n; i++) {
    if (!isValid(d, i)) { bb.appendNull(); continue; }
    let s = o[i]!, e = o[i + 1]!;
    if (left) while (s < e && v[s] === SPACE) s++;
    if (right) while (e > s && v[e - 1] === SPACE) e--;
    bb.appendBytes(v, s, e);
  }
  return bb.finish('string');
}

export const trim: ScalarFunction = {
  name: 'trim', arity: 1,
  bind: fixedTypes(['string'], string, ([d], n) => trimKernel(d!, n, true, true)),
};
export const ltrim: ScalarFunction = {
  name: 'ltrim', arity: 1,
  bind: fixedTypes(['string'], string, ([d], n) => trimKernel(d!, n, true, false)),
};
export const rtrim: ScalarFunction = {
  name: 'rtrim', arity: 1,
  bind: fixedTypes(['string'], string, ([d], n) => trimKernel(d!, n, false, true)),
};
