import { string } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, stringAt, stringColumn } from './utf8-columns.ts';

/** The leftmost or rightmost `len` characters (code points, as Spark counts them); '' when len <= 0. */
function side(name: 'left' | 'right'): ScalarFunction {
  return {
    name, arity: 2,
    bind: fixedTypes(['string', 'int'], string, ([s, k], n) => {
      const lens = k!.values as Int32Array;
      return stringColumn(n, (i) => {
        if (!allValid([s!, k!], i)) return null;
        const len = lens[i]!, str = stringAt(s!, i);
        if (len <= 0) return '';
        const chars = Array.from(str);
        return (name === 'left' ? chars.slice(0, len) : chars.slice(Math.max(0, chars.length - len))).join('');
      });
    }),
  };
}

export const left = side('left');
export const right = side('right');
