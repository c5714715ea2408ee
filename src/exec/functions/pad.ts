import { string, int } from '../../data/types.ts';
import { BytesBuilder } from '../../data/builders.ts';
import { cellReader } from '../../data/cells.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { allValid, stringAt } from './utf8-columns.ts';

/**
 * Spark's UTF8String.lpad/rpad, by characters: a string already `len` long or longer is cut to
 * `len`; an empty pad pads nothing; len <= 0 gives ''.
 */
export function padString(s: string, len: number, pad: string, left: boolean): string {
  const chars = Array.from(s), padChars = Array.from(pad);
  if (len <= 0) return '';
  if (chars.length >= len || padChars.length === 0) return chars.slice(0, len).join('');
  const need = len - chars.length;
  let fill = '';
  for (let k = 0; k < need; k++) fill += padChars[k % padChars.length];
  return left ? fill + s : s + fill;
}

function padFunction(name: 'lpad' | 'rpad'): ScalarFunction {
  return {
    name, arity: [2, 3],
    bind: fixedTypes(['string', 'int', 'string'], string, (cols, n) => {
      const len = cellReader(cols[1]!, int), bb = new BytesBuilder(n);
      for (let i = 0; i < n; i++) {
        if (!allValid(cols, i)) { bb.appendNull(); continue; }
        bb.appendString(padString(stringAt(cols[0]!, i), len(i) as number, cols[2] ? stringAt(cols[2], i) : ' ', name === 'lpad'));
      }
      return bb.finish('string');
    }),
  };
}

export const lpad = padFunction('lpad');
export const rpad = padFunction('rpad');
