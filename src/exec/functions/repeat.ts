import { string } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, stringAt, stringColumn } from './utf8-columns.ts';

/** repeat(str, n): the string n times; '' when n <= 0. */
export const repeat: ScalarFunction = {
  name: 'repeat', arity: 2,
  bind: fixedTypes(['string', 'int'], string, ([s, k], n) => {
    const times = k!.values as Int32Array;
    return stringColumn(n, (i) => (allValid([s!, k!], i) ? stringAt(s!, i).repeat(Math.max(0, times[i]!)) : null));
  }),
};
