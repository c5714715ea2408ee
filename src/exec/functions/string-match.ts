import type * as A from 'apache-arrow';
import { boolean } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, booleanColumn, bytesOf } from './utf8-columns.ts';

/** Whether `needle` occurs in `hay` at byte `at`. */
function bytesAt(hay: Uint8Array, at: number, needle: Uint8Array, ns: number, ne: number): boolean {
  for (let k = 0; k < ne - ns; k++) if (hay[at + k] !== needle[ns + k]) return false;
  return true;
}

/**
 * startswith / endswith / contains on UTF-8 bytes: a byte match of valid UTF-8 is a character
 * match, so nothing is decoded. Null if either side is null, as in Spark.
 */
function matchKernel(where: 'start' | 'end' | 'any') {
  return ([s, p]: readonly A.Data[], n: number): A.Data => booleanColumn(n, (i) => {
    if (!allValid([s!, p!], i)) return null;
    const [hv, ha, hb] = bytesOf(s!, i), [nv, na, nb] = bytesOf(p!, i), len = nb - na;
    if (len > hb - ha) return false;
    if (where === 'start') return bytesAt(hv, ha, nv, na, nb);
    if (where === 'end') return bytesAt(hv, hb - len, nv, na, nb);
    for (let at = ha; at + len <= hb; at++) if (bytesAt(hv, at, nv, na, nb)) return true;
    return false;
  });
}

export const startswith: ScalarFunction = { name: 'startswith', arity: 2, bind: fixedTypes(['string', 'string'], boolean, matchKernel('start')) };
export const endswith: ScalarFunction = { name: 'endswith', arity: 2, bind: fixedTypes(['string', 'string'], boolean, matchKernel('end')) };
export const contains: ScalarFunction = { name: 'contains', arity: 2, bind: fixedTypes(['string', 'string'], boolean, matchKernel('any')) };
