import { int } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { intColumn, stringAt } from './utf8-columns.ts';
import { isValid } from '../../data/batch.ts';

/** ascii(str): the code point of the first character (Spark's Ascii, not only ASCII); 0 for ''. */
export const ascii: ScalarFunction = {
  name: 'ascii', arity: 1,
  bind: fixedTypes(['string'], int, ([s], n) => intColumn(n, (i) => (isValid(s!, i) ? stringAt(s!, i).codePointAt(0) ?? 0 : null))),
};
