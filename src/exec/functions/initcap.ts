import { string } from '../../data/types.ts';
import type { ScalarFunction } from './scalar-function.ts';
import { fixedTypes } from './type-rules.ts';
import { stringAt, stringColumn } from './utf8-columns.ts';
import { isValid } from '../../data/batch.ts';

/** Spark's UTF8String toLowerCase().toTitleCase(): the first letter after each space upper case, the rest lower. */
function initcapOf(s: string): string {
  const lower = s.toLowerCase();
  let out = '', up = true;
  for (const ch of lower) { out += up ? ch.toUpperCase() : ch; up = ch === ' '; }
  return out;
}

/** initcap(str): words are split by spaces only, as in Spark ('a-b c' is 'A-b C'). */
export const initcap: ScalarFunction = {
  name: 'initcap', arity: 1,
  bind: fixedTypes(['string'], string, ([s], n) => stringColumn(n, (i) => (isValid(s!, i) ? initcapOf(stringAt(s!, i)) : null))),
};
